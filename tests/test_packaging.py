"""A non-editable install carries the default theme inside the package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO, write_files


def test_installed_package_builds_a_site_with_its_own_theme(tmp_path: Path) -> None:
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
