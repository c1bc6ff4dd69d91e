"""Dependencies of rendering (used by the build cache): what a rendered file was made from.

A page's front matter is cheap to compare and changes the whole site's structure (lists,
tags, navigation), so every rendered file depends on a digest of all pages' metadata. A
page's body (its HTML and word count) is large and changes with every edit,
so instead of assuming who shows it, the renderer records who actually reads it:
:class:`TrackedPage` is a :class:`~sitegen.model.Page` whose body fields note each read
in the current :class:`Reads`. A rendered file is up to date when the digests of the
bodies it read, of the assets it linked and of everything else are unchanged (a
computation that reads the same inputs takes the same path and makes the same bytes).
"""

from __future__ import annotations

import copyreg
import dataclasses
import hashlib
import pickle
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterator

from .errors import Problem
from .model import Heading, Link, Page, Person

#: The fields of a page that change with nearly every edit of its body; all others
#: (headings included: the questions index groups interviews by them) are its metadata.
BODY_FIELDS = ("body_html", "word_count")
_METADATA_FIELDS = tuple(f.name for f in fields(Page) if f.name not in BODY_FIELDS)
_HEADINGS = _METADATA_FIELDS.index("headings")


@dataclass(frozen=True, slots=True)
class Parsed:
    """One source after parsing: the page (None when it has errors), its problems, and
    digests of its metadata and body (empty without a page)."""

    page: Page | None
    problems: tuple[Problem, ...]
    meta_digest: bytes = b""
    body_digest: bytes = b""
    body_at: tuple[int, int, int] | None = None  # in the build cache: where its body_html is kept


@dataclass(slots=True)
class Reads:
    """What one rendering job read: page bodies (by source) and assets (by site path)."""

    bodies: set[str] = field(default_factory=set)
    assets: set[str] = field(default_factory=set)


_current: Reads | None = None
_REPLACE = dataclasses.replace.__code__
#: Pages from the build cache come without their ``body_html`` (None): the build that loaded
#: them sets this to read one when it is used (most pages' bodies are not, in a small edit).
body_loader: Callable[[str], str] | None = None


def recording(reads: Reads | None) -> None:
    """Send the reads that follow to ``reads`` (None stops recording)."""
    global _current
    _current = reads


@contextmanager
def reading(reads: Reads) -> Iterator[Reads]:
    """Record into ``reads`` within a ``with`` block."""
    recording(reads)
    try:
        yield reads
    finally:
        recording(None)


def record_asset(site_path: str) -> None:
    """Note that the current job linked the static file at ``site_path``."""
    if _current is not None:
        _current.assets.add(site_path)


def _body_field(name: str) -> property:
    slot = Page.__dict__[name]  # the slot's member descriptor on the dataclass

    def get(self: Page) -> Any:
        # dataclasses.replace copies every field into the new page: a copy is not a use.
        if _current is not None and sys._getframe(1).f_code is not _REPLACE:
            _current.bodies.add(self.source)
        value = slot.__get__(self, Page)
        if value is None and body_loader is not None:
            return body_loader(self.source)  # read again each time: pages stay small in memory
        return value

    def set_(self: Page, value: Any) -> None:  # only dataclass __init__ and unpickling set it
        slot.__set__(self, value)

    return property(get, set_, doc=f"The page's {name} (each read is recorded).")


class TrackedPage(Page):
    """A Page whose body fields record who reads them; equal to nothing but TrackedPages."""

    __slots__ = ()
    body_html = _body_field("body_html")
    word_count = _body_field("word_count")

    @classmethod
    def of(cls, page: Page) -> TrackedPage:
        """The same page, tracked."""
        tracked = object.__new__(cls)
        for f in fields(Page):
            Page.__dict__[f.name].__set__(tracked, Page.__dict__[f.name].__get__(page, Page))
        return tracked


_SLOTS = tuple(Page.__dict__[f.name] for f in fields(Page))
_BODY_HTML = Page.__dict__["body_html"]


def without_body(page: Page) -> TrackedPage:
    """The same page with ``body_html`` None, as the build cache keeps it (see ``body_loader``)."""
    bare = object.__new__(TrackedPage)
    for slot in _SLOTS:
        slot.__set__(bare, None if slot is _BODY_HTML else slot.__get__(page, Page))
    return bare


def body_of(page: Page) -> str | None:
    """A page's ``body_html`` if it is in memory (None for a page loaded without it); not a read."""
    return _BODY_HTML.__get__(page, Page)


def _tracked_from(values: tuple[Any, ...]) -> TrackedPage:
    page = object.__new__(TrackedPage)
    for slot, value in zip(_SLOTS, values):
        slot.__set__(page, value)
    return page


def _reduce_page(page: Page) -> tuple[Any, ...]:
    return _tracked_from, (tuple(slot.__get__(page, Page) for slot in _SLOTS),)


def flat_reducer(cls: type) -> Any:
    """A pickle reducer that stores a slotted dataclass as its class and a tuple of its fields."""
    names = tuple(f.name for f in fields(cls))

    def reduce(value: Any) -> tuple[Any, ...]:
        return cls, tuple(getattr(value, name) for name in names)
    return reduce


# Pages cross process boundaries and fill the build cache by the thousand: pickle them as
# flat tuples (the dataclasses' own slot pickling calls fields() for every object).
copyreg.pickle(TrackedPage, _reduce_page)
for _cls in (Person, Link, Problem):
    copyreg.pickle(_cls, flat_reducer(_cls))
# A heading is made by tuple.__new__ itself: no Python call per heading when unpickling.
copyreg.pickle(Heading, lambda heading: (tuple.__new__, (Heading, tuple(heading))))


def _digest(value: Any) -> bytes:
    return hashlib.blake2b(pickle.dumps(value, protocol=5), digest_size=16).digest()


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
        h.update(pickle.dumps(part, protocol=5))
    return h.digest()
