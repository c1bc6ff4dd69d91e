"""The example hub builds and its output holds together, at the root and under /repo/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import EXAMPLE_SITE, REPO, soup
from site_checks import (check_atom, check_internal_links, check_json_feed,
                         check_sitemap_lists_every_page, html_files)

from sitegen.build import BuildOptions, build


@pytest.fixture(scope="module", params=["https://example.org/", "https://user.github.io/repo/"],
                ids=["root", "subpath"])
def built(request, tmp_path_factory) -> tuple[Path, str]:
    import shutil
    root = tmp_path_factory.mktemp("example") / "site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("_site", ".sitegen-cache"))
    build(root, BuildOptions(base_url=request.param))
    return root / "_site", request.param


def _entries(kind: str) -> list[Path]:
    return sorted((EXAMPLE_SITE / "content" / kind).glob("*.md"))


def test_example_has_the_promised_content() -> None:
    interviews = [p.read_text(encoding="utf-8") for p in _entries("interviews")]
    assert len(interviews) >= 6
    assert any(re.search(r"^video: ", t, re.M) and re.search(r"^transcript: true", t, re.M) for t in interviews)
    assert any(re.search(r"^lang: es", t, re.M) for t in interviews)
    assert len(_entries("stories")) >= 3
    for page in ("about", "contact", "membership"):
        assert (EXAMPLE_SITE / "content/pages" / f"{page}.md").exists()


def test_every_entry_is_published(built) -> None:
    out, _ = built
    for kind in ("interviews", "stories"):
        for source in _entries(kind):
            text = source.read_text(encoding="utf-8")
            target = out / kind / source.stem / "index.html"
            if re.search(r"^draft: true", text, re.M):
                assert not target.exists(), f"draft {source.name} was published"
            else:
                assert target.exists(), f"{source.name} not built"
                doc = soup(target)
                assert doc.find("h1").get_text(strip=True)
                assert doc.find("link", rel="canonical")["href"].endswith(f"/{kind}/{source.stem}/")


def test_spanish_interview_declares_its_language(built) -> None:
    out, _ = built
    for source in _entries("interviews"):
        if re.search(r"^lang: es", source.read_text(encoding="utf-8"), re.M):
            target = out / "interviews" / source.stem / "index.html"
            if target.exists():
                assert soup(target).html["lang"] == "es"


def test_internal_links_resolve(built) -> None:
    out, base_url = built
    base_path = "/" + base_url.split("/", 3)[3]
    assert check_internal_links(out, base_path) > 100


def test_feeds_and_sitemap(built) -> None:
    out, base_url = built
    check_atom(out / "feed.xml")
    for tag_feed in (out / "tags").glob("*/feed.xml"):
        check_atom(tag_feed)
    data = check_json_feed(out / "feed.json")
    assert data["items"] and all(item["url"].startswith(base_url) for item in data["items"])
    check_sitemap_lists_every_page(out, base_url)


def test_images_have_alt_text(built) -> None:
    out, _ = built
    for page in html_files(out):
        for img in soup(page).find_all("img"):
            assert img.get("alt"), f"{page}: image without alt text"


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(.+?)\n```", readme)
    assert len(commands) >= 2
    assert "sitegen build example-site" in commands[0]
    assert commands[1] in (REPO / ".ci/run").read_text(encoding="utf-8")
