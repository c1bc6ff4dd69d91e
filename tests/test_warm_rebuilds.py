"""Rebuilds in a long-running process (`sitegen serve`) reuse what the last build of the
same process left in memory, and still make exactly what a clean build makes."""

from __future__ import annotations

import importlib
import shutil
from datetime import datetime, UTC
from pathlib import Path
from collections.abc import Callable

import pytest
from conftest import covers_linked_at_run_time, make_old, reads_in, SMALL_HUB, soup, tree_digest
from test_incremental import _edit, clean_digest

from sitegen import cache, write
from sitegen.build import BuildOptions, build
from sitegen.errors import SitegenError
from sitegen.warm import Warm

LONG_ANSWER = " ".join(["Flour, water, salt and time."] * 150)  # enough words to read for a few minutes


@pytest.fixture
def hub(make_site: Callable[..., Path]) -> Path:
    site = make_site(files={
        **SMALL_HUB,
        "content/stories/later.md": "---\ntitle: Later\ndate: 2026-12-24\ntags: [food]\n---\nSoon.\n",
    })
    make_old(site)
    return site


@pytest.fixture
def collects(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the times the site is collected from scratch."""
    calls: list[int] = []
    stages = importlib.import_module("sitegen.build")
    real = stages.collect_pages

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(stages, "collect_pages", counted)
    return calls


@pytest.fixture
def warm() -> Warm:
    """What one process building again and again (`sitegen serve`) keeps between builds."""
    return Warm()


NOW = datetime(2026, 11, 22, tzinfo=UTC)


def test_text_edits_reuse_the_collected_site_and_equal_a_clean_build(hub: Path, tmp_path: Path,
                                                                     collects: list[int], warm: Warm) -> None:
    build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    assert len(collects) == 1
    header = soup(hub / "_site/interviews/ana/index.html").find("main").find("header")
    minutes_before = header.get_text(" ", strip=True)
    assert warm.collected is not None
    first_site = warm.collected.site
    ana = next(p for p in first_site.entries if p.source == "content/interviews/ana.md")
    words, headings = ana.word_count, ana.headings

    # The text grows (more words: a longer reading time) and the headings move down.
    _edit(hub / "content/interviews/ana.md", "Intro.", "Intro.\n\nA new paragraph.\n\n" + LONG_ANSWER)
    report = build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    assert len(collects) == 1, "only the text changed: the site is not collected again"
    # The last site and its pages are as they were (frozen); the site used now holds a new page.
    assert (ana.word_count, ana.headings) == (words, headings)
    assert ana in first_site.entries and ana in first_site.interviews
    now_ana = next(p for p in warm.collected.site.entries if p.source == "content/interviews/ana.md")
    assert now_ana is not ana and now_ana.word_count > words
    assert [h.line for h in now_ana.headings] != [h.line for h in headings]
    assert now_ana in warm.collected.site.interviews and ana not in warm.collected.site.interviews
    answers = [a for group in warm.collected.site.questions for a in group.answers if a.interview is now_ana]
    assert answers and all(a.question in now_ana.headings for a in answers)  # its questions at their new lines
    assert 0 < report.rendered < 15
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path, "clean1", now=NOW)
    header = soup(hub / "_site/interviews/ana/index.html").find("main").find("header")
    assert header.get_text(" ", strip=True) != minutes_before  # the new reading time is shown

    # The clean build above (counted too) collected another site, with its own warm state:
    # this process's collected site is still the one to use.
    _edit(hub / "content/interviews/bea.md", "More bread.", "More clay.")
    build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    _edit(hub / "content/interviews/bea.md", "More clay.", "More glaze.")
    build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    assert len(collects) == 2
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path, "clean2", now=NOW)


@pytest.mark.parametrize("change", ["front matter", "new file", "deleted file", "entry now due"])
def test_anything_but_text_collects_the_site_again(hub: Path, tmp_path: Path, collects: list[int],
                                                   change: str, warm: Warm) -> None:
    now = NOW
    build(hub, BuildOptions(jobs=1, now=now), warm=warm)
    if change == "front matter":
        _edit(hub / "content/stories/first.md", "tags: [food]", "tags: [food, harvest]")
    elif change == "new file":
        (hub / "content/stories/second.md").write_text("---\ntitle: Second\ndate: 2026-08-02\n---\nNext.\n")
    elif change == "deleted file":
        (hub / "content/interviews/bea.md").unlink()
    else:
        now = datetime(2026, 12, 25, tzinfo=UTC)  # "Later" is dated the 24th
    build(hub, BuildOptions(jobs=1, now=now), warm=warm)
    assert len(collects) == 2
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path, now=now)


@pytest.mark.parametrize("edit", [
    ("content/interviews/bea.md", "title: Pottery by post", "title: Pottery by parcel post"),
    ("content/stories/first.md", "title: The first year", "title: The first year\nsummary: How it began."),
    ("content/pages/about.md", "title: About", "title: About us\nimage: /images/us.jpg"),
    ("content/interviews/bea.md", "2026-09-01", "2026-10-02"),
    ("content/stories/first.md", "tags: [food]", "tags: [food, harvest]"),
])
def test_any_front_matter_edit_collects_the_site_again(hub: Path, tmp_path: Path, collects: list[int],
                                                       edit: tuple[str, str, str], warm: Warm) -> None:
    """In a preview, an edit of front matter (even one no list shows) collects the site
    again: the kept site is never patched. The output is a clean build's."""
    build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    kept = warm.collected
    assert kept is not None
    titles = [(p.source, p.title, p.summary) for p in kept.pages]
    path, old, new = edit
    _edit(hub / path, old, new)
    build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    assert len(collects) == 2
    assert [(p.source, p.title, p.summary) for p in kept.pages] == titles  # the last site is as it was
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path, now=NOW)


