"""sitegen serve's snapshots of the watched files: the same answers as walking every
folder, with folder listings kept between snapshots."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Callable

import pytest
from watchdog.events import FileCreatedEvent, FileModifiedEvent, FileMovedEvent

from sitegen.serve import SETTLE_NS, Debouncer, Snapshots, _Watcher, changed_files, is_litter, snapshot

can_link = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="needs symbolic links")


def walked(paths: tuple[Path, ...]) -> dict[str, tuple[int, int, int]]:
    """What a snapshot means, spelled out the slow way: every file (links to files
    followed, links to folders not), without .git, __pycache__ and editors' litter."""
    found = {}

    def add(path: Path) -> None:
        try:
            st = path.stat()
        except OSError:
            return
        found[str(path)] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)

    for top in paths:
        if top.is_file():
            add(top)
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d not in (".git", "__pycache__")]
            for name in filenames:
                if not is_litter(name):
                    add(Path(dirpath) / name)
    return found


def write(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_tree(root: Path) -> tuple[Path, ...]:
    """A small site, with every folder's time stamps an hour old; the watched paths."""
    write(root / "sitegen.yaml", "title: x")
    write(root / "content/interviews/a.md", "one")
    write(root / "content/stories/sub/b.md", "two")
    write(root / "content/pages/c.md", "three")
    write(root / "content/pages/.#c.md", "lock")
    write(root / "content/__pycache__/x.pyc")
    write(root / "static/img/x.png")
    write(root / "static/.git/HEAD")
    hour_ago = time.time() - 3600
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir() and not p.is_symlink())]:
        os.utime(folder, (hour_ago, hour_ago))
    return (root / "sitegen.yaml", root / "content", root / "static", root / "templates")


def far_future() -> int:
    """A clock for which every listing is settled, so every one is kept."""
    return time.time_ns() + 10**12


def _rename(root: Path, old: str, new: str) -> None:
    (root / new).parent.mkdir(parents=True, exist_ok=True)
    os.rename(root / old, root / new)


def _replace_folder_by_file(root: Path) -> None:
    shutil.rmtree(root / "content/stories/sub")
    write(root / "content/stories/sub", "now a file")


