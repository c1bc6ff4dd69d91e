"""A build killed with SIGKILL at any moment leaves a complete output behind (the
previous one, or the new one if the swap had happened), and the next build succeeds
and removes the staging folders the killed builds left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from conftest import MINIMAL_CONFIG, REPO, tree_digest, write_files

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def _site(root: Path, entries: int, marker: str) -> Path:
    files = {"sitegen.yaml": MINIMAL_CONFIG, "static/images/a.txt": "static " * 1000}
    for n in range(entries):
        files[f"content/interviews/i{n}.md"] = (
            f"---\ntitle: Interview {n} {marker}\ndate: 2026-01-01\ntags: [t{n % 25}]\n---\n"
            + "## A question?\n\nAn answer that goes on for a while. \n\n" * 20
        )
    return write_files(root, files)


def _start(root: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "sitegen", "build", str(root)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _build(root: Path) -> None:
    process = _start(root)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err.decode()


def _staging(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.name.startswith("._site.sitegen-")]


def _files_in_staging(root: Path) -> int:
    return sum(len(files) for folder in _staging(root) for _, _, files in os.walk(folder))


def _wait_for(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
    """Poll until ``ready()`` or the build ends (then there is nothing left to interrupt)."""
    deadline = time.monotonic() + 300
    while process.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.002)


KILL_POINTS: dict[str, Callable[[Path], Callable[[], bool]]] = {
    "at_start": lambda root: lambda: True,
    "while_parsing": lambda root: lambda: _slept(0.3),
    "staging_created": lambda root: lambda: bool(_staging(root)),
    "first_files_written": lambda root: lambda: _files_in_staging(root) >= 5,
    "half_written": lambda root: lambda: _files_in_staging(root) >= 150,
    "nearly_done": lambda root: lambda: _files_in_staging(root) >= 290,
}


class _Clock:
    start = 0.0


def _slept(seconds: float) -> bool:
    return time.monotonic() - _Clock.start >= seconds


def test_killed_builds_leave_a_complete_output(tmp_path: Path) -> None:
    root = _site(tmp_path / "site", entries=250, marker="old")
    _build(root)
    old = tree_digest(root / "_site")

    # The reference for the new content, built elsewhere.
    reference = _site(tmp_path / "reference", entries=250, marker="new")
    _build(reference)
    new = tree_digest(reference / "_site")
    assert new != old and len(new) > 300

    _site(root, entries=250, marker="new")  # the writer edits every file
    for name, point in KILL_POINTS.items():
        _Clock.start = time.monotonic()
        process = _start(root)
        _wait_for(process, point(root))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        after = tree_digest(root / "_site")
        assert after in (old, new), f"{name}: the output is neither the old nor the new site"
        if after == new:
            old = new  # a later kill may only find the new output

    leftovers = _staging(root)
    _build(root)
    assert tree_digest(root / "_site") == new
    assert not _staging(root), f"stale staging folders were not removed: {leftovers}"


def test_stale_folders_of_dead_builds_are_removed_and_live_ones_kept(make_site, cli) -> None:
    root = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"})
    dead = root / "._site.sitegen-new-999999999"
    live = root / f"._site.sitegen-new-{os.getppid()}"  # a running process: another build
    for folder in (dead, live):
        (folder / "half").mkdir(parents=True)
    result = cli("build", root)
    assert result.exit_code == 0, result.stderr
    assert not dead.exists() and live.is_dir()


def test_output_retired_by_a_killed_swap_is_put_back(make_site) -> None:
    from sitegen.write import remove_stale

    root = make_site({})
    retired = root / "._site.sitegen-old-999999999"
    (retired / "index.html").parent.mkdir(parents=True)
    (retired / "index.html").write_text("old site")
    remove_stale(root / "_site")
    assert (root / "_site" / "index.html").read_text() == "old site" and not retired.exists()


def test_a_build_with_nothing_to_do_still_removes_what_killed_builds_left(make_site, cli) -> None:
    root = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"})
    assert cli("build", root).exit_code == 0
    dead = root / "._site.sitegen-new-999999999"
    (dead / "half").mkdir(parents=True)
    result = cli("build", root, "--explain")
    assert "nothing changed since the last build" in result.stdout
    assert not dead.exists()
