"""Video without surveillance (part of parsing and rendering).

A page's ``video:`` becomes a :class:`Video`: a YouTube or Vimeo URL renders as a
click-to-load facade (nothing is requested from the provider until the reader clicks,
then the player comes from ``youtube-nocookie.com`` or ``player.vimeo.com`` with
``dnt=1``); a file under ``static/`` renders as ``<video preload="none">`` with
captions when a ``.vtt`` file sits beside it; any other URL is a plain link.

``link_timestamps`` (used by ``parse.py`` for ``transcript: true`` pages) turns the
``[mm:ss]`` at the start of transcript lines into links that start the video there.
``content_security_policy`` gives the policy a page's ``<meta>`` sets: what the page
loads, and nothing else.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs, quote, urlsplit

from .guard import normalize_origin
from .urls import Urls

if TYPE_CHECKING:
    from .model import Config, Page

VideoKind = Literal["youtube", "vimeo", "file", "link"]

YOUTUBE_PLAYER = "https://www.youtube-nocookie.com"
VIMEO_PLAYER = "https://player.vimeo.com"
PROVIDERS = MappingProxyType({"youtube": "YouTube", "vimeo": "Vimeo"})
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
_VIDEO_FILES = (".mp4", ".webm", ".ogv", ".ogg", ".mov", ".m4v", ".mp3", ".m4a", ".opus", ".wav")


@dataclass(frozen=True, slots=True)
class Video:
    """What a page's ``video:`` is, and the URLs a template needs to show it."""

    kind: VideoKind
    url: str  # where a reader goes without JavaScript: the watch page or the file
    id: str = ""  # the provider's id (YouTube, Vimeo)
    embed: str = ""  # the privacy-friendly player URL, loaded only after a click
    captions: str = ""  # link to a .vtt beside a local file
    poster: str = ""  # link to a local poster image

    @property
    def provider(self) -> str:
        """The provider's name for readers: YouTube, Vimeo (empty for files and links)."""
        return PROVIDERS.get(self.kind, "")

    @property
    def player_origin(self) -> str | None:
        """The origin the player is loaded from after a click, if any."""
        return {"youtube": YOUTUBE_PLAYER, "vimeo": VIMEO_PLAYER}.get(self.kind)

    def at(self, seconds: int) -> str:
        """The URL that opens the video at ``seconds`` (for a link without JavaScript)."""
        if self.kind == "youtube":
            return f"https://www.youtube.com/watch?v={self.id}&t={seconds}s"
        if self.kind == "vimeo":
            return f"https://vimeo.com/{self.id}#t={seconds}s"
        if self.kind == "file":
            return f"{self.url}#t={seconds}"
        return self.url


def youtube_id(url: str) -> str | None:
    """The id of a YouTube video URL (watch, youtu.be, embed, shorts, live), or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    candidate = None
    if host == "youtu.be":
        candidate = parts.path.strip("/").split("/")[0]
    elif host in ("youtube.com", "youtube-nocookie.com", "music.youtube.com"):
        if parts.path == "/watch":
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        else:
            segments = [s for s in parts.path.split("/") if s]
            if len(segments) >= 2 and segments[0] in ("embed", "shorts", "live", "v"):
                candidate = segments[1]
    return candidate if candidate and _YOUTUBE_ID.match(candidate) else None


def vimeo_id(url: str) -> str | None:
    """The id of a Vimeo video URL (vimeo.com/123, player.vimeo.com/video/123), or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if host not in ("vimeo.com", "player.vimeo.com"):
        return None
    numbers = [s for s in parts.path.split("/") if s.isdigit()]
    return numbers[-1] if numbers else None


def captions_file(value: str) -> str | None:
    """Where the captions of a local video ``value`` (``/video/talk.mp4``) are looked
    for: the ``.vtt`` beside it, as a path in the site folder (``static/video/talk.vtt``);
    None for a video that is not a file of the site."""
    if value.startswith("/") and not value.startswith("//") and value.lower().endswith(_VIDEO_FILES):
        # Normalised, and only inside static/: ".." never leads the lookup out of the site.
        found = posixpath.normpath("static/" + PurePosixPath(value).with_suffix(".vtt").as_posix().lstrip("/"))
        return found if found.startswith("static/") else None
    return None


