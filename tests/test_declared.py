"""Render jobs declare what they show (sitegen/shows.py), and the build cache trusts it.

The oracle (tests/oracle.py) renders with a read tracer and fails a job that read a
page's metadata or body, a static file's link or a looked-for file it had not declared.
It runs here over the example hub and over hub templates that reach into the site in
every way a template can; the state machine (test_stale_pages.py) runs it after each edit.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import pytest
from conftest import EXAMPLE_SITE, SITES, SMALL_HUB, make_old, soup, tree_digest
from oracle import checked_declarations

from sitegen.build import BuildOptions, build
from sitegen.collect import collect_pages
from sitegen.config import load_config
from sitegen.model import Page
from sitegen.shows import template_shows

#: Hub templates that reach into the site, each as a site template override.
REACHING = {
    "newest in the footer": (
        "base.html", '{% extends "default/base.html" %}{% block footer %}<ul>{% for e in site.entries[:2] %}'
                     "<li>{{ e.title }} ({{ e.reading_minutes }} min)</li>{% endfor %}</ul>{% endblock %}"),
    "a page by a slug given at run time": (
        "base.html", '{% extends "default/base.html" %}{% block footer %}{% set slug = "ab" ~ "out" %}'
                     "{% set found = site.page(slug) %}{% if found %}{{ found.summary }}{% endif %}{% endblock %}"),
    "a macro handed entries": (
        "list.html", '{% extends "default/list.html" %}{% import "partials/cards.html" as cards %}'
                     "{% block content %}{% for entry in entries %}{{ cards.card(entry) }}{% endfor %}{% endblock %}"),
    "a loop's neighbour": (
        "story.html", '{% extends "default/story.html" %}{% block content %}{{ super() }}'
                      "{% for e in site.entries %}{% if not loop.first %}<i>{{ loop.previtem.summary }}</i>"
                      "{% endif %}{% endfor %}{% endblock %}"),
    "attributes named in filters": (
        "home.html", '{% extends "default/home.html" %}{% block content %}{{ super() }}'
                     "<p>{{ site.entries | map(attribute='title') | join(', ') }}</p>"
                     "<p>{{ site.entries | sum(attribute='word_count') }}</p>{% endblock %}"),
    "a page printed whole": (
        "page.html", '{% extends "default/page.html" %}{% block content %}{{ super() }}'
                     "<pre>{{ site.related.values() | list | length }}{{ site.pages[0] }}</pre>{% endblock %}"),
    "a namespace and a with block": (
        "interview.html", '{% extends "default/interview.html" %}{% block content %}{{ super() }}'
                          "{% set ns = namespace(last=none) %}{% for e in site.stories %}{% set ns.last = e %}"
                          "{% endfor %}{% with other = ns.last %}{% if other %}{{ other.title }}{% endif %}"
                          "{% endwith %}{% endblock %}"),
    "a call block": (
        "tags.html", '{% extends "default/tags.html" %}{% from "partials/cards.html" import frame %}'
                     "{% block content %}{% call(entry) frame(site.entries) %}{{ entry.title }}{% endcall %}"
                     "{% endblock %}"),
    "a name set in one branch": (
        "list.html", '{% extends "default/list.html" %}{% block content %}{% if pagination.number > 5 %}'
                     "{% set entries = site.stories %}{% endif %}{% for e in entries %}{{ e.summary }}{% endfor %}"
                     "{% endblock %}"),
    "an attribute looked up by a name built as it renders": (
        "tags.html", '{% extends "default/tags.html" %}{% block content %}{% set key = "entr" ~ "ies" %}'
                     "{% for e in site[key] %}{{ e.summary }}{% endfor %}{% endblock %}"),
    "a default written in the template": (
        "story.html", '{% extends "default/story.html" %}{% block content %}{{ super() }}'
                      "{% for e in site.related.get(page.url, []) %}{{ e.summary }}{% endfor %}{% endblock %}"),
    "an index worked out as the page renders": (
        "home.html", '{% extends "default/home.html" %}{% block content %}{{ super() }}{% set i = 1 %}'
                     "<p>{{ site.entries[i + 8].summary }}</p>"
                     "{% for e in [site.entries[-1], site.stories[-1]] %}{{ e.summary }}{% endfor %}{% endblock %}"),
    "a variable imported from another template": (
        "page.html", '{% extends "default/page.html" %}{% from "partials/vars.html" import newest %}'
                     "{% block content %}{{ super() }}<p>{{ newest.a.summary }}</p>{% endblock %}"),
    "a variable of an imported template": (
        "story.html", '{% extends "default/story.html" %}{% import "partials/vars.html" as v %}'
                      "{% block content %}{{ super() }}<p>{{ v.newest.a.summary }}</p>{% endblock %}"),
    "lists joined, or sorted, then indexed": (
        "tag.html", '{% extends "default/tag.html" %}{% block content %}{{ super() }}'
                    "{% set l = site.stories + site.interviews %}{% if l | length > 3 %}{{ l[3].summary }}{% endif %}"
                    "{% set s = site.entries | sort(attribute='title') %}{{ s[1].summary }}{% endblock %}"),
    "a template that reads pages as it is imported": (
        "story.html", '{% extends "default/story.html" %}{% from "partials/greeting.html" import hello %}'
                      "{% block content %}{{ super() }}{{ hello() }}{% endblock %}"),
    "a filter on a loop's variable, pairs taken apart": (
        "people.html", '{% extends "default/people.html" %}{% block content %}{{ super() }}'
                       "{% for row in site.entries | batch(3) %}{{ (row | last).summary }}{% endfor %}"
                       "{% for url, rel in site.related | dictsort %}{% for x in rel[:1] %}{{ x.summary }}{% endfor %}"
                       "{% endfor %}{% endblock %}"),
    "a template named at run time": (
        "person.html", '{% extends "default/person.html" %}{% block content %}'
                       "{% include ('partials/' ~ 'cards_list.html') %}{% endblock %}"),
}
PARTIALS = {
    "templates/partials/cards.html": (
        "{% macro card(entry) %}<b>{{ entry.title }}: {{ entry.body_html | length }}</b>{% endmacro %}\n"
        "{% macro frame(items) %}{% for item in items %}<li>{{ caller(item) }}</li>{% endfor %}{% endmacro %}\n"),
    "templates/partials/cards_list.html": "{% for e in site.entries %}{{ e.date }}{% endfor %}\n",
    "templates/partials/vars.html": "{% set newest = {'a': site.entries | first} %}\n",
    "templates/partials/greeting.html": ("{% set oldest = (site.entries | list)[-1].summary %}"
                                         "{% macro hello() %}<p>Hello.</p>{% endmacro %}\n"),
}


def _undeclared(root: Path) -> tuple[int, list[str]]:
    with checked_declarations() as oracle:
        build(root, BuildOptions(clean=True, jobs=1, output=root / "out-oracle"))
    return oracle.jobs, oracle.undeclared


def test_the_example_hub_declares_every_read_and_no_more(copy_site: Callable[[Path], Path]) -> None:
    """With the default theme, each job declares exactly the pages it reads: an edit
    renders no file that does not show what changed."""
    root = copy_site(EXAMPLE_SITE)
    with checked_declarations() as oracle:
        build(root, BuildOptions(clean=True, jobs=1, output=root / "out-oracle"))
    assert oracle.jobs > 40
    assert oracle.undeclared == []
    assert oracle.overdeclared == []


def test_the_stateful_hub_declares_every_read(copy_site: Callable[[Path], Path]) -> None:
    jobs, undeclared = _undeclared(copy_site(SITES / "stateful"))
    assert jobs > 20
    assert undeclared == []


@pytest.mark.parametrize("how", sorted(REACHING))
def test_hub_templates_that_reach_into_the_site_declare_every_read(
        how: str, copy_site: Callable[[Path], Path]) -> None:
    root = copy_site(EXAMPLE_SITE)
    name, text = REACHING[how]
    (root / "templates" / name).parent.mkdir(parents=True, exist_ok=True)
    (root / "templates" / name).write_text(text, encoding="utf-8")
    for rel, partial in PARTIALS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(partial, encoding="utf-8")
    jobs, undeclared = _undeclared(root)
    assert jobs > 40
    assert undeclared == []


def test_helpers_without_declarations_are_taken_to_read_all_they_are_handed(
        copy_site: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    import sitegen.render
    monkeypatch.setattr(sitegen.render.Renderer, "_helpers_shown", lambda self: {})
    monkeypatch.setattr(sitegen.render, "PLAIN_HELPERS", frozenset())
    jobs, undeclared = _undeclared(copy_site(EXAMPLE_SITE))
    assert jobs > 40
    assert undeclared == []


def test_the_oracle_fails_a_job_that_did_not_declare_what_it_read(
        copy_site: Callable[[Path], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    import sitegen.render
    monkeypatch.setattr(sitegen.render.Renderer, "show_template", lambda self, name, context: None)
    jobs, undeclared = _undeclared(copy_site(EXAMPLE_SITE))
    assert any(line.startswith("interviews/") and "the bodies of" in line for line in undeclared)
    assert any(line.startswith("index.html read the metadata of") for line in undeclared)


def test_the_values_taken_to_hold_no_page_hold_none(copy_site: Callable[[Path], Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """PLAIN_VALUES names values handed to templates that the reading never follows: a
    name that holds a page there would hide what a job shows."""
    import sitegen.render
    from sitegen.render import PLAIN_VALUES, Renderer
    from sitegen.shows import reachable_pages  # every page inside a value: its fields, items, mappings

    seen: dict[str, int] = {}
    holding: list[str] = []
    original = Renderer.render_template

    def recording(self: Renderer, name: str, source: str | None, **context: object) -> str:
        values = {**self.env.globals, **context}  # (config is a global)
        for key in PLAIN_VALUES & values.keys():
            seen[key] = seen.get(key, 0) + 1
            holding.extend(f"{name}: {key} holds {page.source}" for page in reachable_pages(values[key]))
        return original(self, name, source, **context)

    monkeypatch.setattr(sitegen.render.Renderer, "render_template", recording)
    build(copy_site(EXAMPLE_SITE), BuildOptions(jobs=1, clean=True))
    assert {"config", "lang", "title", "pagination", "alternates"} <= seen.keys()  # (the check ran)
    assert holding == []


# -- What the declarations are for: an edit renders exactly what shows it -------------------
@pytest.fixture
def hub(make_site: Callable[..., Path]) -> Path:
    site = make_site(files={**SMALL_HUB, "templates/base.html": REACHING["newest in the footer"][1]})
    make_old(site)
    build(site, BuildOptions(jobs=1))
    return site


def _rendered(root: Path) -> set[str]:
    report = build(root, BuildOptions(jobs=1))
    return {line.split(":")[0] for line in report.explanation if "rendered" in line}


def _clean(root: Path, tmp_path: Path) -> dict[str, str]:
    clean = tmp_path / "clean"
    shutil.copytree(root, clean, ignore=shutil.ignore_patterns("_site", ".sitegen-cache"))
    build(clean, BuildOptions(jobs=1, clean=True))
    return tree_digest(clean / "_site")


def test_a_title_shown_in_a_hub_footer_renders_every_page_again(hub: Path, tmp_path: Path) -> None:
    newest = soup(hub / "_site/index.html").find("footer").find("li").get_text()
    source = next(p for p in (hub / "content").rglob("*.md") if newest.split(" (")[0] in p.read_text(encoding="utf-8"))
    text = source.read_text(encoding="utf-8")
    title = newest.split(" (")[0]
    source.write_text(text.replace(f"title: {title}", f"title: {title} again"), encoding="utf-8")
    rendered = _rendered(hub)
    pages = {p for p in tree_digest(hub / "_site") if p.endswith(".html")}
    assert pages <= rendered  # every page has the footer
    assert tree_digest(hub / "_site") == _clean(hub, tmp_path)
    assert soup(hub / "_site/about/index.html").find("footer").find("li").get_text().startswith(f"{title} again")


def test_a_body_edit_of_an_entry_not_in_a_hub_footer_renders_only_its_own_files(hub: Path, tmp_path: Path) -> None:
    """The footer shows the two newest entries' reading time (their word count): a body
    edit of an older entry renders its own page and the feeds, not every page."""
    footer = [li.get_text() for li in soup(hub / "_site/index.html").find("footer").find_all("li")]
    shown = {line.split(" (")[0] for line in footer}
    older = next(p for p in (hub / "content").rglob("*.md")
                 if "date:" in p.read_text(encoding="utf-8")
                 and not any(f"title: {t}\n" in p.read_text(encoding="utf-8") for t in shown))
    older.write_text(older.read_text(encoding="utf-8") + "\nOne more line of text here.\n", encoding="utf-8")
    rendered = _rendered(hub)
    assert "index.html" not in rendered and "about/index.html" not in rendered
    assert any(path.endswith("feed.xml") for path in rendered)
    assert tree_digest(hub / "_site") == _clean(hub, tmp_path)


# -- The reading itself -----------------------------------------------------------------------
def _env(templates: dict[str, str]) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.DictLoader(templates))
    env.globals.update(asset=lambda path: path, t=lambda key: key)
    return env


def test_the_static_files_a_template_links_are_read_from_it() -> None:
    env = _env({"a.html": "{% include 'b.html' %}{{ asset('site.css') }}", "b.html": "{{ asset('x.js') }}"})
    assert template_shows(env, "a.html", ["page"]).assets == frozenset({"site.css", "x.js"})
    env = _env({"a.html": "{{ asset(page.script) }}"})
    assert template_shows(env, "a.html", ["page"]).assets is None  # named as it renders: any of them


def test_a_template_the_reading_cannot_follow_shows_everything() -> None:
    env = _env({"a.html": "{% include page.partial %}", "b.html": "{% extends page.layout %}",
                "c.html": "{% if page %}{% extends 'a.html' %}{% endif %}", "d.html": "{% include 'd.html' %}"})
    for name in ("a.html", "b.html", "c.html", "d.html"):
        assert template_shows(env, name, ["page"]).everything, name
    assert not template_shows(_env({"e.html": "{{ page.title }}"}), "e.html", ["page"]).everything


def test_an_included_template_sees_the_loop_around_it() -> None:
    env = _env({"list.html": "{% for entry in entries %}{% include 'card.html' %}{% endfor %}",
                "card.html": "{{ entry.title }}"})
    shows = template_shows(env, "list.html", ["entries"])
    assert shows.reads[("entries", ("*", None))] == frozenset({"title"})  # read on each of the entries


def test_collecting_reads_no_page_body() -> None:
    """The collected site depends on metadata only (kept_site relies on it): pages whose
    body cannot be read collect all the same."""
    class Bodiless(Page):
        __slots__ = ()

        @property  # type: ignore[misc]
        def body_html(self) -> str:
            raise AssertionError("collect read a page's body")

        @property  # type: ignore[misc]
        def word_count(self) -> int:
            raise AssertionError("collect read a page's word count")

    config = load_config(EXAMPLE_SITE)
    pages = []
    for i, kind in enumerate(("interview", "story", "page")):
        page = object.__new__(Bodiless)
        plain = Page(kind=kind, source=f"content/{kind}s/p{i}.md", slug=f"p{i}", title=f"P{i}", body_html="",
                     lang="en", date=datetime(2026, 1, 1 + i, tzinfo=UTC), tags=("a",))
        for name in Page.__dataclass_fields__:  # (slot by slot: the properties raise)
            Page.__dict__[name].__set__(page, Page.__dict__[name].__get__(plain, Page))
        pages.append(page)
    site = collect_pages(pages, config, drafts=False, future=False, now=datetime(2026, 6, 1, tzinfo=UTC))
    assert len(site.entries) == 2 and len(site.pages) == 1


def test_a_static_file_named_as_the_page_renders_is_linked_once_it_appears(make_site: Callable[..., Path],
                                                                            tmp_path: Path) -> None:
    """A template that names the file it links as it renders may link one that is not
    there yet: adding it renders the page again, with the file's version in the link."""
    site = make_site(files={**SMALL_HUB, "templates/story.html": (
        '{% extends "default/story.html" %}{% block head %}'
        '<link rel="stylesheet" href="{{ asset("css/" ~ page.slug ~ ".css") }}">{% endblock %}')})
    make_old(site)
    build(site, BuildOptions(jobs=1))
    story = next((site / "_site/stories").glob("*/index.html"))
    slug = story.parent.name
    assert soup(story).find("link", rel="stylesheet", href=lambda h: h and f"{slug}.css" in h)["href"].endswith(".css")
    (site / "static/css").mkdir(parents=True)
    (site / f"static/css/{slug}.css").write_text("p { color: teal; }\n", encoding="utf-8")
    rendered = _rendered(site)
    assert f"stories/{slug}/index.html" in rendered
    assert "?v=" in soup(story).find("link", rel="stylesheet", href=lambda h: h and f"{slug}.css" in h)["href"]
    assert tree_digest(site / "_site") == _clean(site, tmp_path)


