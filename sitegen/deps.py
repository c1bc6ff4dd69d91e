"""Dependencies of rendering (used by the build cache): what a rendered file was made from.

A rendered file depends on three kinds of input, and each render job declares which
ones it shows (``shows.py``) rather than the cache assuming who shows what:

- a page's body (its HTML and word count), large and changed by nearly every edit;
- a page's metadata (its front matter and headings), changed by a title or date edit;
- the site's *skeleton* (:func:`skeleton`): which pages are published where and in what
  order, and what collecting derived from them (tags, people, shared questions, related
  entries, translations). Every file depends on it: it decides what each list holds.

A rendered file is up to date when the digests of the bodies and metadata it declared,
of the assets it linked, of the files it looked for and of the skeleton and everything
else are unchanged. Pages kept in the build cache without their bodies are of a
:class:`LazyPages` class, which reads a body back when it is used.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import pickle
from dataclasses import dataclass, field, fields
from typing import Any
from collections.abc import Callable, Iterator

from .errors import Problem
from .model import Heading, Link, Page, Person, Site

#: The fields of a page that change with nearly every edit of its body; all others
#: (headings included: the questions index groups interviews by them) are its metadata.
BODY_FIELDS = ("body_html", "word_count")
_METADATA_FIELDS = tuple(f.name for f in fields(Page) if f.name not in BODY_FIELDS)
_HEADINGS = _METADATA_FIELDS.index("headings")
#: The fields that say which page it is and where it is published: the skeleton covers
#: them, so reading them shows no page's metadata (every link to a page reads its URL).
PLACE_FIELDS = ("kind", "source", "slug", "lang", "url")


@dataclass(frozen=True, slots=True)
class Parsed:
    """One source after parsing: the page (None when it has errors), its problems, and
    digests of its metadata and body (empty without a page)."""

    page: Page | None
    problems: tuple[Problem, ...]
    meta_digest: bytes = b""
    body_digest: bytes = b""
    body_at: str | None = None  # in the build cache: the name of the file that keeps its body_html


@dataclass(slots=True)
class Reads:
    """What one rendering job shows: page bodies and metadata (by source), assets (by site
    path, with the versioned link it put in its pages) and files it looked for; or, with
    ``every_page``, all of every page (a template the reading cannot follow)."""

    bodies: set[str] = field(default_factory=set)
    assets: dict[str, str] = field(default_factory=dict)
    metas: set[str] = field(default_factory=set)
    files: dict[str, bool] = field(default_factory=dict)  # files it looked for (by path in the site): found?
    every_page: bool = False  # the metadata and body of every page (then bodies and metas say no more)


_SLOTS = tuple(Page.__dict__[f.name] for f in fields(Page))
_SOURCE = Page.__dict__["source"]
_BODY_HTML = Page.__dict__["body_html"]


class LazyPages:
    """Pages kept without their bodies (the build cache keeps bodies in files of their
    own) are of :attr:`page_class`, a :class:`~sitegen.model.Page` whose ``body_html``,
    when None, is read with :attr:`load_body` (which the build sets) each time it is used.
    One build has one; a preview keeps one for all its rebuilds (in its ``Warm``), since
    the pages it keeps are of its class."""

    def __init__(self) -> None:
        #: Reads the body of a page kept without it (by its source); set by the build.
        self.load_body: Callable[[str], str] | None = None
        self.page_class: type[Page] = _lazy_class(self)

    def page_from(self, values: tuple[Any, ...]) -> Page:
        """A page of this class, of its fields' values in order (see ``plain_page``)."""
        page = object.__new__(self.page_class)
        for slot, value in zip(_SLOTS, values, strict=True):
            slot.__set__(page, value)
        return page

    def adopt(self, page: Page, body: bool = True) -> Page:
        """The same page, of this class (without its body unless ``body``)."""
        if type(page) is self.page_class and (body or _BODY_HTML.__get__(page, Page) is None):
            return page
        adopted = object.__new__(self.page_class)
        for slot in _SLOTS:
            slot.__set__(adopted, None if slot is _BODY_HTML and not body else slot.__get__(page, Page))
        return adopted


def _lazy_class(pages: LazyPages) -> type[Page]:
    """A subclass of Page that reads a body it was kept without with ``pages.load_body``."""

    def get(self: Page) -> Any:
        value = _BODY_HTML.__get__(self, Page)
        if value is None and pages.load_body is not None:
            return pages.load_body(_SOURCE.__get__(self, Page))  # read each time: pages stay small
        return value

    def set_(self: Page, value: Any) -> None:  # only dataclass __init__ sets it
        _BODY_HTML.__set__(self, value)

    def reduce(self: Page) -> tuple[Any, ...]:  # pickled (into the build cache) as a plain page
        return plain_page, (tuple(slot.__get__(self, Page) for slot in _SLOTS),)

    namespace: dict[str, Any] = {"__slots__": (), "__reduce__": reduce, "__module__": __name__,
                                 "__doc__": "A Page whose body is read from the build cache (see LazyPages).",
                                 "body_html": property(get, set_, doc="The page's body.")}
    return type("LazyPage", (Page,), namespace)


