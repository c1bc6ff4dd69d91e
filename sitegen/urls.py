"""URLs: the one place that joins ``base_url`` paths and builds links.

Inside sitegen a page's address is a *site path*: relative to the site root, with no
leading slash, ending in ``/`` for pretty URLs (``interviews/ana-perez/``); the home
page is ``""``. Everything that leaves the generator (a link in HTML, a URL in a feed,
a file in the output) is made from a site path here, so a site built for
``https://user.github.io/repo/`` works served under ``/repo/``.
"""

from __future__ import annotations

import functools

import re
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import SplitResult, urlsplit

SECTIONS = MappingProxyType({"interview": "interviews", "story": "stories"})
#: Site paths under which only sitegen makes pages (sections, tags, people).
RESERVED_PREFIXES = ("interviews/", "stories/", "tags/", "people/")
_SEGMENT = re.compile(r"^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$")

# Attribute values that start a root-relative or a fragment link. Searched for as they
# are (a literal the regex engine finds fast) and the attribute name before them checked
# by hand: a pattern starting with \s tried every space of every feed entry's body.
_ROOT_VALUE = re.compile(r'="/(?!/)')
_FRAGMENT_VALUE = re.compile(r'="#')
_ROOT_NAMES = ("href", "src", "poster")


def _after_attribute(text: str, at: int, names: tuple[str, ...]) -> bool:
    r"""True when ``text[:at]`` ends with whitespace and then one of ``names`` (what
    ``\s(?:href|src)`` would match just before ``at``)."""
    for name in names:
        start = at - len(name)
        if start >= 1 and text.startswith(name, start) and text[start - 1].isspace():
            return True
    return False


def split_url(url: str) -> SplitResult | None:
    """``url`` split into scheme, host, path... as :func:`urllib.parse.urlsplit` does, or
    None when it is malformed: an unclosed ``[`` of an IPv6 host (``http://[::1``), a port
    that is not a number from 0 to 65535 (``:8O80``, ``:99999``), a host that changes
    meaning under Unicode normalisation. Reading ``.port`` of the result cannot fail.

    Every URL a user wrote is split here, so each caller can report a malformed one as a
    problem with its file and line instead of stopping with a traceback.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return None
    return parts


@dataclass(frozen=True, slots=True)
class Urls:
    """Turns site paths into links, absolute URLs and output file names."""

    origin: str  # "https://user.github.io"
    base_path: str  # "/repo/" (always starts and ends with "/")

    @classmethod
    def from_base_url(cls, base_url: str) -> Urls:
        """Split a validated absolute ``base_url`` into origin and base path."""
        parts = split_url(base_url)
        if parts is None:  # load_config refuses these; a Urls is only made from a checked one
            raise ValueError(f"malformed base_url {base_url!r}")
        path = parts.path or "/"
        if not path.endswith("/"):
            path += "/"
        return cls(origin=f"{parts.scheme}://{parts.netloc}", base_path=path)

    @property
    def base_url(self) -> str:
        """The site's absolute root URL, ending in ``/``."""
        return self.origin + self.base_path

    def path(self, site_path: str = "") -> str:
        """The root-relative link for a site path: ``interviews/ana/`` -> ``/repo/interviews/ana/``."""
        return self.base_path + site_path.lstrip("/")

    def absolute(self, site_path: str = "") -> str:
        """The absolute URL for a site path, for feeds, sitemaps and canonical links."""
        return self.origin + self.path(site_path)

    def link(self, url: str) -> str:
        """A URL written by a user: ``/about/`` is a site path and gets the base path;
        anything else (``https://...``, ``mailto:``, ``#top``, ``../x``) is left alone."""
        if url.startswith("/") and not url.startswith("//"):
            return self.path(url)
        return url

    def rel(self, url: str) -> str:
        """``noopener noreferrer`` for a link that leaves the site, else ``""``: other
        sites get neither a handle on the reader's tab nor the page they came from."""
        if url.startswith(("http://", "https://", "//")) and not url.startswith(self.base_url):
            return "noopener noreferrer"
        return ""

    def absolutize_html(self, html: str, page_site_path: str) -> str:
        """Make root-relative and fragment links in rendered HTML absolute (for feeds)."""
        root = f'="{self.origin}/'
        html = _ROOT_VALUE.sub(
            lambda m: root if _after_attribute(m.string, m.start(), _ROOT_NAMES) else m.group(), html)
        fragment = f'="{self.absolute(page_site_path)}#'
        return _FRAGMENT_VALUE.sub(
            lambda m: fragment if _after_attribute(m.string, m.start(), ("href",)) else m.group(), html)


