"""In Chromium: a video page requests nothing outside the site until the reader clicks."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from sitegen.build import BuildOptions, build

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed")

INTERVIEW = """\
---
title: A conversation about bread
date: 2025-01-01
video: https://www.youtube.com/watch?v=aqz-KE-bpKQ
transcript: true
---
[00:00] Marta: Welcome to the bakery.

[01:05] Ana: We started with forty readers.
"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """Build a one-interview site and serve it on 127.0.0.1; yields its base URL."""
    root = tmp_path / "site"
    (root / "content/interviews").mkdir(parents=True)
    (root / "content/interviews/bread.md").write_text(INTERVIEW, encoding="utf-8")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root / "_site")))
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    (root / "sitegen.yaml").write_text(f"title: Hub\nbase_url: {base}\n", encoding="utf-8")
    build(root, BuildOptions())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"])
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser, base: str, javascript: bool = True):  # type: ignore[no-untyped-def]
    """A page that records every request and answers any request to another host
    itself (so no network is needed and nothing leaves the machine)."""
    context = browser.new_context(java_script_enabled=javascript)
    requests: list[str] = []
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))

    def handle(route) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>player</title>")

    page.route("**/*", handle)
    page.goto(base + "interviews/bread/")
    page.wait_for_load_state("networkidle")
    return page, requests


def test_video_page_loads_nothing_from_elsewhere_until_the_facade_is_clicked(browser, served) -> None:
    page, requests = _open(browser, served)
    assert requests, "the page itself was requested"
    assert {urlsplit(u).hostname for u in requests} == {"127.0.0.1"}
    assert page.locator("iframe").count() == 0

    with page.expect_request(lambda r: "youtube-nocookie.com" in r.url) as player:
        page.click(".video-facade-link")
    url = player.value.url
    assert url.startswith("https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?") and "dnt=1" in url
    assert page.locator("figure.video-facade iframe").count() == 1
    assert "youtube.com/watch" not in " ".join(requests)  # the facade link was not followed


def test_a_timestamp_loads_the_player_at_that_moment(browser, served) -> None:
    page, requests = _open(browser, served)
    with page.expect_request(lambda r: "youtube-nocookie.com" in r.url) as player:
        page.click("a.timestamp[data-start='65']")
    assert "start=65" in player.value.url and "dnt=1" in player.value.url
    assert {urlsplit(u).hostname for u in requests} == {"127.0.0.1", "www.youtube-nocookie.com"}


def test_without_javascript_the_facade_is_a_link_to_the_video(browser, served) -> None:
    page, requests = _open(browser, served, javascript=False)
    assert {urlsplit(u).hostname for u in requests} == {"127.0.0.1"}
    with page.expect_request(lambda r: "youtube.com/watch" in r.url) as followed:
        page.click(".video-facade-link")
    assert followed.value.url == "https://www.youtube.com/watch?v=aqz-KE-bpKQ"
