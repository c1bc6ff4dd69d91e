"""A metadata edit (a title, a date, tags, a person, a question, a translation...) renders
again the files that show what changed, not the whole site, and the output stays what a
clean build makes, byte for byte: in `sitegen build` and in a preview that builds again
and again in one process."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, UTC
from pathlib import Path

import pytest
from conftest import EXAMPLE_SITE, soup, tree_digest
from test_incremental import _edit, clean_digest, write_corpus

from sitegen import cache, deps
from sitegen.build import BuildOptions, build
from sitegen.model import Site
from sitegen.warm import Warm

NOW = datetime(2026, 11, 22, tzinfo=UTC)
INTERVIEWS = "content/interviews"

#: (file, text, replacement): each changes only front matter or a heading.
EDITS: dict[str, tuple[str, str, str]] = {
    "title of an older interview": (f"{INTERVIEWS}/four-hundred-readers.md", "title: Four hundred readers",
                                    "title: Four hundred and six readers"),
    "title of the newest interview": (f"{INTERVIEWS}/repairing-sewing-machines.md", "title: Fixing the machines",
                                      "title: Mending the machines"),
    "title of a translated interview": (f"{INTERVIEWS}/baking-for-one-street-es.md", "title: Pan para una sola calle",
                                        "title: Pan para una calle"),
    "title that reorders the entries of one day": (f"{INTERVIEWS}/software-for-music-teachers.md",
                                                   "title: Software for music teachers",
                                                   "title: Zany software for music teachers"),
    "title that reorders the pages": ("content/pages/contact.md", "title: Contact", "title: Write to me"),
    "summary": (f"{INTERVIEWS}/mugs-by-the-season.md", "summary: Hollis fires four batches",
                "summary: Hollis fires five batches"),
    "date that reorders the lists": (f"{INTERVIEWS}/four-hundred-readers.md", "date: 2025-05-08", "date: 2026-08-08"),
    "updated date": ("content/stories/the-arithmetic-of-enough.md", "date: 2026-09-10",
                     "date: 2026-09-10\nupdated: 2026-10-01"),
    "tag added": (f"{INTERVIEWS}/four-hundred-readers.md", "tags: [newsletters, pricing]",
                  "tags: [newsletters, pricing, writing]"),
    "tag removed": ("content/stories/the-cafe-with-one-table.md", "tags: [food, community, local]",
                    "tags: [food, local]"),
    "person's role": (f"{INTERVIEWS}/a-record-shop-upstairs.md", "role: Owner, Upstairs Records",
                      "role: Owner and buyer, Upstairs Records"),
    "person's consent withdrawn": (f"{INTERVIEWS}/repairing-sewing-machines.md", "consent: true", "consent: false"),
    "question reworded": (f"{INTERVIEWS}/a-record-shop-upstairs.md", "## Who are your customers?",
                          "## Who are your regulars?"),
    "question made shared": (f"{INTERVIEWS}/four-hundred-readers.md", "## What was in those replies?",
                             "## Who are your customers?"),
    "video added": ("content/stories/the-cafe-with-one-table.md", "person: Idris Calloway",
                    "person: Idris Calloway\nvideo: https://www.youtube.com/watch?v=aqz-KE-bpKQ"),
    "about page title (in the menu)": ("content/pages/about.md", "title: About", "title: About this hub"),
    "membership page title": ("content/pages/membership.md", "title: Membership", "title: Join"),
    "translation unlinked": (f"{INTERVIEWS}/software-for-music-teachers-es.md", "translation_key: metronome-desk\n", ""),
    "slug": (f"{INTERVIEWS}/mugs-by-the-season.md", "title: A mug club", "slug: mug-club\ntitle: A mug club"),
    "draft published": (f"{INTERVIEWS}/the-bike-mechanic-who-closes-on-mondays.md", "draft: true\n", ""),
    "unknown key": ("content/stories/the-arithmetic-of-enough.md", "tags: [pricing",
                    "mood: hopeful\ntags: [pricing"),
}


def _old_files(site: Path) -> None:
    """Files older than the time-stamp tick, as a hub's usually are."""
    for path in site.rglob("*"):
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10_000_000_000))


