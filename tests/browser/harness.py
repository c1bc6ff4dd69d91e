"""What the browser tests share: the example hub built under /repo/ and served on
127.0.0.1 the way GitHub Pages serves a project site, and a headless Debian Chromium.

Not a conftest.py on purpose: tests/conftest.py is imported as ``conftest`` by the other
test modules, and a second module of that name would shadow it.
"""

from __future__ import annotations

import functools
import re
import shutil
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
EXAMPLE_SITE = REPO / "example-site"
ARTIFACTS = REPO / "tests" / "_artifacts"
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
PREFIX = "/repo/"
# axe-core is served from the site's own origin, outside /repo/: the pages' Content-Security-Policy
# allows scripts from 'self' only, so an inline copy of axe would be refused.
AXE_URL_PATH = "/__tests__/axe.min.js"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")


@dataclass(frozen=True, slots=True)
class ServedSite:
    """The built example hub and where it is served."""

    output: Path
    origin: str  # http://127.0.0.1:PORT

    @property
    def axe_url(self) -> str:
        """Where the test server serves axe-core (same origin as the pages, outside the site)."""
        return self.origin + AXE_URL_PATH

    @property
    def base(self) -> str:
        """The site's base URL, ending in /repo/."""
        return self.origin + PREFIX

    def url(self, rel: str) -> str:
        """The URL of a page given by its path below the base ('' is the home page)."""
        return self.base + rel

    def page_paths(self) -> list[str]:
        """Every built HTML page, as a path below the base ('interviews/x/', '404.html')."""
        paths = []
        for file in sorted(self.output.rglob("*.html")):
            rel = file.relative_to(self.output).as_posix()
            paths.append(rel[: -len("index.html")] if rel.endswith("index.html") else rel)
        return paths


class _PagesHandler(SimpleHTTPRequestHandler):
    """Serves the output under /repo/ only; anything else is a 404 with the site's 404 page."""

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if clean == AXE_URL_PATH:
            return str(AXE)
        if not clean.startswith(PREFIX):
            return str(Path(self.directory) / "__outside_the_site__")
        return super().translate_path("/" + clean[len(PREFIX):])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.exists():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a browser leaving a page mid-download is not a test failure


def serve_example_site(workdir: Path) -> Iterator[ServedSite]:
    """Bind a port, build the example hub for http://127.0.0.1:PORT/repo/, serve it."""
    from sitegen.build import BuildOptions, build

    root = workdir / "example-site"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("_site", ".sitegen-cache"))
    output = root / "_site"
    output.mkdir()
    handler = functools.partial(_PagesHandler, directory=str(output))
    server = _QuietServer(("127.0.0.1", 0), handler)
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    build(root, BuildOptions(base_url=origin + PREFIX))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ServedSite(output=output, origin=origin)
    finally:
        server.shutdown()
        server.server_close()


def _front_matter_value(path: Path, key: str) -> str | None:
    match = re.search(rf"^{key}:\s*(.+?)\s*$", path.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else None


def key_pages(site: ServedSite) -> dict[str, str]:
    """The pages every browser check visits: name -> path below the base."""
    interviews = sorted((EXAMPLE_SITE / "content" / "interviews").glob("*.md"))
    published = [p for p in interviews if (site.output / "interviews" / p.stem / "index.html").exists()]
    video = next(p for p in published if _front_matter_value(p, "video"))
    spanish = next(p for p in published if _front_matter_value(p, "lang") == "es")
    # The written interview has an image and a link in its text (the print test needs one).
    written = next(p for p in published if not _front_matter_value(p, "video")
                   and _front_matter_value(p, "lang") in (None, "en")
                   and "![" in p.read_text(encoding="utf-8") and re.search(r"(?<!!)\[[^\]]+\]\(/", p.read_text(encoding="utf-8")))
    story = sorted((site.output / "stories").glob("*/index.html"))[0].parent.name
    tag = sorted((site.output / "tags").glob("*/index.html"))[0].parent.name
    pages = {
        "home": "",
        "interviews": "interviews/",
        "interview": f"interviews/{written.stem}/",
        "video-interview": f"interviews/{video.stem}/",
        "spanish-interview": f"interviews/{spanish.stem}/",
        "story": f"stories/{story}/",
        "tag": f"tags/{tag}/",
        "contact": "contact/",
        "membership": "membership/",
        "404": "404.html",
    }
    people = sorted((site.output / "people").glob("*/index.html")) if (site.output / "people").is_dir() else []
    if people:
        pages["person"] = f"people/{people[0].parent.name}/"
    questions = sorted((site.output / "questions").glob("*/index.html")) if (site.output / "questions").is_dir() else []
    if questions:  # the shared questions and the page of one
        pages["questions"] = "questions/"
        pages["question"] = f"questions/{questions[0].parent.name}/"
    return pages
