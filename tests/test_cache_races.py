"""Holes where the build cache could be fooled into keeping stale output.

Each test edits the hub in a way the cache must notice (a file saved at an awkward moment
of a build, a file replaced by one that looks the same to ``stat``, a clock that moved, an
output folder edited by hand), builds incrementally and compares the output, byte for
byte, with a clean build of a copy. A test marked ``xfail`` shows a case left open: its
reason says why.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from collections.abc import Callable
from typing import Any

import pytest
from conftest import INTERVIEW, REPO, SMALL_HUB, soup, tree_digest

from sitegen import cache
from sitegen.build import BuildOptions, build
from sitegen.config import load_config
from sitegen.themes import load_theme

DEFAULT_TEMPLATES = REPO / "themes" / "default" / "templates"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}"/>\n'
CSS = "body { color: #222; }\n"


def svg(width: int, height: int) -> str:
    return SVG.format(w=width, h=height)


def age(path: Path, seconds: int = 60) -> None:
    """Give ``path`` a time stamp ``seconds`` in the past (long enough ago to be trusted)."""
    when = path.stat(follow_symlinks=False).st_mtime_ns - seconds * 1_000_000_000
    os.utime(path, ns=(when, when), follow_symlinks=False)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def clean_digest(site: Path, tmp_path: Path, name: str = "clean", **options: Any) -> dict[str, str]:
    """The output of a clean, single-process build of a copy of ``site``."""
    copy = tmp_path / name
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(site, copy, symlinks=True, ignore=shutil.ignore_patterns("_site", cache.FOLDER))
    build(copy, BuildOptions(jobs=1, clean=True, **options))
    return tree_digest(copy / "_site")


@pytest.fixture
def hub(make_site: Callable[..., Path]) -> Path:
    """A small hub: two interviews, a story, a draft, a page that shows a picture, a style
    sheet of its own over the theme's, a site template and a partial. Built once."""
    files: dict[str, str | bytes] = {
        **SMALL_HUB,
        "content/stories/draft.md": "---\ntitle: Not yet\ndate: 2026-07-01\ndraft: true\ntags: [secret]\n---\nSoon.\n",
        "content/pages/about.md": "---\ntitle: About\n---\nAbout this hub.\n\n![A loaf](/images/p.svg)\n",
        "static/images/p.svg": svg(40, 30),
        "static/assets/sitegen.css": CSS,
        "templates/story.html": (DEFAULT_TEMPLATES / "story.html").read_text(encoding="utf-8"),
        "templates/partials/entry_card.html": (DEFAULT_TEMPLATES / "partials" / "entry_card.html").read_text(
            encoding="utf-8"),
    }
    site = make_site(files=files)
    for path in site.rglob("*"):
        age(path)
    build(site, BuildOptions(jobs=1))
    return site


def text(page: Path) -> str:
    """A built page's text, as a reader sees it."""
    return str(soup(page).get_text(" ", strip=True))


def links(page: Path) -> list[str]:
    """Where a built page's links and style sheets point (href of <a> and <link>)."""
    return [str(tag["href"]) for tag in soup(page).find_all(["a", "link"], href=True)]


def picture_size(site: Path) -> tuple[str, str]:
    img = soup(site / "_site/about/index.html").find("img", alt="A loaf")
    assert img is not None
    return str(img["width"]), str(img["height"])


# -- A file read at one moment, its stat or digest taken at another ---------------------------