def test_a_title_that_moves_an_entry_among_those_of_its_day_collects_again(
        hub: Path, tmp_path: Path, collects: list[int], warm: Warm) -> None:
    _edit(hub / "content/interviews/bea.md", "2026-09-01", "2026-10-02")  # ana's day; "Baking" < "Pottery"
    build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    first = [a.get_text(strip=True) for a in soup(hub / "_site/interviews/index.html").select("main h2 a, main h3 a")]
    _edit(hub / "content/interviews/bea.md", "title: Pottery by post", "title: A pottery by post")
    build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    assert len(collects) == 2, "the order of the day's entries changed: collected again"
    after = [a.get_text(strip=True) for a in soup(hub / "_site/interviews/index.html").select("main h2 a, main h3 a")]
    assert after != first and after[0] == "Baking bread as a co-op" and first[0] == "Pottery by post"
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path, now=NOW)


def test_a_failed_build_leaves_no_collected_site_behind(hub: Path, tmp_path: Path, collects: list[int],
                                                        warm: Warm) -> None:
    build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    broken = (hub / "templates/partials/entry_card.html")
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("{% if %}\n")
    _edit(hub / "content/interviews/ana.md", "More bread.", "More rye.")
    with pytest.raises(SitegenError):
        build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    assert warm.collected is not None  # collecting itself went well; rendering failed
    broken.unlink()
    _edit(hub / "content/interviews/ana.md", "More rye.", "More spelt.")
    build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path, now=NOW)


def test_a_collect_error_forgets_the_collected_site(hub: Path, collects: list[int], warm: Warm) -> None:
    build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    (hub / "content/pages/about-too.md").write_text("---\ntitle: About too\nslug: about\n---\nTwice.\n")
    with pytest.raises(SitegenError):
        build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    assert warm.collected is None


