"""Collecting: parsed pages become a :class:`~sitegen.model.Site`.

Leaves out drafts and future entries (unless asked), gives every page its URL, sorts
entries newest first, groups tags, and refuses two sources that would be served at
the same URL, also when they differ only in letter case or Unicode normalisation.
It links translations (pages sharing a ``translation_key``) and, for a multilingual
site, splits the site into one edition per language (see :class:`~sitegen.model.Site`).
Last it adds the pages sitegen makes from the settings: a contact page in each edition
that has none, and the ``/membership/`` page. The renderer receives a finished site.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime
from types import MappingProxyType
from typing import Any
from collections.abc import Iterator, Mapping

from .discover import Source
from .errors import BuildError, Problem, SitegenError
from .i18n import Catalogs
from .membership import SLUG as MEMBERSHIP_SLUG, TEMPLATE as MEMBERSHIP_TEMPLATE
from .model import Answer, Config, Page, Person, Profile, QuestionGroup, Site, Tag
from .slugs import slugify
from .people import collect_people, consent_word, decide_consent, governed_person, group_questions, relate
from .urls import CONTACT_PATH, PEOPLE_PATH, QUESTIONS_PATH, clean_site_path, entry_path, language_root, section_path

#: Site paths the generator itself writes, which no page may take.
GENERATED = MappingProxyType({
    "": "the home page",
    "interviews/": "the interviews index",
    "stories/": "the stories index",
    "tags/": "the tags index",
    PEOPLE_PATH: "the people index",
    QUESTIONS_PATH: "the questions index",
})


def _url_key(site_path: str) -> str:
    """Two site paths that a case-insensitive or normalising file system would merge."""
    return unicodedata.normalize("NFC", site_path).casefold()


#: The source of a page sitegen makes from the settings (a contact or membership page).
MADE = "sitegen.yaml"


def collect(pages: list[Page], config: Config, *, drafts: bool, future: bool, now: datetime,
            strings: Catalogs) -> tuple[Site, list[Problem]]:
    """The collect stage: the finished Site from parsed pages (:func:`collect_pages`),
    with the pages sitegen makes (:func:`with_made_pages`, titled from ``strings``),
    and the warnings about them. Raises :class:`BuildError` on URL collisions."""
    return with_made_pages(collect_pages(pages, config, drafts=drafts, future=future, now=now), strings)


def collect_pages(pages: list[Page], config: Config, *, drafts: bool, future: bool, now: datetime) -> Site:
    """The Site of the parsed pages, without the pages sitegen makes. ``now`` is aware;
    entries dated after it are left out unless ``future``. Raises :class:`BuildError`
    on URL collisions. (What the build cache keeps between builds of ``sitegen serve``:
    it depends on the pages, the settings and which entries are in the future.)"""
    published: list[Page] = []
    left_out_future: list[Page] = []
    left_out_drafts = 0
    pages = _with_consent(pages, config, now)
    for page in pages:
        if page.draft and not drafts:
            left_out_drafts += 1
            continue
        if page.date is not None and page.date > now and not future:
            left_out_future.append(page)
            continue
        published.append(_with_url(page, config))
    roots = sorted({language_root(lang, config.language, config.languages) for lang in config.languages} | {""})
    _check_collisions(published, roots)
    entries = sorted((p for p in published if p.is_entry), key=lambda p: (p.date, p.title), reverse=True)
    site_pages = sorted((p for p in published if not p.is_entry), key=lambda p: p.title.casefold())
    translations = _link_translations(published, config)
    site = Site(
        config=config,
        entries=tuple(entries),
        pages=tuple(site_pages),
        tags=_group_tags(entries),
        left_out_future=tuple(sorted(left_out_future, key=lambda p: p.date or now)),
        left_out_drafts=left_out_drafts,
        lang=config.language,
        translations=translations,
        by_language=_editions(config, entries, site_pages, translations),
    )
    # People, shared questions and related entries span every language: each edition gets them too.
    people = collect_people(site.entries, config.language)
    questions = group_questions(site.entries)
    related = relate(site.entries, config.connections.related)
    editions = {lang: dataclasses.replace(ed, people=people, questions=questions, related=related)
                for lang, ed in site.by_language.items()}
    return dataclasses.replace(site, by_language=editions, people=people, questions=questions, related=related)


def _with_consent(pages: list[Page], config: Config, now: datetime) -> list[Page]:
    """The pages with each person's consent as their newest word decides it (see
    :func:`~sitegen.people.decide_consent`): drafts and scheduled interviews are words too,
    which can withdraw consent but not give it until they are published (at ``now``,
    whatever the build's options)."""
    words = [word for word in (consent_word(page, now) for page in pages) if word is not None]
    if not words:
        return pages
    decisions = decide_consent(words, config.language)
    by_source = {page.source: page for page in pages}
    governed = []
    for page in pages:
        person = page.person
        decision = decisions.get(person.slug) if person is not None else None
        if person is None or decision is None:
            governed.append(page)
            continue
        deciding = by_source.get(decision.source)  # (none: only drafts spoke, and they gave no consent)
        contact = deciding.person.contact if deciding is not None and deciding.person is not None else ()
        governing = governed_person(person, decision, contact)
        governed.append(page if governing is person else _moved(page, page.slug, page.url, governing))
    return governed


def placed(source: Source, meta: Mapping[str, object], lines: Mapping[str, int], config: Config) -> Page:
    """Where the build publishes a content file, worked out from its front matter alone
    (no body, nothing validated): for the commands that read the sources without building
    (``check``, ``due``). A value the build would refuse is read as best it can be."""
    given_slug, given_lang, given_url = meta.get("slug"), meta.get("lang"), meta.get("url")
    slug = given_slug if isinstance(given_slug, str) else slugify(source.path.stem)
    lang = given_lang.strip() if isinstance(given_lang, str) and given_lang.strip() else config.language
    permalink = clean_site_path(given_url) if isinstance(given_url, str) and source.kind == "page" else None
    page = Page(kind=source.kind, source=source.rel, slug=slug, title="", body_html="", lang=lang,
                lines=lines, permalink=permalink)
    return _with_url(page, config)


def placed_sources(config: Config) -> Iterator[tuple[Source, dict[str, Any], Page]]:
    """Every content file as the commands that read the sources without building read
    it (``check``, ``due``): its front matter and where it is published (see ``placed``).
    A file whose front matter cannot be read is left out, for the build to report."""
    from .discover import discover_content
    from .frontmatter import split_front_matter
    from .parse import read_source

    for source in discover_content(config.root)[0]:
        try:
            fm = split_front_matter(read_source(source), source.rel)
        except SitegenError:
            continue
        meta = fm.meta if isinstance(fm.meta, dict) else {}
        yield source, meta, placed(source, meta, fm.lines, config)


def _with_url(page: Page, config: Config) -> Page:
    """The page with its URL: under ``/<lang>/`` when the site lists ``languages`` and
    the page is not in the site's language. There a file name's ``-<lang>`` ending
    (``ana-es.md``) is dropped, as the folder already says the language, unless the
    page sets its own ``slug:``. A page with its own ``url:`` is published there as is."""
    if page.permalink:
        return _moved(page, page.slug, page.permalink)
    root = language_root(page.lang, config.language, config.languages)
    slug = page.slug
    suffix = "-" + slugify(page.lang)
    if root and "slug" not in page.lines and slug.endswith(suffix) and len(slug) > len(suffix):
        slug = slug[: -len(suffix)]
    return _moved(page, slug, entry_path(page.kind, slug, root))


_SLUG, _URL, _PERSON = Page.__dict__["slug"], Page.__dict__["url"], Page.__dict__["person"]
_SLOTS = tuple(Page.__dict__[f.name] for f in dataclasses.fields(Page) if f.name not in ("slug", "url"))


def _moved(page: Page, slug: str, url: str, person: Person | None = None) -> Page:
    """``dataclasses.replace(page, slug=slug, url=url)`` (and ``person=`` when given), for
    thousands of pages: the fields are copied slot by slot (a tracked page's body is not
    read by the copy)."""
    moved = object.__new__(type(page))
    for slot in _SLOTS:
        slot.__set__(moved, slot.__get__(page, Page))
    _SLUG.__set__(moved, slug)
    _URL.__set__(moved, url)
    if person is not None:
        _PERSON.__set__(moved, person)
    return moved


def _check_collisions(pages: list[Page], roots: list[str]) -> None:
    owners: dict[str, str] = {}
    for root in roots:
        where = f" of /{root}" if root else ""
        owners.update({_url_key(root + path): what + where for path, what in GENERATED.items()})
        owners.update({_url_key(section_path(k, root)): GENERATED[section_path(k)] + where
                       for k in ("interview", "story")})
    sources: dict[str, Page] = {}
    problems: list[Problem] = []
    for page in pages:
        key = _url_key(page.url)
        if key in sources:
            other = sources[key]
            problems.append(Problem(
                f"this file and {other.source} would both be published at /{page.url}",
                path=page.source, line=_url_line(page),
                hint="rename one of the files (URLs ignore letter case and accents' encoding), "
                     "or set a different 'slug:'",
            ))
        elif key in owners or any(key.startswith((f"{root}tags/", f"{root}people/", f"{root}questions/"))
                                  for root in roots):
            problems.append(Problem(
                f"this page's URL /{page.url} is taken by {owners.get(key, 'generated pages')}",
                path=page.source, line=_url_line(page),
                hint="rename the file or set another 'slug:'",
            ))
        else:
            sources[key] = page
    if problems:
        raise BuildError(problems)


def _link_translations(pages: list[Page], config: Config) -> dict[str, tuple[Page, ...]]:
    """Pages sharing a ``translation_key``, by URL, in the site's language order.
    Raises :class:`BuildError` when two pages claim the same key and language."""
    groups: dict[str, dict[str, Page]] = {}
    problems: list[Problem] = []
    for page in pages:
        if not page.translation_key:
            continue
        group = groups.setdefault(page.translation_key, {})
        other = group.get(page.lang)
        if other is not None:
            problems.append(Problem(
                f"this file and {other.source} are both the '{page.lang}' version of "
                f"translation_key '{page.translation_key}'",
                path=page.source, line=page.lines.get("translation_key") or page.lines.get("lang"),
                hint="give each language version its own 'lang:', or a different 'translation_key:'",
            ))
            continue
        group[page.lang] = page
    if problems:
        raise BuildError(problems)
    order = language_order(config, [p.lang for p in pages])
    linked: dict[str, tuple[Page, ...]] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        versions = tuple(sorted(group.values(), key=lambda p: order.index(p.lang)))
        linked.update({p.url: versions for p in versions})
    return linked


def language_order(config: Config, langs: list[str]) -> list[str]:
    """The languages in the order a switcher lists them: ``languages`` as written, or
    the site's language first and then the others alphabetically."""
    rest = sorted(set(langs) - set(config.languages) - {config.language})
    return list(config.languages or (config.language,)) + rest


def _editions(config: Config, entries: list[Page], pages: list[Page],
              translations: dict[str, tuple[Page, ...]]) -> dict[str, Site]:
    """One Site per language of a multilingual site (``{}`` for a single-language one)."""
    editions: dict[str, Site] = {}
    for lang in config.languages:
        root = language_root(lang, config.language, config.languages)
        own = [e for e in entries if e.lang == lang]
        editions[lang] = Site(
            config=config,
            entries=tuple(own),
            pages=tuple(p for p in pages if p.lang == lang),
            tags=_group_tags(own, root),
            lang=lang,
            root=root,
            translations=translations,
            fallback_pages=tuple(p for p in pages if p.lang == config.language) if lang != config.language else (),
        )
    return editions


def _url_line(page: Page) -> int:
    """The line that decides a page's URL: ``url:`` or ``slug:`` if set, else line 1."""
    return page.lines.get("url") or page.lines.get("slug") or 1


def _group_tags(entries: list[Page], root: str = "") -> tuple[Tag, ...]:
    names: dict[str, str] = {}
    members: dict[str, list[Page]] = {}
    for entry in entries:  # newest first, so each tag's list is too
        for name in entry.tags:
            slug = slugify(name)
            names.setdefault(slug, name)
            members.setdefault(slug, []).append(entry)
    tags = [Tag(name=names[slug], slug=slug, entries=tuple(pages), root=root) for slug, pages in members.items()]
    return tuple(sorted(tags, key=lambda t: t.name.casefold()))


# -- The pages sitegen makes ---------------------------------------------------------------

def with_made_pages(site: Site, strings: Catalogs) -> tuple[Site, list[Problem]]:
    """``site`` with its membership page (:func:`with_membership_page`) and its contact
    pages (:func:`with_contact_pages`), titled in each edition's language from
    ``strings``; and the warnings about them."""
    config = site.config
    title = strings.get(config.language, "membership_title") if config.membership else ""
    site, warnings = with_membership_page(site, title)
    return with_contact_pages(site, strings), warnings


def with_membership_page(site: Site, title: str) -> tuple[Site, list[Problem]]:
    """The site with its membership pages rendered by ``membership.html``.

    With ``membership:`` configured, every page whose slug is ``membership`` (in any
    language), and every translation of one, gets the membership template unless it
    names its own. When nothing is published at ``/membership/``, a page titled
    ``title``, in the site's language and with no text of its own, is added there. Without ``membership:``, a page named
    membership stays a plain page, with a warning.
    """
    config = site.config
    written = [p for p in site.pages if p.slug == MEMBERSHIP_SLUG]
    if config.membership is None:
        return site, [Problem("this page is built as a plain page: sitegen.yaml has no 'membership:' settings",
                              path=p.source, severity="warning",
                              hint="add membership: (goal and tiers) to sitegen.yaml to show tiers and the arithmetic")
                      for p in written]
    versions = {v.url: v for p in written for v in (p, *site.versions(p))}  # and its translations
    replaced = {u: dataclasses.replace(p, template=MEMBERSHIP_TEMPLATE)
                for u, p in versions.items() if p.template is None}
    made = None
    url = entry_path("page", MEMBERSHIP_SLUG)
    if not any(p.url == url for p in site.pages):
        made = Page(kind="page", source=MADE, slug=MEMBERSHIP_SLUG, title=title, body_html="",
                    lang=config.language, template=MEMBERSHIP_TEMPLATE, url=url)
    site = _with_membership_pages(site, replaced, made, own=True)
    editions = {lang: _with_membership_pages(ed, replaced, made, own=lang == config.language)
                for lang, ed in site.by_language.items()}
    return dataclasses.replace(site, by_language=editions), []


def _with_membership_pages(site: Site, replaced: Mapping[str, Page], made: Page | None, own: bool) -> Site:
    """``site`` (or an edition) with pages ``replaced`` by URL and ``made`` added: to its
    pages when ``own`` (the edition of the page's language), else to its fallbacks."""
    pages = [replaced.get(p.url, p) for p in site.pages]
    fallback = [replaced.get(p.url, p) for p in site.fallback_pages]
    if made is not None:
        (pages if own else fallback).append(made)
    pages.sort(key=lambda p: p.title.casefold())
    return dataclasses.replace(site, pages=tuple(pages), fallback_pages=tuple(fallback))


def with_contact_pages(site: Site, strings: Catalogs) -> Site:
    """The site with a contact page in each language edition that has none of its own
    (``contact/``, ``es/contact/``...): made from the settings when the creator can be
    reached, and a fallback where only the site's language has a
    ``content/pages/contact.md``: the edition's own page (its language's title, channels
    and form) showing that file's text (the renderer marks it with the language it is
    written in)."""
    config = site.config
    made: dict[str, Page] = {}
    for code, ed in (site.by_language or {config.language: site}).items():
        found = ed.page("contact")
        title = strings.get(code, "contact_title")
        if found is None and config.contact.reachable:
            made[code] = Page(kind="page", source=MADE, slug="contact", lang=code, body_html="",
                              title=title, url=ed.root + CONTACT_PATH)
        elif found is not None and site.by_language and found.lang != code:  # (a page of fallback_pages)
            made[code] = _fallback(found, code, ed.root + CONTACT_PATH, title)
    if not made:
        return site

    def with_pages(pages: tuple[Page, ...], extra: list[Page]) -> tuple[Page, ...]:
        return tuple(sorted((*pages, *extra), key=lambda p: p.title.casefold()))

    editions = {code: dataclasses.replace(ed, pages=with_pages(ed.pages, [made[code]] if code in made else []))
                for code, ed in site.by_language.items()}
    return dataclasses.replace(site, pages=with_pages(site.pages, list(made.values())), by_language=editions)


_PAGE_SLOTS = tuple(Page.__dict__[f.name] for f in dataclasses.fields(Page))
_FALLBACK_SET = MappingProxyType({name: Page.__dict__[name]
                                  for name in ("lang", "url", "title", "summary", "translation_key")})


def _fallback(page: Page, lang: str, url: str, title: str) -> Page:
    """``page`` published again at ``url`` as the ``lang`` edition's page, titled
    ``title`` (its text stays in its own language). Copied slot by slot, so a page of the
    build cache keeps recording what its jobs read of it (its body is not read here)."""
    copy = object.__new__(type(page))
    for slot in _PAGE_SLOTS:
        slot.__set__(copy, slot.__get__(page, Page))
    for name, value in (("lang", lang), ("url", url), ("title", title), ("summary", ""), ("translation_key", None)):
        _FALLBACK_SET[name].__set__(copy, value)
    return copy


def substitute(site: Site, fresh: Mapping[int, Page]) -> Site:
    """``site`` with each page whose ``id`` is a key of ``fresh`` replaced by that page,
    wherever the site holds it (its lists, tags, people, questions, related entries,
    translations and editions). Nothing is changed in place: every value that holds a
    replaced page is made anew, and every other value is the same object as before.

    For a site whose pages changed only in what collecting does not read (their text):
    collecting them again would make the same site with the new pages."""
    made: dict[int, object] = {}
    get = fresh.get

    def walk(value: object) -> object:
        if isinstance(value, Page):
            return get(id(value), value)
        if isinstance(value, (str, int)):
            return value
        known = made.get(id(value))
        if known is not None:
            return known
        result = value
        if type(value) is tuple:
            items = [get(id(item), item) if isinstance(item, Page) else walk(item) for item in value]
            if any(a is not b for a, b in zip(items, value, strict=True)):
                result = tuple(items)
        elif isinstance(value, (Site, Tag, Profile, QuestionGroup)):
            changes: dict[str, Any] = {}
            for f in dataclasses.fields(value):
                if f.init and f.name != "config":
                    before = getattr(value, f.name)
                    after = walk(before)
                    if after is not before:
                        changes[f.name] = after
            if changes:
                result = dataclasses.replace(value, **changes)
        elif isinstance(value, Answer):
            interview = get(id(value.interview), value.interview)
            if interview is not value.interview:  # (its question as the new page has it: its line moved)
                question = next((h for h in interview.headings if h.id == value.question.id), value.question)
                result = value._replace(interview=interview, question=question)
        elif isinstance(value, Mapping):
            pairs = [(key, walk(item)) for key, item in value.items()]
            if any(after is not before for (_, after), before in zip(pairs, value.values(), strict=True)):
                result = type(value)(pairs) if isinstance(value, dict) else MappingProxyType(dict(pairs))
        made[id(value)] = result
        return result

    replaced = walk(site)
    assert isinstance(replaced, Site)
    return replaced
