"""Checking: audits of a built site (``sitegen check``), after the build.

``check_output(config, theme)`` reads the output folder and reports, page by page:
broken internal links, anchors and assets (under the base path, against the ids the
renderer wrote), links that escape the base path, images without alt text, links
without text, counters and trackers (the same rules as the build's guard), contact
details published without consent, feeds that do not parse, pages missing from the
sitemap and a missing ``404.html``. Nothing is printed here; ``cli.py`` shows the
report as text or JSON.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, UTC
from pathlib import Path
from types import MappingProxyType
from typing import Any
from collections.abc import Iterator
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

import yaml

from .errors import Problem, Severity, SitegenError
from .guard import TAG_TOKEN, SiteGuard, finding_problem, locate, parse_attrs
from .collect import placed_sources
from .model import Config
from .parse import parse_date
from .people import ConsentWord, decide_consent
from .pin import WORKFLOW, check_requirements
from .slugs import slugify
from .themes import Theme
from .urls import output_file, split_url

#: Elements whose URL attributes are assets the page loads (the rest are links).
_ASSET_ATTRS = MappingProxyType({"img": ("src", "srcset"), "script": ("src",), "source": ("src", "srcset"),
                                 "video": ("src", "poster"), "audio": ("src",), "track": ("src",),
                                 "iframe": ("src",), "embed": ("src",), "object": ("data",)})
_SKIPPED_SCHEMES = ("mailto:", "tel:", "sms:", "data:", "javascript:", "blob:", "about:", "geo:", "webcal:")
_LINK_ASSET_RELS = frozenset({"stylesheet", "icon", "preload", "modulepreload", "apple-touch-icon", "manifest"})
_RAW = frozenset({"script", "style", "textarea", "title"})
_CLOSERS = MappingProxyType({name: re.compile(rf"</{name}\s*>", re.I) for name in _RAW})


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing ``sitegen check`` found on one page (``page`` is "" for the whole site)."""

    page: str
    kind: str
    message: str
    severity: Severity = "error"
    path: str | None = None  # the file to fix (content file or template), when known
    line: int | None = None
    hint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The finding as plain data, for ``--format json``."""
        return {"kind": self.kind, "severity": self.severity, "message": self.message,
                "path": self.path, "line": self.line, "hint": self.hint}


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Everything ``sitegen check`` found."""

    output: Path
    pages: int
    findings: tuple[Finding, ...]
    sources: dict[str, str] = field(default_factory=dict)  # output page -> content file

    @property
    def errors(self) -> int:
        """How many findings are errors (any error makes the exit status 1)."""
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return len(self.findings) - self.errors

    def by_page(self) -> list[tuple[str, list[Finding]]]:
        """Findings grouped by page, site-wide ones first, then pages in path order."""
        groups: dict[str, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.page, []).append(finding)
        return sorted(groups.items(), key=lambda item: (item[0] != "", item[0]))

    def to_json(self) -> str:
        """The report as JSON for machines."""
        return json.dumps({
            "ok": self.errors == 0,
            "output": str(self.output),
            "pages_checked": self.pages,
            "errors": self.errors,
            "warnings": self.warnings,
            "pages": [{"page": page, "source": self.sources.get(page), "findings": [f.as_dict() for f in items]}
                      for page, items in self.by_page()],
        }, ensure_ascii=False, indent=1)


@dataclass(slots=True)
class _Page:
    """What one HTML page holds that the checks need."""

    ids: set[str] = field(default_factory=set)
    refs: list[tuple[str, str, str]] = field(default_factory=list)  # (url, tag, "link" | "asset")
    no_alt: list[str] = field(default_factory=list)  # src of images without alt
    empty_links: list[str] = field(default_factory=list)  # href of links without text
    text: str = ""