def clean_site_path(value: str) -> str | None:
    """A site path from a ``url:`` a writer typed (``/about/team/`` -> ``about/team/``),
    or None when it could leave the site: ``..``, a scheme or ``//host``, a backslash,
    a control character or anything but lowercase letters, digits, ``.``, ``_``, ``-``.
    """
    text = value.strip()
    if text.startswith("//"):
        return None
    segments = text.strip("/").split("/")
    if not text.strip("/") or not all(_SEGMENT.match(s) and s not in (".", "..") for s in segments):
        return None
    if any(".." in s for s in segments):
        return None
    return "/".join(segments) + "/"


def output_file(site_path: str) -> str:
    """The file, relative to the output folder, that serves a site path."""
    if site_path == "" or site_path.endswith("/"):
        return site_path + "index.html"
    return site_path


def language_root(lang: str, language: str, languages: tuple[str, ...]) -> str:
    """Where a language's home is: ``""`` for the site's ``language`` (and for every
    page when ``languages`` is not set), ``es/`` for another listed language."""
    if not languages or lang == language:
        return ""
    return f"{lang.lower()}/"


def section_path(kind: str, root: str = "") -> str:
    """The index of a section: ``interview`` -> ``interviews/`` (``es/interviews/`` under ``root``)."""
    return f"{root}{SECTIONS[kind]}/"


def entry_path(kind: str, slug: str, root: str = "") -> str:
    """The site path of an interview, story or page, under its language's ``root``."""
    if kind == "page":
        return f"{root}{slug}/"
    return f"{root}{SECTIONS[kind]}/{slug}/"


def tag_path(tag_slug: str, root: str = "") -> str:
    """The site path of a tag's page, under its language's ``root``."""
    return f"{root}tags/{tag_slug}/"


def person_path(person_slug: str) -> str:
    """The site path of a person's page."""
    return f"people/{person_slug}/"


#: The site paths of the people index, the questions index and the contact page.
PEOPLE_PATH = "people/"
QUESTIONS_PATH = "questions/"


def question_path(key: str) -> str:
    """The site path of the page of one question asked in several interviews."""
    return f"{QUESTIONS_PATH}{key}/"

CONTACT_PATH = "contact/"


def page_number_path(first: str, number: int) -> str:
    """The site path of page ``number`` of a paginated list whose first page is ``first``."""
    return first if number == 1 else f"{first}page/{number}/"


class _PercentTable(dict[int, str]):
    """A ``str.translate`` table that percent-encodes every character but ``safe`` ones,
    as UTF-8 bytes (``é`` -> ``%C3%A9``); each character's encoding is worked out once."""

    def __init__(self, safe: str) -> None:
        super().__init__()
        self.safe = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~" + safe)

    def __missing__(self, code: int) -> str:
        char = chr(code)
        encoded = char if char in self.safe else "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
        self[code] = encoded
        return encoded


@functools.lru_cache(maxsize=8)
def _percent_table(safe: str) -> _PercentTable:
    return _PercentTable(safe)


@functools.lru_cache(maxsize=50_000)
def _percent_word(word: str, safe: str) -> str:
    """A word (text between spaces) percent-encoded; remembered, as the same titles,
    questions and sentences are encoded in link after link."""
    return word.translate(_percent_table(safe))


def percent_encode(text: str, safe: str = "") -> str:
    """``text`` percent-encoded exactly as ``urllib.parse.quote(text, safe=safe)`` does
    (UTF-8; letters, digits, ``_.-~`` and ``safe`` kept). Encoding is character by
    character, so the text is encoded word by word, each word once: every entry's
    reply and "ask about this" links encode thousands of characters."""
    if " " in safe:
        return text.translate(_percent_table(safe))
    return "%20".join([_percent_word(word, safe) for word in text.split(" ")])


def mailto(address: str, subject: str = "", body: str = "") -> str:
    """A ``mailto:`` link whose subject (and body) are percent-encoded as RFC 6068 asks:
    accents as UTF-8, and ``&``, ``?``, ``#``, ``+`` and spaces escaped; line breaks
    in the body become CRLF, as the RFC asks."""
    query = []
    if subject:
        query.append("subject=" + percent_encode(subject))
    if body:
        query.append("body=" + percent_encode(body.replace("\r\n", "\n").replace("\n", "\r\n")))
    return f"mailto:{percent_encode(address, '@')}" + ("?" + "&".join(query) if query else "")
