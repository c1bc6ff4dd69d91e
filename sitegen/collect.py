"""Collecting: parsed pages become a :class:`~sitegen.model.Site`.

Leaves out drafts and future entries (unless asked), gives every page its URL, sorts
entries newest first, groups tags, and refuses two sources that would be served at
the same URL, also when they differ only in letter case or Unicode normalisation.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime

from .errors import BuildError, Problem
from .model import Config, Page, Site, Tag
from .slugs import slugify
from .urls import entry_path, section_path

#: Site paths the generator itself writes, which no page may take.
GENERATED = {
    "": "the home page",
    "interviews/": "the interviews index",
    "stories/": "the stories index",
    "tags/": "the tags index",
}


def _url_key(site_path: str) -> str:
    """Two site paths that a case-insensitive or normalising file system would merge."""
    return unicodedata.normalize("NFC", site_path).casefold()


def collect(pages: list[Page], config: Config, *, drafts: bool, future: bool, now: datetime) -> Site:
    """Build the Site from parsed pages. ``now`` is aware; entries dated after it are
    left out unless ``future``. Raises :class:`BuildError` on URL collisions."""
    published: list[Page] = []
    left_out_future: list[Page] = []
    left_out_drafts = 0
    for page in pages:
        if page.draft and not drafts:
            left_out_drafts += 1
            continue
        if page.date is not None and page.date > now and not future:
            left_out_future.append(page)
            continue
        published.append(dataclasses.replace(page, url=entry_path(page.kind, page.slug)))
    _check_collisions(published)
    entries = sorted((p for p in published if p.is_entry), key=lambda p: (p.date, p.title), reverse=True)
    site_pages = sorted((p for p in published if not p.is_entry), key=lambda p: p.title.casefold())
    return Site(
        config=config,
        entries=tuple(entries),
        pages=tuple(site_pages),
        tags=_group_tags(entries),
        left_out_future=tuple(sorted(left_out_future, key=lambda p: p.date or now)),
        left_out_drafts=left_out_drafts,
    )


def _check_collisions(pages: list[Page]) -> None:
    owners: dict[str, str] = {_url_key(path): what for path, what in GENERATED.items()}
    owners.update({_url_key(section_path(k)): GENERATED[section_path(k)] for k in ("interview", "story")})
    sources: dict[str, Page] = {}
    problems: list[Problem] = []
    for page in pages:
        key = _url_key(page.url)
        if key in sources:
            other = sources[key]
            problems.append(Problem(
                f"this file and {other.source} would both be published at /{page.url}",
                path=page.source, line=page.lines.get("slug"),
                hint="rename one of the files (URLs ignore letter case and accents' encoding), or set a different 'slug:'",
            ))
        elif key in owners or key.startswith("tags/") or key.startswith("people/"):
            problems.append(Problem(
                f"this page's URL /{page.url} is taken by {owners.get(key, 'generated pages')}",
                path=page.source, line=page.lines.get("slug"),
                hint="rename the file or set another 'slug:'",
            ))
        else:
            sources[key] = page
    if problems:
        raise BuildError(problems)


def _group_tags(entries: list[Page]) -> tuple[Tag, ...]:
    names: dict[str, str] = {}
    members: dict[str, list[Page]] = {}
    for entry in entries:  # newest first, so each tag's list is too
        for name in entry.tags:
            slug = slugify(name)
            names.setdefault(slug, name)
            members.setdefault(slug, []).append(entry)
    tags = [Tag(name=names[slug], slug=slug, entries=tuple(pages)) for slug, pages in members.items()]
    return tuple(sorted(tags, key=lambda t: t.name.casefold()))