def test_put_off_cache_writes_happen_before_the_next_build(hub: Path, tmp_path: Path, warm: Warm) -> None:
    """`sitegen serve` has the browser reload before it writes the build cache."""
    preview = hub / cache.FOLDER / "serve"
    options = BuildOptions(output=preview, base_url="http://127.0.0.1:8000/", jobs=1, defer_cache=True, now=NOW)
    build(hub, options, warm=warm)
    index = cache.cache_file(cache.store_for(hub, preview))
    assert not index.exists(), "written only when flushed"
    warm.flush()
    assert index.exists()
    written = index.stat().st_mtime_ns

    _edit(hub / "content/interviews/ana.md", "More bread.", "More barley.")
    report = build(hub, options, warm=warm)
    assert 0 < report.rendered < 15
    assert index.stat().st_mtime_ns == written
    _edit(hub / "content/interviews/ana.md", "More barley.", "More oats.")
    report = build(hub, options, warm=warm)  # writes the last build's cache first, then builds on it
    assert 0 < report.rendered < 15
    assert index.stat().st_mtime_ns != written
    warm.flush()

    # A new process (nothing in memory) finds a whole cache: it renders only what changed.
    warm = Warm()
    _edit(hub / "content/interviews/ana.md", "More oats.", "More millet.")
    report = build(hub, options, warm=warm)
    warm.flush()
    assert 0 < report.rendered < 15
    assert "More millet." in soup(preview / "interviews/ana/index.html").find("main").get_text()


def test_preview_output_is_listed_again_only_by_a_new_process(hub: Path, warm: Warm) -> None:
    """The preview's own folder (inside .sitegen-cache/) is trusted between rebuilds of the
    process that made it; a published build's output is always checked file by file."""
    preview = hub / cache.FOLDER / "serve"
    options = BuildOptions(output=preview, jobs=1, now=NOW)
    build(hub, options, warm=warm)
    build(hub, BuildOptions(jobs=1, now=NOW), warm=warm)
    ana = hub / "content/interviews/ana.md"
    for output, options in ((hub / "_site", BuildOptions(jobs=1, now=NOW)), (preview, options)):
        page = output / "about/index.html"
        page.write_text("changed by hand")
        _edit(ana, "More bread", "More bread!")  # a text edit: the about page is not rendered for it
        report = build(hub, options, warm=warm)
        assert 0 < report.rendered < 15
        repaired = page.read_text() != "changed by hand"
        assert repaired == (output == hub / "_site")

    warm = Warm()  # as a new `sitegen serve` would start
    _edit(ana, "More bread", "More bread!")
    build(hub, options, warm=warm)
    assert "About this hub." in soup(preview / "about/index.html").find("main").get_text()


def test_preview_rebuilds_render_the_jobs_that_read_what_changed(hub: Path, tmp_path: Path, warm: Warm) -> None:
    """Between rebuilds of one process, a text edit renders only the jobs that read that
    page, a new style sheet every page that links it, and the output and its counts are
    a clean build's."""
    builds: list[int] = []
    preview = hub / cache.FOLDER / "serve"
    options = BuildOptions(output=preview, jobs=1, defer_cache=True, now=NOW)
    css = hub / "static/assets/sitegen.css"
    css.parent.mkdir(parents=True)
    css.write_text("body { color: #222 }\n")
    build(hub, options, warm=warm)
    warm.flush()

    def edit_and_build(path: Path, old: str, new: str) -> object:
        _edit(path, old, new)
        report = build(hub, options, warm=warm)
        warm.flush()
        builds.append(1)
        copy = tmp_path / f"clean{len(builds)}"
        shutil.copytree(hub, copy, ignore=shutil.ignore_patterns(cache.FOLDER))
        clean = build(copy, BuildOptions(output=copy / "out", jobs=1, clean=True, now=NOW))
        assert tree_digest(preview) == tree_digest(copy / "out")
        assert (report.pages, report.files) == (clean.pages, clean.files)
        return report

    report = edit_and_build(hub / "content/interviews/ana.md", "More bread.", "More barley.")
    assert 0 < report.rendered < 15
    report = edit_and_build(hub / "content/interviews/ana.md", "More barley.", "More oats.")
    assert 0 < report.rendered < 15
    text_edit, everything = report.rendered, report.files
    report = edit_and_build(css, "#222", "#111")
    assert report.rendered >= report.pages > text_edit, "every page links the style sheet with its version"
    report = edit_and_build(hub / "content/interviews/bea.md", "More bread.", "More clay.")
    assert 0 < report.rendered < 15 and report.files == everything

    # A static file added, then removed: the output loses it again.
    note = hub / "static/note.txt"
    note.write_text("hello\n")
    report = edit_and_build(hub / "content/interviews/bea.md", "More clay.", "More glaze.")
    assert (preview / "note.txt").is_file() and report.files == everything + 1
    note.unlink()
    report = edit_and_build(hub / "content/interviews/bea.md", "More glaze.", "More kilns.")
    assert not (preview / "note.txt").exists() and report.files == everything


