"""The default theme stays light: a small stylesheet, and images that carry their size."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import EXAMPLE_SITE, REPO, soup
from site_checks import html_files
from sitegen.build import BuildOptions, build

CSS = REPO / "themes" / "default" / "static" / "assets" / "sitegen.css"
BASE = "https://user.github.io/repo/"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    import shutil
    root = tmp_path_factory.mktemp("weight") / "site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("_site", ".sitegen-cache"))
    build(root, BuildOptions(base_url=BASE))
    return root / "_site"


def page_weight(output: Path, page: Path) -> dict[str, int]:
    """Bytes a first visit to ``page`` downloads: its HTML, stylesheets, icons and images."""
    doc = soup(page)
    weight = {"html": page.stat().st_size, "css": 0, "images": 0}
    refs = [(tag["href"], "css" if "stylesheet" in tag.get("rel", []) else "images")
            for tag in doc.find_all("link", href=True) if {"stylesheet", "icon"} & set(tag.get("rel", []))]
    refs += [(img["src"], "images") for img in doc.find_all("img", src=True)]
    for url, kind in dict(refs).items():
        path = unquote(urlsplit(url).path)
        assert path.startswith("/repo/"), url
        weight[kind] += (output / path[len("/repo/"):]).stat().st_size
    return weight


def test_stylesheet_is_under_20_kb() -> None:
    assert CSS.stat().st_size < 20 * 1024


def test_every_image_carries_width_and_height(built: Path) -> None:
    images = [(page, img) for page in html_files(built) for img in soup(page).find_all("img")]
    assert images, "the example hub shows images"
    missing = [f"{page.relative_to(built)}: {img.get('src')}" for page, img in images
               if not (img.get("width", "").isdigit() and img.get("height", "").isdigit())]
    assert missing == []


def test_home_and_interview_stay_light(built: Path) -> None:
    """The numbers reported in docs/theme.md ("Weight"), with room to grow but not to bloat."""
    for rel in ("index.html", "interviews/mugs-by-the-season/index.html"):
        weight = page_weight(built, built / rel)
        assert weight["css"] > 0
        assert sum(weight.values()) < 60 * 1024, (rel, weight)


@pytest.mark.parametrize("name", ["home.png", "interview.png"])
def test_readme_screenshots_are_small_pngs(name: str) -> None:
    shot = REPO / "docs" / name
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size < 150 * 1024
    # The README shows it with an <img> tag that has alt text (a Markdown file, so a pattern
    # rather than an HTML parser: its code spans mention <script> and the like).
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(rf'<img src="docs/{re.escape(name)}"[^>]* alt="[^"]+"', readme)