def _read_page(html: str) -> _Page:
    """One pass over a page: ids, links, assets, images without alt, links without text."""
    page = _Page(text=html)
    open_link: list[Any] | None = None  # [href, has_text]
    pos = 0
    length = len(html)
    while pos < length:
        m = TAG_TOKEN.search(html, pos)
        end = m.start() if m else length
        if open_link is not None and end > pos and html[pos:end].strip():
            open_link[1] = True
        if m is None:
            break
        pos = m.end()
        name = m.group(2)
        if name is None:
            continue
        name = name.lower()
        if m.group(1):
            if name == "a" and open_link is not None:
                if not open_link[1]:
                    page.empty_links.append(open_link[0])
                open_link = None
            continue
        attrs = parse_attrs(m.group(3)) if m.group(3).strip() else {}
        if "id" in attrs:
            page.ids.add(attrs["id"])
        if name == "a":
            if "name" in attrs:
                page.ids.add(attrs["name"])
            if "href" in attrs:
                page.refs.append((attrs["href"], "a", "link"))
                labelled = any(attrs.get(k, "").strip() for k in ("aria-label", "aria-labelledby", "title"))
                open_link = [attrs["href"], labelled]
        elif name == "link" and "href" in attrs:
            rels = set(attrs.get("rel", "").lower().split())
            page.refs.append((attrs["href"], "link", "asset" if rels & _LINK_ASSET_RELS else "link"))
        elif name == "img":
            if "alt" not in attrs:
                page.no_alt.append(attrs.get("src", ""))
            elif open_link is not None and attrs["alt"].strip():
                open_link[1] = True
        elif name == "svg" and open_link is not None and attrs.get("aria-label", "").strip():
            open_link[1] = True
        for attr in _ASSET_ATTRS.get(name, ()):
            value = attrs.get(attr)
            if not value:
                continue
            urls = [c.strip().split()[0] for c in value.split(",") if c.strip()] if attr == "srcset" else [value]
            page.refs += [(u, name, "asset") for u in urls]
        if name in _RAW:
            closing = _CLOSERS[name].search(html, pos)
            pos = closing.start() if closing else length
    return page


