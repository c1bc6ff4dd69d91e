"""Discovery's results and the Source values it makes."""

from __future__ import annotations

import copy
import os
import pickle
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from sitegen.discover import Source, discover_content

can_link = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="needs symbolic links")


def test_a_source_given_its_path_as_text_is_the_same_source(tmp_path):
    where = tmp_path / "content" / "stories" / "a.md"
    made = Source("story", where, "content/stories/a.md", (3, 7))
    from_text = Source(kind="story", path=str(where), rel="content/stories/a.md", stat=(3, 7))
    assert isinstance(from_text.path, Path) and from_text.path == where
    assert str(from_text.path) == str(where)
    assert from_text == made and hash(from_text) == hash(made)
    assert repr(from_text) == repr(made) == (
        f"Source(kind='story', path={where!r}, rel='content/stories/a.md', stat=(3, 7))")
    assert {made: 1}[from_text] == 1


def test_a_source_compares_kind_path_and_rel_but_not_stat(tmp_path):
    a = Source("page", str(tmp_path / "a.md"), "content/pages/a.md", (1, 1))
    assert a == Source("page", tmp_path / "a.md", "content/pages/a.md", None)
    assert a != Source("story", tmp_path / "a.md", "content/pages/a.md", (1, 1))
    assert a != Source("page", tmp_path / "b.md", "content/pages/a.md", (1, 1))
    assert a != Source("page", tmp_path / "a.md", "content/pages/b.md", (1, 1))
    assert a != ("page", tmp_path / "a.md", "content/pages/a.md")
    assert Source("page", "x.md", "r").stat is None


def test_a_source_is_frozen_and_survives_pickling_and_copying(tmp_path):
    source = Source("interview", str(tmp_path / "i.md"), "content/interviews/i.md", (5, 6))
    with pytest.raises(FrozenInstanceError):
        source.rel = "elsewhere"  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        del source.kind  # type: ignore[misc]
    for twin in (pickle.loads(pickle.dumps(source)), copy.copy(source), copy.deepcopy(source)):
        assert twin == source and twin.stat == (5, 6) and twin.path == tmp_path / "i.md"
    source.path  # made from the text now; pickling still works
    assert pickle.loads(pickle.dumps(source)) == source
    match source:
        case Source(kind, path, rel, stat):
            assert (kind, path, rel, stat) == ("interview", tmp_path / "i.md", "content/interviews/i.md", (5, 6))


def _write(root: Path, rel: str, text: str = "---\ntitle: T\n---\nx\n") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_discovered_sources_by_kind_then_path(tmp_path):
    root = tmp_path.resolve()
    for rel in ("content/interviews/b.md", "content/interviews/a.markdown", "content/interviews/2024/z.md",
                "content/interviews/2024/deeper/y.MD", "content/interviews/notes.txt",
                "content/interviews/.#a.md", "content/interviews/_drafts/d.md", "content/stories/s.md",
                "content/pages/about.md", "content/elsewhere/e.md"):
        _write(root, rel)
    sources, problems = discover_content(root)
    assert problems == []
    assert [(s.kind, s.rel) for s in sources] == [
        ("interview", "content/interviews/a.markdown"),
        ("interview", "content/interviews/b.md"),
        ("interview", "content/interviews/2024/z.md"),
        ("interview", "content/interviews/2024/deeper/y.MD"),
        ("story", "content/stories/s.md"),
        ("page", "content/pages/about.md"),
    ]
    for source in sources:
        assert source.path == root / source.rel and source.path.is_absolute()
        assert str(source.path) == str(root / source.rel)
        st = source.path.stat()
        assert source.stat == (st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@can_link
def test_links_in_content_are_followed_only_inside_the_site(tmp_path):
    root = (tmp_path / "site").resolve()
    _write(root, "shared/linked.md", "---\ntitle: Linked\n---\nmore words here\n")
    _write(root, "shared/folder/in-folder.md")
    _write(tmp_path, "outside/secret.md")
    _write(root, ".git/HEAD.md")
    stories = root / "content/stories"
    stories.mkdir(parents=True)
    (stories / "linked.md").symlink_to(root / "shared/linked.md")
    (stories / "folder").symlink_to(root / "shared/folder")
    (stories / "out.md").symlink_to(tmp_path / "outside/secret.md")
    (stories / "git.md").symlink_to(root / ".git/HEAD.md")
    (stories / "loop").symlink_to(stories)
    sources, problems = discover_content(root)
    assert [s.rel for s in sources] == ["content/stories/linked.md", "content/stories/folder/in-folder.md"]
    linked = sources[0]
    st = (root / "shared/linked.md").stat()
    assert linked.stat == (st.st_size, st.st_mtime_ns, st.st_ctime_ns)  # the file's, not the link's
    assert linked.path == stories / "linked.md"
    assert sorted(p.path for p in problems) == ["content/stories/git.md", "content/stories/out.md"]