def plain_page(values: tuple[Any, ...]) -> Page:
    """A Page of its fields' values, in order (how pages are pickled)."""
    page = object.__new__(Page)
    for slot, value in zip(_SLOTS, values, strict=True):
        slot.__set__(page, value)
    return page


def body_of(page: Page) -> str | None:
    """A page's ``body_html`` if it is in memory (None for a page kept without it); not a read."""
    body: str | None = _BODY_HTML.__get__(page, Page)
    return body


def flat_reducer(cls: type) -> Any:
    """A pickle reducer that stores a slotted dataclass as its class and a tuple of its fields."""
    names = tuple(f.name for f in fields(cls))

    def reduce(value: Any) -> tuple[Any, ...]:
        return cls, tuple(getattr(value, name) for name in names)
    return reduce


# Pages cross process boundaries and fill the build cache by the thousand: pickle them as
# flat tuples (the dataclasses' own slot pickling calls fields() for every object).
copyreg.pickle(Page, lambda page: (plain_page, (tuple(slot.__get__(page, Page) for slot in _SLOTS),)))
for _cls in (Person, Link, Problem):
    copyreg.pickle(_cls, flat_reducer(_cls))
# A heading is made by tuple.__new__ itself: no Python call per heading when unpickling.
copyreg.pickle(Heading, lambda heading: (tuple.__new__, (Heading, tuple(heading))))


def _canonical(value: Any) -> bytes:
    """``value`` pickled without the memo: equal values give equal bytes whether or not
    they share objects (pickle's memo writes a second use of one object as a reference).
    For trees of values only: an object that contains itself would never end."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    pickler.dump(value)
    return buffer.getvalue()


def _digest(value: Any) -> bytes:
    return hashlib.blake2b(_canonical(value), digest_size=16).digest()


def page_digests(page: Page) -> tuple[bytes, bytes]:
    """Digests of a page's metadata and of its body.

    Headings count as metadata without their line numbers (which only locate error
    messages): adding a paragraph moves the headings below it, and must not make every
    page depend on it. The body's digest covers them with their lines.
    """
    meta = [Page.__dict__[n].__get__(page, Page) for n in _METADATA_FIELDS]
    meta[_HEADINGS] = tuple((h.id, h.text, h.level) for h in meta[_HEADINGS])
    body = tuple(Page.__dict__[n].__get__(page, Page) for n in (*BODY_FIELDS, "headings"))
    return _digest(tuple(meta)), _digest(body)


def combine(parts: Iterator[Any] | list[Any] | tuple[Any, ...]) -> bytes:
    """One digest of a sequence of small picklable values."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(_canonical(part))
    return h.digest()


#: The fields of a Site that skeleton() covers; a field added to Site must be added there.
SKELETON_FIELDS = frozenset({"config", "entries", "pages", "tags", "left_out_future", "left_out_drafts", "lang",
                             "root", "translations", "by_language", "fallback_pages", "people", "questions",
                             "related", "interviews", "stories", "_profiles"})


def skeleton(site: Site) -> bytes:
    """A digest of a collected site without its pages' metadata and bodies: which page is
    published where (its PLACE_FIELDS), in which order each list holds them, and what
    collecting derived from their metadata (tags, people, questions asked in several
    interviews, related entries, translations, the editions of a multilingual site).

    A job declares the pages whose metadata and bodies it shows (``shows.py``); what
    it reads from the site's lists is covered here. (``config``: by the settings digest; ``interviews``, ``stories`` and
    ``_profiles`` are made from other fields.)
    """
    parts: list[Any] = [
        [(p.source, p.url, p.slug, p.kind, p.lang) for p in (*site.entries, *site.pages)],
        [p.source for p in site.left_out_future], site.left_out_drafts,
        [(url, [p.source for p in versions]) for url, versions in site.translations.items()],
        # Consent is decided across entries (people.decide_consent): another entry's edit
        # can change what this one shows without changing its own metadata.
        [(p.source, p.person.consent, p.person.contact) for p in site.entries if p.person is not None],
    ]
    shared = (site.people, site.questions, site.related)
    for edition in (site, *site.by_language.values()):
        parts.append((edition.lang, edition.root, [p.source for p in edition.entries],
                      [p.source for p in edition.pages], [p.source for p in edition.fallback_pages],
                      [(t.name, t.slug, t.root, [p.source for p in t.entries]) for t in edition.tags]))
        if edition is site or (edition.people, edition.questions, edition.related) != shared:
            parts.append((
                [(profile.person, [p.source for p in profile.interviews], [p.source for p in profile.stories])
                 for profile in edition.people],
                [(group.key, group.text, [(a.interview.source, a.question[:3]) for a in group.answers])
                 for group in edition.questions],
                [(url, [p.source for p in related]) for url, related in edition.related.items()],
            ))
    return _digest(parts)