CHANGES: dict[str, tuple[Callable[[Path], None], tuple[str, ...]]] = {
    "file added to a subfolder": (lambda r: write(r / "content/stories/sub/new.md"), ("content/stories/sub/new.md",)),
    "folder made with a file": (lambda r: write(r / "content/stories/new/d.md"), ("content/stories/new/d.md",)),
    "file renamed": (lambda r: _rename(r, "content/interviews/a.md", "content/interviews/z.md"),
                     ("content/interviews/a.md", "content/interviews/z.md")),
    "file moved to another folder": (lambda r: _rename(r, "content/interviews/a.md", "content/pages/a.md"),
                                     ("content/interviews/a.md", "content/pages/a.md")),
    "file deleted": (lambda r: (r / "content/pages/c.md").unlink(), ("content/pages/c.md",)),
    "folder deleted": (lambda r: shutil.rmtree(r / "content/stories/sub"), ("content/stories/sub/b.md",)),
    "folder renamed": (lambda r: _rename(r, "content/stories/sub", "content/stories/other"),
                       ("content/stories/other/b.md", "content/stories/sub/b.md")),
    "watched folder deleted": (lambda r: shutil.rmtree(r / "static"), ("static/img/x.png",)),
    "watched folder made": (lambda r: write(r / "templates/base.html"), ("templates/base.html",)),
    "folder replaced by a file": (_replace_folder_by_file, ("content/stories/sub", "content/stories/sub/b.md")),
    "file edited in place": (lambda r: write(r / "content/interviews/a.md", "one, longer"),
                             ("content/interviews/a.md",)),
    "settings edited": (lambda r: write(r / "sitegen.yaml", "title: y2"), ("sitegen.yaml",)),
    "litter added": (lambda r: [write(r / "content/interviews" / n) for n in (".#a.md", "a.md.swp", "a.md~")], ()),
    "file in .git added": (lambda r: write(r / "static/.git/ORIG_HEAD"), ()),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_kept_listings_see_every_change(tmp_path, change):
    act, expected = CHANGES[change]
    paths = make_tree(tmp_path)
    snapshots = Snapshots(clock=far_future)
    first = snapshots.take(paths)
    assert first == walked(paths) == snapshot(paths)
    assert "content/pages/.#c.md" not in changed_files({}, first, tmp_path)
    act(tmp_path)
    second = snapshots.take(paths)
    assert second == walked(paths)
    assert changed_files(first, second, tmp_path) == expected
    assert snapshots.take(paths) == second  # and the listings kept after the change are right too


@can_link
def test_links_to_folders_are_not_followed_even_once_their_folder_appears(tmp_path):
    paths = make_tree(tmp_path)
    os.symlink(tmp_path / "elsewhere", tmp_path / "content/pages/linked")  # leads nowhere yet
    os.symlink(tmp_path / "target.md", tmp_path / "content/pages/linked.md")
    hour_ago = time.time() - 3600
    os.utime(tmp_path / "content/pages", (hour_ago, hour_ago))
    snapshots = Snapshots(clock=far_future)
    first = snapshots.take(paths)
    assert first == walked(paths)
    write(tmp_path / "elsewhere/e.md")  # outside the watched folders: no listing changes
    write(tmp_path / "target.md")
    second = snapshots.take(paths)
    assert second == walked(paths)
    assert changed_files(first, second, tmp_path) == ("content/pages/linked.md",)


def _count_listings(monkeypatch, root: Path) -> list[str]:
    listed: list[str] = []
    real = os.scandir

    def scandir(path=".", *args, **kwargs):
        if str(path).startswith(str(root)):
            listed.append(Path(path).relative_to(root).as_posix())
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    return listed


def test_only_changed_or_forgotten_folders_are_listed_again(tmp_path, monkeypatch):
    paths = make_tree(tmp_path)
    snapshots = Snapshots(clock=far_future)
    listed = _count_listings(monkeypatch, tmp_path)
    snapshots.take(paths)
    assert sorted(listed) == ["content", "content/interviews", "content/pages", "content/stories",
                              "content/stories/sub", "static", "static/img"]
    listed.clear()
    snapshots.take(paths)
    assert listed == []  # nothing changed: the files are looked at, no folder is listed
    write(tmp_path / "content/stories/sub/new.md")
    snapshots.take(paths)
    assert listed == ["content/stories/sub"]
    listed.clear()
    snapshots.forget(str(tmp_path / "content/pages"))  # the watcher saw something come or go there
    snapshots.take(paths)
    assert listed == ["content/pages"]
    listed.clear()
    snapshots.take(paths)
    assert listed == []


def test_a_listing_is_kept_only_once_its_folder_has_settled(tmp_path, monkeypatch):
    """Within a coarse file-system tick of a folder's last change, another change may
    leave its time stamps as they were: such a folder is listed again next time."""
    paths = make_tree(tmp_path)
    stamps = [max(st.st_mtime_ns, st.st_ctime_ns) for st in
              (p.stat() for p in tmp_path.rglob("*") if p.is_dir())]
    listed = _count_listings(monkeypatch, tmp_path)
    unsettled = Snapshots(clock=lambda: min(stamps) + SETTLE_NS)  # no folder is old enough yet
    unsettled.take(paths)
    count = len(listed)
    listed.clear()
    unsettled.take(paths)
    assert len(listed) == count
    settled = Snapshots(clock=lambda: max(stamps) + SETTLE_NS + 1)
    settled.take(paths)
    listed.clear()
    settled.take(paths)
    assert listed == []


def test_a_fresh_site_is_listed_again_with_the_real_clock(tmp_path, monkeypatch):
    write(tmp_path / "content/interviews/a.md")
    paths = (tmp_path / "content",)
    snapshots = Snapshots()
    listed = _count_listings(monkeypatch, tmp_path)
    first = snapshots.take(paths)
    write(tmp_path / "content/interviews/b.md")  # maybe within the same tick of the file system's clock
    second = snapshots.take(paths)
    assert listed.count("content/interviews") == 2
    assert second == walked(paths)
    assert changed_files(first, second, tmp_path) == ("content/interviews/b.md",)


def test_the_watcher_forgets_folders_where_entries_come_and_go(tmp_path):
    forgotten: list[str] = []
    watcher = _Watcher(tmp_path, Debouncer(), forget=forgotten.append)
    content = tmp_path / "content"
    watcher.on_any_event(FileModifiedEvent(str(content / "interviews/a.md")))
    assert forgotten == []  # an edit leaves the folder's listing as it was
    watcher.on_any_event(FileCreatedEvent(str(content / "interviews/b.md")))
    assert str(content / "interviews") in forgotten
    forgotten.clear()
    watcher.on_any_event(FileMovedEvent(str(content / "interviews/b.md"), str(content / "stories/b.md")))
    assert {str(content / "interviews"), str(content / "stories")} <= set(forgotten)


def test_changed_files_lists_each_name_once_sorted(tmp_path):
    root = tmp_path
    before = {str(root / "content/b.md"): (1, 1, 1), str(root / "content/a.md"): (1, 1, 2), "/elsewhere/t.html": (1, 1, 3)}
    after = {str(root / "content/a.md"): (2, 1, 2), str(root / "content/c.md"): (1, 1, 4), "/elsewhere/t.html": (1, 1, 3)}
    assert changed_files(before, after, root) == ("content/a.md", "content/b.md", "content/c.md")
    assert changed_files(before, dict(before), root) == ()
    assert changed_files(before, {}, root) == ("/elsewhere/t.html", "content/a.md", "content/b.md")


# -- The content files a rebuild starts from ------------------------------------------

def _listed(sources: object) -> list[tuple[str, str, object]]:
    return [(s.kind, s.rel, s.stat) for s in sources]  # type: ignore[attr-defined]


class _Preview:
    """A preview server's content-file bookkeeping, driven the way its rebuild loop drives it."""

    def __init__(self, root: Path) -> None:
        from sitegen.serve import PreviewServer, ServeOptions
        self.root = root
        self.server = PreviewServer(root, ServeOptions(port=0), lambda outcome: None)
        self.server._snapshot = self.server._snapshots.take(self.server._watched_paths())
        self.first = self.server._content_sources(())

    def rebuild(self) -> object:
        server = self.server
        after = server._snapshots.take(server._watched_paths())
        changed = changed_files(server._snapshot, after, server.root)
        server._snapshot = after
        return server._content_sources(changed)


@pytest.mark.parametrize("change", ["edit", "edit by rename", "new file", "deleted file", "renamed file",
                                    "new hidden file", "static edit"])
def test_content_files_equal_a_fresh_discovery_after_each_change(tmp_path: Path, change: str) -> None:
    from sitegen.discover import discover_content
    make_tree(tmp_path)
    preview = _Preview(tmp_path)
    assert _listed(preview.first) == _listed(discover_content(tmp_path.resolve())[0])
    a = tmp_path / "content/interviews/a.md"
    if change == "edit":
        write(a, "one, and more")
    elif change == "edit by rename":  # how some editors save: a new file renamed over the old one
        write(tmp_path / "content/interviews/a.md.tmp", "one, edited")
        os.replace(tmp_path / "content/interviews/a.md.tmp", a)
    elif change == "new file":
        write(tmp_path / "content/interviews/new.md", "new")
    elif change == "deleted file":
        a.unlink()
    elif change == "renamed file":
        a.rename(tmp_path / "content/interviews/b.md")
    elif change == "new hidden file":
        write(tmp_path / "content/interviews/_notes.md", "not published")
    else:
        write(tmp_path / "static/img/x.png", "y")
    assert _listed(preview.rebuild()) == _listed(discover_content(tmp_path.resolve())[0])


@can_link
def test_content_reached_through_links_is_always_discovered_again(tmp_path: Path) -> None:
    from sitegen.discover import discover_content
    make_tree(tmp_path)
    (tmp_path / "content/interviews/more").symlink_to(tmp_path / "content/stories/sub", target_is_directory=True)
    preview = _Preview(tmp_path)
    assert any(s.rel == "content/interviews/more/b.md" for s in preview.first)  # type: ignore[union-attr]
    assert preview.server._sources is None, "the snapshot does not watch files behind a folder link"
    write(tmp_path / "content/stories/sub/b.md", "two, edited")
    assert _listed(preview.rebuild()) == _listed(discover_content(tmp_path.resolve())[0])

    (tmp_path / "content/interviews/more").unlink()
    (tmp_path / "content/pages/d.md").symlink_to(tmp_path / "content/pages/c.md")
    preview = _Preview(tmp_path)
    write(tmp_path / "content/pages/c.md", "three, edited")  # the link's target: both change
    assert _listed(preview.rebuild()) == _listed(discover_content(tmp_path.resolve())[0])

    (tmp_path / "outside.md").write_text("x")
    (tmp_path / "content/pages/d.md").unlink()
    (tmp_path.parent / "elsewhere.md").write_text("x")
    (tmp_path / "content/pages/e.md").symlink_to(tmp_path.parent / "elsewhere.md")
    assert preview.rebuild() is None, "discovery has a problem to report: the build discovers again"


@can_link
def test_a_previews_snapshots_follow_links_to_folders_in_the_site_only(tmp_path):
    """As discovery does: a link to a folder of the site is looked into (and its folder is
    to be watched); a link to the site itself, its .git or its build cache, or out of it, is not."""
    paths = make_tree(tmp_path)
    write(tmp_path / "shared/stories/s.md", "shared")
    write(tmp_path / ".sitegen-cache/serve/index.html", "built")
    write(tmp_path.parent / f"{tmp_path.name}-outside/o.md", "outside")
    pages = tmp_path / "content/pages"
    os.symlink(tmp_path / "shared/stories", pages / "shared")
    os.symlink(tmp_path, pages / "whole-site")
    os.symlink(tmp_path / ".sitegen-cache", pages / "cache")
    os.symlink(tmp_path.parent / f"{tmp_path.name}-outside", pages / "outside")
    snapshots = Snapshots(root=tmp_path)
    found = snapshots.take(paths)
    assert str(pages / "shared/s.md") in found
    assert not any(name.startswith((str(pages / "whole-site"), str(pages / "cache"), str(pages / "outside")))
                   for name in found)
    assert snapshots.outside == {(tmp_path / "shared/stories").resolve()}
    write(tmp_path / "shared/stories/s.md", "shared, edited")
    assert changed_files(found, snapshots.take(paths), tmp_path) == ("content/pages/shared/s.md",)
    assert Snapshots().take(paths) == walked(paths)  # without the site's folder: links to folders not followed
