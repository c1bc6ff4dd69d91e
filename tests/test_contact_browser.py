"""The contact form in a real browser (Playwright driving Debian's Chromium), with
JavaScript turned off: what a person sees and can reach, and what the form posts."""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")

CONFIG = """\
title: Hub
base_url: https://example.org/hub/
contact:
  email: marta@example.org
  form:
    action: https://forms.example/f/abc
    honeypot: _gotcha
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture
def served(make_site, cli, tmp_path):
    root = make_site({}, config=CONFIG)
    assert cli("build", root).exit_code == 0
    serve = tmp_path / "serve"
    serve.mkdir()
    (serve / "hub").symlink_to(root / "_site", target_is_directory=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(serve)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hub/"
    finally:
        server.shutdown()
        server.server_close()


def test_form_works_without_javascript_and_hides_the_honeypot(served) -> None:
    posted: list[str] = []
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM))
        context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 800})
        page = context.new_page()

        def answer(route) -> None:  # stands in for the form service
            posted.append(route.request.post_data or "")
            route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Thanks</title><p>Thanks")

        page.route("https://forms.example/**", answer)
        page.goto(served + "contact/")
        # The honeypot is neither seen nor announced, and Tab never reaches it.
        assert page.get_by_role("textbox", name="Leave this field empty").count() == 0
        box = page.locator("input[name=_gotcha]").bounding_box()
        assert box is None or box["x"] + box["width"] <= 0
        page.get_by_role("textbox", name="Your name (required)").focus()
        reached = []
        for _ in range(6):
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.name || document.activeElement.textContent"))
        assert "_gotcha" not in reached
        assert reached[:3] == ["email", "message", "Send the message"]
        # Required fields stop an empty submission in the browser itself.
        page.get_by_role("button", name="Send the message").click()
        assert posted == []
        page.get_by_role("textbox", name="Your name (required)").fill("Lucía")
        page.get_by_role("textbox", name="Your e-mail address (required)").fill("lucia@example.org")
        page.get_by_role("textbox", name="Your message (required)").fill("¿Hola & adiós?")
        page.get_by_role("button", name="Send the message").click()
        page.wait_for_url("https://forms.example/f/abc")
        browser.close()
    assert len(posted) == 1
    assert parse_qs(posted[0], keep_blank_values=True) == {
        "name": ["Lucía"], "email": ["lucia@example.org"], "message": ["¿Hola & adiós?"], "_gotcha": [""]}
