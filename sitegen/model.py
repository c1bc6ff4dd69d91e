"""The data of a site: small frozen values, no I/O.

``Config`` comes from ``config.py``, ``Page`` from ``parse.py``, ``Site`` from
``collect.py``. Unknown front-matter keys live in ``Page.meta``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Mapping

from .urls import Urls

Kind = Literal["interview", "story", "page"]
KINDS: tuple[Kind, ...] = ("interview", "story", "page")
#: Where each kind of content lives under the site folder.
CONTENT_DIRS: Mapping[Kind, str] = {
    "interview": "content/interviews",
    "story": "content/stories",
    "page": "content/pages",
}


@dataclass(frozen=True, slots=True)
class Link:
    """A labelled URL (a person's website, a menu entry)."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Author:
    """The creator who runs the hub."""

    name: str
    email: str | None = None
    url: str | None = None
    photo: str | None = None
    rel_me: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    """Site settings: built-in defaults < ``sitegen.yaml`` < command-line options."""

    root: Path
    title: str
    base_url: str
    description: str = ""
    language: str = "en"
    timezone: str = "UTC"
    author: Author | None = None
    theme: str = "default"
    output: Path = Path("_site")
    page_size: int = 10
    home_entries: int = 6
    cname: str | None = None
    menu: tuple[Link, ...] | None = None
    contact: Mapping[str, Any] = field(default_factory=dict)
    membership: Mapping[str, Any] | None = None
    privacy: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def urls(self) -> Urls:
        """The URL builder for this site's ``base_url``."""
        return Urls.from_base_url(self.base_url)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone interviewed or written about.

    ``contact`` holds contact details only when the person consented; without
    consent they are dropped at parse time so no template can leak them.
    """

    name: str
    slug: str
    role: str | None = None
    links: tuple[Link, ...] = ()
    contact: tuple[Link, ...] = ()
    consent: bool = False


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading of a page's body, with the id the renderer gave it."""

    id: str
    text: str
    level: int
    line: int


@dataclass(frozen=True, slots=True)
class Page:
    """One interview, story or page, parsed and rendered to HTML (without the theme)."""

    kind: Kind
    source: str  # path relative to the site folder, e.g. "content/interviews/ana.md"
    slug: str
    title: str
    body_html: str
    lang: str
    date: datetime | None = None
    updated: datetime | None = None
    summary: str = ""
    tags: tuple[str, ...] = ()
    person: Person | None = None
    video: str | None = None
    transcript: bool = False
    draft: bool = False
    template: str | None = None
    image: str | None = None
    translation_key: str | None = None
    headings: tuple[Heading, ...] = ()
    word_count: int = 0
    meta: Mapping[str, Any] = field(default_factory=dict)
    lines: Mapping[str, int] = field(default_factory=dict)  # front-matter key -> line
    url: str = ""  # the site path, set by collect.py

    @property
    def is_entry(self) -> bool:
        """Interviews and stories are entries: dated, listed, in feeds."""
        return self.kind != "page"

    @property
    def questions(self) -> tuple[Heading, ...]:
        """An interview's questions: its level-2 headings."""
        if self.kind != "interview":
            return ()
        return tuple(h for h in self.headings if h.level == 2)

    @property
    def reading_minutes(self) -> int:
        """Minutes to read the body at an unhurried 220 words a minute, at least 1."""
        return max(1, math.ceil(self.word_count / 220))


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag and the entries that carry it, newest first."""

    name: str
    slug: str
    entries: tuple[Page, ...]

    @property
    def url(self) -> str:
        """The tag page's site path."""
        return f"tags/{self.slug}/"


@dataclass(frozen=True, slots=True)
class Site:
    """Everything the renderer needs: the settings and the published pages."""

    config: Config
    entries: tuple[Page, ...]  # interviews and stories, newest first
    pages: tuple[Page, ...]  # content/pages, by title
    tags: tuple[Tag, ...]  # by name
    left_out_future: tuple[Page, ...] = ()
    left_out_drafts: int = 0

    @property
    def interviews(self) -> tuple[Page, ...]:
        """Published interviews, newest first."""
        return tuple(p for p in self.entries if p.kind == "interview")

    @property
    def stories(self) -> tuple[Page, ...]:
        """Published stories, newest first."""
        return tuple(p for p in self.entries if p.kind == "story")

    def page(self, slug: str) -> Page | None:
        """The page (``content/pages/<slug>.md``) with this slug, if there is one."""
        for p in self.pages:
            if p.slug == slug:
                return p
        return None