def test_a_template_naming_its_links_at_run_time_keeps_one_record_however_many_static_files(
        make_site: Callable[..., Path], tmp_path: Path) -> None:
    """Such a template may link any static file: its pages show them all. They are kept
    as one record (a digest of every file's link and of which there are), not one per
    file: a hub with thousands of pictures would otherwise keep thousands of records for
    each of its pages. Changing any static file still renders those pages again (and only
    those), and the output is a clean build's."""
    from sitegen import cache
    from sitegen.render import EVERY_ASSET
    from sitegen.warm import Warm

    pictures = {f"static/covers/c{n}.txt": f"cover {n}\n" for n in range(60)}
    site = make_site(files={**SMALL_HUB, **pictures, "templates/story.html": (
        '{% extends "default/story.html" %}{% block head %}'
        '<link rel="alternate" href="{{ asset("covers/c" ~ (page.title | length) ~ ".txt") }}">{% endblock %}')})
    make_old(site)
    build(site, BuildOptions(jobs=1))
    data, _ = cache.load(site, cache.code_digest(), Warm())
    assert data is not None
    records = cache.jobs_of(data)
    stories = {name: record for name, record in records.items() if name.startswith("stories/") and
               name.endswith("index.html") and name != "stories/index.html"}
    assert stories
    for name, record in stories.items():
        linked = dict(record.assets)
        assert EVERY_ASSET in linked, name
        assert not any(path.startswith("covers/") for path in linked), (name, sorted(linked))
        assert len(linked) < 10, (name, sorted(linked))
    # An edit of a static file no page names renders the stories again (they may link it), not the interviews.
    (site / "static/covers/c59.txt").write_text("another cover\n", encoding="utf-8")
    rendered = _rendered(site)
    assert set(stories) <= rendered
    assert not any(name.startswith("interviews/") and name != "interviews/index.html" for name in rendered), rendered
    assert tree_digest(site / "_site") == _clean(site, tmp_path)


