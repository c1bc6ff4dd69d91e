"""No stale page: after any sequence of edits, an incremental build and a running
preview make exactly what a clean build makes, byte for byte.

A hypothesis state machine edits the fixture hub ``tests/sites/stateful/`` at random:
bodies and every front-matter field, content files added, deleted and renamed,
pictures replaced by pictures of other sizes, captions beside a local video, static
files that collide with a page's URL, template overrides and partials, interface
strings, each section of ``sitegen.yaml``, the theme's static files, and the clock.
After each edit it builds three ways: ``sitegen build`` (a new process with the build
cache), a preview that keeps its warm state between rebuilds (``sitegen serve``), and
a clean build of a copy of the hub; the three must make the same files, or fail with
the same problems.

CI runs a few examples; ``SITEGEN_STATEFUL_EXAMPLES=500`` runs more (docs/testing.md).
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from conftest import SITES, soup, tree_digest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from sitegen import cache
from sitegen.build import BuildOptions, build
from sitegen.errors import SitegenError
from sitegen.warm import Warm
from sitegen.serve import PreviewServer, ServeOptions, changed_files

HUB = SITES / "stateful"
NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)
EXAMPLES = int(os.environ.get("SITEGEN_STATEFUL_EXAMPLES", "15"))
STEPS = int(os.environ.get("SITEGEN_STATEFUL_STEPS", "10"))


def png(width: int, height: int) -> bytes:
    """A real PNG picture of ``width`` x ``height`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\x80\x40\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# -- One process's memory ----------------------------------------------------------------
@dataclass
class Process:
    """One sitegen process: what it keeps between its builds. A `sitegen build` starts
    with nothing; the preview hands its warm state to each rebuild, as `sitegen serve` does."""

    warm: Warm = field(default_factory=Warm)


# -- What can be edited -------------------------------------------------------------------
BODIES = (
    "Intro.\n\n![A loaf](/images/p.png)\n\n## Why bread?\n\nBecause it brings people together.\n",
    "## Why bread?\n\nClay, not bread.\n\n![A mug](/images/q.png)\n",
    "[00:01] It began.\n\n[01:05] It went on.\n",
    "Only text, no headings, a little longer than before.\n",
    "",
    "![Missing](/images/missing.png) and ![Relative](../images/p.png)\n",
    "<script>alert(1)</script>\n",  # a mistake: the build fails
)
FIELDS: dict[str, tuple[Any, ...]] = {
    "title": ("Baking bread as a co-op", "Zany title", "A", "Ánimo", None),
    "date": (date(2026, 10, 2), date(2026, 8, 1), date(2026, 12, 24), date(2027, 1, 3), "2026-13-02", None),
    "updated": (date(2026, 11, 1), None),
    "summary": ("A short summary.", "", None),
    "tags": (["food"], ["food", "craft"], ["craft"], [], None),
    "person": (None, "Ana Pérez", "Bea Ruiz", {"name": "Ana Pérez", "role": "Baker", "consent": True},
               {"name": "Ana Pérez", "role": "Potter", "consent": False,
                "links": {"Site": "https://ana.example.org/"}}),
    "draft": (True, False, None),
    "lang": ("en", "es", "fr", None),
    "translation_key": ("bread", "clay", None),
    "video": ("/video/talk.mp4", "/video/other.webm", "https://www.youtube.com/watch?v=aqz-KE-bpKQ", None),
    "transcript": (True, None),
    "image": ("/images/p.png", "/images/q.png", "/images/missing.png", None),
    "poster": ("/images/q.png", None),
    "slug": ("bread", "shared", None),
    "template": ("story.html", None),
    "mood": ("calm", None),  # a key sitegen does not know: kept in page.meta
}
SLOTS = ("interviews/ana.md", "interviews/ana-es.md", "interviews/bea.md", "interviews/cleo.md",
         "stories/first.md", "stories/later.md", "stories/third.md", "pages/about.md", "pages/extra.md")
PICTURES = ("static/images/p.png", "static/images/q.png", "themes/hubtheme/static/images/p.png")
SIZES = ((40, 30), (400, 300), (41, 30), (40, 31), (24, 24))
CAPTIONS = ("static/video/talk.vtt", "static/video/other.vtt", "themes/hubtheme/static/video/talk.vtt")
COLLIDING = ("static/about/index.html", "static/interviews/ana/index.html", "static/index.html",
             "static/feed.xml")
ASSETS = {  # static files that pages link with a version, in the theme and over it
    "themes/hubtheme/static/favicon.svg": ('<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"/>\n',
                                           '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"/>\n'),
    "static/favicon.svg": ('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>\n',),
    "static/assets/sitegen.css": ("body { color: #222; }\n", "body { color: #333; }\n"),
    "themes/hubtheme/static/assets/video.js": ("// video\n",),
}
TEMPLATES = {
    "templates/partials/entry_card.html": (
        '<article class="card mine"><a href="{{ url(entry.url) }}">{{ entry.title }}</a>'
        "{% if entry.summary %}<p>{{ entry.summary }}</p>{% endif %}</article>\n",
        '<article class="card"><h2>{{ entry.title }}</h2>{% include "partials/extra.html" %}</article>\n',
        "<article>{{ entry.title }</article>\n",  # a mistake: the build fails
    ),
    "templates/partials/extra.html": ("<p>extra</p>\n", "<p>{{ t('latest') }}</p>\n"),
    "templates/story.html": ('{% extends "default/story.html" %}\n',
                             '{% extends "default/story.html" %}{% block title %}Story: {{ page.title }}'
                             "{% endblock %}\n"),
    "themes/hubtheme/templates/partials/entry_card.html": (
        '<article class="card hub-card"><a href="{{ url(entry.url) }}">{{ entry.title }}</a></article>\n',),
}
STRINGS = {
    "i18n/en.yaml": ({"latest": "Newest"}, {"latest": "Latest of all", "section_interview": "Conversations"}, {},
                     # the titles of the contact and membership pages that collect makes
                     {"contact_title": "Write to us", "membership_title": "Join us"}),
    "i18n/es.yaml": ({"latest": "Lo último"}, {}, {"contact_title": "Escríbenos"}),
}
SETTINGS: dict[str, tuple[Any, ...]] = {
    "title": ("Stateful Hub", "Another Hub"),
    "description": ("A small hub that a randomized test edits again and again.", None),
    "languages": (["en", "es"], ["en"], None),
    "theme": ("hubtheme", None, "nosuchtheme"),
    "page_size": (2, 1, 10, None),
    "home_entries": (3, 1, None),
    "author": ({"name": "Marta Quiles", "url": "https://marta.example/"}, None),
    "menu": ([{"label": "About", "url": "/about/"}], None),
    "contact": ({"email": "hello@example.org"}, {"email": "other@example.org", "signal": "+34 600 000 123"}, None),
    "connections": ({"related": 2, "introductions": True}, {"related": 0, "introductions": False}, None),
    "membership": (None, {"goal": {"amount": 1200, "currency": "EUR", "period": "year"},
                          "tiers": [{"name": "Reader", "price": 4, "currency": "EUR", "interval": "month",
                                     "join_url": "https://pay.example.org/reader"}]}),
    "privacy": (None, {"allow_origins": ["https://cdn.example.org"]}),
    "extra": (None, {"motto": "Small rooms"}),
    "cname": (None, "hub.example.org"),
    "webmention": (None, "https://webmention.example.org/hub"),
    "private": (None, {"notes": "never published"}),
    "timezone": ("UTC", "Europe/Madrid"),
}
CLOCK = (NOW, NOW + timedelta(days=40), NOW + timedelta(days=60), NOW - timedelta(days=70))


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    _, head, body = text.split("---\n", 2)
    return yaml.safe_load(head) or {}, body


def _page_text(meta: dict[str, Any], body: str) -> str:
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=None) if meta else ""
    return f"---\n{head}---\n{body}"


class StalePages(RuleBasedStateMachine):
    """Random edits of a hub; after each, three ways of building agree."""

    def __init__(self) -> None:
        super().__init__()
        self.root = self.tmp / f"hub{next(self.counter)}"
        shutil.copytree(HUB, self.root)
        self.pages = {rel.relative_to(self.root / "content").as_posix(): _front_matter(rel.read_text("utf-8"))
                      for rel in (self.root / "content").rglob("*.md")}
        self.settings: dict[str, Any] = yaml.safe_load((self.root / "sitegen.yaml").read_text("utf-8"))
        self.now = NOW
        self.preview = Process()
        # The preview's server, not started: it only lists the content files for each
        # rebuild from the changes it sees, as `sitegen serve` does between rebuilds.
        self.server = PreviewServer(self.root, ServeOptions(port=0), lambda outcome: None)
        self.server._theme_dirs = self.server._current_theme_dirs()
        self.steps: list[str] = []

    tmp: Path
    counter: Iterator[int]

    # -- content -----------------------------------------------------------------------
    def _write_page(self, rel: str) -> None:
        meta, body = self.pages[rel]
        path = self.root / "content" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_page_text(meta, body), encoding="utf-8")

    def _existing(self, pick: int) -> str | None:
        names = sorted(self.pages)
        return names[pick % len(names)] if names else None

    @rule(pick=st.integers(0, 20), body=st.sampled_from(BODIES))
    def edit_body(self, pick: int, body: str) -> None:
        rel = self._existing(pick)
        if rel is not None:
            self.steps.append(f"body of {rel} = {body!r}")
            self.pages[rel] = (self.pages[rel][0], body)
            self._write_page(rel)

    @rule(pick=st.integers(0, 20), data=st.data())
    def edit_front_matter(self, pick: int, data: st.DataObject) -> None:
        rel = self._existing(pick)
        if rel is None:
            return
        key = data.draw(st.sampled_from(sorted(FIELDS)), label="key")
        value = data.draw(st.sampled_from(FIELDS[key]), label="value")
        self.steps.append(f"{rel}: {key} = {value!r}")
        meta = dict(self.pages[rel][0])
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
        self.pages[rel] = (meta, self.pages[rel][1])
        self._write_page(rel)

    @rule(slot=st.sampled_from(SLOTS), body=st.sampled_from(BODIES[:5]))
    def add_page(self, slot: str, body: str) -> None:
        if slot in self.pages:
            return
        self.steps.append(f"add {slot}")
        meta: dict[str, Any] = {"title": f"New {slot.split('/')[1][:-3]}"}
        if not slot.startswith("pages/"):
            meta.update(date=date(2026, 9, 15), tags=["craft"])
        if slot.startswith("interviews/"):
            meta["person"] = {"name": "Cleo Marsh", "role": "Printer", "consent": True}
        self.pages[slot] = (meta, body)
        self._write_page(slot)

    @rule(pick=st.integers(0, 20))
    def delete_page(self, pick: int) -> None:
        rel = self._existing(pick)
        if rel is not None:
            self.steps.append(f"delete {rel}")
            del self.pages[rel]
            (self.root / "content" / rel).unlink()

    @rule(pick=st.integers(0, 20), slot=st.sampled_from(SLOTS))
    def rename_page(self, pick: int, slot: str) -> None:
        rel = self._existing(pick)
        if rel is None or slot in self.pages:
            return
        self.steps.append(f"rename {rel} -> {slot}")
        (self.root / "content" / slot).parent.mkdir(parents=True, exist_ok=True)
        (self.root / "content" / rel).rename(self.root / "content" / slot)
        self.pages[slot] = self.pages.pop(rel)

    # -- static files ------------------------------------------------------------------
    @rule(path=st.sampled_from(PICTURES), size=st.sampled_from((*SIZES, None)))
    def replace_picture(self, path: str, size: tuple[int, int] | None) -> None:
        self.steps.append(f"picture {path} = {size}")
        target = self.root / path
        if size is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(png(*size))

    @rule(path=st.sampled_from(CAPTIONS), text=st.sampled_from(("WEBVTT\n", "WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n",
                                                                 None)))
    def captions(self, path: str, text: str | None) -> None:
        self.steps.append(f"captions {path} = {text!r}")
        self._put(path, text)

    @rule(path=st.sampled_from((*COLLIDING, "static/video/other.webm")), text=st.sampled_from(("<p>mine</p>\n", None)))
    def static_file(self, path: str, text: str | None) -> None:
        self.steps.append(f"static {path} = {text!r}")
        self._put(path, text)

    @rule(data=st.data())
    def asset(self, data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(sorted(ASSETS)), label="path")
        text = data.draw(st.sampled_from((*ASSETS[path], None)), label="text")
        self.steps.append(f"asset {path} = {text!r}")
        self._put(path, text)

    # -- templates, strings, settings, clock -------------------------------------------
    @rule(data=st.data())
    def template(self, data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(sorted(TEMPLATES)), label="path")
        text = data.draw(st.sampled_from((*TEMPLATES[path], None)), label="text")
        self.steps.append(f"template {path} = {text!r}")
        self._put(path, text)

    @rule(data=st.data())
    def strings(self, data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(sorted(STRINGS)), label="path")
        values = data.draw(st.sampled_from((*STRINGS[path], None)), label="values")
        self.steps.append(f"strings {path} = {values!r}")
        self._put(path, None if values is None else yaml.safe_dump(values, allow_unicode=True))

    @rule(data=st.data())
    def setting(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(SETTINGS)), label="key")
        value = data.draw(st.sampled_from(SETTINGS[key]), label="value")
        self.steps.append(f"sitegen.yaml: {key} = {value!r}")
        if value is None:
            self.settings.pop(key, None)
        else:
            self.settings[key] = value
        (self.root / "sitegen.yaml").write_text(yaml.safe_dump(self.settings, sort_keys=False, allow_unicode=True),
                                                encoding="utf-8")

    @rule(now=st.sampled_from(CLOCK))
    def clock(self, now: datetime) -> None:
        self.steps.append(f"now = {now:%Y-%m-%d}")
        self.now = now

    def _put(self, rel: str, text: str | None) -> None:
        path = self.root / rel
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    # -- the three builds ---------------------------------------------------------------
    @invariant()
    def agree(self) -> None:
        """A `sitegen build`, a preview rebuild and a clean build make the same files."""
        clean = self.root.parent / f"{self.root.name}-clean"
        shutil.rmtree(clean, ignore_errors=True)
        shutil.copytree(self.root, clean, ignore=shutil.ignore_patterns(cache.FOLDER, "_site"))
        expected = _outcome(clean, BuildOptions(output=clean / "out", jobs=1, clean=True, now=self.now), Process())
        # `sitegen build`: a new process, with the build cache
        built = _outcome(self.root, BuildOptions(jobs=1, now=self.now), Process())
        # `sitegen serve`: one process, rebuilding, given the content files as the server lists them
        server = self.server
        seen = server._snapshots.take(server._watched_paths())
        sources = server._content_sources(changed_files(server._snapshot, seen, server.root))
        server._snapshot = seen
        previewed = _outcome(self.root, BuildOptions(output=server.output, jobs=1, defer_cache=True, now=self.now,
                                                     sources=sources), self.preview)
        self.preview.warm.flush()
        server._theme_dirs = server._current_theme_dirs()
        steps = "\n  ".join(self.steps)
        if isinstance(expected, tuple):  # the edits made the site invalid: all three fail alike
            assert built == expected, f"sitegen build did not fail as a clean build did, after:\n  {steps}"
            assert previewed == expected, f"the preview did not fail as a clean build did, after:\n  {steps}"
            return
        assert _differences(self.root / "_site", expected) == [], f"sitegen build is stale after:\n  {steps}"
        assert _differences(server.output, expected) == [], f"the preview is stale after:\n  {steps}"


def _outcome(root: Path, options: BuildOptions, process: Process) -> dict[str, str] | tuple[str, ...]:
    """The files a build by ``process`` made (by hash), or the problems it failed with."""
    try:
        report = build(root, options, warm=process.warm)
    except SitegenError as exc:
        return tuple(sorted(f"{p.path}:{p.line}: {p.message}" for p in exc.problems))
    return tree_digest(report.output)


def _differences(output: Path, expected: dict[str, str] | tuple[str, ...]) -> list[str]:
    if isinstance(expected, tuple):
        return ["the clean build failed: " + "; ".join(expected)]
    found = tree_digest(output)
    return sorted(f"{path}: {'missing' if path not in found else 'stray' if path not in expected else 'differs'}"
                  for path in found.keys() | expected.keys() if found.get(path) != expected.get(path))


@pytest.fixture
def machine(tmp_path: Path) -> type[StalePages]:
    """The state machine, making its hubs under ``tmp_path``."""
    counter = iter(range(1_000_000))
    return type("StalePagesHere", (StalePages,), {"tmp": tmp_path, "counter": counter})


def test_random_edits_leave_no_stale_page(machine: type[StalePages]) -> None:
    run_state_machine_as_test(machine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    ))


# -- The stale pages it found, as plain tests ------------------------------------------------
@dataclass
class Builder:
    """One way of building a hub again and again: `sitegen build` (a new process each
    time) or a preview (one process, keeping its memory between rebuilds)."""

    root: Path
    preview: bool
    process: Process = field(default_factory=Process)

    @property
    def output(self) -> Path:
        """Where it builds into."""
        return self.root / cache.FOLDER / "serve" if self.preview else self.root / "_site"

    def build(self) -> None:
        """Build (again)."""
        process = self.process if self.preview else Process()
        build(self.root, BuildOptions(output=self.output, jobs=1, defer_cache=self.preview, now=NOW), warm=process.warm)
        process.warm.flush()


@pytest.fixture(params=["sitegen build", "preview"])
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Builder:
    """The fixture hub, built once (with its build cache) in one of the two ways."""
    root = tmp_path / "hub"
    shutil.copytree(HUB, root)
    builder = Builder(root, preview=request.param == "preview")
    builder.build()
    return builder


def _rebuilt_equals_clean(hub: Builder, tmp_path: Path) -> None:
    hub.build()
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    shutil.copytree(hub.root, clean, ignore=shutil.ignore_patterns(cache.FOLDER, "_site"))
    build(clean, BuildOptions(output=clean / "out", jobs=1, clean=True, now=NOW))
    assert _differences(hub.output, tree_digest(clean / "out")) == []


def test_a_picture_replaced_by_a_larger_one_gets_its_new_size(hub: Builder, tmp_path: Path) -> None:
    img = soup(hub.output / "interviews/ana/index.html").find("img", alt="A loaf")
    assert (img["width"], img["height"]) == ("40", "30")
    (hub.root / "static/images/p.png").write_bytes(png(400, 300))
    _rebuilt_equals_clean(hub, tmp_path)
    for page in ("interviews/ana/index.html", "about/index.html"):
        img = soup(hub.output / page).find("img", src="/hub/images/p.png")
        assert (img["width"], img["height"]) == ("400", "300"), page


def test_captions_put_beside_a_local_video_appear(hub: Builder, tmp_path: Path) -> None:
    video = soup(hub.output / "interviews/ana/index.html").find("video")
    assert video is not None and video.find("track") is None
    (hub.root / "static/video/talk.vtt").write_text("WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n", encoding="utf-8")
    _rebuilt_equals_clean(hub, tmp_path)
    for page in ("interviews/ana/index.html", "stories/first/index.html"):
        track = soup(hub.output / page).find("video").find("track")
        assert track is not None and track["src"] == "/hub/video/talk.vtt", page
    (hub.root / "static/video/talk.vtt").unlink()  # and gone again when the file goes
    _rebuilt_equals_clean(hub, tmp_path)
    assert soup(hub.output / "interviews/ana/index.html").find("video").find("track") is None