def test_a_preview_makes_its_next_output_from_the_spare_without_listing_it(
        hub: Path, tmp_path: Path, warm: Warm, monkeypatch: pytest.MonkeyPatch) -> None:
    from sitegen import write
    listed: list[Path] = []
    real = write._entries

    def counted(folder: Path) -> tuple[dict[str, int], set[str]]:
        listed.append(folder)
        return real(folder)
    monkeypatch.setattr(write, "_entries", counted)
    preview = hub / cache.FOLDER / "serve"

    def rebuild(now: datetime = NOW) -> None:
        build(hub, BuildOptions(output=preview, jobs=1, defer_cache=True, now=now), warm=warm)
        warm.flush()

    rebuild()
    for n, words in enumerate(["More flour.", "More water.", "More salt."]):
        _edit(hub / "content/interviews/bea.md", "More bread." if n == 0 else ["More flour.", "More water."][n - 1],
              words)
        rebuild()
    assert warm.spare is not None
    assert len(listed) <= 1, "after its first swap, the preview knows how its spare differs from its output"
    assert tree_digest(preview) == clean_digest(hub, tmp_path, "clean1", now=NOW)

    # A page deleted, and one added where the deleted one was: still the same as a clean build.
    (hub / "content/stories/later.md").unlink()
    rebuild()
    (hub / "content/stories/later.md").write_text("---\ntitle: Later\ndate: 2026-07-24\n---\nBack.\n")
    rebuild()
    assert tree_digest(preview) == clean_digest(hub, tmp_path, "clean2", now=NOW)

    # Anything else that touches the spare: it is listed again, as in a new process.
    spare = cache.store_for(hub, preview) / cache.FOLDER / "output-spare"
    (spare / "stray.html").write_text("not ours")
    before = len(listed)
    _edit(hub / "content/interviews/bea.md", "More salt.", "More time.")
    rebuild()
    assert len(listed) == before + 1
    assert not (preview / "stray.html").exists()
    assert tree_digest(preview) == clean_digest(hub, tmp_path, "clean3", now=NOW)


def test_a_link_planted_deep_in_the_spare_is_never_followed(hub: Path, tmp_path: Path, warm: Warm) -> None:
    """The preview's shortcut trusts its spare's top folder; a folder inside it replaced
    by a link to elsewhere must make it list the spare, and nothing there is touched."""
    preview = hub / cache.FOLDER / "serve"

    def rebuild() -> None:
        build(hub, BuildOptions(output=preview, jobs=1, defer_cache=True, now=NOW), warm=warm)
        warm.flush()

    rebuild()
    _edit(hub / "content/interviews/bea.md", "More bread.", "More flour.")
    rebuild()
    _edit(hub / "content/interviews/bea.md", "More flour.", "More water.")
    rebuild()
    assert warm.spare is not None
    victim = tmp_path / "elsewhere"
    victim.mkdir()
    (victim / "index.html").write_text("someone else's page")
    spare = cache.store_for(hub, preview) / cache.FOLDER / "output-spare"
    shutil.rmtree(spare / "interviews/bea")
    (spare / "interviews/bea").symlink_to(victim)
    _edit(hub / "content/interviews/bea.md", "More water.", "More salt.")
    rebuild()
    assert (victim / "index.html").read_text() == "someone else's page"
    assert sorted(p.name for p in victim.iterdir()) == ["index.html"]
    assert tree_digest(preview) == clean_digest(hub, tmp_path, "clean", now=NOW)


def _inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.lstat().st_ino for p in folder.rglob("*") if not p.is_dir()}


