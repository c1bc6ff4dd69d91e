"""Video without surveillance: the facade, local files with captions, timestamps, CSP."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import soup

from sitegen.urls import Urls
from sitegen.video import link_timestamps, make_video, timestamp_seconds, vimeo_id, youtube_id

JS = Path(__file__).resolve().parent.parent / "themes/default/static/assets/video.js"
YOUTUBE = "https://www.youtube.com/watch?v=aqz-KE-bpKQ"
CONFIG = "title: Hub\nbase_url: https://u.github.io/repo/\ncontact: {email: me@example.org}\n"
TRANSCRIPT = """\
---
title: A conversation about bread
date: 2025-01-01
video: %s
transcript: true
%s---
[00:00] Marta: Welcome to the bakery.
[01:05] Ana: I had 12,000 followers and it paid nothing.

[1:02:03] Marta: Thank you.

```
[00:10] not a timestamp inside code
```
"""


def page(video: str, extra: str = "") -> str:
    return TRANSCRIPT % (video, extra)


@pytest.mark.parametrize("url", [
    YOUTUBE, "https://youtu.be/aqz-KE-bpKQ", "https://www.youtube.com/embed/aqz-KE-bpKQ",
    "https://m.youtube.com/watch?v=aqz-KE-bpKQ&t=10", "https://www.youtube.com/shorts/aqz-KE-bpKQ",
    "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ",
])
def test_youtube_ids(url: str) -> None:
    assert youtube_id(url) == "aqz-KE-bpKQ"


def test_vimeo_ids_and_other_urls() -> None:
    assert vimeo_id("https://vimeo.com/76979871") == "76979871"
    assert vimeo_id("https://player.vimeo.com/video/76979871?h=x") == "76979871"
    assert youtube_id("https://example.org/watch?v=aqz-KE-bpKQ") is None
    assert make_video("https://peertube.example/w/abc", Urls.from_base_url("https://e.org/")).kind == "link"


def test_timestamps() -> None:
    assert timestamp_seconds("01:05") == 65 and timestamp_seconds("1:02:03") == 3723
    video = make_video(YOUTUBE, Urls.from_base_url("https://e.org/"))
    html = link_timestamps("<p>[00:07] Hi\n[10:00] Bye</p>\n<pre><code>[00:10] x\n</code></pre>\n<p>see [00:09]</p>", video)
    doc = soup_from(html)
    assert [(a["href"], a["data-start"], a.get_text()) for a in doc.select("a.timestamp")] == [
        (f"{YOUTUBE}&t=7s", "7", "[00:07]"), (f"{YOUTUBE}&t=600s", "600", "[10:00]")]


def soup_from(html: str):  # type: ignore[no-untyped-def]
    from bs4 import BeautifulSoup
    return BeautifulSoup(html, "html5lib")


def test_youtube_page_renders_a_facade_that_is_a_link_without_javascript(make_site, cli) -> None:
    root = make_site({"content/interviews/bread.md": page(YOUTUBE)}, config=CONFIG)
    result = cli("build", root)
    assert result.exit_code == 0, result.output
    doc = soup(root / "_site/interviews/bread/index.html")
    facade = doc.select_one("figure.video-facade")
    assert facade["data-embed"].startswith("https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?")
    assert "dnt=1" in facade["data-embed"]
    link = facade.select_one("a.video-facade-link")
    assert link["href"] == YOUTUBE
    assert "A conversation about bread" in facade.select_one(".video-facade-title").get_text()
    assert doc.find("iframe") is None
    assert doc.find("script", src=True)["src"].startswith("/repo/assets/video.js")
    stamps = doc.select(".entry-body a.timestamp")
    assert [(a["data-start"], a["href"]) for a in stamps] == [
        ("0", f"{YOUTUBE}&t=0s"), ("65", f"{YOUTUBE}&t=65s"), ("3723", f"{YOUTUBE}&t=3723s")]
    assert "[00:10] not a timestamp" in doc.select_one(".entry-body pre").get_text()
    csp = doc.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["frame-src"] == "'self' https://www.youtube-nocookie.com"
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    home_csp = soup(root / "_site/index.html").find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert "youtube" not in home_csp and "frame-src 'self'" in home_csp


def test_a_poster_image_is_used_when_given(make_site, cli) -> None:
    root = make_site({"content/interviews/bread.md": page(YOUTUBE, "poster: /images/bread.svg\n"),
                      "static/images/bread.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"}, config=CONFIG)
    assert cli("build", root).exit_code == 0
    doc = soup(root / "_site/interviews/bread/index.html")
    assert doc.select_one("img.video-facade-poster")["src"] == "/repo/images/bread.svg"
    assert doc.select_one(".video-facade-box") is None


def test_vimeo_facade(make_site, cli) -> None:
    root = make_site({"content/interviews/bread.md": page("https://vimeo.com/76979871")}, config=CONFIG)
    assert cli("build", root).exit_code == 0
    doc = soup(root / "_site/interviews/bread/index.html")
    facade = doc.select_one("figure.video-facade")
    assert facade["data-embed"] == "https://player.vimeo.com/video/76979871?autoplay=1&dnt=1"
    assert facade.a["href"] == "https://vimeo.com/76979871"
    assert "frame-src 'self' https://player.vimeo.com" in doc.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert doc.select_one("a.timestamp")["href"] == "https://vimeo.com/76979871#t=0s"


def test_a_local_video_with_captions(make_site, cli) -> None:
    root = make_site({"content/interviews/bread.md": page("/video/bread talk.mp4"),
                      "static/video/bread talk.mp4": b"\x00\x00\x00\x18ftypmp42",
                      "static/video/bread talk.vtt": "WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n"}, config=CONFIG)
    assert cli("build", root).exit_code == 0, cli("build", root).output
    doc = soup(root / "_site/interviews/bread/index.html")
    video = doc.select_one("figure.video-file video")
    assert video["preload"] == "none" and video.has_attr("controls")
    assert video["src"] == "/repo/video/bread%20talk.mp4"
    track = video.find("track")
    assert track["kind"] == "captions" and track["src"] == "/repo/video/bread%20talk.vtt" and track["srclang"] == "en"
    assert doc.select_one("a.timestamp")["href"] == "/repo/video/bread%20talk.mp4#t=0"
    assert "youtube" not in doc.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]


def test_a_local_video_without_captions_has_no_track(make_site, cli) -> None:
    root = make_site({"content/interviews/bread.md": page("/video/talk.webm"),
                      "static/video/talk.webm": b"\x1aE\xdf\xa3"}, config=CONFIG)
    assert cli("build", root).exit_code == 0
    doc = soup(root / "_site/interviews/bread/index.html")
    assert doc.select_one("video").find("track") is None


def test_the_facade_script_is_tiny_and_local() -> None:
    assert JS.stat().st_size < 2048
    text = JS.read_text(encoding="utf-8")
    assert "http" not in text.replace("data-embed", "")  # it never names an origin itself


@pytest.mark.parametrize("video", ["/../../outside/talk.mp4", "/video/../../../outside/talk.mp4"])
def test_captions_are_never_looked_for_outside_the_site(make_site, cli, tmp_path: Path, video: str) -> None:
    """The captions of a local video are the .vtt beside it in static/. A path that climbs
    out with ".." has none: the build does not look for (and so cannot tell a page about)
    files outside the site, such as a file of the computer that builds it."""
    root = make_site({"content/interviews/bread.md": page(video), "static/video/intro.mp4": b"\x00"}, config=CONFIG)
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "talk.vtt").write_text("WEBVTT\n", encoding="utf-8")
    assert (root / "static" / video.lstrip("/")).with_suffix(".vtt").resolve() == outside / "talk.vtt"
    result = cli("build", root)
    assert result.exit_code == 0, result.output
    assert soup(root / "_site/interviews/bread/index.html").select_one("figure.video-file video track") is None
