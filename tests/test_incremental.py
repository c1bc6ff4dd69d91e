"""Parallel and incremental builds make exactly what a clean single-process build makes."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from datetime import datetime, UTC
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pytest
from conftest import covers_linked_at_run_time, INTERVIEW, make_old, reads_in, REPO, SMALL_HUB, soup, tree_digest

from sitegen import cache
from sitegen.build import BuildOptions, build
from sitegen.errors import SitegenError
from sitegen.warm import Warm

DEFAULT_TEMPLATES = REPO / "themes" / "default" / "templates"
_spec = importlib.util.spec_from_file_location("benchmark_corpus", REPO / "benchmarks" / "corpus.py")
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)
write_corpus = corpus.write_corpus


def clean_digest(site: Path, tmp_path: Path, name: str = "clean", now: datetime | None = None) -> dict[str, str]:
    """The output of a clean, single-process build of a copy of ``site``."""
    copy = tmp_path / name
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("_site", cache.FOLDER))
    build(copy, BuildOptions(jobs=1, clean=True, now=now))
    return tree_digest(copy / "_site")


@pytest.fixture
def hub(make_site: Callable[..., Path]) -> Path:
    """A small hub with a site template, a site partial, a static file, a draft, tags."""
    files: dict[str, str | bytes] = {
        **SMALL_HUB,
        "content/stories/draft.md": "---\ntitle: Not yet\ndate: 2026-07-01\ndraft: true\ntags: [secret]\n---\nSoon.\n",
        "static/images/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
        "templates/story.html": (DEFAULT_TEMPLATES / "story.html").read_text(encoding="utf-8"),
        "templates/partials/entry_card.html": (DEFAULT_TEMPLATES / "partials" / "entry_card.html").read_text(encoding="utf-8"),
    }
    site = make_site(files=files)
    # Files edited moments before a build are compared by content on the next one (their
    # time stamps cannot be trusted yet); a hub's files are usually older than that.
    make_old(site)
    build(site, BuildOptions(jobs=1))
    return site


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


CHANGES: dict[str, Callable[[Path], None]] = {
    "content body": lambda s: _edit(s / "content/interviews/ana.md", "More bread.", "More bread, and rye."),
    "front matter only": lambda s: _edit(s / "content/interviews/ana.md", "title: Baking", "title: Kneading"),
    "template": lambda s: _edit(s / "templates/story.html", "{% block content %}", "{% block content %}<p>New.</p>"),
    "partial": lambda s: _edit(s / "templates/partials/entry_card.html", '<article class="card">', '<article class="card new">'),
    "config": lambda s: _edit(s / "sitegen.yaml", "title: Test Hub", "title: Another Hub"),
    "static file": lambda s: (s / "static/images/logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg' id='x'/>\n"),
    "new static file": lambda s: (s / "static/robots-note.txt").write_text("hello\n"),
    "deleted static file": lambda s: (s / "static/images/logo.svg").unlink(),
    "deleted file": lambda s: (s / "content/interviews/bea.md").unlink(),
    "renamed file": lambda s: (s / "content/pages/about.md").rename(s / "content/pages/about-us.md"),
    "new tag": lambda s: _edit(s / "content/stories/first.md", "tags: [food]", "tags: [food, harvest]"),
    "draft flipped": lambda s: _edit(s / "content/stories/draft.md", "draft: true", "draft: false"),
    "new file": lambda s: (s / "content/stories/second.md").write_text("---\ntitle: Second\ndate: 2026-08-02\n---\nNext.\n"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_incremental_build_equals_clean_build(hub: Path, tmp_path: Path, change: str) -> None:
    before = tree_digest(hub / "_site")
    CHANGES[change](hub)
    report = build(hub, BuildOptions(jobs=2))
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    assert tree_digest(hub / "_site") != before
    assert report.explanation, "a rebuild after a change says why it redid something"


def test_one_change_after_another_stays_equal_to_a_clean_build(hub: Path, tmp_path: Path) -> None:
    for n, change in enumerate(CHANGES.values()):
        change(hub)
        build(hub, BuildOptions(jobs=1))
        assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path, f"clean{n}")


def test_nothing_changed_renders_nothing_and_keeps_the_output(hub: Path) -> None:
    before = tree_digest(hub / "_site")
    report = build(hub, BuildOptions())
    assert report.rendered == 0
    assert report.explanation == ()
    assert tree_digest(hub / "_site") == before
    assert report.pages == len([p for p in before if p.endswith(".html")])


def test_body_edit_renders_only_the_pages_that_show_it(hub: Path) -> None:
    _edit(hub / "content/interviews/bea.md", "More bread.", "More clay.")
    report = build(hub, BuildOptions())
    rendered = {line.split(":")[0] for line in report.explanation if "rendered" in line}
    # Its own page and the feeds carry its text; lists, tags and the home page only its metadata.
    assert rendered == {"interviews/bea/index.html", "feed.xml", "feed.json",
                        "tags/food/feed.xml", "tags/cooperatives/feed.xml"}
    assert "content/interviews/bea.md: parsed again (its text changed)" in report.explanation
    assert "More clay." in soup(hub / "_site/interviews/bea/index.html").find("main").get_text()


def test_the_output_deleted_by_hand_is_made_again_from_the_kept_pages(hub: Path, tmp_path: Path) -> None:
    """`rm -rf _site`: every file is rendered again (the cache no longer describes the
    output), but no content file is parsed again: the pages kept in the cache are as good."""
    shutil.rmtree(hub / "_site")
    report = build(hub, BuildOptions())
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    assert "interviews/ana/index.html: rendered (the output folder is missing)" in report.explanation
    assert not [line for line in report.explanation if ": parsed" in line]
    assert build(hub, BuildOptions()).rendered == 0


def test_output_changed_by_hand_is_repaired(hub: Path, tmp_path: Path) -> None:
    (hub / "_site/interviews/ana/index.html").write_text("broken")
    (hub / "_site/about/index.html").unlink()
    (hub / "_site/images/logo.svg").unlink()
    (hub / "_site/stray.html").write_text("not ours")
    build(hub, BuildOptions())
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped byte", "other format", "empty"])
@pytest.mark.parametrize("which", ["index", "shard"])
def test_a_damaged_cache_is_rebuilt_not_trusted(hub: Path, tmp_path: Path, damage: str, which: str) -> None:
    path = cache.cache_file(hub) if which == "index" else \
        hub / cache.FOLDER / f"pages-{cache.shard_of('content/interviews/bea.md'):02x}.pickle"
    raw = path.read_bytes()
    damaged = {
        "garbage": b"\x00\xff not a cache",
        "truncated": raw[: len(raw) // 2],
        "flipped byte": raw[:-10] + bytes([raw[-10] ^ 0xFF]) + raw[-9:],
        "other format": raw.replace(b"cache %d\n" % cache.FORMAT, b"cache 0\n", 1),
        "empty": b"",
    }[damage]
    path.write_bytes(damaged)
    _edit(hub / "content/interviews/ana.md", "More bread.", "More rye.")
    report = build(hub, BuildOptions())
    assert report.rendered > 10  # everything, not what the damaged cache said
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    assert cache.load(hub, cache.code_digest(), Warm())[0] is not None  # written again, whole


def body_file(hub: Path, rel: str) -> Path:
    """The file in which the build cache keeps the body of the page of ``rel``."""
    index = cache.load(hub, cache.code_digest(), Warm())[0]
    assert index is not None
    shard = cache.shard_of(rel)
    name = cache.load_shard(hub, shard, index.shards[shard], Warm())[rel].body_at
    assert name is not None
    return hub / cache.FOLDER / cache.BODIES / name


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped byte", "another page's body", "missing"])
def test_a_damaged_body_is_never_trusted(hub: Path, tmp_path: Path, damage: str) -> None:
    """Pages come from the cache without their bodies; a body that cannot be read back
    exactly starts the build again without the cache, and the next build finds a whole cache."""
    path = body_file(hub, "content/stories/first.md")  # (a text no other page has: a body file of its own)
    raw = path.read_bytes()
    (hub / "content/stories/first.md").touch()  # so that the feeds, which carry its body, are checked
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes({
            "garbage": b"\x00\xff not a body",
            "truncated": raw[: len(raw) // 2],
            "flipped byte": raw[:-10] + bytes([raw[-10] ^ 0xFF]) + raw[-9:],
            "another page's body": body_file(hub, "content/interviews/ana.md").read_bytes(),
        }[damage])
    # A front-matter edit renders every page, so every body is read back.
    _edit(hub / "content/interviews/ana.md", "title: ", "title: New ")
    report = build(hub, BuildOptions())
    assert any("--clean" in line for line in report.explanation)
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    assert path.read_bytes() == raw  # written again, whole
    report = build(hub, BuildOptions())
    assert report.rendered == 0


def test_a_planted_page_body_is_never_published(hub: Path, tmp_path: Path) -> None:
    """A page body in the cache is named by a digest keyed with the cache's key: a body
    planted in the site, under the name of a page's body, is damaged, and the pages are
    made from their sources."""
    path = body_file(hub, "content/interviews/ana.md")
    path.write_bytes(b"<p>PLANTED in the cache</p>")
    # A template edit renders every page again from the pages in the cache.
    _edit(hub / "templates/story.html", "{% block content %}", "{% block content %}<p>New.</p>")
    build(hub, BuildOptions(jobs=1))
    assert not [name for name, _ in tree_digest(hub / "_site").items()
                if b"PLANTED" in (hub / "_site" / name).read_bytes()]
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_bodies_no_page_has_are_removed(hub: Path, tmp_path: Path) -> None:
    """A body is written once and named by its bytes: the bodies of old texts, and of pages
    deleted, are removed when the cache is written (those still used stay, and nothing
    else in the folder is touched)."""
    folder = hub / cache.FOLDER / cache.BODIES
    old = body_file(hub, "content/stories/first.md")
    gone = body_file(hub, "content/pages/about.md")
    shared = body_file(hub, "content/interviews/ana.md")  # (bea's too: the same text)
    mine = folder / "notes.txt"
    mine.write_text("not a body", encoding="utf-8")
    before = hub / cache.FOLDER / "bodies-0a.bin"  # (where sitegen kept bodies before)
    before.write_bytes(b"sitegen page bodies 13\n")
    _edit(hub / "content/stories/first.md", "It began.", "It began again.")
    (hub / "content/pages/about.md").unlink()
    build(hub, BuildOptions(jobs=1))
    assert not old.exists() and not gone.exists() and not before.exists() and shared.exists() and mine.exists()
    names = {p.name for p in folder.iterdir()} - {mine.name}
    assert names == {body_file(hub, rel).name for rel in ("content/interviews/ana.md", "content/interviews/bea.md",
                                                           "content/stories/first.md", "content/stories/draft.md")}
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_a_cache_from_another_sitegen_is_not_used(hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "code_digest", lambda: b"another version")
    report = build(hub, BuildOptions())
    assert report.rendered > 10
    assert any("sitegen, its libraries or Python changed" in line for line in report.explanation)


def test_failed_incremental_build_leaves_output_and_cache_as_they_were(hub: Path, tmp_path: Path) -> None:
    before = tree_digest(hub / "_site")
    cached = cache.cache_file(hub).read_bytes()
    _edit(hub / "content/interviews/ana.md", "More bread.", "More bread.\n\nAnd more.")
    (hub / "templates/story.html").write_text("{% extends 'base.html' %}{% block content %}{{ nope }}{% endblock %}")
    with pytest.raises(SitegenError):
        build(hub, BuildOptions())
    assert tree_digest(hub / "_site") == before
    assert cache.cache_file(hub).read_bytes() == cached
    (hub / "templates/story.html").write_text((DEFAULT_TEMPLATES / "story.html").read_text(encoding="utf-8"))
    build(hub, BuildOptions())
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_parallel_build_is_byte_identical_to_single_process(tmp_path: Path) -> None:
    site = tmp_path / "corpus"
    write_corpus(site, 90, seed=3)
    build(site, BuildOptions(jobs=1, clean=True))
    one = tree_digest(site / "_site")
    report = build(site, BuildOptions(jobs=2, clean=True))
    assert report.rendered > 100
    assert tree_digest(site / "_site") == one
    # ...and an incremental build after many edits at once (enough to use the workers).
    for path in sorted((site / "content/interviews").glob("*.md"))[:50]:
        _edit(path, "## ", "## Again: ")
    build(site, BuildOptions(jobs=2))
    assert tree_digest(site / "_site") == clean_digest(site, tmp_path)


def test_cache_folder_is_git_ignored_and_outside_the_output(hub: Path) -> None:
    folder = hub / cache.FOLDER
    assert (folder / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert not (hub / "_site" / cache.FOLDER).exists()


def test_cli_jobs_clean_and_explain(hub: Path, cli: Callable[..., object]) -> None:
    result = cli("build", str(hub), "--explain")
    assert result.exit_code == 0
    assert "nothing changed since the last build" in result.output
    result = cli("build", str(hub), "--clean", "--jobs", "1", "--explain")
    assert result.exit_code == 0
    assert "interviews/ana/index.html: rendered (--clean)" in result.output
    result = cli("build", str(hub), "--jobs", "-1")
    assert result.exit_code == 2


def test_a_future_entry_appears_when_due_without_any_file_changing(hub: Path, tmp_path: Path) -> None:
    (hub / "content/stories/later.md").write_text("---\ntitle: Later\ndate: 2030-01-01\n---\nSoon.\n")
    before_due = datetime(2029, 12, 31, tzinfo=UTC)
    build(hub, BuildOptions(now=before_due))
    assert not (hub / "_site/stories/later/index.html").exists()
    assert build(hub, BuildOptions(now=before_due)).rendered == 0
    due = datetime(2030, 1, 2, tzinfo=UTC)
    build(hub, BuildOptions(now=due))
    assert (hub / "_site/stories/later/index.html").is_file()
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path, now=due)


def test_warnings_are_shown_again_when_nothing_is_rebuilt(make_site: Callable[..., Path]) -> None:
    consentless = INTERVIEW.format(title="No consent").replace("  role: Baker\n", "  role: Baker\n  contact: {email: a@b.org}\n")
    site = make_site(files={"content/interviews/ana.md": consentless})
    first = build(site, BuildOptions())
    again = build(site, BuildOptions())
    assert again.rendered == 0
    assert [w.message for w in again.warnings] == [w.message for w in first.warnings]
    assert any("consent" in w.message for w in again.warnings)


def test_a_cache_that_cannot_be_written_does_not_stop_the_build(hub: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache, "write_body", refuse)
    _edit(hub / "content/interviews/ana.md", "More bread.", "More spelt.")
    report = build(hub, BuildOptions())
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    assert any("cannot be written (Permission denied)" in line for line in report.explanation)


@pytest.mark.parametrize("clean", [True, False])
def test_a_disk_that_fills_up_while_the_cache_is_written_leaves_a_whole_site(
        hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean: bool) -> None:
    """The page bodies go to the build cache as pages are parsed. A disk that fills up
    then ends the cache's writing, not the build: the site is whole, the next build (with
    room again) makes the same, and the one after that has nothing to do."""
    real, written = cache.write_body, []

    def write_body(*args: Any) -> str:
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        written.append(args[1])
        return real(*args)

    with monkeypatch.context() as patched:
        patched.setattr(cache, "write_body", write_body)
        _edit(hub / "content/interviews/ana.md", "More bread.", "More spelt.")
        _edit(hub / "content/interviews/bea.md", "More bread.", "More spelt.")
        (hub / "content/stories/new.md").write_text("---\ntitle: New\ndate: 2026-03-01\n---\nIts text.\n",
                                                   encoding="utf-8")
        report = build(hub, BuildOptions(jobs=1, clean=clean))
    assert any("cannot be written (No space left on device)" in line for line in report.explanation)
    assert len(written) == 2  # (the disk filled up after some bodies were written)
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    _edit(hub / "content/interviews/ana.md", "More spelt.", "More rye.")
    build(hub, BuildOptions(jobs=1))
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    assert build(hub, BuildOptions(jobs=1)).rendered == 0


def test_previews_and_builds_keep_a_cache_each(hub: Path, tmp_path: Path) -> None:
    """`sitegen serve` builds into .sitegen-cache/serve/ (for another address); a build
    for publishing in between must not make the next preview start from nothing."""
    preview = hub / cache.FOLDER / "serve"
    options = BuildOptions(output=preview, base_url="http://127.0.0.1:8000/")
    build(hub, options)
    build(hub, BuildOptions())
    _edit(hub / "content/interviews/ana.md", "More bread.", "More barley.")
    report = build(hub, options)
    assert 0 < report.rendered < 10  # the page and its feeds, not everything
    assert "More barley." in soup(preview / "interviews/ana/index.html").find("main").get_text()
    report = build(hub, BuildOptions())
    assert 0 < report.rendered < 10
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_a_file_saved_while_the_build_parses_it_is_parsed_again_next_time(
        hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer saves a page just after the build read it (the first build of a big hub
    in `sitegen serve` takes a while). What the build remembers of the file must be what
    it read, or the next build takes the new file for the one it parsed and keeps the
    old text for good."""
    from sitegen import parse as parse_module

    page = hub / "content/interviews/ana.md"
    original = parse_module.parse_source
    saved: list[str] = []

    def parse_then_save(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = original(source, *args, **kwargs)
        if source.rel == "content/interviews/ana.md" and not saved:
            _edit(page, "More bread.", "More bread, saved while the build ran.")
            old = page.stat().st_mtime_ns - 30_000_000_000  # long enough ago to be trusted
            os.utime(page, ns=(old, old))
            saved.append(source.rel)
        return result

    _edit(page, "More bread.", "More bread.\n\nA first change.")
    monkeypatch.setattr(parse_module, "parse_source", parse_then_save)
    build(hub, BuildOptions(jobs=1))
    assert saved
    monkeypatch.setattr(parse_module, "parse_source", original)
    build(hub, BuildOptions(jobs=1))
    text = soup(hub / "_site/interviews/ana/index.html").find("main").get_text()
    assert "saved while the build ran" in text
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


@pytest.mark.parametrize("what", ["sys.version", "unicodedata.unidata_version"])
def test_a_cache_made_by_another_python_is_not_used(hub: Path, monkeypatch: pytest.MonkeyPatch, what: str) -> None:
    """Slugs and word counts come from Python's Unicode tables: another Python may make
    other pages from the same files."""
    module, name = what.split(".")
    monkeypatch.setattr(importlib.import_module(module), name, "another")
    report = build(hub, BuildOptions())
    assert report.rendered > 0
    assert any("sitegen, its libraries or Python changed" in line for line in report.explanation)


def test_new_rules_for_the_sites_time_zone_rebuild_everything(hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Dates are read and shown in the site's time zone, whose rules come from the
    system's time-zone data: an update of them (a country moving its clocks) may change
    every date, though no file of the site changed."""
    assert cache.zone_digest("UTC") not in ("", "?")
    real = cache.zone_digest
    monkeypatch.setattr(cache, "zone_digest", lambda name: "new rules" + real(name))
    report = build(hub, BuildOptions())
    assert report.rendered > 0
    assert any("parsed (" in line for line in report.explanation)
    assert any("settings, templates or interface strings changed" in line for line in report.explanation)


def test_a_new_build_reads_a_static_file_for_its_version_only_when_it_changed(
        hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A template that names its links as the page renders shows every static file: each
    build that renders works out every file's version, a digest of its bytes. The cache
    keeps each version with the file's stat, so a later `sitegen build` (a new process)
    reads only the files saved since, a template edit included; the output is a clean
    build's. A file saved again with its size and time stamp kept is read (its change
    time differs), and a deleted one is forgotten."""
    covers = covers_linked_at_run_time(hub)
    build(hub, BuildOptions(jobs=1))
    read = reads_in(covers, monkeypatch)

    def rebuilt(name: str) -> None:
        read.clear()
        report = build(hub, BuildOptions(jobs=1))  # a new Warm: as a new process
        assert report.rendered > 0
        assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path, name)

    _edit(hub / "content/stories/first.md", "tags: [food]", "tags: [food, harvest]")
    rebuilt("tag edit")
    assert read == []
    _edit(hub / "templates/story.html", "<link ", '<link data-edited="yes" ')
    rebuilt("template edit")  # (a full build: every job runs)
    assert read == []

    before = (covers / "c3.txt").stat()
    (covers / "c3.txt").write_text("cover X\n", encoding="utf-8")  # the same size
    os.utime(covers / "c3.txt", ns=(before.st_atime_ns, before.st_mtime_ns))  # and time stamp: the change time differs
    _edit(hub / "content/stories/first.md", "harvest", "harvests")
    rebuilt("cover saved again")
    assert read == ["c3.txt"]
    (covers / "c4.txt").unlink()
    _edit(hub / "content/stories/first.md", "harvests", "harvest")
    rebuilt("cover deleted")
    assert read == []
    kept = cache.load(hub, cache.code_digest(), Warm())[0]
    assert kept is not None and "static/covers/c3.txt" in kept.versions
    assert "static/covers/c4.txt" not in kept.versions


def test_a_preview_forgets_the_versions_of_static_files_deleted_or_changed(hub: Path, tmp_path: Path) -> None:
    """A preview runs for hours while static files come and go: the versions it keeps
    are those of the static files as they are at its last build, no more."""
    covers = covers_linked_at_run_time(hub)
    warm = Warm()
    build(hub, BuildOptions(jobs=1), warm=warm)
    assert str(covers / "c4.txt") in warm.versions and str(covers / "c5.txt") in warm.versions
    (covers / "c4.txt").unlink()
    (covers / "c5.txt").write_text("cover five, longer\n", encoding="utf-8")
    _edit(hub / "content/stories/first.md", "tags: [food]", "tags: [food, harvest]")
    build(hub, BuildOptions(jobs=1), warm=warm)
    warm.flush()
    assert str(covers / "c4.txt") not in warm.versions
    kept = warm.versions.get(str(covers / "c5.txt"))  # (saved within two seconds: not kept yet)
    assert kept is None or kept[0] == cache.stat_of(covers / "c5.txt")
    assert str(covers / "c6.txt") in warm.versions
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_a_static_file_a_page_takes_the_place_of_is_warned_about_as_a_clean_build_does(
        hub: Path, tmp_path: Path) -> None:
    """A static file put where a page is published is not published, and the build warns.
    Nothing else changes in the output, so a build that found nothing to do kept the last
    build's warnings: no warning for the new file, and one for a file deleted since."""
    shadow = hub / "static/about/index.html"
    shadow.parent.mkdir(parents=True)
    shadow.write_text("<p>mine</p>\n", encoding="utf-8")
    assert _warned(hub, "not published") == _clean_warned(hub, tmp_path, "not published") == [
        "static/about/index.html: not published: content/pages/about.md makes about/index.html, "
        "which takes the place of this file"]
    assert _warned(hub, "not published") == _clean_warned(hub, tmp_path, "not published")  # (nothing changed)
    shadow.unlink()
    assert _warned(hub, "not published") == _clean_warned(hub, tmp_path, "not published") == []


def test_a_build_with_nothing_to_write_leaves_the_output_folder_as_it_is(hub: Path, tmp_path: Path) -> None:
    """A file that changes what the build says but not the site (here a .env file, never
    published): nothing is rendered, copied or removed, so the output is not swapped for
    a copy of itself (the folder and its files stay the same), and the build cache
    still describes it (the next build has nothing to do)."""
    site = hub / "_site"
    before = (site.stat().st_ino, (site / "index.html").stat().st_ino, tree_digest(site))
    (hub / "static/.env").write_text("TOKEN=x\n", encoding="utf-8")
    report = build(hub, BuildOptions(jobs=1))
    assert report.rendered == 0 and report.explanation == ()
    assert any(".env" in p.message for p in report.warnings)
    assert (site.stat().st_ino, (site / "index.html").stat().st_ino, tree_digest(site)) == before
    assert tree_digest(site) == clean_digest(hub, tmp_path)
    again = build(hub, BuildOptions(jobs=1))
    assert again.rendered == 0 and any(".env" in p.message for p in again.warnings)


def _warned(root: Path, about: str) -> list[str]:
    """What a build of ``root`` warns about ``about``."""
    report = build(root, BuildOptions(jobs=1))
    return sorted(f"{p.path}: {p.message}" for p in report.warnings if about in p.message)


def _clean_warned(root: Path, tmp_path: Path, about: str) -> list[str]:
    """What a clean build of a copy of ``root`` warns about ``about``."""
    copy = tmp_path / "clean"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("_site", cache.FOLDER))
    return _warned(copy, about)


