"""Checks over a whole built site, shared by the build tests."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def html_files(output: Path) -> list[Path]:
    return sorted(output.rglob("*.html"))


def internal_targets(output: Path, base_path: str) -> list[tuple[Path, str]]:
    """Every (page, url) of an href/src that points inside the site."""
    found = []
    for page in html_files(output):
        doc = BeautifulSoup(page.read_text(encoding="utf-8"), "html5lib")
        for tag in doc.find_all(["a", "link", "img", "script", "source", "video", "audio", "track", "iframe"]):
            for attr in ("href", "src"):
                value = tag.get(attr)
                if not value or value.startswith(("mailto:", "tel:", "http://", "https://", "//", "#", "data:")):
                    continue
                found.append((page, value))
    return found


def resolve(output: Path, base_path: str, page: Path, url: str) -> Path | None:
    """The output file a root-relative or relative URL points at, or None if missing."""
    path = unquote(urlsplit(url).path)
    if path.startswith("/"):
        if not path.startswith(base_path):
            return None
        target = output / path[len(base_path):]
    else:
        target = page.parent / path
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def check_internal_links(output: Path, base_path: str) -> int:
    """Assert every internal link resolves (and anchors exist); returns how many."""
    broken = []
    links = internal_targets(output, base_path)
    for page, url in links:
        target = resolve(output, base_path, page, url)
        if target is None:
            broken.append(f"{page.relative_to(output)} -> {url}")
            continue
        fragment = urlsplit(url).fragment
        if fragment and target.suffix == ".html":
            doc = BeautifulSoup(target.read_text(encoding="utf-8"), "html5lib")
            if doc.find(id=unquote(fragment)) is None:
                broken.append(f"{page.relative_to(output)} -> {url} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(broken)
    return len(links)


def check_atom(path: Path) -> ET.Element:
    """Assert an Atom feed has what RFC 4287 requires; returns its root."""
    feed = ET.parse(path).getroot()
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    has_feed_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
    for entry in feed.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated", "content"):
            assert entry.find(f"{ATOM}{required}") is not None, required
        assert has_feed_author or entry.find(f"{ATOM}author") is not None
        assert entry.find(f"{ATOM}id").text.startswith(("http://", "https://"))
        content = entry.find(f"{ATOM}content").text or ""
        assert ' href="/' not in content and ' src="/' not in content, "feed content must use absolute URLs"
    return feed


def check_json_feed(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == "https://jsonfeed.org/version/1.1"
    assert data["title"] and data["home_page_url"].startswith("http") and data["feed_url"].endswith("feed.json")
    for item in data["items"]:
        assert item["id"] and item["url"].startswith("http")
        assert "content_html" in item or "content_text" in item
    return data


def sitemap_locations(path: Path) -> set[str]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SITEMAP}urlset"
    return {loc.text for loc in root.iter(f"{SITEMAP}loc")}


def check_sitemap_lists_every_page(output: Path, base_url: str) -> None:
    listed = sitemap_locations(output / "sitemap.xml")
    for page in html_files(output):
        rel = page.relative_to(output).as_posix()
        if rel == "404.html":
            continue
        url = base_url + rel.removesuffix("index.html")
        assert url in listed, f"{url} missing from sitemap"