def test_a_fresh_preview_output_gets_a_spare_copy_so_the_next_edit_links_only_what_changed(
        hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, warm: Warm) -> None:
    """After a build that made a fresh output, `sitegen serve` makes the kept spare a copy
    of it (hard links, see write.mirror): the next edit neither lists both trees nor links
    every file again, and its output is a clean build's."""
    preview = hub / cache.FOLDER / "serve"
    options = BuildOptions(output=preview, jobs=1, defer_cache=True, now=NOW)
    build(hub, options, warm=warm)
    warm.flush()
    spare = cache.spare_folder(hub, preview)
    (spare / "old/deep").mkdir(parents=True)  # what an older output left there
    (spare / "old/deep/page.html").write_text("stale")
    (spare / "index.html").write_text("stale")
    warm.spare = write.mirror(preview, spare)
    assert warm.spare is not None and warm.spare.differ == frozenset()
    assert _inodes(spare) == _inodes(preview)

    listed: list[Path] = []
    entries = write._entries
    monkeypatch.setattr(write, "_entries", lambda folder: listed.append(folder) or entries(folder))
    _edit(hub / "content/interviews/ana.md", "More bread.", "More barley.")
    report = build(hub, options, warm=warm)
    warm.flush()
    assert listed == [], "the spare's state was known: no tree was listed"
    assert 0 < report.rendered < 15
    assert tree_digest(preview) == clean_digest(hub, tmp_path, now=NOW)
    assert warm.spare is not None and "interviews/ana/index.html" in warm.spare.differ


def test_mirror_never_reaches_through_a_link_in_the_spare(tmp_path: Path) -> None:
    output, spare, outside = tmp_path / "out", tmp_path / "spare", tmp_path / "outside"
    (output / "a/b").mkdir(parents=True)
    (output / "a/b/page.html").write_text("page")
    (output / write.MARKER).write_text("marker")
    outside.mkdir()
    spare.mkdir()
    (spare / "a").symlink_to(outside)
    assert write.mirror(output, spare) is None
    assert list(outside.iterdir()) == []  # nothing was made through the link
    (spare / "a").unlink()
    state = write.mirror(output, spare)
    assert state is not None and _inodes(spare) == _inodes(output)


def test_a_preview_reads_a_static_file_for_its_version_only_when_it_changed(
        hub: Path, tmp_path: Path, warm: Warm, monkeypatch: pytest.MonkeyPatch) -> None:
    """A template that names its links as the page renders shows every static file, so
    every rebuild checks every file's version. Between the rebuilds of one process a file
    whose stat is unchanged is not read again for it (a hub with thousands of pictures
    would otherwise read them all at every edit); a file saved again is, and the preview
    is a clean build's."""
    import os

    covers = covers_linked_at_run_time(hub)
    preview = hub / cache.FOLDER / "serve"
    options = BuildOptions(output=preview, jobs=1, defer_cache=True, now=NOW)
    build(hub, options, warm=warm)
    warm.flush()
    read = reads_in(covers, monkeypatch)

    def rebuilt(name: str) -> None:
        build(hub, options, warm=warm)
        warm.flush()
        copy = tmp_path / name
        shutil.copytree(hub, copy, ignore=shutil.ignore_patterns(cache.FOLDER))
        build(copy, BuildOptions(output=copy / "out", jobs=1, clean=True, now=NOW))
        assert tree_digest(preview) == tree_digest(copy / "out")

    _edit(hub / "content/interviews/ana.md", "More bread.", "More barley.")
    rebuilt("text edit")
    assert read == []
    def cover_link() -> str:
        page = soup(next(preview.glob("stories/*/index.html")))
        return str(page.find("link", href=lambda h: h is not None and "/covers/" in h)["href"])

    story = cover_link()
    linked = story.split("/")[-1].split("?")[0]
    before = (covers / linked).stat()
    (covers / linked).write_text("another cover, as long\n"[: len(f"cover {linked[1:-4]}\n")], encoding="utf-8")
    os.utime(covers / linked, ns=(before.st_atime_ns, before.st_mtime_ns))  # (the same size and time stamp; the change time differs)
    rebuilt("cover saved again")
    assert read == [linked]
    assert cover_link() != story