def test_a_file_discovery_leaves_out_is_warned_about_as_a_clean_build_does(hub: Path, tmp_path: Path) -> None:
    """A .env file in static/ is never published, and the build warns; the site is the
    same with or without it, so a build that found nothing changed kept the last
    build's warnings instead."""
    secret = hub / "static/.env"
    secret.write_text("TOKEN=x\n", encoding="utf-8")
    assert _warned(hub, ".env") == _clean_warned(hub, tmp_path, ".env") == [
        "static/.env: not published: static/.env (.env files hold secrets for tools)"]
    secret.unlink()
    assert _warned(hub, ".env") == _clean_warned(hub, tmp_path, ".env") == []


def test_render_jobs_of_one_name_keep_a_record_each() -> None:
    """The cache keys a job's record on its name. Collecting refuses two pages at one
    address, so no hub is known to make two jobs of one name; should one, each still gets
    a name of its own (in order, the first unchanged), so neither record replaces the other."""
    from sitegen.incremental import _unique

    first, second, third, other = (lambda: [], lambda: [], lambda: [], lambda: [])
    jobs = [("a/index.html", first), ("b.xml", other), ("a/index.html", second), ("a/index.html", third)]
    assert _unique(jobs) == [("a/index.html", first), ("b.xml", other), ("a/index.html#2", second),
                             ("a/index.html#3", third)]
    distinct = [("a/index.html", first), ("b.xml", other)]
    assert _unique(distinct) is distinct