@pytest.fixture(params=["one language", "editions per language"])
def example(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The example hub, built once; also with a Spanish edition under /es/."""
    site = tmp_path / "example"
    shutil.copytree(EXAMPLE_SITE, site, ignore=shutil.ignore_patterns("_site", cache.FOLDER))
    if request.param == "editions per language":
        _edit(site / "sitegen.yaml", "language: en\n", "language: en\nlanguages: [en, es]\n")
    _old_files(site)
    build(site, BuildOptions(jobs=1, now=NOW))
    return site


@pytest.mark.parametrize("edit", EDITS)
def test_a_metadata_edit_equals_a_clean_build(example: Path, tmp_path: Path, edit: str) -> None:
    path, old, new = EDITS[edit]
    before = tree_digest(example / "_site")
    _edit(example / path, old, new)
    report = build(example, BuildOptions(jobs=2, now=NOW))
    assert tree_digest(example / "_site") == clean_digest(example, tmp_path, now=NOW)
    if edit == "unknown key":  # the theme shows no unknown keys: the same files, rendered again
        assert tree_digest(example / "_site") == before
    else:
        assert tree_digest(example / "_site") != before
    assert report.rendered > 0 and report.explanation


def test_metadata_edits_one_after_another_in_a_preview_equal_clean_builds(example: Path, tmp_path: Path) -> None:
    """One process building again and again (`sitegen serve`) keeps which jobs read each
    page's metadata: every edit above, in turn, leaves a clean build's output."""
    warm = Warm()  # the preview's, kept between its rebuilds
    preview = example / cache.FOLDER / "serve"
    options = BuildOptions(output=preview, jobs=1, defer_cache=True, now=NOW)
    build(example, options, warm=warm)
    warm.flush()
    for n, (path, old, new) in enumerate(EDITS.values()):
        _edit(example / path, old, new)
        report = build(example, options, warm=warm)
        warm.flush()
        copy = tmp_path / f"clean{n}"
        shutil.copytree(example, copy, ignore=shutil.ignore_patterns(cache.FOLDER))
        clean = build(copy, BuildOptions(output=copy / "out", jobs=1, clean=True, now=NOW))
        assert tree_digest(preview) == tree_digest(copy / "out"), f"after: {path}: {old!r} -> {new!r}"
        assert (report.pages, report.files) == (clean.pages, clean.files)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """60 generated entries (the benchmark's generator): people, shared questions, tags."""
    site = tmp_path / "corpus"
    write_corpus(site, 60)
    _old_files(site)
    build(site, BuildOptions(jobs=1))
    return site


def _rendered(report: object) -> set[str]:
    return {line.split(":")[0] for line in report.explanation if "rendered" in line}  # type: ignore[attr-defined]


def test_a_title_edit_renders_only_the_files_that_show_the_title(corpus: Path, tmp_path: Path) -> None:
    oldest = sorted((corpus / INTERVIEWS).glob("*.md"))[0]
    slug = oldest.stem
    everything = len([p for p in tree_digest(corpus / "_site") if p.endswith(".html")])
    text = oldest.read_text(encoding="utf-8")
    title = text.split("title: ", 1)[1].split("\n", 1)[0]
    # (Entries of one day are ordered by title: an ending keeps this one's place.)
    _edit(oldest, f"title: {title}", f"title: {title} edited by hand")
    report = build(corpus, BuildOptions())
    rendered = _rendered(report)
    assert f"interviews/{slug}/index.html" in rendered
    # The oldest entry is on no home page and in no site feed: those stay as they were...
    assert not {"index.html", "feed.xml", "feed.json"} & rendered
    # ...and so do the pages of entries that do not show it.
    shown_on = {path for path in tree_digest(corpus / "_site")
                if f"{title} edited by hand" in (corpus / "_site" / path).read_text(encoding="utf-8")}
    assert rendered - {"sitemap.xml"} == shown_on, "exactly the files that show the title were rendered"
    assert report.rendered < everything / 5
    assert tree_digest(corpus / "_site") == clean_digest(corpus, tmp_path)
    page = soup(corpus / "_site" / "interviews" / slug / "index.html")
    assert page.find("h1").get_text(strip=True) == f"{title} edited by hand"


def test_a_menu_title_edit_renders_every_page_with_the_menu(corpus: Path, tmp_path: Path) -> None:
    """The menu is worked out once per edition and reused: each page still depends on the
    titles it shows."""
    _edit(corpus / "content/pages/about.md", "title: About", "title: Who we are")
    report = build(corpus, BuildOptions(jobs=2))
    pages = [p for p in tree_digest(corpus / "_site") if p.endswith(".html")]
    assert report.rendered >= len(pages) - 1  # all but the 404 page, which has the menu too
    assert tree_digest(corpus / "_site") == clean_digest(corpus, tmp_path)
    nav = soup(corpus / "_site/index.html").find("nav", class_="site-nav")
    assert "Who we are" in nav.get_text()


def test_the_skeleton_covers_every_field_of_a_site() -> None:
    """A field added to Site must be covered by deps.skeleton (or every list that shows
    it could go stale): this fails until it is."""
    assert {f for f in Site.__dataclass_fields__} == deps.SKELETON_FIELDS
