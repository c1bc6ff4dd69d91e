"""Packaging: what a release would publish, and what a user gets from the wheel alone.

``python -m build`` makes an sdist and a wheel that ``twine check`` accepts (the
README renders as the long description); the wheel, installed in a new virtual
environment with nothing else of sitegen, reports its version, builds the example hub
and a hub made by ``sitegen init``. These tests install from the package index, so
they are marked ``slow`` (they still run by default; ``-m "not slow"`` leaves them out).
"""

from __future__ import annotations

import ast
import email
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, soup, write_files

SOURCE_VERSION = next(
    ast.literal_eval(node.value)
    for node in ast.parse((REPO / "sitegen/__init__.py").read_text(encoding="utf-8")).body
    if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__version__" for t in node.targets)
)


def _run(args: list[str | Path], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command outside the checkout, with no PYTHONPATH leading back into it."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=900, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, as ``python -m build`` makes them (the wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", out, REPO], cwd=out)
    return out


def _one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_the_version_is_written_in_one_place() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "sitegen.__version__"}


@pytest.mark.slow
def test_sdist_and_wheel_pass_twine_check(dist: Path) -> None:
    wheel, sdist = _one(dist, "*.whl"), _one(dist, "*.tar.gz")
    assert wheel.name == f"sitegen_hub-{SOURCE_VERSION}-py3-none-any.whl"
    _run([sys.executable, "-m", "twine", "check", "--strict", wheel, sdist], cwd=dist)

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = email.message_from_bytes(
            archive.read(f"sitegen_hub-{SOURCE_VERSION}.dist-info/METADATA"))
    assert metadata["Version"] == SOURCE_VERSION
    assert metadata["Description-Content-Type"] == "text/markdown"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert metadata.get_payload(decode=True).decode("utf-8").strip() == readme.strip()
    # The theme, the interface strings and the skeleton of `init` travel in the wheel.
    for shipped in (REPO / "themes").rglob("*"):
        if shipped.is_file() and "__pycache__" not in shipped.parts:
            assert f"sitegen/builtin_themes/{shipped.relative_to(REPO / 'themes').as_posix()}" in names
    for shipped in (REPO / "sitegen/skeleton").rglob("*"):
        if shipped.is_file() and "__pycache__" not in shipped.parts:
            assert f"sitegen/{shipped.relative_to(REPO / 'sitegen').as_posix()}" in names
    assert "sitegen/builtin_themes/default/i18n/es.yaml" in names

    with tarfile.open(sdist) as archive:
        members = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    assert {"README.md", "pyproject.toml", "sitegen/__init__.py",
            "themes/default/templates/base.html"} <= members


@pytest.mark.slow
def test_the_wheel_alone_builds_the_example_hub_and_a_new_one(dist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    python, sitegen = venv / "bin/python", venv / "bin/sitegen"
    _run([python, "-m", "pip", "install", "-q", _one(dist, "*.whl")], cwd=tmp_path)

    where = _run([python, "-c", "import sitegen; print(sitegen.__file__)"], cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(venv), "sitegen must come from the wheel"
    version = _run([sitegen, "--version"], cwd=tmp_path)
    assert version.stdout.split() == ["sitegen,", "version", SOURCE_VERSION]

    example = tmp_path / "example-site"
    shutil.copytree(REPO / "example-site", example,
                    ignore=shutil.ignore_patterns("_site", ".sitegen-cache"))
    _run([sitegen, "build", example, "--base-url", "http://localhost:8000/"], cwd=tmp_path)
    home = soup(example / "_site/index.html")
    assert home.find("link", rel="stylesheet") is not None
    assert home.find("html").get("lang") == "en"
    assert list((example / "_site/interviews").glob("*/index.html"))
    spanish = soup(example / "_site/interviews/libreria-la-cuesta/index.html")
    assert spanish.find("html").get("lang") == "es"
    assert " de " in spanish.find("time").get_text(), "dates in Spanish, from the wheel's babel and strings"

    hub = tmp_path / "my-hub"
    _run([sitegen, "init", hub], cwd=tmp_path)
    assert (hub / "sitegen.yaml").is_file() and (hub / ".github/workflows/pages.yml").is_file()
    _run([sitegen, "build", hub], cwd=tmp_path)
    assert soup(hub / "_site/index.html").find("h1") is not None
    _run([sitegen, "check", hub, "--no-build"], cwd=tmp_path)


def test_installed_package_builds_a_site_with_its_own_theme(tmp_path: Path) -> None:
    """A non-editable install carries the default theme inside the package."""
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps",
         "--target", str(target), str(REPO)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    assert (target / "sitegen/builtin_themes/default/templates/base.html").is_file()
    assert (target / "sitegen/builtin_themes/default/i18n/en.yaml").is_file()
    site = write_files(tmp_path / "hub", {
        "sitegen.yaml": "title: Hub\nbase_url: https://example.org/\n",
        "content/pages/about.md": "---\ntitle: About\n---\nHello.\n",
    })
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-m", "sitegen", "build", str(site)],
                            capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (site / "_site/about/index.html").is_file()
    assert (site / "_site/assets/sitegen.css").is_file()
    probe = subprocess.run([sys.executable, "-c", "import sitegen.themes as t; print(t.builtin_themes_dir())"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, check=True)
    assert probe.stdout.strip().startswith(str(target))
