"""Every fixture under tests/sites/broken/<case>/ is a small site with one mistake.

Each case's ``expect.yaml`` says what the build must answer: the exit status, the
``path:line:`` prefix, words of the message and of the hint. The previous output is
a good build of tests/sites/minimal; a failing build into the same output folder must
leave it byte-identical, with no staging folder behind. Cases that must build
(``exit: 0``: a byte-order mark, a 1 MB line, a link loop...) list files they build.
"""

from __future__ import annotations

import os
import pathlib
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import SITES, tree_digest

BROKEN = SITES / "broken"
CASES = sorted(p.name for p in BROKEN.iterdir() if (p / "expect.yaml").is_file())


def _make_unreadable(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Take read permission away; as root (CI) that changes nothing, so reading the
    file is also made to fail the way it fails for a normal user."""
    path.chmod(0)
    denied = path.resolve()
    real_read_bytes = pathlib.Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.resolve() == denied:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", read_bytes)


def test_every_case_has_a_fixture() -> None:
    assert len(CASES) >= 40, CASES


@pytest.mark.parametrize("case", CASES)
def test_broken_site(case: str, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    expect = yaml.safe_load((BROKEN / case / "expect.yaml").read_text(encoding="utf-8"))
    good = tmp_path / "good"
    shutil.copytree(SITES / "minimal", good)
    output = tmp_path / "out"
    first = cli("build", good, "--output", output)
    assert first.exit_code == 0, first.stderr
    before = tree_digest(output)

    root = tmp_path / case
    shutil.copytree(BROKEN / case, root, symlinks=True)
    if expect.get("git_folder"):
        (root / ".git").mkdir()
        (root / ".git" / "config").write_text("[remote]\n  token = never-published\n")
    if expect.get("unreadable"):
        _make_unreadable(monkeypatch, root / expect["unreadable"])

    result = cli("build", root, "--output", output)
    stderr = result.stderr
    assert "Traceback" not in result.output + stderr
    assert result.exit_code == expect["exit"], stderr
    for key in ("prefix", "also"):
        if key in expect:
            assert any(line.startswith(expect[key]) for line in stderr.splitlines()), stderr
    if "prefix" in expect:
        line = next(line for line in stderr.splitlines() if line.startswith(expect["prefix"]))
        assert expect["message"] in line, stderr
        hint = stderr.splitlines()[stderr.splitlines().index(line) + 1]
        assert hint.startswith("  hint: ") and expect["hint"] in hint, stderr
    if expect.get("quiet"):  # nothing said about the content (settings advice may remain)
        assert "content/" not in stderr and "problem" not in stderr, stderr
    if expect["exit"] == 1:
        assert tree_digest(output) == before
        assert "The previous output was left as it was" in stderr
    for built in expect.get("built", []):
        assert (output / built).is_file(), built
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.sitegen")]
    assert os.listdir(tmp_path / case / "content")  # nothing of the writer's was removed


def test_many_problems_are_all_counted_and_sorted(make_site, cli) -> None:
    files = {f"content/stories/s{n:02}.md": "---\ntitle: [broken\n---\n" for n in range(60)}
    files["content/interviews/z.md"] = "---\ntitle: Z\n---\nno date\n"
    root = make_site(files)
    result = cli("build", root)
    assert result.exit_code == 1
    located = [line.split(":")[0] for line in result.stderr.splitlines() if line.startswith("content/")]
    assert len(located) == 50 and located == sorted(located)
    assert located[0] == "content/interviews/z.md"
    assert "... and 11 more problems" in result.stderr
    assert "Build failed: 61 problems." in result.stderr


def test_collisions_are_reported_with_the_other_problems(make_site, cli) -> None:
    root = make_site({
        "content/stories/Bread.md": "---\ntitle: A\ndate: 2026-01-01\n---\nx\n",
        "content/stories/bread.md": "---\ntitle: B\ndate: 2026-01-01\n---\nx\n",
        "content/stories/broken.md": "---\ntitle: Bread: a co-op\n---\nx\n",
        "static/logo.svg": "<svg/>",
    })
    (root / "static" / "outside").symlink_to("/etc/hostname")
    result = cli("build", root)
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if not line.startswith(("  hint:", "Build failed"))]
    assert [line.split(":")[0] for line in lines] == [
        "content/stories/bread.md", "content/stories/broken.md", "static/outside"], result.stderr
    assert "Build failed: 3 problems." in result.stderr
