"""The oracle of declared dependencies: a read tracer, kept in the tests.

A render job declares what it shows before it renders (``sitegen/shows.py``); the build
cache trusts that declaration. Here every page a job is handed records each read of its
fields, the renderer records the static files it links, the files it looks for and the
menus it remembers, and :func:`checked_declarations` fails a build in which a job read
something it did not declare.

    with checked_declarations() as oracle:
        build(root, BuildOptions(clean=True, jobs=1))
    assert oracle.undeclared == []
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import sitegen.render
from sitegen.collect import substitute
from sitegen.deps import BODY_FIELDS, PLACE_FIELDS, Reads
from sitegen.model import Page, Site
from sitegen.render import EVERY_ASSET, EVERY_FILE

_SLOTS = {f.name: Page.__dict__[f.name] for f in dataclasses.fields(Page)}
_SOURCE = Page.__dict__["source"]


@dataclasses.dataclass
class Oracle:
    """What a build's jobs read that they had not declared, one line per job."""

    undeclared: list[str] = dataclasses.field(default_factory=list)
    #: Jobs that declared pages they did not read (safe, but rendered again for nothing).
    overdeclared: list[str] = dataclasses.field(default_factory=list)
    jobs: int = 0  # jobs checked
    reads: Reads | None = None  # the reads of the job being rendered


def _recording_class(oracle: Oracle, base: type[Page]) -> type[Page]:
    """A subclass of ``base`` (a Page, or the build's class of pages that read their body
    back from the cache) whose fields record their reads into ``oracle``."""
    def field(name: str) -> property:
        inner = getattr(base, name)  # the slot, or the property of base

        def get(self: Page) -> Any:
            if oracle.reads is not None and name not in PLACE_FIELDS:
                source = _SOURCE.__get__(self, Page)
                (oracle.reads.bodies if name in BODY_FIELDS else oracle.reads.metas).add(source)
            return inner.__get__(self, base)

        return property(get, lambda self, value: _SLOTS[name].__set__(self, value))

    namespace: dict[str, Any] = {"__slots__": ()}
    namespace.update({name: field(name) for name in _SLOTS})
    return type("RecordingPage", (base,), namespace)


def _recording(site: Site, oracle: Oracle) -> Site:
    classes: dict[type[Page], type[Page]] = {}
    fresh: dict[int, Page] = {}
    for page in (*site.entries, *site.pages, *(p for ed in site.editions for p in (*ed.pages, *ed.fallback_pages))):
        if id(page) not in fresh:
            cls = classes.get(type(page))
            if cls is None:
                cls = classes[type(page)] = _recording_class(oracle, type(page))
            copy = object.__new__(cls)
            for slot in _SLOTS.values():
                slot.__set__(copy, slot.__get__(page, Page))
            fresh[id(page)] = copy
    return substitute(site, fresh)


def _compare(name: str, traced: Reads, declared: Reads) -> str | None:
    missing = []
    if not declared.every_page and not traced.metas <= declared.metas:
        missing.append(f"the metadata of {sorted(traced.metas - declared.metas)}")
    if not declared.every_page and not traced.bodies <= declared.bodies:
        missing.append(f"the bodies of {sorted(traced.bodies - declared.bodies)}")
    if EVERY_ASSET not in declared.assets and not traced.assets.items() <= declared.assets.items():
        missing.append(f"the assets {sorted(traced.assets.items() - declared.assets.items())}")
    if EVERY_FILE not in declared.assets and not traced.files.items() <= declared.files.items():
        missing.append(f"the files {sorted(traced.files.items() - declared.files.items())}")
    return f"{name} read {', '.join(missing)} without declaring it" if missing else None


@contextmanager
def checked_declarations() -> Iterator[Oracle]:
    """Within the block, builds render with the tracer and note every job that read
    what it did not declare (build with ``jobs=1``: the tracer is in this process)."""
    oracle = Oracle()
    base = sitegen.render.Renderer

    class Recording(base):  # type: ignore[misc, valid-type]
        def __init__(self, site: Site, *args: Any, **kwargs: Any) -> None:
            self._declared: Reads | None = None
            self._job = ""
            super().__init__(_recording(site, oracle), *args, **kwargs)

        def jobs(self) -> Iterator[tuple[str, Any]]:
            for name, job in super().jobs():
                yield name, self._named(name, job)

        def _named(self, name: str, job: Any) -> Any:
            def run() -> Any:
                self._job = name
                return job()
            return run

        @property
        def showing(self) -> Reads | None:
            return self._declared

        @showing.setter
        def showing(self, reads: Reads | None) -> None:
            if reads is not None:
                oracle.reads = Reads()
            elif self._declared is not None and oracle.reads is not None:
                oracle.jobs += 1
                problem = _compare(self._job, oracle.reads, self._declared)
                if problem:
                    oracle.undeclared.append(problem)
                if self._declared.metas - oracle.reads.metas or self._declared.bodies - oracle.reads.bodies:
                    oracle.overdeclared.append(self._job)
                oracle.reads = None
            self._declared = reads

        def asset(self, site_path: str) -> str:
            link: str = super().asset(site_path)
            if oracle.reads is not None:
                oracle.reads.assets[site_path] = link
            return link

        def is_file(self, rel: str) -> bool:
            found: bool = super().is_file(rel)
            if oracle.reads is not None:
                oracle.reads.files[rel] = found
            return found

        def menu_items(self, site: Site, lang_root: str, lang: str) -> Any:
            items = super().menu_items(site, lang_root, lang)
            if oracle.reads is not None:  # a remembered menu shows the titles it was made of
                oracle.reads.metas.update(self._menus[(id(site), lang_root, lang)][2])
            return items

    patch = pytest.MonkeyPatch()
    patch.setattr(sitegen.render, "Renderer", Recording)
    try:
        yield oracle
    finally:
        patch.undo()
