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


# -- Incremental builds ------------------------------------------------------------------------
# An incremental build makes the next output beside the old one (the unchanged files linked,
# the new ones rendered) and swaps it in. SITEGEN_TEST_KILL (see sitegen/write.py) makes the
# build kill itself at a chosen moment of that: partway through linking, once every file is
# linked, just before the swap, and just after it.

def _start_killed_at(root: Path, point: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SITEGEN_TEST_KILL": point}
    return subprocess.Popen([sys.executable, "-m", "sitegen", "build", str(root)], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _new_interview(root: Path) -> None:
    """The edit that once left a half-new site: a new interview, which the home page, the
    feeds, the sitemap and the lists link to."""
    write_files(root, {"content/interviews/zz-new.md": "---\ntitle: A new interview\ndate: 2026-06-01\n"
                                                       "tags: [t1]\n---\n## Why?\n\nBecause.\n"})


def _edit_first(root: Path) -> None:
    path = root / "content/interviews/i0.md"
    path.write_text(path.read_text() + "One more answer.\n")


@pytest.mark.parametrize("point,leaves,spare", [
    ("carried:40", "old", False), ("carried:999999", "old", False), ("swap", "old", False),
    ("carried:0", "old", True), ("carried:40", "old", True), ("swapped", "new", True),
])
def test_killed_incremental_builds_leave_the_old_or_the_new_site_whole(tmp_path: Path, point: str,
                                                                       leaves: str, spare: bool) -> None:
    """``spare``: an incremental build ran before, so the killed one makes its next output
    from the output that build replaced; else from nothing."""
    root = _site(tmp_path / "site", entries=60, marker="same")
    _build(root)
    if spare:
        _edit_first(root)
        _build(root)
        assert (root / ".sitegen-cache/output-spare/index.html").is_file()
    old = tree_digest(root / "_site")

    reference = _site(tmp_path / "reference", entries=60, marker="same")  # the new site, built clean
    if spare:
        _edit_first(reference)
    _new_interview(reference)
    _build(reference)
    new = tree_digest(reference / "_site")
    assert new != old and "interviews/zz-new/index.html" in new

    _new_interview(root)
    process = _start_killed_at(root, point)
    _, err = process.communicate(timeout=600)
    assert process.returncode == -signal.SIGKILL, f"the build was not killed at {point}: {err.decode()}"
    after = tree_digest(root / "_site")
    assert after == (old if leaves == "old" else new), f"killed at {point}: not the {leaves} site, whole"

    _build(root)  # the next build ends what the killed one began, and cleans up after it
    assert tree_digest(root / "_site") == new
    assert not _staging(root)


def test_an_incremental_build_replaces_files_and_never_writes_into_them(make_site, cli) -> None:
    """The next output shares the unchanged files' bytes with the old one (hard links): a
    changed file must be a new file, or the old output (and any other link) would change too."""
    root = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n", "static/notes.txt": "notes"})
    os.utime(root / "static/notes.txt", (time.time() - 60, time.time() - 60))  # (else copied again, to be sure)
    assert cli("build", root).exit_code == 0
    about, more = root / "_site/about/index.html", root / "_site/notes.txt"
    elsewhere = root.parent / "about-before.html"
    os.link(about, elsewhere)
    before, more_inode = about.read_bytes(), more.stat().st_ino
    (root / "content/pages/about.md").write_text("---\ntitle: About\n---\nHello again\n")
    assert cli("build", root).exit_code == 0
    assert "Hello again" in about.read_text()
    assert elsewhere.read_bytes() == before  # written as a new file, not into the old one
    assert more.stat().st_ino == more_inode  # an unchanged file is linked, not copied
    result = cli("build", root, "--explain")
    assert "nothing changed since the last build" in result.stdout  # the cache knows the new output


# -- A worker killed outright ------------------------------------------------------------------

@pytest.mark.parametrize("stage", ["parse", "render"])
def test_a_worker_killed_outright_fails_the_build_instead_of_hanging_it(tmp_path: Path, stage: str) -> None:
    """A forked worker killed by the system (out of memory, a kill -9) never sends its
    part back: the build notices, fails with a message, and leaves the output as it was."""
    root = _site(tmp_path / "site", 60, "first")
    _build(root)
    before = tree_digest(root / "_site")
    for path in (root / "content/interviews").glob("*.md"):  # every page changed: all of it is parsed again
        path.write_text(path.read_text(encoding="utf-8").replace(" first", " second"), encoding="utf-8")
    target = "sitegen.parse.parse_source" if stage == "parse" else "sitegen.render.Renderer.render_page"
    module, _, name = target.rpartition(".")
    script = f"""
import os, signal, sys
from pathlib import Path
import importlib
parent = os.getpid()
owner = importlib.import_module({module!r}) if {stage!r} == "parse" else importlib.import_module("sitegen.render").Renderer
real = getattr(owner, {name!r})
def dying(*args, **kwargs):
    if os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args, **kwargs)
setattr(owner, {name!r}, dying)
from sitegen.cli import main
sys.argv = ["sitegen", "build", {str(root)!r}, "--jobs", "2"]
main()
"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 1, done.stderr
    assert "a worker process stopped before it finished" in done.stderr and "Traceback" not in done.stderr
    assert tree_digest(root / "_site") == before


def test_cache_files_a_killed_build_was_writing_are_removed(make_site, cli) -> None:
    """A build killed while it wrote the cache leaves a temporary file (an index of
    megabytes at 10,000 pages): the next build removes those of builds no longer running,
    and keeps the others and anything that is not a file."""
    root = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"})
    assert cli("build", root).exit_code == 0
    cache = root / ".sitegen-cache"
    dead = [cache / ".index.pickle.999999999.tmp", cache / ".pages-0a.pickle.999999999.tmp",
            cache / "bodies/.0a1b2c3d.999999999.tmp"]
    live = cache / f".index.pickle.{os.getppid()}.tmp"  # a running process: another build
    folder = cache / ".notes.999999999.tmp"
    for path in (*dead, live):
        path.write_bytes(b"half written")
    (folder / "kept.txt").parent.mkdir()
    (folder / "kept.txt").write_text("kept")
    (root / "content/pages/about.md").write_text("---\ntitle: About\n---\nHello\n")
    result = cli("build", root)
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in dead if p.exists()] == []
    assert live.read_bytes() == b"half written" and (folder / "kept.txt").read_text() == "kept"
    assert (root / "_site/about/index.html").is_file() and "Hello" in (root / "_site/about/index.html").read_text()


def test_left_over_names_with_numbers_no_process_can_have_are_removed_without_an_error(make_site, cli) -> None:
    """The pid in a left-over name decides whether its build still runs. A number too large
    for any process (a name copied from elsewhere, or made up) is a dead build's, not a
    traceback at every build."""
    root = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n"})
    assert cli("build", root).exit_code == 0
    staging = root / "._site.sitegen-new-99999999999999999999"
    (staging / "half").mkdir(parents=True)
    stash = root / ".sitegen-cache/.index.pickle.99999999999999999999.tmp"
    stash.write_bytes(b"half written")
    (root / "content/pages/about.md").write_text("---\ntitle: About\n---\nHello\n")
    result = cli("build", root)
    assert result.exit_code == 0, result.stderr
    assert not staging.exists() and not stash.exists()
    assert "Hello" in (root / "_site/about/index.html").read_text()