def test_the_names_a_record_gives_every_static_file_are_still_links_in_a_template(
        make_site: Callable[..., Path]) -> None:
    """A job's record calls every static file ``*`` and every file looked for ``*files``;
    a template linking static files of those names gets links to them, with versions."""
    from sitegen.render import EVERY_ASSET, EVERY_FILE

    site = make_site(files={**SMALL_HUB, f"static/{EVERY_ASSET}": "star\n", f"static/{EVERY_FILE}": "files\n",
                            "templates/story.html": (
                                '{% extends "default/story.html" %}{% block head %}'
                                f'<link rel="x-a" href="{{{{ asset("{EVERY_ASSET}") }}}}">'
                                f'<link rel="x-b" href="{{{{ asset("{EVERY_FILE}") }}}}">{{% endblock %}}')})
    make_old(site)
    build(site, BuildOptions(jobs=1))
    page = soup(next((site / "_site/stories").glob("*/index.html")))
    for rel, name in (("x-a", EVERY_ASSET), ("x-b", EVERY_FILE)):
        href = page.find("link", rel=rel)["href"]
        assert href.startswith(f"/{name}?v="), href


@pytest.mark.parametrize("template", [
    # a partial named as the page renders: the template cannot be followed at all
    '{% include "partials/note-" ~ page.kind ~ ".html" %}',
    # a call block hands its caller a value the reading cannot know, and a title is read from it
    "{% macro each() %}{{ caller(page) }}{% endmacro %}{% call(p) each() %}<p>{{ p.title }}</p>{% endcall %}",
], ids=["include named at run time", "call block argument"])
def test_a_template_the_reading_cannot_follow_keeps_one_mark_not_a_record_per_page(
        make_site: Callable[..., Path], tmp_path: Path, template: str) -> None:
    """A template that the reading cannot follow shows all of every page, and the files
    the helpers look for for each (captions beside local videos). Its jobs say so with
    one mark each, not by listing every page (a hub of 10,000 pages would keep 10,000
    records for each of its jobs, and build many times slower). An edit of any page's
    body or front matter, or captions put beside a video, renders those jobs again, and
    the other pages only where they show it; the output is a clean build's."""
    from sitegen import cache
    from sitegen.render import EVERY_FILE
    from sitegen.warm import Warm

    site = make_site(files={**SMALL_HUB, "templates/partials/note-story.html": "<p class=note>A story.</p>\n",
                            "templates/story.html": (
                                '{% extends "default/story.html" %}{% block content %}'
                                + template + "{{ super() }}{% endblock %}"),
                            "content/interviews/talk.md": ("---\ntitle: A talk\ndate: 2026-07-01\n"
                                                           "video: /video/talk.mp4\n---\nWatch.\n"),
                            "static/video/talk.mp4": "not really a video\n"})
    make_old(site)
    build(site, BuildOptions(jobs=1))
    data, _ = cache.load(site, cache.code_digest(), Warm())
    assert data is not None
    records = cache.jobs_of(data)
    stories = {name for name in records if name.startswith("stories/") and name.endswith("/index.html")
               and name != "stories/index.html"}
    interviews = sorted(name for name in records if name.startswith("interviews/") and name.endswith("/index.html")
                        and name != "interviews/index.html")
    assert stories and interviews
    for name in stories:  # (and the captions every page's video would have, as one digest)
        assert records[name].every_page and not records[name].bodies and not records[name].metas, name
        assert not records[name].files and EVERY_FILE in dict(records[name].assets), name
    assert not any(records[name].every_page for name in interviews)
    assert _rendered(site) == set()
    edited = next(p for p in sorted((site / "content/interviews").glob("*.md")))
    for n, change in enumerate(("\nOne more paragraph.\n", None)):  # a body edit, then a front-matter edit
        text = edited.read_text(encoding="utf-8")
        edited.write_text(text + change if change else text.replace("title: ", "title: Edited ", 1), encoding="utf-8")
        rendered = _rendered(site)
        assert stories <= rendered
        assert "about/index.html" in records and "about/index.html" not in rendered, rendered
        assert tree_digest(site / "_site") == _clean(site, tmp_path / str(n))
    # Captions put beside the talk's video: the stories may show them, the about page does not.
    (site / "static/video/talk.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n", encoding="utf-8")
    rendered = _rendered(site)
    assert stories <= rendered and "interviews/talk/index.html" in rendered, rendered
    assert "about/index.html" not in rendered, rendered
    assert tree_digest(site / "_site") == _clean(site, tmp_path / "captions")


def test_a_body_the_cache_no_longer_holds_is_not_read_as_nothing() -> None:
    """A call made while declaring that fails the way the template would fail gives
    nothing; one that finds the build cache changed under the build stops it (the build
    then starts again without the cache) rather than declaring too little."""
    from sitegen.cache import CacheChanged
    from sitegen.shows import _results

    def changed() -> str:
        raise CacheChanged("the bodies file was replaced")

    assert _results(lambda: 1 / 0, [()]) == []
    assert _results(lambda a: a + 1, [(1,), (2,)]) == [2, 3]
    with pytest.raises(CacheChanged):
        _results(changed, [()])
