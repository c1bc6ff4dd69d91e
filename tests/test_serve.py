"""sitegen serve: a real server in a subprocess, fetched over HTTP, edited while it runs.

Every wait is bounded (``wait_for``); the server is always stopped by the fixture.
"""

from __future__ import annotations

import http.client
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from conftest import REPO

WAIT = 20.0  # seconds: the most any condition below is waited for

CONFIG = """\
title: Served Hub
base_url: https://example.org/repo/
timezone: UTC
contact:
  email: hello@example.org
"""
INTERVIEW = """\
---
title: {title}
person: Ana Pérez
date: 2026-01-02
---
Intro.

## Why bread?

{answer}
"""


def wait_for(condition: Callable[[], object], what: str, timeout: float = WAIT) -> object:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.text, "html5lib")


class Events:
    """Reads a server-sent event stream in a thread; ``next_reload()`` waits for one."""

    def __init__(self, host: str, port: int, version: str) -> None:
        self.reloads: queue.Queue[str] = queue.Queue()
        self.conn = http.client.HTTPConnection(host, port, timeout=WAIT * 2)
        self.conn.request("GET", f"/__sitegen/events?v={version}")
        response = self.conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/event-stream"
        self.thread = threading.Thread(target=self._read, args=(response,), daemon=True)
        self.thread.start()

    def _read(self, response: http.client.HTTPResponse) -> None:
        event = None
        try:
            while line := response.fp.readline():
                text = line.decode("utf-8").rstrip("\n")
                if text.startswith("event: "):
                    event = text[7:]
                elif text.startswith("data: ") and event == "reload":
                    self.reloads.put(text[6:])
                    event = None
        except OSError:
            return

    def next_reload(self) -> str:
        try:
            return self.reloads.get(timeout=WAIT)
        except queue.Empty:
            pytest.fail("no reload event arrived")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Server:
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    url: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 0

    def output(self) -> str:
        return "".join(self.lines)

    def get(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> Response:
        """One request, sent exactly as written (no normalising, no redirects followed)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=WAIT)
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            conn.close()

    def version(self, path: str) -> str:
        """The build version the reload script of a served page waits on."""
        script = self.get(path).soup().find("script", attrs={"data-sitegen-serve": True})
        assert script is not None
        match = re.fullmatch(r"/__sitegen/livereload\.js\?v=([\w-]+)", script["src"])
        assert match
        return match.group(1)

    def events(self, path: str) -> Events:
        return Events(self.host, self.port, self.version(path))

    def wait_output(self, text: str) -> None:
        wait_for(lambda: text in self.output(), f"{text!r} in the server's output:\n{self.output()}")


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    """``serve(site, *args)``: ``python -m sitegen serve`` on a free port, stopped afterwards."""
    servers: list[Server] = []

    def start(site: Path, *args: str, ready: bool = True) -> Server:
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen([sys.executable, "-m", "sitegen", "serve", str(site), "--port", "0", *args],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        server = Server(proc)
        servers.append(server)

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                server.lines.append(line)

        threading.Thread(target=read, daemon=True).start()
        if ready:
            match = wait_for(lambda: re.search(r"Serving (http://\S+)", server.output()) or proc.poll() is not None,
                             "the server to start")
            assert isinstance(match, re.Match), server.output()
            server.url = match.group(1)
        return server

    yield start
    for server in servers:
        if server.proc.poll() is None:
            server.proc.terminate()
            try:
                server.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.proc.kill()
                server.proc.wait(timeout=10)


@pytest.fixture
def hub(make_site) -> Path:
    return make_site(config=CONFIG, files={
        "content/interviews/bread.md": INTERVIEW.format(title="Bread", answer="Because it is warm."),
        "content/pages/about.md": "---\ntitle: About\n---\nAbout this hub.\n",
        "static/site.webmanifest": '{"name": "Served Hub"}',
        "static/captions/bread.vtt": "WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n",
    })


def test_serves_under_the_base_path_and_reloads_after_edit_error_and_fix(serve, hub):
    server = serve(hub)
    assert server.url.endswith("/repo/") and server.host == "127.0.0.1"
    root = server.get("/")
    assert root.status == 302 and root.headers["location"] == "/repo/"
    page = server.get("/repo/interviews/bread/")
    assert page.status == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    assert "Because it is warm." in page.text
    stylesheet = page.soup().find("link", rel="stylesheet")["href"]
    assert stylesheet.startswith("/repo/assets/")
    assert server.get(stylesheet).headers["content-type"] == "text/css; charset=utf-8"
    assert not (hub / "_site").exists()  # the preview never touches the deployable output

    events = server.events("/repo/interviews/bread/")
    try:
        source = hub / "content/interviews/bread.md"
        source.write_text(INTERVIEW.format(title="Bread", answer="Because my street asked for it."), encoding="utf-8")
        events.next_reload()
        assert "Because my street asked for it." in server.get("/repo/interviews/bread/").text

        source.write_text("---\ntitle: Bread\ndate: 2026-13-02\n---\nBroken.\n", encoding="utf-8")
        events.next_reload()
        broken = server.get("/repo/interviews/bread/")
        assert broken.status == 500
        problem = broken.soup().select_one("ol.problems li")
        assert problem.select_one(".where").get_text() == "content/interviews/bread.md:3"
        assert "'date' must be a date" in problem.select_one(".message").get_text()
        assert problem.select_one(".hint").get_text().startswith("hint: ")
        assert broken.soup().find("script", attrs={"data-sitegen-serve": True}) is not None
        server.wait_output("content/interviews/bread.md:3:")
        assert server.proc.poll() is None  # still serving

        source.write_text(INTERVIEW.format(title="Bread", answer="Fixed and back."), encoding="utf-8")
        events.next_reload()
        fixed = server.get("/repo/interviews/bread/")
        assert fixed.status == 200 and "Fixed and back." in fixed.text
    finally:
        events.close()
    assert "Traceback" not in server.output()


def test_after_its_first_build_the_preview_keeps_a_linked_copy_of_its_output(serve, hub):
    """Once the first build is shown, the preview makes the spare it keeps a copy of its
    output (hard links), so that the first edit links only the files it changes; the
    edit is shown as usual."""
    from sitegen.cache import spare_folder

    server = serve(hub)
    preview = hub.resolve() / ".sitegen-cache/serve"
    spare = spare_folder(hub.resolve(), preview)

    def inodes(folder: Path) -> dict[str, int]:
        return {p.relative_to(folder).as_posix(): p.lstat().st_ino for p in folder.rglob("*") if not p.is_dir()}

    wait_for(lambda: spare.is_dir() and inodes(spare) == inodes(preview), "the spare to mirror the preview")
    events = server.events("/repo/interviews/bread/")
    try:
        source = hub / "content/interviews/bread.md"
        source.write_text(INTERVIEW.format(title="Bread", answer="Because of the mornings."), encoding="utf-8")
        events.next_reload()
        assert "Because of the mornings." in server.get("/repo/interviews/bread/").text
    finally:
        events.close()
    assert "Traceback" not in server.output()


def test_rename_and_delete_leave_no_stale_pages(serve, hub):
    server = serve(hub)
    events = server.events("/repo/")
    try:
        old = hub / "content/interviews/bread.md"
        old.rename(hub / "content/interviews/rye.md")
        events.next_reload()
        assert server.get("/repo/interviews/rye/").status == 200
        assert server.get("/repo/interviews/bread/").status == 404
        links = [a["href"] for a in server.get("/repo/interviews/").soup().select("main a")]
        assert "/repo/interviews/rye/" in links and "/repo/interviews/bread/" not in links

        (hub / "content/interviews/rye.md").unlink()
        events.next_reload()
        assert server.get("/repo/interviews/rye/").status == 404
        assert "/repo/interviews/rye/" not in [a["href"] for a in server.get("/repo/").soup().find_all("a")]
    finally:
        events.close()


def test_a_burst_of_saves_and_an_atomic_rename_save(serve, hub):
    server = serve(hub)
    events = server.events("/repo/")
    try:
        source = hub / "content/interviews/bread.md"
        for n in range(20):
            source.write_text(INTERVIEW.format(title="Bread", answer=f"Draft number {n}."), encoding="utf-8")
        wait_for(lambda: "Draft number 19." in server.get("/repo/interviews/bread/").text, "the last save to show")
        events.next_reload()
        # Editors that save by writing a temporary file and renaming it over the original.
        temp = hub / "content/interviews/.bread.md.tmp"
        temp.write_text(INTERVIEW.format(title="Bread", answer="Saved by rename."), encoding="utf-8")
        os.replace(temp, source)
        wait_for(lambda: "Saved by rename." in server.get("/repo/interviews/bread/").text, "the renamed save to show")
        # Drafts are left out unless serve was started with --drafts.
        (hub / "content/pages/later.md").write_text("---\ntitle: Later\ndraft: true\n---\nSoon.\n", encoding="utf-8")
        server.wait_output("content/pages/later.md")
        assert server.get("/repo/later/").status == 404
    finally:
        events.close()


def test_drafts_a_new_file_and_the_settings_are_watched(serve, hub, cli):
    server = serve(hub, "--drafts")
    events = server.events("/repo/")
    try:
        assert cli("new", "story", "Una historia nueva", "--site", hub).exit_code == 0
        events.next_reload()
        assert server.get("/repo/stories/una-historia-nueva/").status == 200  # a draft, shown with --drafts
        config = (hub / "sitegen.yaml").read_text(encoding="utf-8")
        (hub / "sitegen.yaml").write_text(config.replace("Served Hub", "Renamed Hub"), encoding="utf-8")
        events.next_reload()
        assert server.get("/repo/").soup().find("h1").get_text(strip=True) == "Renamed Hub"
        (hub / "templates").mkdir()  # a folder that did not exist when serve started
        (hub / "templates/404.html").write_text("<!doctype html><title>x</title><h1>Lost here</h1>",
                                                encoding="utf-8")
        wait_for(lambda: "Lost here" in server.get("/repo/nowhere/").text, "a new template folder to be watched")
    finally:
        events.close()


def test_traversal_types_and_not_found(serve, hub):
    server = serve(hub)
    for path in ("/repo/../sitegen.yaml", "/repo/%2e%2e/sitegen.yaml", "/repo/..%2fsitegen.yaml",
                 "/repo/%2E%2E%2F%2E%2E%2Fetc/passwd", "/repo/%252e%252e/sitegen.yaml", "/repo/..\\sitegen.yaml",
                 "/../../../../etc/passwd"):
        response = server.get(path)
        assert response.status == 403, path
        assert b"base_url" not in response.body and b"root:" not in response.body
    types = {
        "/repo/feed.xml": "application/xml",
        "/repo/feed.json": "application/json",
        "/repo/sitemap.xml": "application/xml",
        "/repo/robots.txt": "text/plain; charset=utf-8",
        "/repo/site.webmanifest": "application/manifest+json",
        "/repo/captions/bread.vtt": "text/vtt; charset=utf-8",
        "/repo/favicon.svg": "image/svg+xml",
    }
    for path, expected in types.items():
        response = server.get(path)
        assert response.status == 200, path
        assert response.headers["content-type"] == expected, path
    assert b"data-sitegen-serve" not in server.get("/repo/feed.xml").body  # only HTML gets the script
    script = server.get("/__sitegen/livereload.js?v=x")
    assert script.status == 200 and script.headers["content-type"] == "text/javascript; charset=utf-8"
    assert b"EventSource" in script.body
    missing = server.get("/repo/no/such/page/")
    assert missing.status == 404
    assert missing.soup().find("h1").get_text(strip=True) == "Page not found"  # the site's own 404.html
    assert missing.soup().find("a", class_="button")["href"] == "/repo/"
    assert server.get("/elsewhere/").status == 404
    assert server.get("/repo/about").status == 301
    assert server.get("/repo/about").headers["location"] == "/repo/about/"
    vtt = (hub / "static/captions/bread.vtt").read_bytes()
    part = server.get("/repo/captions/bread.vtt", headers={"Range": "bytes=0-5"})  # how a video seeks
    assert part.status == 206 and part.body == b"WEBVTT"
    assert part.headers["content-range"] == f"bytes 0-5/{len(vtt)}"
    assert server.get("/repo/captions/bread.vtt", headers={"Range": "bytes=-5"}).body == vtt[-5:]
    assert server.get("/repo/captions/bread.vtt", headers={"Range": "bytes=999-"}).status == 416
    head = server.get("/repo/about/", method="HEAD")
    assert head.status == 200 and head.body == b"" and int(head.headers["content-length"]) > 0


def test_ctrl_c_stops_cleanly_with_a_tab_open(serve, hub):
    server = serve(hub)
    events = server.events("/repo/")
    try:
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(timeout=WAIT) == 0
    finally:
        events.close()
    server.wait_output("Stopped.")
    assert "Traceback" not in server.output()


def test_another_host_warns_and_a_busy_port_is_explained(serve, hub):
    server = serve(hub, "--host", "0.0.0.0")
    assert "Warning: serving on 0.0.0.0" in server.output()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        result = subprocess.run([sys.executable, "-m", "sitegen", "serve", str(hub), "--port", str(port)],
                                cwd=REPO, env=env, capture_output=True, text=True, timeout=WAIT * 2)
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_site_broken_from_the_start_is_served_as_its_errors(serve, make_site):
    site = make_site(config=CONFIG, files={"content/pages/about.md": "---\ntitle: [About\n---\n"})
    server = serve(site)
    broken = server.get("/repo/")
    assert broken.status == 500
    assert broken.soup().select_one(".where").get_text().startswith("content/pages/about.md:")
    events = server.events("/repo/")
    try:
        (site / "content/pages/about.md").write_text("---\ntitle: About\n---\nFine now.\n", encoding="utf-8")
        events.next_reload()
        assert "Fine now." in server.get("/repo/about/").text
    finally:
        events.close()


def test_build_output_never_has_the_reload_script(cli, hub, serve):
    server = serve(hub)
    assert server.get("/repo/").status == 200
    assert cli("build", hub).exit_code == 0
    for path in (hub / "_site").rglob("*"):
        if path.is_file():
            assert b"__sitegen" not in path.read_bytes(), path
            assert b"data-sitegen-serve" not in path.read_bytes(), path
    # Nor does the preview folder itself: the script is added while answering a request.
    for path in (hub / ".sitegen-cache/serve").rglob("*.html"):
        assert b"data-sitegen-serve" not in path.read_bytes(), path


CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install chromium)")
def test_a_real_browser_tab_reloads_shows_the_error_and_recovers(serve, hub):
    """What only a browser shows: the injected script reloads an open tab by itself."""
    sync_api = pytest.importorskip("playwright.sync_api")
    server = serve(hub)
    source = hub / "content/interviews/bread.md"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            tab = browser.new_page()
            tab.goto(server.url + "interviews/bread/")
            assert "Because it is warm." in tab.inner_text("main")

            def shows(text: str) -> None:
                tab.wait_for_function("t => document.body && document.body.innerText.includes(t)", arg=text,
                                      timeout=WAIT * 1000)

            source.write_text(INTERVIEW.format(title="Bread", answer="Seen in the browser."), encoding="utf-8")
            shows("Seen in the browser.")
            source.write_text("---\ntitle: Bread\ndate: 2026-13-02\n---\n", encoding="utf-8")
            shows("The build failed")
            assert "content/interviews/bread.md:3" in tab.inner_text("body")
            source.write_text(INTERVIEW.format(title="Bread", answer="Back again."), encoding="utf-8")
            shows("Back again.")
            assert tab.url == server.url + "interviews/bread/"
        finally:
            browser.close()


def test_serve_outside_a_hub_explains(cli, tmp_path):
    result = cli("serve", tmp_path, "--port", "0")
    assert result.exit_code == 1
    assert "no sitegen.yaml" in result.output and "sitegen init" in result.output
    assert "Not serving." in result.output


def test_the_preview_equals_a_clean_build_after_every_kind_of_edit(serve, hub, tmp_path):
    """The rebuilds of a running server reuse what the last one left in memory (the
    collected site, the index, the listing of its own output): after each change the
    preview folder must still hold exactly what a clean build for the same address makes."""
    from conftest import tree_digest

    from sitegen.build import BuildOptions, build

    server = serve(hub)
    base_url = server.url.split("/repo/")[0] + "/repo/"
    events = server.events("/repo/")
    bread = hub / "content/interviews/bread.md"
    changes = [
        lambda: bread.write_text(bread.read_text().replace("warm.", "warm and crusty.")),
        lambda: bread.write_text(bread.read_text().replace("crusty.", "crusty, every morning.")),
        lambda: bread.write_text(bread.read_text().replace("title: Bread", "title: Sourdough")),
        lambda: (hub / "content/interviews/rye.md").write_text(INTERVIEW.format(title="Rye", answer="Dark.")),
        lambda: (hub / "content/pages/about.md").unlink(),
        lambda: (hub / "static/site.webmanifest").write_text('{"name": "Served Hub, again"}'),
    ]
    try:
        for n, change in enumerate(changes):
            change()
            events.next_reload()
            copy = tmp_path / f"clean{n}"
            shutil.copytree(hub, copy, ignore=shutil.ignore_patterns(".sitegen-cache", "_site"))
            build(copy, BuildOptions(jobs=1, clean=True, base_url=base_url))
            assert tree_digest(hub / ".sitegen-cache/serve") == tree_digest(copy / "_site"), f"after change {n}"
    finally:
        events.close()
