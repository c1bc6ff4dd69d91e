"""Rendering: a :class:`~sitegen.model.Site` becomes the files of the output.

HTML pages go through the theme's Jinja templates (autoescape on, undefined variables
are errors); feeds, the sitemap and the small text files are made here in Python, so
they are well-formed by construction. Nothing is written to disk here: the renderer
yields :class:`OutputFile` values and ``write.py`` stores them.
"""

from __future__ import annotations

import hashlib
import json
import math
import traceback
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import partial
from datetime import datetime, UTC
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, MappingProxyType, MethodType
from typing import Any
from collections.abc import Callable, Iterable, Iterator, Mapping

import jinja2
from markupsafe import Markup

from .collect import MADE
from .cache import CacheChanged, FileStat, trusted_stat
from .compiled import CompiledTemplates
from .errors import SitegenError, not_utf8
from .i18n import FALLBACK, Catalogs
from .l10n import format_date, format_number, format_price, language_name, text_direction
from .membership import SLUG as MEMBERSHIP_SLUG, Membership, minor_unit
from .model import Config, Heading, Page, Person, QuestionGroup, Site
from .contact import Channel
from .deps import Reads
from .discover import outside_link
from .shows import Declaring, ShowPlan, plan, reachable_pages, template_shows
from .people import introduction_pairs, question_key, split_answers
from .themes import Theme
from .slugs import slugify
from .urls import (PEOPLE_PATH, QUESTIONS_PATH, Urls, entry_path, mailto, output_file, page_number_path,
                   section_path)
from .video import captions_file, page_policy, page_video


class _Loader(jinja2.FileSystemLoader):
    """Jinja's loader of template files, which never reads one through a symbolic link
    that leads out of the site or into a hidden part of it (see ``discover.outside_link``),
    and names the file and line of a template that is not UTF-8 text."""

    def __init__(self, folders: list[str], root: Path) -> None:
        super().__init__(folders)
        self.root = root

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)
        found = template
        for top in self.searchpath:  # the file Jinja reads: the first found, checked before it is read
            path = Path(top, *pieces)
            if path.is_file():
                problem = outside_link(path, self.root, Path(top))
                if problem is not None:
                    raise SitegenError(problem.message, path=problem.path, hint=problem.hint)
                found = _template_location(str(path), self.root)
                break
        try:
            return super().get_source(environment, template)
        except UnicodeDecodeError as exc:  # (the bytes of the file found above: Jinja reads it whole)
            raise not_utf8(bytes(exc.object), exc, found, what="template") from None


class _Context(jinja2.runtime.Context):
    """Jinja's context, with a shorter way to call a plain function.

    Every call a template makes goes through ``Context.call``, which looks at what it
    calls to learn whether to hand it the context or the environment (``pass_context``
    and the like). A page calls sitegen's helpers (``t``, ``url``, ``format_date``...)
    about eighty times, and that look cost more than most of the helpers themselves.
    Jinja looks for a ``jinja_pass_arg`` attribute, which a function, a method (on its
    function) or a ``partial`` can hold only in its ``__dict__`` and a built-in never:
    one without it is called directly, with the same arguments. Anything else (a macro,
    a callable object, a marked function) is called as Jinja calls it."""

    @jinja2.utils.internalcode
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # (Jinja's names)
        kind = type(__obj)
        marks: Mapping[str, Any] | None = None
        if kind is FunctionType or kind is partial:
            marks = __obj.__dict__
        elif kind is MethodType:
            function = __obj.__func__  # type: ignore[attr-defined]
            marks = function.__dict__ if type(function) is FunctionType else None
        elif kind is BuiltinFunctionType:
            marks = _NO_MARKS
        if marks is None or "jinja_pass_arg" in marks:
            return super().call(__obj, *args, **kwargs)
        if kwargs:  # (Jinja hands these to every call made in a loop or a block)
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja does
            return __self.environment.undefined("value was undefined because a callable raised a "
                                                "StopIteration exception")


_NO_MARKS: Mapping[str, Any] = MappingProxyType({})


ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"
#: Generated pages that every edition of a multilingual site has, so they are each
#: other's translations (relative to the edition's root).
SHARED_PATHS = ("", "interviews/", "stories/", "tags/")
#: How many entries the feeds carry (full content each).
FEED_ENTRIES = 20
#: Template chosen for each kind of page when the page does not name one.
TEMPLATES = MappingProxyType({"interview": "interview.html", "story": "story.html", "page": "page.html"})
#: The template helpers whose results hold no page (text, numbers, links, a menu, a
#: video, a channel): what a template does with them shows no page.
PLAIN_HELPERS = frozenset({"t", "url", "abs_url", "link", "link_rel", "asset", "format_date", "format_number",
                           "format_price", "language_name", "text_direction", "iso_date", "mailto", "csp",
                           "lang_attr", "membership_json_ld", "menu_items", "video", "ask_target"})
#: The values handed to templates that hold no page (see ``page_context`` and the jobs).
PLAIN_VALUES = frozenset({"config", "lang", "lang_root", "alternates", "x_default", "site_path", "canonical",
                          "title", "description", "body_lang", "pagination", "shown", "kind", "membership",
                          "membership_url"})
