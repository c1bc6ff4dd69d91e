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
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import jinja2
from babel.dates import format_date as babel_format_date
from babel.core import UnknownLocaleError

from .errors import BuildError, Problem, SitegenError
from .i18n import Catalogs, load_catalogs
from .model import Page, Site
from .themes import Theme
from .slugs import slugify
from .urls import Urls, mailto, output_file, page_number_path, section_path, tag_path

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: How many entries the feeds carry (full content each).
FEED_ENTRIES = 20
#: Template chosen for each kind of page when the page does not name one.
TEMPLATES = {"interview": "interview.html", "story": "story.html", "page": "page.html"}


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file of the output: where it goes, its bytes, and the source it came from."""

    path: str  # relative to the output folder
    data: bytes
    source: str | None = None  # the content file (or None for generated lists)


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

    def __init__(self, site: Site, theme: Theme) -> None:
        self.site = site
        self.config = site.config
        self.urls: Urls = site.config.urls
        self.theme = theme
        self.catalogs: Catalogs = load_catalogs(theme.i18n_dirs + (self.config.root / "i18n",), self.config.root)
        self.env = self._make_env()
        self._asset_versions: dict[str, str] = {}

    # -- Jinja -----------------------------------------------------------------
    def _make_env(self) -> jinja2.Environment:
        dirs = [str(d) for d in self.theme.template_dirs]
        prefixed = {"theme": jinja2.FileSystemLoader(str(self.theme.folders[0] / "templates")),
                    "default": jinja2.FileSystemLoader(str(self.theme.folders[-1] / "templates"))}
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(dirs), jinja2.PrefixLoader(prefixed)])
        env = jinja2.Environment(
            loader=loader,
            autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals.update(
            site=self.site,
            config=self.config,
            url=self.urls.path,
            abs_url=self.urls.absolute,
            link=self.urls.link,
            asset=self.asset,
            t=self._translate,
            format_date=self.format_date,
            iso_date=lambda d: d.isoformat(),
            mailto=mailto,
        )
        env.filters["tag_slug"] = slugify
        return env

    @jinja2.pass_context
    def _translate(self, context: Any, key: str, **values: Any) -> str:
        lang = context.get("lang") or self.config.language
        return self.catalogs.get(lang, key, **values)

    def format_date(self, moment: datetime, lang: str, form: str = "long") -> str:
        """A date in the reader's language: ``2 October 2026`` / ``2 de octubre de 2026``."""
        try:
            return babel_format_date(moment.date(), format=form, locale=lang.replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            return babel_format_date(moment.date(), format=form, locale="en")

    def asset(self, site_path: str) -> str:
        """The link to a theme or site static file, with a version query that changes
        when the file does (so browsers never keep a stale stylesheet)."""
        version = self._asset_versions.get(site_path)
        if version is None:
            version = ""
            for folder in (self.config.root / "static", *reversed(self.theme.static_dirs)):
                candidate = folder / site_path
                if candidate.is_file():
                    version = hashlib.sha256(candidate.read_bytes()).hexdigest()[:10]
                    break
            self._asset_versions[site_path] = version
        return self.urls.path(site_path) + (f"?v={version}" if version else "")

    def render_template(self, name: str, source: str | None, **context: Any) -> str:
        """Render one template, turning template mistakes into problems with a location."""
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateSyntaxError as exc:
            raise SitegenError(f"template syntax error: {exc.message}",
                               path=_template_location(exc.filename, self.config.root), line=exc.lineno,
                               hint="check the {% %} and {{ }} tags on this line") from None
        except jinja2.TemplateNotFound as exc:
            raise SitegenError(f"there is no template named {exc.name!r}", path=source,
                               hint="templates are looked up in templates/ and the theme's templates/") from None
        except Exception as exc:  # noqa: BLE001 - only errors raised inside a template are ours to report
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".xml", ".txt"))]
            if not frames:
                raise
            frame = frames[-1]
            message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
            raise SitegenError(
                f"template error while rendering {source or name}: {message}",
                path=_template_location(frame.filename, self.config.root), line=frame.lineno,
                hint="a variable or filter this template uses does not exist here; check its spelling",
            ) from None

    # -- Pages -----------------------------------------------------------------
    def page_context(self, page: Page | None, lang: str, site_path: str, title: str,
                     description: str = "") -> dict[str, Any]:
        """What every HTML template gets besides the globals."""
        return {
            "page": page,
            "lang": lang,
            "site_path": site_path,
            "canonical": self.urls.absolute(site_path),
            "title": title,
            "description": description or self.config.description,
        }

    def render_page(self, page: Page) -> OutputFile:
        """The HTML of one interview, story or page."""
        name = page.template or TEMPLATES[page.kind]
        html = self.render_template(name, page.source, **self.page_context(page, page.lang, page.url, page.title, page.summary))
        return OutputFile(output_file(page.url), html.encode("utf-8"), page.source)

    def render_list(self, template: str, first: str, entries: tuple[Page, ...], title: str,
                    **extra: Any) -> Iterator[OutputFile]:
        """A list of entries, paginated by ``page_size``."""
        size = self.config.page_size
        total = max(1, math.ceil(len(entries) / size))
        for number in range(1, total + 1):
            pagination = Pagination(number=number, total=total, first=first)
            site_path = pagination.path(number)
            context = self.page_context(None, self.config.language, site_path, title)
            html = self.render_template(template, None, entries=entries[(number - 1) * size: number * size],
                                        pagination=pagination, **extra, **context)
            yield OutputFile(output_file(site_path), html.encode("utf-8"))

    def render_all(self) -> Iterator[OutputFile]:
        """Every file of the site except static files. Template problems are collected
        over all pages and raised together at the end."""
        problems: dict[tuple[str | None, int | None, str], Problem] = {}
        for job in self._jobs():
            try:
                yield from job()
            except SitegenError as exc:
                for problem in exc.problems:
                    problems.setdefault((problem.path, problem.line, problem.message), problem)
        if problems:
            raise BuildError(problems.values())

    def _jobs(self) -> Iterator[Any]:
        site, config = self.site, self.config
        yield lambda: [self.render_home()]
        for page in (*site.entries, *site.pages):
            yield lambda page=page: [self.render_page(page)]
        for kind, entries in (("interview", site.interviews), ("story", site.stories)):
            yield lambda kind=kind, entries=entries: self.render_list(
                "list.html", section_path(kind), entries, self.catalogs.get(config.language, f"section_{kind}"), kind=kind)
        yield lambda: [self._html("tags.html", "tags/", self.catalogs.get(config.language, "tags_title"))]
        for tag in site.tags:
            yield lambda tag=tag: self.render_list("tag.html", tag_path(tag.slug), tag.entries,
                                                   self.catalogs.get(config.language, "tag_title", tag=tag.name), tag=tag)
        yield lambda: [self._html("404.html", "404.html", self.catalogs.get(config.language, "not_found_title"))]
        yield lambda: [self.atom_feed("feed.xml", site.entries, config.title)]
        for tag in site.tags:
            yield lambda tag=tag: [self.atom_feed(f"{tag_path(tag.slug)}feed.xml", tag.entries,
                                                  f"{config.title}: {tag.name}")]
        yield lambda: [self.json_feed()]
        yield lambda: [self.sitemap(), self.robots(), OutputFile(".nojekyll", b"")]
        if config.cname:
            yield lambda: [OutputFile("CNAME", (config.cname + "\n").encode("ascii"))]

    def _html(self, template: str, site_path: str, title: str, **extra: Any) -> OutputFile:
        context = self.page_context(None, self.config.language, site_path, title)
        html = self.render_template(template, None, **extra, **context)
        return OutputFile(output_file(site_path), html.encode("utf-8"))

    def render_home(self) -> OutputFile:
        """The home page: the latest entries and the invitations."""
        return self._html("home.html", "", self.config.title,
                          entries=self.site.entries[: self.config.home_entries])

    # -- Feeds and machine-readable files ----------------------------------------
    def atom_feed(self, path: str, entries: tuple[Page, ...], title: str) -> OutputFile:
        """An Atom feed of the newest entries, full content, absolute URLs."""
        ET.register_namespace("", ATOM_NS)
        q = lambda tag: f"{{{ATOM_NS}}}{tag}"  # noqa: E731
        feed = ET.Element(q("feed"), {"{http://www.w3.org/XML/1998/namespace}lang": self.config.language})
        ET.SubElement(feed, q("title")).text = title
        if self.config.description:
            ET.SubElement(feed, q("subtitle")).text = self.config.description
        ET.SubElement(feed, q("link"), rel="self", type="application/atom+xml", href=self.urls.absolute(path))
        ET.SubElement(feed, q("link"), rel="alternate", type="text/html", href=self.urls.absolute(""))
        ET.SubElement(feed, q("id"), ).text = self.urls.absolute(path)
        shown = entries[:FEED_ENTRIES]
        ET.SubElement(feed, q("updated")).text = _rfc3339(max((_changed(e) for e in shown), default=_EPOCH))
        author = ET.SubElement(feed, q("author"))
        ET.SubElement(author, q("name")).text = self.config.author.name if self.config.author else self.config.title
        if self.config.author and self.config.author.url:
            ET.SubElement(author, q("uri")).text = self.config.author.url
        ET.SubElement(feed, q("generator"), uri="https://pypi.org/project/sitegen/").text = "sitegen"
        for page in shown:
            entry = ET.SubElement(feed, q("entry"))
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

    def json_feed(self) -> OutputFile:
        """A JSON Feed 1.1 of the newest entries."""
        author = self.config.author
        feed: dict[str, Any] = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.config.title,
            "home_page_url": self.urls.absolute(""),
            "feed_url": self.urls.absolute("feed.json"),
            "language": self.config.language,
            "items": [],
        }
        if self.config.description:
            feed["description"] = self.config.description
        if author:
            feed["authors"] = [{"name": author.name, **({"url": author.url} if author.url else {})}]
        for page in self.site.entries[:FEED_ENTRIES]:
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
        return OutputFile("feed.json", json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8"))

    def html_paths(self) -> list[tuple[str, datetime | None]]:
        """The site path of every HTML page the sitemap lists, with its last change."""
        site = self.site
        paths: list[tuple[str, datetime | None]] = [("", None)]
        paths += [(p.url, _changed(p) if p.date else None) for p in (*site.entries, *site.pages)]
        for first, count in ((section_path("interview"), len(site.interviews)),
                             (section_path("story"), len(site.stories)),
                             *((tag_path(t.slug), len(t.entries)) for t in site.tags)):
            total = max(1, math.ceil(count / self.config.page_size))
            paths += [(page_number_path(first, n), None) for n in range(1, total + 1)]
        paths.append(("tags/", None))
        return paths

    def sitemap(self) -> OutputFile:
        """sitemap.xml: every HTML page except the 404 page."""
        ET.register_namespace("", SITEMAP_NS)
        urlset = ET.Element(f"{{{SITEMAP_NS}}}urlset")
        for site_path, changed in self.html_paths():
            node = ET.SubElement(urlset, f"{{{SITEMAP_NS}}}url")
            ET.SubElement(node, f"{{{SITEMAP_NS}}}loc").text = self.urls.absolute(site_path)
            if changed is not None:
                ET.SubElement(node, f"{{{SITEMAP_NS}}}lastmod").text = changed.date().isoformat()
        return OutputFile("sitemap.xml", ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n")

    def robots(self) -> OutputFile:
        """robots.txt, pointing at the sitemap."""
        text = f"User-agent: *\nAllow: /\n\nSitemap: {self.urls.absolute('sitemap.xml')}\n"
        return OutputFile("robots.txt", text.encode("utf-8"))


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _changed(page: Page) -> datetime:
    return page.updated or page.date or _EPOCH


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")

