"""The pieces of sitegen serve, without a server: debouncing, change detection, paths, pages."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from bs4 import BeautifulSoup
from hypothesis import given, strategies as st

from sitegen.errors import Problem
from sitegen.serve import (Debouncer, changed_files, content_type, error_page, inject, is_litter, is_local,
                           is_traversal, reload_script, snapshot)


def test_a_burst_is_over_after_a_quiet_spell():
    d = Debouncer(quiet=0.2, longest=2.0, clock=lambda: 0.0)
    assert d.due_in(0.0) is None  # nothing happened
    for t in (0.0, 0.05, 0.1, 0.12):  # an editor writing, renaming and writing again
        d.poke(t)
    assert d.due_in(0.2) > 0  # still within the quiet time of the last event
    assert d.due_in(0.32) == 0.0  # one rebuild, 0.2 s after the last event


def test_a_never_ending_burst_still_rebuilds():
    d = Debouncer(quiet=0.2, longest=2.0, clock=lambda: 0.0)
    t = 0.0
    while t < 5.0:
        d.poke(t)
        if d.due_in(t) == 0.0:
            break
        t += 0.1
    assert 1.9 <= t <= 2.1  # at most `longest` after the first event


def test_wait_returns_once_per_burst_and_stops():
    now = [0.0]
    d = Debouncer(quiet=0.2, longest=2.0, clock=lambda: now[0])
    stop = threading.Event()
    d.poke()
    now[0] = 1.0
    assert d.wait(stop) is True
    assert d.due_in(now[0]) is None  # the burst was consumed
    stop.set()
    assert d.wait(stop) is False


def test_snapshot_sees_edit_rename_delete_and_ignores_litter(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("one", encoding="utf-8")
    (tmp_path / "sitegen.yaml").write_text("title: x", encoding="utf-8")
    watched = (tmp_path / "sitegen.yaml", content, tmp_path / "static")  # static/ does not exist
    first = snapshot(watched)
    assert changed_files(first, snapshot(watched), tmp_path) == ()
    (content / ".#a.md").write_text("lock", encoding="utf-8")
    (content / "a.md.swp").write_text("swap", encoding="utf-8")
    (content / "a.md~").write_text("backup", encoding="utf-8")
    assert changed_files(first, snapshot(watched), tmp_path) == ()
    (content / "a.md").write_text("two!", encoding="utf-8")
    second = snapshot(watched)
    assert changed_files(first, second, tmp_path) == ("content/a.md",)
    os.rename(content / "a.md", content / "b.md")
    third = snapshot(watched)
    assert changed_files(second, third, tmp_path) == ("content/a.md", "content/b.md")
    (content / "b.md").unlink()
    assert changed_files(third, snapshot(watched), tmp_path) == ("content/b.md",)


def test_litter_names():
    for name in (".#a.md", "#a.md#", "a.md~", "a.md.swp", "4913", ".DS_Store", ".goutputstream-X1"):
        assert is_litter(name), name
    for name in ("a.md", "favicon.svg", ".well-known", "notes.markdown"):
        assert not is_litter(name), name


def _encoded(text: str, times: int) -> str:
    """``text`` percent-encoded ``times`` times over (every character, dots included)."""
    text = "".join(f"%{ord(c):02x}" for c in text)
    for _ in range(times - 1):
        text = text.replace("%", "%25")
    return "/repo/" + text


def test_traversal_is_refused_in_every_spelling():
    for path in ("/../x", "/repo/../x", "/repo/%2e%2e/x", "/repo/%2E%2e/x", "/repo/..%2Fx", "/repo/%252e%252e/x",
                 "/repo/a\\..\\x", "/repo/%5c..%5cx", "/repo/a%00.html", _encoded("..", 5) + "/x", "/.."):
        assert is_traversal(path), path
    for path in ("/repo/", "/repo/interviews/ana-perez/", "/repo/a..b/", "/repo/caf%C3%A9.html", "/repo/.well-known/x"):
        assert not is_traversal(path), path


@given(st.lists(st.sampled_from(["a", "..", ".", "%2e", "%2f", "%25", "/", "b", "%5c", "\\"]), max_size=8))
def test_no_decoded_path_escapes(parts):
    path = "/" + "".join(parts)
    if not is_traversal(path):
        from urllib.parse import unquote
        decoded = unquote(unquote(path))
        assert ".." not in decoded.split("/") and "\\" not in decoded


def test_content_types():
    assert content_type("index.html") == "text/html; charset=utf-8"
    assert content_type("feed.xml") == "application/xml"
    assert content_type("feed.json") == "application/json"
    assert content_type("site.webmanifest") == "application/manifest+json"
    assert content_type("talk.vtt") == "text/vtt; charset=utf-8"
    assert content_type("CNAME") == "text/plain; charset=utf-8"
    assert content_type("PHOTO.JPG") == "image/jpeg"
    assert content_type("archive.unknown") == "application/octet-stream"


def test_the_script_goes_before_the_end_of_the_body():
    page = b"<!doctype html><html><body><p>Hi</p></body></html>"
    out = inject(page, "abc-1")
    assert out.index(b"data-sitegen-serve") < out.index(b"</body>")
    assert out.startswith(b"<!doctype html><html><body><p>Hi</p><script")
    assert inject(b"<p>no body</p>", "abc-1").startswith(b"<p>no body</p><script")
    tag = BeautifulSoup(reload_script("abc-1"), "html5lib").find("script")
    assert tag["src"] == "/__sitegen/livereload.js?v=abc-1" and not tag.string  # no inline code: CSP allows it


def test_error_page_escapes_and_locates():
    problems = (Problem("bad <script>alert(1)</script>", path="content/a.md", line=3, hint="use & not <"),)
    page = BeautifulSoup(error_page(problems, None, "v-1"), "html5lib")
    item = page.select_one("ol.problems li")
    assert item.select_one(".where").get_text() == "content/a.md:3"
    assert item.select_one(".message").get_text() == "bad <script>alert(1)</script>"
    assert item.select_one(".hint").get_text() == "hint: use & not <"
    scripts = page.find_all("script")
    assert len(scripts) == 1 and scripts[0].has_attr("data-sitegen-serve")
    crashed = BeautifulSoup(error_page((), "Traceback ...\nKeyError: 'x'", "v-2"), "html5lib")
    assert "KeyError" in crashed.find("pre").get_text()


def test_local_hosts():
    assert is_local("127.0.0.1") and is_local("localhost") and is_local("::1") and is_local("127.0.0.2")
    assert not is_local("0.0.0.0") and not is_local("192.168.1.4") and not is_local("example.org")


def test_reload_script_is_not_part_of_any_theme_template():
    themes = Path(__file__).resolve().parent.parent / "themes"
    for path in themes.rglob("*"):
        if path.is_file():
            assert b"__sitegen" not in path.read_bytes(), path


def test_falls_back_to_polling_when_the_system_refuses_to_watch(make_site):
    """Too many inotify watches in use must not leave serve silently blind."""
    import errno
    import queue

    from watchdog.observers import Observer

    from sitegen.serve import PreviewServer, ServeOptions

    class Refusing(Observer):  # type: ignore[misc, valid-type]
        def schedule(self, *args, **kwargs):
            raise OSError(errno.EMFILE, "inotify instance limit reached")

    site = make_site(files={"content/pages/about.md": "---\ntitle: About\n---\nFirst.\n"})
    builds: queue.Queue = queue.Queue()
    notices: list[str] = []
    server = PreviewServer(site, ServeOptions(port=0), builds.put, notices.append)
    server.observer_class = Refusing
    try:
        server.start()
        assert builds.get(timeout=20).report is not None
        assert notices and "every second" in notices[0]
        (site / "content/pages/about.md").write_text("---\ntitle: About\n---\nSecond.\n", encoding="utf-8")
        outcome = builds.get(timeout=20)
        assert outcome.changed == ("content/pages/about.md",)
        assert "Second." in (server.output / "about/index.html").read_text(encoding="utf-8")
    finally:
        server.stop()