#: What a job's record calls every static file, with which there are (see ``Renderer.show_template``).
EVERY_ASSET = "*"
#: What it calls the files the helpers look for for every page, with whether each is there.
EVERY_FILE = "*files"
#: The template of content/pages/contact.md (or of the contact page made from the settings).
CONTACT_TEMPLATE = "contact.html"


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file of the output: where it goes, its bytes, and the source it came from."""

    path: str  # relative to the output folder
    data: bytes
    source: str | None = None  # the content file (or None for generated lists)


#: A unit of rendering work: its name (the first file it writes) and what renders it.
Job = tuple[str, Callable[[], Iterable[OutputFile]]]


def _single(make: Callable[..., OutputFile], *args: Any, **kwargs: Any) -> list[OutputFile]:
    """A job that makes one file."""
    return [make(*args, **kwargs)]


@dataclass(frozen=True, slots=True)
class Pagination:
    """Where a page of a long list stands among its siblings."""

    number: int
    total: int
    first: str  # the site path of page 1

    def path(self, number: int) -> str:
        """The site path of page ``number`` of this list."""
        return page_number_path(self.first, number)

    @property
    def previous(self) -> str | None:
        """The site path of the previous page, if any."""
        return self.path(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        """The site path of the next page, if any."""
        return self.path(self.number + 1) if self.number < self.total else None


class Label(str):
    """Text shown on a page, with the language it is written in: ``lang`` is "" when it
    is the page's own, else the code to put on its element (an English page title in the
    Spanish menu carries ``lang="en"``). A str, so a menu item stays a 4-tuple."""

    lang: str

    def __new__(cls, text: str, lang: str = "") -> Label:
        label = super().__new__(cls, text)
        label.lang = lang
        return label

    def __reduce__(self) -> tuple[Any, ...]:
        return Label, (str(self), self.lang)


#: An item of the site menu: label (a :class:`Label`), link, the site path it stands for, and its rel.
MenuItem = tuple[Label, str, str, str]


@dataclass(frozen=True, slots=True)
class AnswerPart:
    """A piece of an interview's body as ``partials/answers.html`` shows it: its HTML and,
    under an answer, where "ask about this" leads (``href``, ``label``, ``to``: "person"
    or "creator") and the group of interviews that asked the same question."""

    html: str
    question: Heading | None = None
    href: str | None = None  # None: nowhere to send a question (no e-mail, no contact page)
    label: str = ""
    to: str = "creator"
    group: QuestionGroup | None = None


@dataclass(frozen=True, slots=True)
class Alternate:
    """One language version of a page, for the switcher, hreflang and the sitemap."""

    lang: str
    site_path: str
    current: bool = False


def _template_location(filename: str | None, root: Path) -> str:
    if not filename:
        return "template"
    path = Path(filename)
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    parts = path.parts
    if "themes" in parts:  # a built-in theme: themes/default/templates/base.html
        return "/".join(parts[len(parts) - parts[::-1].index("themes") - 1:])
    return path.as_posix()


class Renderer:
    """Renders pages of one site through one theme."""

    def __init__(self, site: Site, theme: Theme, catalogs: Catalogs, compiled: Path | None = None,
                 plans: dict[tuple[str, frozenset[str]], ShowPlan] | None = None,
                 static_paths: Iterable[str] = (), versions: dict[str, tuple[FileStat, str]] | None = None) -> None:
        """``site``: as collected (with the pages sitegen makes); ``catalogs``: the
        interface strings (:func:`~sitegen.i18n.load_catalogs`); ``compiled``: a folder
        where compiled templates are kept between builds; ``plans``: what each template
        shows (``shows.plan``), by name and the names it is handed, kept while the
        templates stay the same (filled as jobs render); ``static_paths``: the site
        path of every static file discovery found (what a template may link);
        ``versions``: static files' versions kept by this process (see ``_version``)."""
        self.compiled = compiled
        self.site = site
        self.config = site.config
        self.urls: Urls = site.config.urls
        self.theme = theme
        self.catalogs = catalogs
        self._body_langs = _text_languages(site)
        self._shared_questions = {group.key: group for group in site.questions}
        self.env = self._make_env()
        self._asset_versions: dict[str, str] = {}
        self._versions = versions if versions is not None else {}
        self._plain_policy: str | None = None
        self._menus: dict[tuple[int, str, str], tuple[Site, tuple[MenuItem, ...], tuple[str, ...]]] = {}
        #: What the job being rendered declares it shows (see shows.py); set by whoever runs it.
        self.showing: Reads | None = None
        self._plans = plans if plans is not None else {}
        self._trees: dict[str, Any] = {}  # the templates parsed to read them, by name
        self._static_list = sorted(set(static_paths))
        self._every: dict[str, str] = {}  # see recorded(EVERY_ASSET) and recorded(EVERY_FILE)
        self._helper_shows = self._helpers_shown()

    # -- Jinja -----------------------------------------------------------------
    def _make_env(self) -> jinja2.Environment:
        dirs = [str(d) for d in self.theme.template_dirs]
        # theme/: what the chosen theme renders (the default theme's template where it has none).
        root = self.config.root
        prefixed = {"theme": _Loader([str(folder / "templates") for folder in self.theme.folders], root),
                    "default": _Loader([str(self.theme.folders[-1] / "templates")], root)}
        loader = jinja2.ChoiceLoader([_Loader(dirs, root), jinja2.PrefixLoader(prefixed)])
        env = jinja2.Environment(
            loader=loader,
            autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            # Compiling the templates took a third of a one-page edit's time; a template's
            # compiled code is kept by the checksum of its text, so it is never stale.
            # Kept sealed (compiled.py): a file planted in the cache folder never runs.
            bytecode_cache=CompiledTemplates(self.compiled) if self.compiled else None,
            # A renderer lives for one build, and templates do not change during it: no
            # stat() of the template file on every include.
            auto_reload=False,
        )
        env.context_class = _Context
        env.globals.update(
            site=self.site,
            config=self.config,
            url=self.urls.path,
            abs_url=self.urls.absolute,
            link=self.urls.link,
            link_rel=self.urls.rel,
            asset=self.asset,
            t=self._translate,
            format_date=self.format_date,
            format_number=format_number,
            format_price=format_price,
            language_name=language_name,
            text_direction=text_direction,
            iso_date=lambda d: d.isoformat(),
            mailto=mailto,
            video=lambda page: page_video(page, self.config, self.is_file),
            csp=self.csp,
            answers=lambda page: split_answers(page.body_html, page.questions),
            answer_parts=self.answer_parts,
            menu_items=self.menu_items,
            lang_attr=_lang_attr,
            ask_target=self.ask_target,
            introductions=lambda page: introduction_pairs(page, self.site.related.get(page.url, ())),
            shared_question=lambda heading: self._shared_questions.get(question_key(heading.text)),
        )
        env.globals.update(_membership_globals(self.config))
        env.filters["tag_slug"] = slugify
        return env

    def is_file(self, rel: str) -> bool:
        """Whether the path ``rel`` in the site folder is a file (a job that asks declares it)."""
        return (self.config.root / rel).is_file()

    def ask_target(self, person: Person | None) -> Channel | None:
        """Where an "ask about this" message goes: the person's e-mail or WhatsApp when they
        consented to publish one, otherwise the creator's e-mail (who can pass it on)."""
        if person is not None and person.consent:
            for kind in ("email", "whatsapp"):
                for found in person.contact:
                    if found.kind == kind:
                        return found
        return self.config.contact.email_channel

    def menu_items(self, site: Site, lang_root: str, lang: str) -> tuple[MenuItem, ...]:
        """The site menu of an edition, as ``(label, href, site path, rel)``: the ``menu``
        setting, or the sections and the about, membership and contact pages the edition
        has. The same on every page of the edition, so made once (``partials/nav.html``
        only marks the current item)."""
        key = (id(site), lang_root, lang)
        known = self._menus.get(key)
        if known is not None and known[0] is site:
            return known[1]
        items: list[MenuItem] = []
        shown: list[str] = []  # the pages whose titles it shows

        def label(text: str, written_in: str) -> Label:
            return Label(text, "" if _same_language(written_in, lang) else written_in)

        if self.config.menu is not None:
            # The labels are the creator's, written in the site's language.
            for item in self.config.menu:
                items.append((label(item.label, self.config.language), self.urls.link(item.url),
                              item.url.strip("/") + "/", self.urls.rel(item.url)))
        else:
            def section(key: str) -> Label:
                return label(self.catalogs.get(lang, key), self._string_language(lang, key))

            if site.interviews:
                items.append((section("section_interview"), self.urls.path(lang_root + "interviews/"),
                              lang_root + "interviews/", ""))
            if site.stories:
                items.append((section("section_story"), self.urls.path(lang_root + "stories/"),
                              lang_root + "stories/", ""))
            for slug in ("about", "membership", "contact"):
                found = site.page(slug)
                if found:
                    items.append((label(found.title, found.lang), self.urls.path(found.url), found.url, ""))
                    shown.append(found.source)
        self._menus[key] = (site, tuple(items), tuple(shown))
        return tuple(items)

    def _string_language(self, lang: str, key: str) -> str:
        """The language an interface string is shown in: ``lang``, or English where
        ``lang``'s catalog lacks the key (see :meth:`Catalogs.get`)."""
        for candidate in (lang, lang.split("-")[0]):
            if key in self.catalogs.strings.get(candidate, {}):
                return lang
        return FALLBACK

    def csp(self, page: Page | None) -> str:
        """The Content-Security-Policy of a page: worked out once for every page without
        a video (it then depends on the settings alone)."""
        if page is not None and page.video:
            return page_policy(page, self.config)
        if self._plain_policy is None:
            self._plain_policy = page_policy(None, self.config)
        return self._plain_policy

    def answer_parts(self, page: Page, site: Site, lang: str) -> tuple[AnswerPart, ...]:
        """An interview's body cut into its answers, each with its "ask about this" link:
        to the person when they consented to publish an e-mail or WhatsApp, otherwise to
        the creator (by e-mail, or the contact page of ``site``), who passes it on. Worked
        out here rather than in the template: an interview has a dozen answers, and each
        link is a prefilled message (``partials/answers.html`` shows them)."""
        text = partial(self.catalogs.get, lang)
        person = page.person
        ask = self.ask_target(person)
        to_person = ask is not None and person is not None and ask in person.contact
        contact_page = site.page("contact")
        to = "person" if to_person else "creator"
        page_url = self.urls.absolute(page.url)
        parts = []
        for section in split_answers(page.body_html, page.questions):
            q = section.question
            if q is None:
                parts.append(AnswerPart(section.html))
                continue
            group = self._shared_questions.get(question_key(q.text))
            href, label = None, ""
            if ask or contact_page:
                where = f"{page_url}#{q.id}"
                if to_person:
                    assert person is not None
                    label = text("ask_person", name=person.name)
                    body = text("ask_body", question=q.text, title=page.title, url=where)
                elif person:
                    label = text("ask_via", name=person.name)
                    body = text("ask_body_via", name=person.name, question=q.text, title=page.title, url=where)
                else:
                    label = text("ask_creator")
                    body = text("ask_body", question=q.text, title=page.title, url=where)
                if ask:
                    href = ask.with_text(text("ask_subject", question=q.text, title=page.title), body)
                else:
                    assert contact_page is not None
                    href = self.urls.path(contact_page.url)
            parts.append(AnswerPart(section.html, q, href, label, to, group))
        return tuple(parts)

    @jinja2.pass_context
    def _translate(self, context: Any, key: str, **values: Any) -> str:
        lang = context.get("lang") or self.config.language
        return self.catalogs.get(lang, key, **values)

    def format_date(self, moment: datetime, lang: str) -> str:
        """A date in the reader's language and the site's time zone:
        ``2 October 2026`` / ``2 de octubre de 2026``."""
        return format_date(moment, lang, self.config.timezone)

    def asset(self, site_path: str) -> str:
        """The link to a theme or site static file, with a version query that changes
        when the file does (so browsers never keep a stale stylesheet)."""
        version = self._asset_versions.get(site_path)
        if version is None:
            version = ""
            for folder in (self.config.root / "static", *reversed(self.theme.static_dirs)):
                candidate = folder / site_path
                if candidate.is_file():
                    version = self._version(candidate)
                    break
            self._asset_versions[site_path] = version
        return self.urls.path(site_path) + (f"?v={version}" if version else "")

    def _version(self, path: Path) -> str:
        """A static file's version: the start of a digest of its bytes. Each is kept with
        the file's stat, taken before it was read (by this process for its next builds, and
        in the build cache for the next process: see ``Memo.static_versions``), and the
        file is read again only when that stat changed or was taken within the time-stamp
        tick: a template that names its links as the page renders shows every static file,
        and a hub may have thousands of pictures."""
        stat = trusted_stat(path)
        kept = self._versions.get(str(path))
        if kept is not None and stat is not None and stat[1] != -1 and kept[0] == stat:
            return kept[1]
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        if stat is not None and stat[1] != -1:
            self._versions[str(path)] = (stat, version)
        return version

    def render_template(self, name: str, source: str | None, **context: Any) -> str:
        """Render one template, turning template mistakes into problems with a location."""
        if self.showing is not None:
            self.show_template(name, context)
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateSyntaxError as exc:
            raise SitegenError(f"template syntax error: {exc.message}",
                               path=_template_location(exc.filename, self.config.root), line=exc.lineno,
                               hint="check the {% %} and {{ }} tags on this line") from None
        except jinja2.TemplateNotFound as exc:
            raise SitegenError(f"there is no template named {exc.name!r}", path=source,
                               hint="templates are looked up in templates/ and the theme's templates/") from None
        except (SitegenError, CacheChanged):  # a mistake located already (an interface string), or
            raise                                 # the cache changed under the build (it starts again)
        except Exception as exc:  # only errors raised inside a template are ours to report
            frames = [f for f in traceback.extract_tb(exc.__traceback__)
                      if f.filename.endswith((".html", ".xml", ".txt"))]
            if not frames:
                raise
            frame = frames[-1]
            message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
            raise SitegenError(
                f"template error while rendering {source or name}: {message}",
                path=_template_location(frame.filename, self.config.root), line=frame.lineno,
                hint="a variable or filter this template uses does not exist here; check its spelling",
            ) from None

    # -- What a job shows ---------------------------------------------------------
    def show_template(self, name: str, context: dict[str, Any]) -> None:
        """Declare what rendering template ``name`` with ``context`` shows (shows.py)."""
        assert self.showing is not None
        key = (name, frozenset(context))
        known = self._plans.get(key)
        if known is None:
            shows = template_shows(self.env, name, context, self._trees)
            known = self._plans[key] = plan(shows, self._helper_shows, PLAIN_HELPERS | PLAIN_VALUES)
        declaring = Declaring(self.site, context, self.env, self._helper_shows, PLAIN_HELPERS, self.showing)
        declaring.declare(known)
        # A template that names the file it links as it renders may link any of them, or
        # one that is not there yet: it shows them all, and which there are. That is one
        # record (a digest of them all), not one per file: a hub with thousands of pictures
        # would otherwise keep thousands of records for each of its pages. So is a job
        # that shows every page: it shows the files the helpers look for for every page.
        for asset in (EVERY_ASSET,) if known.assets is None else known.assets:
            self.showing.assets[asset] = self.recorded(asset)
        if self.showing.every_page:
            self.showing.assets[EVERY_FILE] = self.recorded(EVERY_FILE)

    def recorded(self, asset: str) -> str:
        """What a job's record keeps of a static file it shows: the link to it, as
        ``asset`` makes it; for ``EVERY_ASSET`` and ``EVERY_FILE``, a digest of what
        they stand for (every static file's link and which there are; the files the
        helpers look for for every page, and whether each is there), worked out once."""
        if asset not in (EVERY_ASSET, EVERY_FILE):
            return self.asset(asset)
        found = self._every.get(asset)
        if found is None:
            whole = [f"{path} {self.asset(path)}" for path in self._static_list] if asset == EVERY_ASSET \
                else [f"{path} {there}" for path, there in sorted(self._every_file().items())]
            found = self._every[asset] = hashlib.sha256("\n".join(whole).encode("utf-8")).hexdigest()
        return found

    def _every_file(self) -> dict[str, bool]:
        """The files the helpers look for for every page of the site (captions beside local
        videos), and whether each is there: what a job that shows every page shows of files."""
        reads = Reads()
        for page in reachable_pages(self.site):
            for own in self._helper_shows.values():
                own(reads, [page])
        return reads.files

    def show(self, metas: Iterable[Page] = (), bodies: Iterable[Page] = ()) -> None:
        """Declare that the job being rendered shows the metadata of ``metas`` and the
        bodies of ``bodies`` (for the files made here, without a template)."""
        if self.showing is not None:
            self.showing.metas.update(p.source for p in metas)
            self.showing.bodies.update(p.source for p in bodies)

    def _helpers_shown(self) -> dict[str, Callable[[Reads, list[Any]], None]]:
        """What each template helper that reads pages shows of the values it is given;
        any other helper is taken to show all of every page it is handed. A new helper
        that reads pages declares here what it reads."""
        def pages(values: Iterable[Any]) -> Iterator[Page]:
            return (v for v in values if isinstance(v, Page))

        def meta(reads: Reads, args: list[Any]) -> None:
            reads.metas.update(p.source for p in pages(args[:1]))

        def text(reads: Reads, args: list[Any]) -> None:
            meta(reads, args)
            reads.bodies.update(p.source for p in pages(args[:1]))

        def video(reads: Reads, args: list[Any]) -> None:
            meta(reads, args)
            for page in pages(args[:1]):
                captions = captions_file(page.video) if page.video else None
                if captions is not None:
                    reads.files[captions] = self.is_file(captions)

        def introductions(reads: Reads, args: list[Any]) -> None:
            meta(reads, args)
            for page in pages(args[:1]):
                reads.metas.update(p.source for p in self.site.related.get(page.url, ()))

        def menu(reads: Reads, args: list[Any]) -> None:
            if len(args) == 3 and isinstance(args[0], Site):
                self.menu_items(*args)
                reads.metas.update(self._menus[(id(args[0]), args[1], args[2])][2])
            else:
                reads.metas.update(p.source for p in self.site.pages)

        def nothing(reads: Reads, args: list[Any]) -> None:
            pass

        return {"video": video, "csp": meta, "answers": text, "answer_parts": text, "introductions": introductions,
                "menu_items": menu, "ask_target": nothing, "shared_question": nothing,
                "membership_json_ld": meta}

    # -- Pages -----------------------------------------------------------------
    def page_context(self, page: Page | None, lang: str, site_path: str, title: str,
                     description: str = "", edition: Site | None = None) -> dict[str, Any]:
        """What every HTML template gets besides the globals. ``site`` is the edition
        the page belongs to (its language's entries, tags and pages) and ``lang_root``
        that edition's home, so a Spanish page's menu leads to the Spanish indexes."""
        edition = edition or self.site.edition(lang)
        alternates = self.alternates(page, site_path)
        return {
            "page": page,
            "lang": lang,
            # ``t`` bound to the page's language: the global ``t`` reads ``lang`` from the
            # template context, which Jinja copies for every call made inside a loop.
            "t": partial(self.catalogs.get, lang),
            "site": edition,
            "lang_root": edition.root,
            "alternates": alternates,
            "x_default": self.x_default(alternates),
            "site_path": site_path,
            "canonical": self.urls.absolute(site_path),
            "title": title,
            "description": description or self.config.description,
        }

    def alternates(self, page: Page | None, site_path: str) -> tuple[Alternate, ...]:
        """The language versions of a page (itself included), or ``()`` when it has
        none: a page's translations, or for a multilingual site the same home, index
        or tags page of every edition."""
        if page is not None:
            return tuple(Alternate(v.lang, v.url, v.url == page.url) for v in self.site.versions(page))
        if not self.site.by_language:
            return ()
        edition = next((e for e in self.site.by_language.values() if e.root and site_path.startswith(e.root)),
                       self.site.edition(self.config.language))
        relative = site_path[len(edition.root):]
        if relative not in SHARED_PATHS:
            return ()
        return tuple(Alternate(e.lang, e.root + relative, e is edition) for e in self.site.editions)

    def x_default(self, alternates: tuple[Alternate, ...]) -> str | None:
        """The version for readers of no listed language: the site's language, else the first."""
        if not alternates:
            return None
        return next((a.site_path for a in alternates if a.lang == self.config.language), alternates[0].site_path)

    def render_page(self, page: Page) -> OutputFile:
        """The HTML of one interview, story or page."""
        name = page.template or (CONTACT_TEMPLATE if page.kind == "page" and page.slug == "contact"
                                 else TEMPLATES[page.kind])
        self.show(metas=[page])  # its title, summary and template are read here
        context = self.page_context(page, page.lang, page.url, page.title, page.summary)
        # The language of the page's text: another one on a fallback page (the English
        # contact.md's words on /es/contact/), which the template marks on their element.
        html = self.render_template(name, page.source, body_lang=self._body_langs.get(page.url, page.lang), **context)
        return OutputFile(output_file(page.url), html.encode("utf-8"), page.source)

    def list_jobs(self, template: str, first: str, entries: tuple[Any, ...], title: str,
                  edition: Site | None = None, size: int | None = None, **extra: Any) -> Iterator[Job]:
        """One named job per page of a paginated list of entries (``size`` to a page,
        ``page_size`` unless given; see ``jobs``)."""
        ed = edition or self.site
        size = size or self.config.page_size
        total = max(1, math.ceil(len(entries) / size))

        def render(number: int) -> list[OutputFile]:
            pagination = Pagination(number=number, total=total, first=first)
            site_path = pagination.path(number)
            context = self.page_context(None, ed.lang, site_path, title, edition=ed)
            html = self.render_template(template, None, entries=entries[(number - 1) * size: number * size],
                                        pagination=pagination, **extra, **context)
            return [OutputFile(output_file(site_path), html.encode("utf-8"))]

        for number in range(1, total + 1):
            yield output_file(page_number_path(first, number)), partial(render, number)

    def jobs(self) -> Iterator[Job]:
        """Every unit of rendering work, in output order, named after the first file it
        writes. Names are stable between builds: the build cache keys its records on them,
        and parallel.py sends only their positions to worker processes."""
        site, config = self.site, self.config
        for page in (*site.entries, *site.pages):
            yield output_file(page.url), partial(_single, self.render_page, page)
        for ed in site.editions:  # one home, set of indexes, tags and feeds per language
            yield from self._edition_jobs(ed)
        people_title = self.catalogs.get(config.language, "people_title")
        yield output_file(PEOPLE_PATH), lambda: [self._html("people.html", PEOPLE_PATH, people_title)]
        for profile in site.people:
            yield output_file(profile.url), partial(_single, self._html, "person.html", profile.url,
                                                    profile.person.name, profile=profile)
        yield output_file(QUESTIONS_PATH), lambda: [
            self._html("questions.html", QUESTIONS_PATH, self.catalogs.get(config.language, "questions_title"),
                       shown=QUESTION_PREVIEW)]
        for group in site.questions:  # each question's answers, all of them, a page at a time
            yield from self.list_jobs("question.html", group.url, group.answers, group.text, size=ANSWERS_PER_PAGE,
                                      group=group)
        yield "404.html", lambda: [
            self._html("404.html", "404.html", self.catalogs.get(config.language, "not_found_title"))]
        yield "sitemap.xml", lambda: [self.sitemap(), self.robots(), OutputFile(".nojekyll", b"")]
        if config.cname:
            yield "CNAME", partial(_single, OutputFile, "CNAME", (config.cname + "\n").encode("ascii"))

    def _edition_jobs(self, ed: Site) -> Iterator[Job]:
        """The generated pages and feeds of one edition (the whole site, or one language)."""
        title = self.config.title

        def text(key: str, **values: Any) -> str:
            return self.catalogs.get(ed.lang, key, **values)

        yield output_file(ed.root), lambda: [self.render_home(ed)]
        for kind, entries in (("interview", ed.interviews), ("story", ed.stories)):
            yield from self.list_jobs("list.html", section_path(kind, ed.root), entries, text(f"section_{kind}"),
                                      ed, kind=kind)
        yield output_file(f"{ed.root}tags/"), lambda: [
            self._html("tags.html", f"{ed.root}tags/", text("tags_title"), ed)]
        for tag in ed.tags:
            yield from self.list_jobs("tag.html", tag.url, tag.entries, text("tag_title", tag=tag.name), ed, tag=tag)
        yield f"{ed.root}feed.xml", lambda: [self.atom_feed(f"{ed.root}feed.xml", ed.entries, title, ed)]
        for tag in ed.tags:
            yield f"{tag.url}feed.xml", partial(_single, self.atom_feed, f"{tag.url}feed.xml", tag.entries,
                                                f"{title}: {tag.name}", ed)
        yield f"{ed.root}feed.json", lambda: [self.json_feed(ed)]

    def _html(self, template: str, site_path: str, title: str, edition: Site | None = None,
              **extra: Any) -> OutputFile:
        edition = edition or self.site.edition(self.config.language)
        context = self.page_context(None, edition.lang, site_path, title, edition=edition)
        html = self.render_template(template, None, **extra, **context)
        return OutputFile(output_file(site_path), html.encode("utf-8"))

    def render_home(self, edition: Site | None = None) -> OutputFile:
        """The home page of an edition: the latest entries and the invitations."""
        edition = edition or self.site
        return self._html("home.html", edition.root, self.config.title, edition,
                          entries=edition.entries[: self.config.home_entries])

    # -- Feeds and machine-readable files ----------------------------------------
    def atom_feed(self, path: str, entries: tuple[Page, ...], title: str, edition: Site | None = None) -> OutputFile:
        """An Atom feed of the newest entries, full content, absolute URLs."""
        edition = edition or self.site
        ET.register_namespace("", ATOM_NS)

        def q(tag: str) -> str:
            return f"{{{ATOM_NS}}}{tag}"

        feed = ET.Element(q("feed"), {XML_LANG: edition.lang})
        ET.SubElement(feed, q("title")).text = title
        if self.config.description:
            ET.SubElement(feed, q("subtitle")).text = self.config.description
        ET.SubElement(feed, q("link"), rel="self", type="application/atom+xml", href=self.urls.absolute(path))
        ET.SubElement(feed, q("link"), rel="alternate", type="text/html", href=self.urls.absolute(edition.root))
        ET.SubElement(feed, q("id"), ).text = self.urls.absolute(path)
        shown = entries[:FEED_ENTRIES]
        self.show(metas=shown, bodies=shown)
        ET.SubElement(feed, q("updated")).text = _rfc3339(max((_changed(e) for e in shown), default=_EPOCH))
        author = ET.SubElement(feed, q("author"))
        ET.SubElement(author, q("name")).text = self.config.author.name if self.config.author else self.config.title
        if self.config.author and self.config.author.url:
            ET.SubElement(author, q("uri")).text = self.config.author.url
        ET.SubElement(feed, q("generator")).text = "sitegen"
        for page in shown:
            entry = ET.SubElement(feed, q("entry"), {XML_LANG: page.lang} if page.lang != edition.lang else {})
            ET.SubElement(entry, q("title")).text = page.title
            ET.SubElement(entry, q("link"), rel="alternate", type="text/html", href=self.urls.absolute(page.url))
            ET.SubElement(entry, q("id")).text = self.urls.absolute(page.url)
            ET.SubElement(entry, q("published")).text = _rfc3339(page.date or _EPOCH)
            ET.SubElement(entry, q("updated")).text = _rfc3339(_changed(page))
            if page.summary:
                ET.SubElement(entry, q("summary")).text = page.summary
            content = ET.SubElement(entry, q("content"), type="html")
            content.text = self.urls.absolutize_html(page.body_html, page.url)
            for tag in page.tags:
                ET.SubElement(entry, q("category"), term=tag)
        data = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
        return OutputFile(path, data + b"\n")

    def json_feed(self, edition: Site | None = None) -> OutputFile:
        """A JSON Feed 1.1 of the edition's newest entries."""
        edition = edition or self.site
        author = self.config.author
        feed: dict[str, Any] = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.config.title,
            "home_page_url": self.urls.absolute(edition.root),
            "feed_url": self.urls.absolute(f"{edition.root}feed.json"),
            "language": edition.lang,
            "items": [],
        }
        if self.config.description:
            feed["description"] = self.config.description
        if author:
            feed["authors"] = [{"name": author.name, **({"url": author.url} if author.url else {})}]
        self.show(metas=edition.entries[:FEED_ENTRIES], bodies=edition.entries[:FEED_ENTRIES])
        for page in edition.entries[:FEED_ENTRIES]:
            item: dict[str, Any] = {
                "id": self.urls.absolute(page.url),
                "url": self.urls.absolute(page.url),
                "title": page.title,
                "content_html": self.urls.absolutize_html(page.body_html, page.url),
                "date_published": _rfc3339(page.date or _EPOCH),
                "date_modified": _rfc3339(_changed(page)),
                "language": page.lang,
            }
            if page.summary:
                item["summary"] = page.summary
            if page.tags:
                item["tags"] = list(page.tags)
            feed["items"].append(item)
        return OutputFile(f"{edition.root}feed.json", json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8"))

    def html_paths(self) -> list[tuple[str, datetime | None]]:
        """The site path of every HTML page the sitemap lists, with its last change."""
        site = self.site
        paths: list[tuple[str, datetime | None]] = [(ed.root, None) for ed in site.editions]
        paths += [(p.url, _changed(p) if p.date else None) for p in (*site.entries, *site.pages)]
        for ed in site.editions:
            for first, count in ((section_path("interview", ed.root), len(ed.interviews)),
                                 (section_path("story", ed.root), len(ed.stories)),
                                 *((t.url, len(t.entries)) for t in ed.tags)):
                total = max(1, math.ceil(count / self.config.page_size))
                paths += [(page_number_path(first, n), None) for n in range(1, total + 1)]
            paths.append((f"{ed.root}tags/", None))
        paths += [(PEOPLE_PATH, None), (QUESTIONS_PATH, None)] + [(p.url, None) for p in site.people]
        for group in site.questions:
            total = max(1, math.ceil(len(group.answers) / ANSWERS_PER_PAGE))
            paths += [(page_number_path(group.url, n), None) for n in range(1, total + 1)]
        return paths

    def sitemap(self) -> OutputFile:
        """sitemap.xml: every HTML page except the 404 page, each with its language
        versions as ``xhtml:link`` alternates (x-default included)."""
        ET.register_namespace("", SITEMAP_NS)
        ET.register_namespace("xhtml", XHTML_NS)
        pages = {p.url: p for p in (*self.site.entries, *self.site.pages)}
        self.show(metas=pages.values())  # when each changed
        urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
        for site_path, changed in self.html_paths():
            node = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
            ET.SubElement(node, f"{{{SITEMAP_NS}}}loc").text = self.urls.absolute(site_path)
            if changed is not None:
                ET.SubElement(node, f"{{{SITEMAP_NS}}}lastmod").text = changed.date().isoformat()
            alternates = self.alternates(pages.get(site_path), site_path)
            x_default = self.x_default(alternates)
            hreflangs = [(a.lang, a.site_path) for a in alternates]
            if x_default is not None:
                hreflangs.append(("x-default", x_default))
            for lang, path in hreflangs:
                ET.SubElement(node, f"{{{XHTML_NS}}}link", rel="alternate", hreflang=lang,
                              href=self.urls.absolute(path))
        return OutputFile("sitemap.xml", ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n")

    def robots(self) -> OutputFile:
        """robots.txt, pointing at the sitemap."""
        text = f"User-agent: *\nAllow: /\n\nSitemap: {self.urls.absolute('sitemap.xml')}\n"
        return OutputFile("robots.txt", text.encode("utf-8"))


#: How many answers of each question the questions index shows (the newest); the
#: question's own page shows them all, this many to a page.
QUESTION_PREVIEW = 10
ANSWERS_PER_PAGE = 50
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _same_language(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


@jinja2.pass_context
def _lang_attr(context: Any, written_in: str) -> Markup:
    """`` lang="en"`` for an element whose text is written in ``written_in`` when the page
    is in another language (the creator's settings on a Spanish page), else nothing."""
    if not written_in or _same_language(written_in, context.get("lang") or written_in):
        return Markup("")
    return Markup(' lang="%s"') % written_in


def _changed(page: Page) -> datetime:
    return page.updated or page.date or _EPOCH


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _text_languages(site: Site) -> dict[str, str]:
    """Site path -> the language its text is written in, for each page of a multilingual
    site published again in another language's edition (a fallback contact page: see
    :func:`~sitegen.collect.with_contact_pages`). A content file's page appears in the
    edition of its own language; found in another edition too, it is such a copy."""
    if not site.by_language:
        return {}
    home = site.edition(site.config.language)
    own = {p.source: p.lang for p in home.pages if p.source != MADE}
    return {p.url: own[p.source] for ed in site.by_language.values() if ed is not home
            for p in ed.pages if p.source in own and p.lang != own[p.source]}


def _json_ld(membership: Membership, config: Config, page: Page) -> Markup:
    """The tiers as schema.org JSON-LD: a Service whose offers are the tiers, ready to
    go inside ``<script type="application/ld+json">``."""
    urls = config.urls
    offers = []
    for tier in membership.tiers:
        price = str(tier.price.quantize(minor_unit(tier.currency)))
        offer: dict[str, Any] = {"@type": "Offer", "name": tier.name, "price": price,
                                 "priceCurrency": tier.currency, "url": tier.join_url}
        if tier.description:
            offer["description"] = tier.description
        if tier.interval != "once":
            offer["priceSpecification"] = {
                "@type": "UnitPriceSpecification", "price": price, "priceCurrency": tier.currency,
                "billingDuration": "P1M" if tier.interval == "month" else "P1Y",
                "unitCode": "MON" if tier.interval == "month" else "ANN",
            }
        offers.append(offer)
    provider: dict[str, Any] = ({"@type": "Person", "name": config.author.name} if config.author
                                else {"@type": "Organization", "name": config.title})
    if config.author and config.author.url:
        provider["url"] = config.author.url
    data = {"@context": "https://schema.org", "@type": "Service", "name": f"{page.title} · {config.title}",
            "url": urls.absolute(page.url), "provider": provider, "offers": offers}
    text = json.dumps(data, ensure_ascii=False, indent=1)
    # "<" never appears raw, so no value can close the script element early.
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _membership_globals(config: Config) -> dict[str, Any]:
    """What the theme can use anywhere: ``membership`` (or ``None``), its JSON-LD and
    its page's site path. Prices and counts are formatted by l10n.py's globals
    (``format_price``, ``format_number``)."""
    return {
        "membership": config.membership,
        "membership_json_ld": lambda page: (_json_ld(config.membership, config, page) if config.membership
                                            else Markup("")),
        "membership_url": entry_path("page", MEMBERSHIP_SLUG),
    }