def test_a_picture_replaced_while_its_page_is_parsed_gets_its_new_size(
        hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sitegen import images

    picture = hub / "static/images/p.svg"
    original = images.image_size
    replaced: list[Path] = []

    def read_then_replace(path: Path, *args: Any) -> tuple[int, int] | None:
        size = original(path, *args)
        if path.resolve() == picture.resolve() and not replaced:
            picture.write_text(svg(400, 300), encoding="utf-8")  # saved just after its size was read
            age(picture)
            replaced.append(path)
        return size

    edit(hub / "content/pages/about.md", "About this hub.", "About this hub, again.")
    age(hub / "content/pages/about.md")
    monkeypatch.setattr("sitegen.markdown.image_size", read_then_replace)
    build(hub, BuildOptions(jobs=1))
    assert replaced
    monkeypatch.setattr("sitegen.markdown.image_size", original)
    build(hub, BuildOptions(jobs=1))
    assert picture_size(hub) == ("400", "300")
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_a_picture_behind_a_link_pointed_at_another_file_gets_its_new_size(hub: Path, tmp_path: Path) -> None:
    images = hub / "static/images"
    (images / "v1.svg").write_text(svg(40, 30), encoding="utf-8")
    (images / "v2.svg").write_text(svg(400, 300), encoding="utf-8")
    age(images / "v1.svg")
    age(images / "v2.svg")
    (images / "p.svg").unlink()
    (images / "p.svg").symlink_to("v1.svg")
    build(hub, BuildOptions(jobs=1))
    assert picture_size(hub) == ("40", "30")
    (images / "next.svg").symlink_to("v2.svg")
    os.replace(images / "next.svg", images / "p.svg")  # `ln -sfn v2.svg p.svg`
    build(hub, BuildOptions(jobs=1))
    assert picture_size(hub) == ("400", "300")
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_a_style_sheet_saved_while_the_plan_reads_it_gets_a_new_version_link(
        hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sitegen.render import Renderer

    sheet = hub / "static/assets/sitegen.css"
    original = Renderer.asset
    saved: list[str] = []

    def read_then_save(self: Renderer, site_path: str) -> str:
        link = original(self, site_path)
        if site_path == "assets/sitegen.css" and not saved:
            sheet.write_text("body { color: #333; }\n", encoding="utf-8")  # saved just after it was read
            age(sheet)
            saved.append(link)
        return link

    edit(hub / "content/interviews/bea.md", "More bread.", "More clay.")  # an incremental build
    age(hub / "content/interviews/bea.md")
    monkeypatch.setattr(Renderer, "asset", read_then_save)
    build(hub, BuildOptions(jobs=1))
    assert saved
    monkeypatch.setattr(Renderer, "asset", original)
    build(hub, BuildOptions(jobs=1))
    version = hashlib.sha256(sheet.read_bytes()).hexdigest()[:10]
    assert f"/assets/sitegen.css?v={version}" in links(hub / "_site/index.html")
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_an_output_file_changed_just_after_a_full_build_swapped_it_in_is_repaired(
        hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sitegen.write import Staging

    page = hub / "_site/about/index.html"
    original = Staging.commit
    changed: list[Path] = []

    def commit_then_change(self: Staging, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if not changed:  # the fresh output is live: changed by hand before the build listed it
            page.write_text("changed by hand", encoding="utf-8")
            changed.append(page)

    monkeypatch.setattr(Staging, "commit", commit_then_change)
    build(hub, BuildOptions(jobs=1, clean=True))
    assert changed
    monkeypatch.setattr(Staging, "commit", original)
    build(hub, BuildOptions(jobs=1))
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_without_hard_links_an_output_file_changed_during_the_build_is_repaired(
        hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from sitegen import build as build_module

    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    page = hub / "_site/about/index.html"
    original = build_module.guard
    changed: list[Path] = []

    def change_then_guard(*args: Any, **kwargs: Any) -> None:
        page.write_text("changed by hand while the build ran", encoding="utf-8")
        changed.append(page)
        original(*args, **kwargs)

    edit(hub / "content/interviews/bea.md", "More bread.", "More clay.")
    age(hub / "content/interviews/bea.md")
    monkeypatch.setattr(os, "link", no_links)
    monkeypatch.setattr(build_module, "guard", change_then_guard)
    build(hub, BuildOptions(jobs=1))
    assert changed
    monkeypatch.undo()
    build(hub, BuildOptions(jobs=1))
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


# -- Templates the settings digest does not see ---------------------------------------------------

def test_a_template_in_a_folder_named_static_is_watched(hub: Path, tmp_path: Path) -> None:
    note = hub / "templates/static/note.html"
    note.parent.mkdir()
    note.write_text("<p>note one</p>\n", encoding="utf-8")
    card = hub / "templates/partials/entry_card.html"
    card.write_text('{% include "static/note.html" %}' + card.read_text(encoding="utf-8"), encoding="utf-8")
    build(hub, BuildOptions(jobs=1))
    note.write_text("<p>note two</p>\n", encoding="utf-8")
    build(hub, BuildOptions(jobs=1))
    assert "note two" in text(hub / "_site/index.html")
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_a_template_in_a_linked_folder_is_watched(hub: Path, tmp_path: Path) -> None:
    note = hub / "shared/note.html"
    note.parent.mkdir()
    note.write_text("<p>note one</p>\n", encoding="utf-8")
    (hub / "templates/shared").symlink_to("../shared", target_is_directory=True)
    card = hub / "templates/partials/entry_card.html"
    card.write_text('{% include "shared/note.html" %}' + card.read_text(encoding="utf-8"), encoding="utf-8")
    build(hub, BuildOptions(jobs=1))
    assert "note one" in text(hub / "_site/index.html")
    note.write_text("<p>note two</p>\n", encoding="utf-8")
    build(hub, BuildOptions(jobs=1))
    assert "note two" in text(hub / "_site/index.html")
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


# -- The clock ------------------------------------------------------------------------------------

def test_with_future_the_consent_of_an_interview_takes_effect_when_it_is_due(
        make_site: Callable[..., Path], tmp_path: Path) -> None:
    scheduled = INTERVIEW.format(title="Clay").replace("2026-10-02", "2027-01-10").replace(
        "  role: Baker\n", "  role: Baker\n  contact: {email: ana@ana.example}\n  consent: true\n")
    site = make_site(files={"content/interviews/ana.md": scheduled})
    age(site / "content/interviews/ana.md")
    before, after = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 1, 20, tzinfo=UTC)
    build(site, BuildOptions(jobs=1, future=True, now=before))
    assert not any("ana@ana.example" in link for link in links(site / "_site/interviews/ana/index.html"))
    build(site, BuildOptions(jobs=1, future=True, now=after))
    assert "mailto:ana@ana.example" in links(site / "_site/interviews/ana/index.html")
    assert tree_digest(site / "_site") == clean_digest(site, tmp_path, future=True, now=after)


# -- Files replaced by others that look the same to stat -------------------------------------------

#: (file, old text, new text of the same length, a page of the output that shows it)
REPLACED = {
    "content": ("content/interviews/ana.md", "More bread.", "More bagel.", "interviews/ana/index.html"),
    "static": ("static/assets/sitegen.css", "#222", "#333", "assets/sitegen.css"),
    "picture": ("static/images/p.svg", 'width="40" height="30"', 'width="50" height="20"', "about/index.html"),
    "output": ("_site/about/index.html", "About this hub.", "About this hug.", "about/index.html"),
}


#: The one case left open, on purpose: an output file replaced by one of the same size with
#: its time stamp kept looks exactly like a deploy's output restored from the archive of the
#: last build (new inodes and change times, the time stamps kept: test_deploy.py), which must
#: render nothing. Telling them apart would take reading every output file on every build.
OUTPUT_TICK = pytest.mark.xfail(strict=True, reason=(
    "output files are compared by size and time stamp only (a restored deploy cache must match): "
    "a hand edit of the same size with the time stamp kept is not seen"))


def _cases() -> list[Any]:
    cases = []
    for kind in REPLACED:
        for when in ("tick", "same", "older"):
            if (kind, when) == ("output", "same"):
                continue  # (an output file is always written moments before: that is "tick")
            marks = [OUTPUT_TICK] if (kind, when) == ("output", "tick") else []
            cases.append(pytest.param(kind, when, marks=marks, id=f"{kind}-{when}"))
    return cases


@pytest.mark.parametrize("kind,when", _cases())
def test_a_file_replaced_by_one_of_the_same_size_is_noticed(hub: Path, tmp_path: Path, kind: str, when: str) -> None:
    """The replacement has the size of the file the last build saw and: ``tick``, that file's
    time stamp, which the build took moments after the file was written (two saves within
    one tick of a coarse clock); ``same``, that file's time stamp, long after it was
    written (cp -p, tar, touch -r); ``older``, an older one (cp -p or tar of an older version)."""
    rel, old, new, shown = REPLACED[kind]
    path = hub / rel
    if when == "tick":  # written just before the last build
        if kind == "output":
            build(hub, BuildOptions(jobs=1, clean=True))
        else:
            now = time.time_ns()
            os.utime(path, ns=(now, now))
            build(hub, BuildOptions(jobs=1))
    before = tree_digest(hub / "_site")[shown]
    st = path.stat()
    replacement = path.with_name(path.name + ".new")
    replacement.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    assert replacement.stat().st_size == st.st_size
    mtime = st.st_mtime_ns - 3600 * 1_000_000_000 if when == "older" else st.st_mtime_ns
    os.utime(replacement, ns=(mtime, mtime))
    os.replace(replacement, path)  # a new file, as cp -p, rsync and tar make
    build(hub, BuildOptions(jobs=1))
    after = tree_digest(hub / "_site")
    assert (after[shown] == before) == (kind == "output")  # the edit shows; the hand edit is undone
    assert after == clean_digest(hub, tmp_path)


def test_an_output_folder_replaced_by_a_copy_with_a_stray_file_is_cleaned(hub: Path, tmp_path: Path) -> None:
    folder = hub / "_site/about"
    copy = tmp_path / "about-copy"
    shutil.copytree(folder, copy)
    (copy / "stray.html").write_text("not part of the site", encoding="utf-8")
    shutil.copystat(folder, copy)  # `cp -a`: the folder's time stamp kept
    shutil.rmtree(folder)
    os.rename(copy, folder)
    build(hub, BuildOptions(jobs=1))
    assert not (folder / "stray.html").exists()
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


# -- Hard links between the output and the kept spare ----------------------------------------------

def test_a_static_file_edited_in_place_never_reaches_the_output_through_a_link(hub: Path, tmp_path: Path) -> None:
    """The live output and the spare share inodes; a static file is copied, never linked: an
    editor that writes a static file in place (same inode) changes no published file until
    the next build, which then equals a clean one."""
    edit(hub / "content/interviews/bea.md", "More bread.", "More clay.")
    build(hub, BuildOptions(jobs=1))  # an incremental build: the spare now shares inodes with _site
    live = hub / "_site/assets/sitegen.css"
    assert live.stat().st_nlink == 2
    published = live.read_bytes()
    sheet = hub / "static/assets/sitegen.css"
    inode = sheet.stat().st_ino
    with open(sheet, "r+b") as f:  # in place, same inode, same size
        f.write(b"html")
    assert sheet.stat().st_ino == inode
    assert live.read_bytes() == published
    build(hub, BuildOptions(jobs=1))
    assert live.read_bytes() == sheet.read_bytes()
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="needs symbolic links")
def test_a_link_loop_in_templates_does_not_stop_the_digest(hub: Path, tmp_path: Path) -> None:
    """The settings digest follows links to folders, each folder once: a link back up the
    tree ends the walk instead of looping, and the templates are still watched."""
    (hub / "templates/partials/loop").symlink_to("..", target_is_directory=True)
    digest = cache.settings_digest(hub, load_theme(load_config(hub)), "", ())
    card = hub / "templates/partials/entry_card.html"
    card.write_text("<!-- edited -->" + card.read_text(encoding="utf-8"), encoding="utf-8")
    assert cache.settings_digest(hub, load_theme(load_config(hub)), "", ()) != digest
    build(hub, BuildOptions(jobs=1))
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_a_picture_read_twice_by_one_parse_is_remembered_as_first_read(tmp_path: Path) -> None:
    from sitegen.images import image_size

    picture = tmp_path / "p.svg"
    picture.write_text(svg(40, 30), encoding="utf-8")
    read: dict[str, tuple[int, int, int] | None] = {}
    assert image_size(picture, read) == (40, 30)
    first = read[str(picture)]
    picture.write_text(svg(400, 300), encoding="utf-8")
    assert image_size(picture, read) == (400, 300)
    assert read[str(picture)] == first  # differs from the file now: the next build parses again
    assert first is not None and first[0] == len(svg(40, 30))
