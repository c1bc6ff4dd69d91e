"""The data of a site: small frozen values, no I/O.

``Config`` comes from ``config.py``, ``Page`` from ``parse.py``, ``Site`` from
``collect.py``. Unknown front-matter keys live in ``Page.meta``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, NamedTuple
from collections.abc import Mapping

from .contact import Channel, Contact
from .l10n import reading_minutes
from .membership import Membership
from .urls import Urls, person_path, question_path, tag_path

Kind = Literal["interview", "story", "page"]
KINDS: tuple[Kind, ...] = ("interview", "story", "page")
#: Where each kind of content lives under the site folder.
CONTENT_DIRS: Mapping[Kind, str] = MappingProxyType({
    "interview": "content/interviews",
    "story": "content/stories",
    "page": "content/pages",
})


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
class Connections:
    """How entries point to each other: related entries, introductions."""

    related: int = 3  # related entries shown under each entry (0: none)
    introductions: bool = False  # offer "ask for an introduction" between two people


@dataclass(frozen=True, slots=True)
class Config:
    """Site settings: built-in defaults < ``sitegen.yaml`` < command-line options."""

    root: Path
    title: str
    base_url: str
    description: str = ""
    language: str = "en"
    languages: tuple[str, ...] = ()  # a multilingual site: all but `language` live under /<lang>/
    timezone: str = "UTC"
    author: Author | None = None
    theme: str = "default"
    output: Path = Path("_site")
    page_size: int = 10
    home_entries: int = 6
    cname: str | None = None
    menu: tuple[Link, ...] | None = None
    contact: Contact = field(default_factory=Contact)
    connections: Connections = field(default_factory=Connections)
    webmention: str | None = None  # the Webmention endpoint, if the creator has one
    membership: Membership | None = None  # validated by membership.py
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
    contact: tuple[Channel, ...] = ()
    consent: bool = False


class Heading(NamedTuple):
    """A heading of a page's body, with the id the renderer gave it. (A named tuple:
    pages have dozens, and the build cache loads those of every page.)"""

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
    images: tuple[tuple[str, int], ...] = ()  # (src, file line) of each Markdown image
    permalink: str | None = None  # a page's own site path from 'url:' (validated by parse.py)
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
        """Minutes to read the body at the usual speed of its language, at least 1."""
        return reading_minutes(self.word_count, self.lang)


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag and the entries that carry it, newest first."""

    name: str
    slug: str
    entries: tuple[Page, ...]
    root: str = ""  # the language root of a multilingual site's edition ("es/")

    @property
    def url(self) -> str:
        """The tag page's site path."""
        return tag_path(self.slug, self.root)


@dataclass(frozen=True, slots=True)
class Profile:
    """A person interviewed, with what the hub published about them, newest first."""

    person: Person  # as the newest interview describes them
    interviews: tuple[Page, ...]
    stories: tuple[Page, ...] = ()

    @property
    def url(self) -> str:
        """The person's page: ``people/<slug>/``."""
        return person_path(self.person.slug)

    @property
    def entries(self) -> tuple[Page, ...]:
        """Interviews and stories together, newest first."""
        return tuple(sorted(self.interviews + self.stories, key=lambda p: (p.date, p.title), reverse=True))


class Answer(NamedTuple):
    """One interview's answer to a question: the interview and the question heading.
    (A named tuple: the questions index makes one per question of every interview.)"""

    interview: Page
    question: Heading


@dataclass(frozen=True, slots=True)
class QuestionGroup:
    """The same question (by normalised heading text) asked in several interviews."""

    key: str  # the normalised text, also the group's anchor on the questions page
    text: str  # as the newest interview asked it
    answers: tuple[Answer, ...]  # newest interview first

    @property
    def url(self) -> str:
        """The site path of the question's own page (every answer, a page at a time)."""
        return question_path(self.key)


@dataclass(frozen=True, slots=True)
class Site:
    """Everything the renderer needs: the settings and the published pages.

    A multilingual site (``languages`` set) also has one *edition* per language: a
    ``Site`` holding only that language's entries, pages and tags, whose home,
    indexes, tags and feeds live under ``root`` (``""`` or ``es/``). Otherwise the
    site is its own single edition.
    """

    config: Config
    entries: tuple[Page, ...]  # interviews and stories, newest first
    pages: tuple[Page, ...]  # content/pages, by title
    tags: tuple[Tag, ...]  # by name
    left_out_future: tuple[Page, ...] = ()
    left_out_drafts: int = 0
    lang: str = "en"  # the language of this edition's lists (the site's language for the whole site)
    root: str = ""  # this edition's home, as a site path
    #: every version of a translated page (itself included) by its URL, in language order
    translations: Mapping[str, tuple[Page, ...]] = field(default_factory=dict)
    by_language: Mapping[str, Site] = field(default_factory=dict)  # the editions, when multilingual
    fallback_pages: tuple[Page, ...] = ()  # pages of the site's language offered where this edition has none
    people: tuple[Profile, ...] = ()  # everyone interviewed, by name
    questions: tuple[QuestionGroup, ...] = ()  # questions asked in two or more interviews
    related: Mapping[str, tuple[Page, ...]] = field(default_factory=dict)  # entry URL -> related entries

    interviews: tuple[Page, ...] = field(init=False, repr=False, compare=False)  # newest first
    stories: tuple[Page, ...] = field(init=False, repr=False, compare=False)  # newest first
    _profiles: Mapping[str, Profile] = field(init=False, repr=False, compare=False)  # by person slug

    @property
    def editions(self) -> tuple[Site, ...]:
        """The sites that get their own home, indexes, tags and feeds."""
        return tuple(self.by_language.values()) or (self,)

    def edition(self, lang: str) -> Site:
        """The edition that holds pages in ``lang`` (the site itself when single-language)."""
        return self.by_language.get(lang, self)

    def versions(self, page: Page) -> tuple[Page, ...]:
        """Every language version of ``page`` (itself included), or ``()`` when untranslated."""
        return self.translations.get(page.url, ())

    def profile(self, person: Person | None) -> Profile | None:
        """The profile page of ``person``, if they have one (they were interviewed)."""
        if person is None:
            return None
        return self._profiles.get(person.slug)

    def __post_init__(self) -> None:
        # Computed once, not per access: every page's menu asks for them, and filtering
        # thousands of entries for each page made large builds quadratic.
        object.__setattr__(self, "interviews", tuple(p for p in self.entries if p.kind == "interview"))
        object.__setattr__(self, "stories", tuple(p for p in self.entries if p.kind == "story"))
        profiles: dict[str, Profile] = {}
        for profile in self.people:  # the first of a slug, as a search of the list would find
            profiles.setdefault(profile.person.slug, profile)
        object.__setattr__(self, "_profiles", profiles)

    def page(self, slug: str) -> Page | None:
        """The page (``content/pages/<slug>.md``) with this slug, if there is one."""
        for p in self.pages:
            if p.slug == slug:
                return p
        for p in self.fallback_pages:  # e.g. the English 'about' on the Spanish edition...
            if p.slug == slug:  # ...unless it has a Spanish version under another slug
                return next((v for v in self.versions(p) if v.lang == self.lang), p)
        return None