class _Site:
    """The output folder: its files, and the pages read so far."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.output = config.output
        self.urls = config.urls
        self.files: set[str] = set()
        for folder, dirs, names in os.walk(self.output):
            dirs[:] = [d for d in dirs if not d.startswith(".git")]
            rel = Path(folder).relative_to(self.output).as_posix()
            prefix = "" if rel == "." else rel + "/"
            self.files.update(prefix + n for n in names)
        self.dirs = {posixpath.dirname(f) for f in self.files}
        self.pages: dict[str, _Page] = {}

    def page(self, rel: str) -> _Page:
        if rel not in self.pages:
            self.pages[rel] = _read_page((self.output / rel).read_text(encoding="utf-8", errors="replace"))
        return self.pages[rel]

    def target(self, page: str, url: str) -> tuple[str, str | None, str]:
        """Resolve ``url`` written on ``page``: (status, output file, fragment), status one of
        "external", "ok", "missing", "escapes", "malformed"."""
        parts = split_url(url)
        if parts is None:
            return "malformed", None, ""
        fragment = unquote(parts.fragment)
        if parts.scheme or parts.netloc:
            scheme = (parts.scheme or urlsplit(self.urls.origin).scheme).lower()
            if scheme not in ("http", "https") or f"{scheme}://{parts.netloc}".lower() != self.urls.origin.lower():
                return "external", None, fragment
            path = parts.path or "/"
        elif not parts.path:
            return "ok", page, fragment  # "#anchor" or "?query" on the same page
        elif parts.path.startswith("/"):
            path = parts.path
        else:
            here = self.urls.base_path + posixpath.dirname(page)
            path = posixpath.normpath(posixpath.join(here, parts.path)) + ("/" if parts.path.endswith("/") else "")
        path = unquote(path)
        base = self.urls.base_path
        if not (path.startswith(base) or path == base.rstrip("/")):
            return "escapes", None, fragment
        rel = path[len(base):] if path.startswith(base) else ""
        if rel == "" or rel.endswith("/"):
            rel = output_file(rel)
        elif rel not in self.files and rel in self.dirs:
            rel = rel + "/index.html"
        return ("ok" if rel in self.files else "missing"), rel, fragment


def content_sources(config: Config) -> tuple[dict[str, str], list[tuple[str, str, int | None, list[str]]]]:
    """Map output pages to content files, and list the contact details no page may show:
    (source, person's name, line, details). Which details a person agreed to publish is
    decided by the build's own rule (:func:`~sitegen.people.decide_consent`)."""
    pages: dict[str, str] = {}
    zone = ZoneInfo(config.timezone)
    now = datetime.now(UTC)  # (a scheduled entry cannot give consent yet)
    words: list[ConsentWord] = []
    listed: list[tuple[str, str, str, int | None, list[str], bool]] = []  # source, slug, name, line, details, consent
    for source, meta, page in placed_sources(config):  # the URL as the build gives it
        lang = page.lang
        pages[output_file(page.url)] = source.rel
        word, person, name, details = _consent_of(source.rel, source.kind, meta, lang, zone, now)
        if word is not None:
            words.append(word)
        if details:
            consent = isinstance(meta.get("person"), dict) and meta["person"].get("consent") is True
            listed.append((source.rel, person, name, page.lines.get("person.contact"), details, consent))
    decisions = decide_consent(words, config.language)
    agreed: dict[str, set[str]] = {}  # person -> the details their newest word agreed to publish
    for source_rel, person, _, _, details, _ in listed:
        decision = decisions.get(person)
        if decision is not None and decision.consent and decision.source == source_rel:
            agreed[person] = set(details)
    unconsented = []
    for source_rel, person, name, line, details, consent in listed:
        if person not in decisions:  # a person named on pages only: each page's own word
            withheld = [] if consent else details
        else:
            withheld = [d for d in details if d not in agreed.get(person, ())]
        if withheld:
            unconsented.append((source_rel, name, line, withheld))
    return pages, unconsented


def _consent_of(rel: str, kind: str, meta: dict[str, Any], lang: str, zone: ZoneInfo,
                now: datetime) -> tuple[ConsentWord | None, str, str, list[str]]:
    """What a content file's front matter says on its person's consent, read as the
    build reads it: the word (of an interview or story), the person's slug and name, and
    the contact details it lists."""
    person = meta.get("person")
    name = person if isinstance(person, str) else person.get("name") if isinstance(person, dict) else None
    contact = person.get("contact") if isinstance(person, dict) else None
    details = [str(v).strip() for v in contact.values()
               if isinstance(v, (str, int)) and not isinstance(v, bool) and len(str(v).strip()) >= 5] \
        if isinstance(contact, dict) else []
    if not isinstance(name, str) or not name.strip():
        return None, "", "someone", details
    if kind not in ("interview", "story"):
        return None, slugify(name), name.strip(), details
    key = meta.get("translation_key")
    key = str(key) if isinstance(key, (int, float)) and not isinstance(key, bool) else key
    key = key.strip() if isinstance(key, str) else None
    consent = isinstance(person, dict) and person.get("consent") is True
    date = parse_date(meta.get("date"), zone)
    word = ConsentWord(source=rel, person=slugify(name), kind=kind, date=date, lang=lang, work=key or rel,
                       consent=consent, draft=meta.get("draft") is True, scheduled=date is not None and date > now)
    return word, word.person, name.strip(), details


def check_output(config: Config, theme: Theme) -> CheckReport:
    """Audit the built site in ``config.output``. Raises SitegenError when there is none."""
    if not (config.output / "index.html").is_file():
        raise SitegenError(f"there is no built site in {config.output}",
                           hint="run 'sitegen check' without --no-build to build it first, or 'sitegen build'")
    _same_base_url(config)
    site = _Site(config)
    sources, unconsented = content_sources(config)
    guard = SiteGuard(config, theme)
    findings: list[Finding] = []
    html_pages = sorted(f for f in site.files if f.endswith(".html"))
    for rel in html_pages:
        findings += _check_page(site, rel, sources.get(rel), guard, unconsented)
    findings += _check_feeds(site)
    findings += _check_sitemap(site, html_pages)
    if "404.html" not in site.files:
        findings.append(Finding("", "missing-404", "there is no 404.html", severity="warning",
                                hint="GitHub Pages shows 404.html for unknown addresses; the default theme makes one"))
    findings += check_deploy(config.root)
    return CheckReport(output=config.output, pages=len(html_pages), findings=tuple(findings), sources=sources)


def _same_base_url(config: Config) -> None:
    """Refuse to audit an output built for another address: every link would look broken."""
    home = (config.output / "index.html").read_text(encoding="utf-8", errors="replace")
    for m in TAG_TOKEN.finditer(home):
        if (m.group(2) or "").lower() == "link" and not m.group(1):
            attrs = parse_attrs(m.group(3))
            if attrs.get("rel", "").lower() == "canonical":
                built_for = attrs.get("href", "")
                if built_for and not built_for.startswith(config.urls.base_url):
                    raise SitegenError(
                        f"{config.output} was built for {built_for}, not for {config.urls.base_url}",
                        hint=f"check it with the address it was built for: --base-url {built_for}, "
                        "or let check build it (without --no-build)")
                return


def _check_page(site: _Site, rel: str, source: str | None, guard: SiteGuard,
                unconsented: list[tuple[str, str, int | None, list[str]]]) -> Iterator[Finding]:
    page = site.page(rel)
    candidates = guard.candidates(source)

    def where(*needles: str) -> tuple[str | None, int | None]:
        for needle in needles:
            if needle:
                found = locate(needle, candidates)
                if found:
                    return found
        return source, None

    seen: set[tuple[str, str]] = set()
    for url, tag, role in page.refs:
        if not url or url.startswith(_SKIPPED_SCHEMES) or (url, tag) in seen:
            continue
        seen.add((url, tag))
        status, target, fragment = site.target(rel, url)
        site_path = urlsplit(url).path if status != "malformed" else url
        short = site_path[len(site.urls.base_path) - 1:] if site_path.startswith(site.urls.base_path) else site_path
        if status == "escapes":
            path, line = where(url)
            yield Finding(rel, "escapes-base",
                          f"<{tag}> {url} points outside the site's base path {site.urls.base_path}",
                          path=path, line=line,
                          hint=f"in Markdown, write site links from the site root (/about/) and sitegen adds "
                          f"{site.urls.base_path}; in raw HTML and templates, start them with {site.urls.base_path} "
                          "(templates: {{ url('about/') }})")
        elif status == "malformed":
            path, line = where(url)
            yield Finding(rel, "broken-link", f"malformed address: <{tag}> {url}", path=path, line=line,
                          hint="a host in [brackets] needs its closing ], and a port is a number from 1 to 65535")
        elif status == "missing":
            path, line = where(url, short)
            kind = "broken-asset" if role == "asset" else "broken-link"
            what = "asset" if role == "asset" else "link"
            yield Finding(rel, kind, f"broken {what}: <{tag}> {url}: nothing is published at {target}",
                          path=path, line=line, hint="fix the address, or add the page or file it points to")
        elif status == "ok" and fragment and target and target.endswith(".html"):
            if fragment not in site.page(target).ids:
                path, line = where(url, "#" + fragment)
                yield Finding(rel, "broken-anchor", f"broken anchor: <{tag}> {url}: {target} has no id {fragment!r}",
                              path=path, line=line,
                              hint="heading ids come from the heading's text (\"## Why bread?\" -> #why-bread)")
    for src in page.no_alt:
        parsed = split_url(src)
        path, line = where(src, parsed.path if parsed is not None else src)
        yield Finding(rel, "missing-alt", f"image without alt text: {src}", path=path, line=line,
                      hint="describe the image for people who cannot see it: ![A loaf on a table](/images/loaf.jpg), "
                      "or alt=\"\" if it is only decoration")
    for href in page.empty_links:
        path, line = where(href)
        yield Finding(rel, "empty-link", f"link without text: <a href=\"{href}\">", path=path, line=line,
                      hint="give the link words a reader (and a screen reader) can follow, or an aria-label")
    for finding in guard.guard.scan_html(page.text):
        path, line = guard.locate_finding(finding, candidates)
        problem: Problem = finding_problem(finding, rel, path, line)
        yield Finding(rel, finding.kind, problem.message, path=path, line=line, hint=problem.hint)
    lowered = page.text.lower()
    for src_file, name, line, details in unconsented:
        for detail in details:
            forms = {detail.lower(), quote(detail, safe="@").lower()}
            if any(form in lowered for form in forms):
                yield Finding(rel, "consent", f"contact details of {name} are published without consent: {detail!r}",
                              path=src_file, line=line,
                              hint="remove them from the page (and any template that shows them), or set "
                              "'person.consent: true' once the person agreed")


def _check_feeds(site: _Site) -> Iterator[Finding]:
    for rel in sorted(site.files):
        path = site.output / rel
        if rel.endswith("feed.xml") or rel.endswith(".atom") or rel.endswith(".rss"):
            try:
                root = ET.parse(path).getroot()
            except ET.ParseError as exc:
                yield Finding(rel, "feed", f"the feed is not well-formed XML: {exc}",
                              hint="a template or raw HTML produced invalid XML; "
                                   "rebuild with the default theme to compare")
                continue
            if root.tag not in ("{http://www.w3.org/2005/Atom}feed", "rss"):
                yield Finding(rel, "feed", f"not an Atom or RSS feed (root element {root.tag})")
        elif rel.endswith("feed.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                yield Finding(rel, "feed", f"the JSON feed does not parse: {exc}")
                continue
            if not (isinstance(data, dict) and str(data.get("version", "")).startswith("https://jsonfeed.org/version/")
                    and isinstance(data.get("items"), list)):
                yield Finding(rel, "feed",
                              "not a JSON Feed: it needs a 'version' of https://jsonfeed.org/version/1.1 and 'items'")


def _check_sitemap(site: _Site, html_pages: list[str]) -> Iterator[Finding]:
    if "sitemap.xml" not in site.files:
        yield Finding("", "sitemap", "there is no sitemap.xml", severity="warning",
                      hint="search engines find pages through it; the build writes one")
        return
    try:
        root = ET.parse(site.output / "sitemap.xml").getroot()
    except ET.ParseError as exc:
        yield Finding("sitemap.xml", "sitemap", f"sitemap.xml is not well-formed XML: {exc}")
        return
    listed = {(loc.text or "").strip() for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    for rel in html_pages:
        if rel == "404.html" or rel.startswith(("404/", ".")):
            continue
        url = site.urls.absolute(rel.removesuffix("index.html"))
        if url not in listed and site.urls.absolute(rel) not in listed:
            yield Finding(rel, "sitemap", f"missing from sitemap.xml ({url})", severity="warning",
                          hint="pages the build makes are listed automatically; a page added by hand to static/ is not")


def check_deploy(root: Path) -> list[Finding]:
    """What would stop the hub's Pages workflow: a ``requirements.txt`` it cannot install
    sitegen from (see ``pin.py``), a workflow that is not valid YAML or has no step that
    builds the site. Nothing is said about a hub without the workflow and the file."""
    findings = [Finding("", "deploy", p.message, severity=p.severity, path=p.path, line=p.line, hint=p.hint)
                for p in check_requirements(root)]
    findings += _check_workflow(root)
    return findings


def _check_workflow(root: Path) -> list[Finding]:
    path = root / WORKFLOW
    if not path.is_file():
        return []
    restore = "compare it with the one 'sitegen init' writes (sitegen init a-new-folder), or restore it with git"
    try:
        flow = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return [Finding("", "deploy", "the workflow is not UTF-8 text", path=WORKFLOW, hint=restore)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or "it does not parse"
        return [Finding("", "deploy", f"the workflow is not valid YAML ({what}): GitHub will not run it",
                        path=WORKFLOW, line=mark.line + 1 if mark is not None else None,
                        hint="YAML is indented with spaces, never tabs; " + restore)]
    jobs = flow.get("jobs") if isinstance(flow, dict) else None
    if not isinstance(jobs, dict) or not jobs:
        return [Finding("", "deploy", "the workflow has no jobs: it publishes nothing", path=WORKFLOW, hint=restore)]
    runs = [str(step.get("run", "")) for job in jobs.values() if isinstance(job, dict)
            for step in (job.get("steps") or []) if isinstance(step, dict)]
    findings = []
    if not any("sitegen build" in run for run in runs):
        findings.append(Finding("", "deploy", "the workflow has no step that runs 'sitegen build': it would publish "
                                "no site", path=WORKFLOW, hint=restore))
    if not any("requirements.txt" in run and "install" in run for run in runs):
        findings.append(Finding("", "deploy", "the workflow does not install sitegen from requirements.txt",
                                path=WORKFLOW, severity="warning", hint=restore))
    return findings
