"""Due: has any entry fallen due since the last deploy? (``sitegen due``)

Not a stage of the build: the hub's scheduled workflow asks it before building, and
publishes only when the answer is yes. "The last deploy" is what the live site lists:
its ``sitemap.xml`` (fetched from the base URL, or read from a file). An entry is due
when it is published now (dated, not a draft, its date at or before now in the site's
time zone) and its address is not in that sitemap. Comparing with the live site, not
with a clock window, means a scheduled run that GitHub delayed or skipped, a deploy
that failed, or an evicted cache never leaves an entry unpublished: the next run sees
it missing and publishes it. Undated pages never fall due (a push publishes them).

Only front matter is read (no Markdown is rendered), so the answer costs far less
than a build.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen
from zoneinfo import ZoneInfo

from .collect import placed_sources
from .config import load_config
from .errors import SitegenError
from .model import Config
from .parse import parse_date

#: An environment variable that sets "now" (ISO 8601; without an offset, in the site's
#: time zone). For testing the schedule; never set it in a workflow.
NOW_VARIABLE = "SITEGEN_NOW"
_SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@dataclass(frozen=True, slots=True)
class DueEntry:
    """An entry published now that the live site does not list yet."""

    source: str
    url: str
    date: datetime


@dataclass(frozen=True, slots=True)
class DueReport:
    """The answer of ``sitegen due``."""

    due: tuple[DueEntry, ...]
    deployed: str  # where the list of what is deployed came from
    nothing_deployed: str = ""  # why there is no such list (then everything published is due)
    next_due: datetime | None = None  # the first entry dated in the future, if any
    now: datetime | None = None

    @property
    def anything_due(self) -> bool:
        """Whether the site should be published."""
        return bool(self.due) or bool(self.nothing_deployed)


def now_for(config: Config, environ: dict[str, str] | os._Environ[str] = os.environ) -> datetime:
    """Now, or the moment ``SITEGEN_NOW`` names (for tests); timezone-aware."""
    given = environ.get(NOW_VARIABLE, "").strip()
    if not given:
        return datetime.now(UTC)
    moment = parse_date(given, ZoneInfo(config.timezone))
    if moment is None:
        raise SitegenError(f"{NOW_VARIABLE} must be a date and time like 2026-10-02T09:05 (got {given!r})",
                           hint=f"unset {NOW_VARIABLE} to use the real clock; it is meant for tests")
    return moment


def what_is_due(root: Path, base_url: str | None = None, deployed: str | None = None,
                now: datetime | None = None) -> DueReport:
    """Which entries fell due and are not on the deployed site.

    ``deployed`` is the deployed sitemap: an http(s) URL or a file; by default
    ``<base_url>sitemap.xml``. Raises :class:`SitegenError` for unusable settings."""
    config = load_config(root, base_url=base_url)
    now = (now or now_for(config)).astimezone(ZoneInfo(config.timezone))  # (shown in the site's time zone)
    location = deployed or config.urls.absolute("sitemap.xml")
    listed, why_none = _deployed_paths(location)
    due: list[DueEntry] = []
    upcoming: list[datetime] = []
    for source, url, when in _dated_entries(config):
        if when > now:
            upcoming.append(when)
        elif listed is not None and urlsplit(config.urls.absolute(url.lstrip("/"))).path not in listed:
            due.append(DueEntry(source, url, when))
    return DueReport(due=tuple(sorted(due, key=lambda e: (e.date, e.source))), deployed=location,
                     nothing_deployed=why_none, next_due=min(upcoming, default=None), now=now)


def _dated_entries(config: Config) -> list[tuple[str, str, datetime]]:
    """(source, site path, date) of every dated page that is not a draft. A file whose
    front matter cannot be read is left to the build to report."""
    zone = ZoneInfo(config.timezone)
    found = []
    for source, meta, page in placed_sources(config):
        when = parse_date(meta.get("date"), zone)
        if when is None or meta.get("draft") is True:
            continue
        found.append((source.rel, page.url, when))
    return found


def _deployed_paths(location: str) -> tuple[set[str] | None, str]:
    """The site paths the deployed sitemap lists, or None and why there is none (nothing
    deployed yet, or it cannot be read: then publishing is the safe answer)."""
    try:
        if urlsplit(location).scheme in ("http", "https"):
            # no-cache: a CDN's copy from before the last deploy would make an entry look missing
            request = Request(location, headers={"User-Agent": "sitegen due", "Cache-Control": "no-cache"})
            with urlopen(request, timeout=30) as response:
                raw = response.read()
        else:
            raw = Path(location).read_bytes()
    except HTTPError as exc:
        return None, f"{location} answered {exc.code}" + (" (nothing deployed yet?)" if exc.code == 404 else "")
    except (URLError, OSError, ValueError) as exc:
        return None, f"{location} cannot be read ({getattr(exc, 'reason', None) or exc})"
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        return None, f"{location} is not a sitemap"
    return {urlsplit((loc.text or "").strip()).path for loc in root.iter(f"{_SITEMAP_NS}loc")}, ""
