"""The README: its set-up commands work as written, CI runs them, and its links lead somewhere.

The first command is run as a new user would run it: in a copy of the checkout (the
files a clone would have), with Debian's /usr/bin/python3 first on PATH and nothing of
this environment's Python leaking in. It installs from the package index, so it is
marked ``slow`` (it still runs by default).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import REPO, soup

README = (REPO / "README.md").read_text(encoding="utf-8")
SYSTEM_PYTHON = Path("/usr/bin/python3")


def _commands() -> list[str]:
    """The README's shell commands, in order (the ```sh blocks)."""
    return re.findall(r"^```sh\n(.+?)\n```$", README, flags=re.MULTILINE | re.DOTALL)


def _links(text: str) -> list[str]:
    """Relative Markdown link targets (``[label](target)``) in ``text``, code left out."""
    prose = re.sub(r"^```.*?^```$", "", text, flags=re.MULTILINE | re.DOTALL)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    return [t for t in re.findall(r"\]\(([^)\s]+)\)", prose) if not re.match(r"[a-z]+:", t)]


def _anchors(page: Path) -> set[str]:
    """The anchors GitHub makes for a Markdown page's headings."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_the_two_set_up_commands_make_and_use_a_virtual_environment() -> None:
    first, second = _commands()[:2]
    for command in (first, second):
        steps = [s.strip() for s in command.split("&&")]
        assert steps[0] == "python3 -m venv .venv", command
        # Nothing after it may reach for a Python or pip outside the environment.
        assert all(s.startswith(".venv/bin/") for s in steps[1:]), command
    assert "sitegen build example-site" in first and "pip install . " in first + " "
    assert 'pip install -e ".[test]"' in second and "pytest" in second


def test_the_readme_names_the_python_it_needs() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    needed = re.fullmatch(r">=(\d+\.\d+)", project["project"]["requires-python"])
    assert needed, project["project"]["requires-python"]
    assert f"Python {needed.group(1)} or newer" in README
    assert "python3-venv" in README


def test_ci_runs_the_readme_test_command_exactly() -> None:
    test_command = _commands()[1]
    ci = (REPO / ".ci/run").read_text(encoding="utf-8")
    lines = [line for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert test_command in lines, ".ci/run runs the README's test command, as written"
    after = lines[lines.index(test_command) + 1:]
    assert after == [".venv/bin/mypy && .venv/bin/ruff check sitegen"], "then only the type and lint checks"
    assert "PIP_UPGRADE_STRATEGY=eager" in ci, "CI installs the newest releases pyproject allows"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {t.split("#")[0] for t in _links(README)}
    pages = {f"docs/{p.name}" for p in (REPO / "docs").glob("*.md")}
    assert pages, "the reference lives in docs/"
    assert pages <= linked, sorted(pages - linked)


_ALL_LINKS = sorted({("README.md", t) for t in _links(README)}
                    | {(f"docs/{p.name}", t) for p in (REPO / "docs").glob("*.md")
                       for t in _links(p.read_text(encoding="utf-8"))})


@pytest.mark.parametrize(("page", "target"), _ALL_LINKS)
def test_links_lead_to_a_page_and_heading(page: str, target: str) -> None:
    path, _, anchor = target.partition("#")
    destination = (REPO / page).parent / path if path else REPO / page
    assert destination.exists(), f"{page} links to {target}, which does not exist"
    if anchor and destination.suffix == ".md":
        assert anchor in _anchors(destination), f"{page} links to {target}: no such heading"


def test_no_work_journal_in_the_documentation() -> None:
    texts = {"README.md": README} | {f"docs/{p.name}": p.read_text(encoding="utf-8")
                                     for p in (REPO / "docs").glob("*.md")}
    journal = re.compile(r"\b(sessions?|sittings?|(first|second|third|fourth|fifth) (run|session))\b", re.I)
    found = [(name, m.group(0)) for name, text in texts.items() for m in journal.finditer(text)]
    assert found == []


def _clean_copy(destination: Path) -> Path:
    """The files a clone of the checkout holds (tracked or new, none ignored).

    Outside a git checkout (an unpacked sdist), everything but what builds, installs
    and tests leave behind.
    """
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True)
    if listed.returncode != 0:
        litter = (".git", ".venv", "_site", ".sitegen-cache", "node_modules", "__pycache__",
                  "*.egg-info", "build", "dist", ".pytest_cache", ".hypothesis", "_artifacts", "_work")
        return Path(shutil.copytree(REPO, destination, symlinks=True,
                                    ignore=shutil.ignore_patterns(*litter)))
    for name in filter(None, listed.stdout.decode().split("\0")):
        source, target = REPO / name, destination / name
        if source.is_symlink() or source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    return destination


@pytest.mark.slow
@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="no system Python at /usr/bin/python3")
def test_the_first_command_works_with_the_system_python(tmp_path: Path) -> None:
    clone = _clean_copy(tmp_path / "sitegen")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = "/usr/bin:/bin"
    result = subprocess.run(["/bin/sh", "-c", _commands()[0]], cwd=clone, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr

    config = (clone / ".venv/pyvenv.cfg").read_text(encoding="utf-8")
    assert re.search(r"^home = /usr/bin$", config, flags=re.MULTILINE), config
    title = yaml.safe_load((clone / "example-site/sitegen.yaml").read_text(encoding="utf-8"))["title"]
    home = soup(clone / "example-site/_site/index.html")
    assert home.find("h1").get_text(strip=True) == title
    stylesheet = home.find("link", rel="stylesheet")
    assert stylesheet is not None and stylesheet["href"].startswith("/assets/"), stylesheet