def make_video(value: str, urls: Urls, is_file: Callable[[str], bool] | None = None,
               poster: str | None = None) -> Video:
    """The :class:`Video` for a ``video:`` value. ``is_file`` says whether a path in the
    site folder is a file (to find a ``.vtt`` beside a local file: the renderer's records
    that it looked, see ``Tracker.file``); ``poster`` a site path or URL of a poster image."""
    poster_link = urls.link(poster) if poster else ""
    found = youtube_id(value)
    if found:
        return Video("youtube", f"https://www.youtube.com/watch?v={found}", id=found,
                     embed=f"{YOUTUBE_PLAYER}/embed/{found}?autoplay=1&dnt=1&rel=0", poster=poster_link)
    found = vimeo_id(value)
    if found:
        return Video("vimeo", f"https://vimeo.com/{found}", id=found,
                     embed=f"{VIMEO_PLAYER}/video/{found}?autoplay=1&dnt=1", poster=poster_link)
    vtt = captions_file(value)
    if vtt is not None:
        captions = ""
        if is_file is not None:
            if is_file(vtt):
                captions = urls.link(quote(vtt.removeprefix("static")))
        return Video("file", urls.link(quote(value)), captions=captions, poster=poster_link)
    return Video("link", urls.link(value), poster=poster_link)


# -- Transcripts -----------------------------------------------------------------------
_TIMESTAMP = re.compile(
    r"(?P<pre>(?:<p>|<li>|\n|<br\s*/?>\n?)(?:<strong>|<em>|<b>)?)"
    r"\[(?P<stamp>(?:(?P<h>\d{1,2}):)?(?P<m>[0-5]?\d):(?P<s>[0-5]\d))\]")
_PRE = re.compile(r"(<pre[\s>].*?</pre>)", re.S)


def timestamp_seconds(stamp: str) -> int:
    """``"01:02:03"`` -> 3723, ``"12:05"`` -> 725."""
    seconds = 0
    for part in stamp.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


def link_timestamps(body_html: str, video: Video) -> str:
    """Make each ``[mm:ss]`` or ``[hh:mm:ss]`` that begins a line of a transcript a link
    that starts the video at that moment (outside code blocks)."""

    def replace(m: re.Match[str]) -> str:
        seconds = timestamp_seconds(m.group("stamp"))
        href = video.at(seconds).replace("&", "&amp;")
        # A provider's page is another site: it gets no handle on this tab, no referrer.
        rel = ' rel="noopener noreferrer"' if href.startswith(("http://", "https://", "//")) else ""
        return (f'{m.group("pre")}<a class="timestamp" href="{href}"{rel} data-start="{seconds}">'
                f'[{m.group("stamp")}]</a>')

    pieces = _PRE.split(body_html)
    return "".join(piece if piece.startswith("<pre") else _TIMESTAMP.sub(replace, piece) for piece in pieces)


# -- Content-Security-Policy --------------------------------------------------------------
def content_security_policy(video: Video | None, allow_origins: Iterable[str] = ()) -> str:
    """The policy for a page: its own origin, the video player's origin on a video page,
    and the origins the creator allowed; inline scripts and plugins never run."""
    extra = " ".join(sorted(set(allow_origins)))
    extra = f" {extra}" if extra else ""
    frames = "'self'" + (f" {video.player_origin}" if video and video.player_origin else "")
    return "; ".join((
        f"default-src 'self'{extra}",
        f"script-src 'self'{extra}",
        f"style-src 'self' 'unsafe-inline'{extra}",
        f"img-src 'self' data:{extra}",
        f"media-src 'self'{extra}",
        f"font-src 'self'{extra}",
        f"frame-src {frames}{extra}",
        "object-src 'none'",
        "base-uri 'self'",
    ))


def page_video(page: Page | None, config: Config, is_file: Callable[[str], bool] | None = None) -> Video | None:
    """The video of a page (None when it has none). The poster is the page's ``poster``
    front-matter key, or its ``image`` when that is a file of the site; its captions are
    looked for with ``is_file`` (none without it)."""
    if page is None or not page.video:
        return None
    poster = page.meta.get("poster")
    if not isinstance(poster, str) or not poster:
        poster = page.image if page.image and page.image.startswith("/") else None
    return make_video(page.video, config.urls, is_file, poster)


def page_policy(page: Page | None, config: Config) -> str:
    """The Content-Security-Policy of one page of the site."""
    allowed = [o for o in (normalize_origin(str(a)) for a in config.privacy.get("allow_origins") or ()) if o]
    return content_security_policy(page_video(page, config), allowed)
