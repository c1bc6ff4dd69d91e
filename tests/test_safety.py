"""The built site is safe whatever the writers typed: values are escaped in HTML,
attributes, JSON-LD and feeds; only http(s), mailto and relative URLs reach links;
external links carry rel="noopener noreferrer"; nothing private reaches the output."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import EXAMPLE_SITE, soup
from sitegen.build import BuildOptions, build
from sitegen.config import check_url
from sitegen.errors import SitegenError
from sitegen.safety import dangerous_scheme
from site_checks import ATOM, html_files

PAYLOAD = "</script><script>alert(1)</script>"
ATTR_PAYLOAD = '"><img src=x onerror=alert(2)>'
CONFIG = f"""\
title: '{PAYLOAD}'
description: '{ATTR_PAYLOAD}'
base_url: https://example.org/hub/
author:
  name: '{PAYLOAD}'
  url: https://example.org/me
contact:
  email: hello@example.org
"""
INTERVIEW = f"""\
---
title: '{PAYLOAD}'
summary: '{ATTR_PAYLOAD}'
date: 2026-10-02
tags: ['{PAYLOAD}', '{ATTR_PAYLOAD}']
person:
  name: '{PAYLOAD}'
  role: '{ATTR_PAYLOAD}'
notes: '{PAYLOAD}'
---
Intro with a [link](https://other.example/) and [one of ours](/about/).

## Why?

An answer.
"""


def _script_free(path: Path) -> None:
    """No script from content runs on this page: the only scripts are JSON-LD data and
    the theme's own files (``src`` on the site, nothing inline); no event handlers."""
    doc = soup(path)
    for script in doc.find_all("script"):
        if script.get("type") == "application/ld+json":
            continue
        src = script.get("src") or ""
        assert src.startswith("/") and not src.startswith("//") and "/assets/" in src, f"{path}: {script}"
        assert not (script.string or "").strip(), f"{path}: inline script {script}"
    for tag in doc.find_all(True):
        for attr, value in tag.attrs.items():
            assert not attr.lower().startswith("on"), f"{path}: {tag.name} has {attr}"
            values = value if isinstance(value, list) else [value]
            for v in values:
                assert dangerous_scheme(str(v)) is None, f"{path}: {tag.name} {attr}={v}"
    assert not doc.find("img", src="x"), path


def check_json_ld(output: Path) -> int:
    """Every JSON-LD block parses as JSON and cannot close its script element."""
    count = 0
    for path in html_files(output):
        raw = path.read_text(encoding="utf-8").lower()
        for script in soup(path).find_all("script", type="application/ld+json"):
            count += 1
            text = script.string or ""
            assert "</script" not in text.lower() and "<!--" not in text, path
            json.loads(text)
        inline = [s for s in soup(path).find_all("script") if not s.get("src")]
        assert all(s.get("type") == "application/ld+json" for s in inline), path
        assert raw.count("<script") == len(soup(path).find_all("script")), f"{path}: a script element was split"
    return count


@pytest.fixture
def hostile_site(make_site) -> Path:
    root = make_site({
        "content/interviews/hostile.md": INTERVIEW,
        "content/pages/about.md": f"---\ntitle: '{PAYLOAD}'\n---\nAbout.\n",
    }, config=CONFIG)
    build(root, BuildOptions())
    return root / "_site"


def test_front_matter_and_settings_are_inert_in_every_page(hostile_site: Path) -> None:
    pages = html_files(hostile_site)
    assert len(pages) > 5
    for page in pages:
        _script_free(page)
    entry = soup(hostile_site / "interviews" / "hostile" / "index.html")
    assert entry.find("h1").get_text() == PAYLOAD
    assert entry.find("meta", attrs={"name": "description"})["content"] == ATTR_PAYLOAD
    assert entry.find("meta", property="og:title")["content"] == PAYLOAD
    assert PAYLOAD in [a.get_text() for a in entry.select("a[rel=tag]")]


def test_json_ld_blocks_parse_and_stay_closed(hostile_site: Path) -> None:
    check_json_ld(hostile_site)  # covers JSON-LD whenever the theme adds it
    check_json_ld(hostile_site.parent)  # nothing under the site folder either


def test_atom_feeds_carry_the_values_as_text(hostile_site: Path) -> None:
    feeds = sorted(hostile_site.rglob("feed.xml"))
    assert len(feeds) >= 3  # the site's and one per tag
    for path in feeds:
        assert b"<script" not in path.read_bytes()
        feed = ET.parse(path).getroot()
        for entry in feed.findall(f"{ATOM}entry"):
            assert entry.find(f"{ATOM}title").text == PAYLOAD
            assert entry.find(f"{ATOM}summary").text == ATTR_PAYLOAD
    main = ET.parse(hostile_site / "feed.xml").getroot()
    assert main.find(f"{ATOM}title").text == PAYLOAD
    assert main.find(f"{ATOM}author/{ATOM}name").text == PAYLOAD


def test_json_feed_carries_the_values_as_text(hostile_site: Path) -> None:
    data = json.loads((hostile_site / "feed.json").read_text(encoding="utf-8"))
    assert data["title"] == PAYLOAD
    item = data["items"][0]
    assert item["title"] == PAYLOAD and item["summary"] == ATTR_PAYLOAD
    assert set(item["tags"]) == {PAYLOAD, ATTR_PAYLOAD}


def test_sitemap_parses(hostile_site: Path) -> None:
    ET.parse(hostile_site / "sitemap.xml")


@pytest.mark.parametrize("value, ok", [
    ("https://example.org/", True), ("http://example.org", True), ("mailto:a@example.org", True),
    ("/about/", True), ("javascript:alert(1)", False), ("JavaScript:alert(1)", False),
    (" javascript:alert(1)", False), ("java\tscript:alert(1)", False), ("data:text/html,x", False),
    ("vbscript:x", False), ("file:///etc/passwd", False), ("//evil.example/", False),
    ("/\\evil.example/", False), ("https://example.org/\x00", False), ("ftp://example.org/", False),
])
def test_check_url_accepts_only_http_https_mailto_and_site_paths(value: str, ok: bool) -> None:
    assert check_url(value) is ok


@pytest.mark.parametrize("value", ["about/", "../x/", "#top", "?page=2"])
def test_relative_links_are_accepted_where_allowed(value: str) -> None:
    assert check_url(value, relative=True) and not check_url(value)


@pytest.mark.parametrize("value", ["javascript is fun", "data: we collected", "my file: notes", "filed: 2026"])
def test_prose_is_not_mistaken_for_a_dangerous_link(value: str) -> None:
    assert dangerous_scheme(value) is None


@pytest.mark.parametrize("config_extra, key", [
    ("author:\n  name: A\n  url: 'javascript:alert(1)'\n", "author.url"),
    ("author:\n  name: A\n  photo: 'data:image/svg+xml,<svg onload=alert(1)>'\n", "author.photo"),
    ("menu:\n  - {label: X, url: 'javascript:alert(1)'}\n", "menu"),
    ("extra:\n  shop: {link: 'javascript:alert(1)'}\n", "extra.shop.link"),
    ("membership:\n  goal: {amount: 100, currency: USD, period: year}\n  tiers:\n"
     "    - {name: A, price: 5, interval: year, join_url: 'https://pay.example/a', description: 'vbscript:x'}\n", "membership.tiers[0].description"),
])
def test_dangerous_urls_in_settings_are_refused(make_site, config_extra: str, key: str) -> None:
    root = make_site(config="title: T\nbase_url: https://example.org/\n" + config_extra)
    with pytest.raises(SitegenError) as caught:
        build(root, BuildOptions())
    problem = caught.value.problems[0]
    assert key in problem.message and problem.path == "sitegen.yaml" and problem.line and problem.hint


@pytest.mark.parametrize("front_matter, key", [
    ("video: 'javascript:alert(1)'", "video"),
    ("image: 'data:image/png;base64,AAAA'", "image"),
    ("person: {name: A, links: {site: 'javascript:alert(1)'}}", "person.links.site"),
    ("buy: {where: 'javascript:alert(1)'}", "buy.where"),
])
def test_dangerous_urls_in_front_matter_are_refused(make_site, front_matter: str, key: str) -> None:
    root = make_site({"content/stories/s.md": f"---\ntitle: S\ndate: 2026-01-01\n{front_matter}\n---\nx\n"})
    with pytest.raises(SitegenError) as caught:
        build(root, BuildOptions())
    problem = caught.value.problems[0]
    assert f"'{key}'" in problem.message and problem.line == 4 and problem.hint


def test_markdown_links_with_dangerous_schemes_are_not_links(make_site) -> None:
    root = make_site({"content/stories/s.md": "---\ntitle: S\ndate: 2026-01-01\n---\n"
                      "[a](javascript:alert(1)) [b](vbscript:x) [c](data:text/html,x) [d](JAVASCRIPT:x)\n"})
    build(root, BuildOptions())
    _script_free(root / "_site" / "stories" / "s" / "index.html")


def _external_links(output: Path, base_url: str) -> list[tuple[Path, dict]]:
    found = []
    for page in html_files(output):
        for a in soup(page).find_all("a", href=True):
            href = a["href"]
            if href.startswith(("http://", "https://", "//")) and not href.startswith(base_url):
                found.append((page, a))
    return found


def _assert_rel(output: Path, base_url: str) -> int:
    links = _external_links(output, base_url)
    for page, a in links:
        assert {"noopener", "noreferrer"} <= set(a.get("rel") or []), f"{page}: {a}"
    return len(links)


def test_external_links_carry_noopener_noreferrer(make_site) -> None:
    config = ("title: T\nbase_url: https://example.org/hub/\n"
              "author: {name: Ana, url: 'https://ana.example/', rel_me: ['https://social.example/@ana']}\n"
              "contact:\n  email: a@example.org\n  telegram: '@smallrooms'\n  mastodon: '@ana@social.example'\n"
              "  links:\n    - {label: Hours, url: 'https://example.net/hours'}\n"
              "menu:\n  - {label: Home, url: /}\n  - {label: Elsewhere, url: 'https://other.example/'}\n")
    root = make_site({
        "content/interviews/a.md": "---\ntitle: A\ndate: 2026-01-01\nvideo: https://video.example/v/1\n---\n"
                                   "[out](https://other.example/x) [in](https://example.org/hub/about/) [rel](/about/)\n\n"
                                   '<p>Raw: <a href="https://raw.example/" rel="external">raw</a></p>\n',
        "content/stories/b.md": "---\ntitle: B\ndate: 2026-01-01\nvideo: /video/b.mp4\n---\n<https://auto.example/>\n",
    }, config=config)
    build(root, BuildOptions())
    assert _assert_rel(root / "_site", "https://example.org/hub/") >= 8
    page = soup(root / "_site" / "interviews" / "a" / "index.html")
    assert not page.find("a", href="https://example.org/hub/about/").get("rel")
    assert page.find("a", href="https://raw.example/")["rel"] == ["external", "noopener", "noreferrer"]


def test_example_site_links_out_safely(copy_site) -> None:
    root = copy_site(EXAMPLE_SITE)
    build(root, BuildOptions())
    _assert_rel(root / "_site", "https://example.github.io/small-rooms/")
    for page in html_files(root / "_site"):
        _script_free(page)
    check_json_ld(root / "_site")


def test_secrets_never_reach_the_output(make_site, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        "private": "PRIVATE-f3a9-token",
        "env": "ENV-77c1-password",
        "git": "GIT-0b2e-credential",
        "static_git": "STATICGIT-91d0",
        "dotenv": "DOTENV-5e5e",
    }
    monkeypatch.setenv("SITEGEN_TEST_SECRET", secrets["env"])
    root = make_site({
        "content/pages/about.md": "---\ntitle: About\n---\nHi.\n",
        ".git/config": f"[remote]\n token = {secrets['git']}\n",
        "static/.git/config": secrets["static_git"],
        "static/.env": f"TOKEN={secrets['dotenv']}\n",
        "static/.well-known/security.txt": "Contact: mailto:a@example.org\n",
    }, config="title: T\nbase_url: https://example.org/\n"
              f"private:\n  api_token: {secrets['private']}\n  nested: {{key: {secrets['private']}}}\n")
    (root / "static" / "repo").symlink_to(root / ".git")
    with pytest.raises(SitegenError) as caught:  # a link into .git is refused...
        build(root, BuildOptions())
    assert caught.value.problems[0].path == "static/repo"
    (root / "static" / "repo").unlink()
    build(root, BuildOptions())  # ...and without it the site builds
    output = root / "_site"
    assert (output / ".well-known" / "security.txt").is_file()  # dotfiles that belong are published
    everything = b"".join(p.read_bytes() for p in output.rglob("*") if p.is_file())
    for name, secret in secrets.items():
        assert secret.encode() not in everything, name
    assert not (output / ".git").exists() and not (output / ".env").exists()
    assert os.environ["SITEGEN_TEST_SECRET"] == secrets["env"]
