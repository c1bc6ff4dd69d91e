"""No stale page: after any sequence of edits, an incremental build and a running
preview make exactly what a clean build makes, byte for byte.

A hypothesis state machine edits the fixture hub ``tests/sites/stateful/`` at random:
bodies and every front-matter field, content files added, deleted and renamed, pictures
replaced by pictures of other sizes, captions beside a local video, static files that
collide with a page's URL, template overrides and partials, interface strings, each
section of ``sitegen.yaml``, the theme's static files, the clock, ``--future``,
``--drafts`` and ``--base-url``; and what tools do around them: a file replaced by one
of the same size with its time stamp restored (cp -p, tar), a section folder that is a
link to a folder elsewhere in the site, templates in templates/static/ or behind a link,
a picture behind a link that is pointed at another, and editors' litter (backups, swap
files, auto-saves, Emacs locks); the built site changed by hand, the build caches
damaged, and a build killed at any change it makes to a file or folder (which must leave
its output as it was, or as a clean build makes it). Builds use one process or a forked
worker. After each edit it builds three ways: ``sitegen build`` (a new process with the
build cache), a preview that keeps its warm state between rebuilds (``sitegen serve``),
and a clean build of a copy of the hub without the litter; the three must make the same
files, or fail with the same problems. In the clean build, a read tracer
(``tests/oracle.py``) checks that no render job read what it did not declare.

CI runs a few examples; ``SITEGEN_STATEFUL_EXAMPLES=500`` runs more (docs/testing.md).
"""

from __future__ import annotations

import inspect
import os
import shutil
import signal
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, UTC
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import pytest
import yaml
from conftest import REPO, SITES, png, soup, tree_digest
from oracle import checked_declarations
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)

from sitegen import cache, parallel, write
from sitegen.build import BuildOptions, build
from sitegen.errors import SitegenError
from sitegen.warm import Warm
from sitegen.serve import PreviewServer, ServeOptions, changed_files
from sitegen.write import MARKER, mirror

HUB = SITES / "stateful"
NOW = datetime(2026, 11, 22, tzinfo=UTC)
EXAMPLES = int(os.environ.get("SITEGEN_STATEFUL_EXAMPLES", "15"))
STEPS = int(os.environ.get("SITEGEN_STATEFUL_STEPS", "10"))
#: Rules that make symbolic links run only where there are links (as other tests skip).
CAN_LINK = hasattr(os, "symlink") and os.name != "nt"
#: A build is killed in a forked process (where there is fork).
CAN_FORK = hasattr(os, "fork")


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
                "links": {"Site": "https://ana.example.org/"}},
               {"name": "Ana Pérez", "role": "Baker", "consent": True, "contact": {"email": "ana@ana.example"}}),
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
             "static/feed.xml", "themes/hubtheme/static/about/index.html")
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
    # A hub's own base reaching into the site: what the read of templates must follow
    # (a footer of the newest entries, a page chosen by its slug, a macro, a loop's neighbour).
    "templates/base.html": (
        '{% extends "default/base.html" %}{% block footer %}{{ super() }}<ul>{% for e in site.entries[:2] %}'
        "<li>{{ e.title }} ({{ e.reading_minutes }})</li>{% endfor %}</ul>{% endblock %}\n",
        '{% extends "default/base.html" %}{% from "partials/macros.html" import card %}{% block footer %}'
        "{% set about = site.page('about') %}{% if about %}<p>{{ about.summary }}</p>{% endif %}"
        "{% for e in site.stories %}{% if not loop.first %}{{ card(loop.previtem) }}{% endif %}{% endfor %}"
        "{% endblock %}\n",
        '{% extends "default/base.html" %}{% block footer %}{% include footer_name | default("partials/extra.html") %}'
        "{% endblock %}\n",  # a template named as it renders: followed as showing everything
    ),
    "templates/partials/macros.html": (
        "{% macro card(entry) %}<b>{{ entry.title }}: {{ entry.body_html | length }}</b>{% endmacro %}\n",),
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
    "base_url": ("https://example.org/hub/", "https://example.org/", "https://hub.example.net/a/b/"),
}
#: What --base-url can say instead of the settings' base_url (None: nothing).
BASE_URLS = (None, "https://example.org/hub/", "http://localhost:8000/preview/")
CLOCK = (NOW, NOW + timedelta(days=40), NOW + timedelta(days=60), NOW - timedelta(days=70))
#: Dates of a scheduled interview: the clock crosses each (NOW + 40 days is 2027-01-01).
SCHEDULED = (date(2026, 12, 24), date(2027, 1, 3))
#: Templates outside templates/partials/ that a partial includes: in a folder named
#: static/, and in a folder elsewhere in the site reached through templates/shared.
NOTES = {"static": "templates/static/note.html", "shared": "shared-templates/note.html"}
NOTE_TEXTS = ("<p>note one</p>\n", "<p>note two, {{ t('latest') }}</p>\n", "<p>note one!</p>\n")
#: Pictures a link in static/ can lead to (the link: static/images/p.png or q.png).
LINKED_PICTURES = {"images/v1.png": (40, 30), "images/v2.png": (400, 300), "pictures/v3.png": (24, 24)}
#: Where editors leave litter, beside which file (the file need not exist).
LITTER_BESIDE = ("content/pages/about.md", "content/stories/first.md", "static/favicon.svg",
                 "static/images/p.png", "templates/partials/entry_card.html", "i18n/en.yaml")
#: Editors' litter beside a file, and what it holds: read by a build, it would break it.
LITTER = {"backup": "{}~", "vim swap": ".{}.swp", "emacs auto-save": "#{}#", "emacs lock": ".#{}", "vim probe": "4913"}
LITTER_TEXT = "---\ntitle: [broken\n---\n{{ broken }\n<script>alert(1)</script>\n"


def rot13(text: str) -> str:
    """``text`` with its ASCII letters moved 13 places: other bytes, of the same length."""
    return text.translate(str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                                        "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm"))


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    _, head, body = text.split("---\n", 2)
    return yaml.safe_load(head) or {}, body


def _page_text(meta: dict[str, Any], body: str) -> str:
    head = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=None) if meta else ""
    return f"---\n{head}---\n{body}"


class PausedClock:
    """The clock the build cache decides by (whether a file's time stamp is old enough to
    be trusted), stopped: it moves only when the writer pauses, to just over two seconds
    after that moment. So the files there at the last pause are old enough to trust and
    those saved since are not, whatever the time the steps and builds take: an example
    runs the same every time (and shrinks). The steps follow each other within
    milliseconds: without pauses, a build would never find that nothing changed."""

    def __init__(self) -> None:
        self.now = 0

    def pause(self) -> None:
        """A pause: every file saved until now is older than the time-stamp tick."""
        self.now = time.time_ns() + 2_000_000_001

    def time_ns(self) -> int:
        """Now, as the build cache sees it."""
        return self.now


class StalePages(RuleBasedStateMachine):
    """Random edits of a hub; after each, three ways of building agree."""

    def __init__(self) -> None:
        super().__init__()
        self.cache_clock.pause()  # (the hub was made long before its first build)
        self.root = self.tmp / f"hub{next(self.counter)}"
        shutil.copytree(HUB, self.root)
        self.pages = {rel.relative_to(self.root / "content").as_posix(): _front_matter(rel.read_text("utf-8"))
                      for rel in (self.root / "content").rglob("*.md")}
        self.settings: dict[str, Any] = yaml.safe_load((self.root / "sitegen.yaml").read_text("utf-8"))
        self.now = NOW
        self.future = False
        self.drafts = False
        self.jobs = 1  # processes for `sitegen build` and the preview (the clean build: 1, traced)
        self.base_url: str | None = None  # given with --base-url
        self.section_linked = False  # content/stories -> ../shared/stories
        self.litter_paths: set[str] = set()  # the litter's paths: a clean build is of a copy without it
        self._start_preview()
        self.steps: list[str] = []

    def _start_preview(self) -> None:
        """A new `sitegen serve` (started again, e.g. with or without --future): a new
        process, with the preview folder the last one left in the build cache."""
        self.preview = Process()
        # The preview's server, not started: it only lists the content files for each
        # rebuild from the changes it sees, as `sitegen serve` does between rebuilds.
        self.server = PreviewServer(self.root, ServeOptions(port=0, future=self.future, drafts=self.drafts),
                                    lambda outcome: None)
        self.server._theme_dirs = self.server._current_theme_dirs()

    tmp: Path
    counter: Iterator[int]
    cache_clock: PausedClock  # the build cache's, while the machine runs

    # -- how the hub is laid out ---------------------------------------------------------
    @initialize(section_link=st.booleans(), note=st.sampled_from((None, *sorted(NOTES))),
                picture=st.sampled_from((None, *sorted(LINKED_PICTURES))), future=st.booleans(),
                scheduled=st.sampled_from((None, *SCHEDULED)))
    def layout(self, section_link: bool, note: str | None, picture: str | None, future: bool,
               scheduled: date | None) -> None:
        """How the hub is before its first build: made by the rules below, so that an
        example's edits start from it (the first build sees it as it is)."""
        if section_link and CAN_LINK:
            self.link_section(True)
        if note is not None and (note != "shared" or CAN_LINK):
            self.note(note, NOTE_TEXTS[0])
        if picture is not None and CAN_LINK:
            self.repoint_picture("static/images/p.png", picture)
        if future:
            self.use_future(True)
        if scheduled is not None:
            self.scheduled_interview(scheduled, True)

    @precondition(lambda self: CAN_LINK)
    @rule(on=st.booleans())
    def link_section(self, on: bool) -> None:
        """content/stories becomes a link to ../shared/stories, its files moved there (or
        a folder again); its files are then edited through the link's target."""
        if on == self.section_linked:
            return
        self.steps.append(f"content/stories {'-> ../shared/stories' if on else 'a folder again'}")
        section, shared = self.root / "content/stories", self.root / "shared/stories"
        if on:
            shared.mkdir(parents=True, exist_ok=True)
            if section.is_dir():
                for entry in section.iterdir():
                    os.rename(entry, shared / entry.name)
                section.rmdir()
            section.symlink_to("../shared/stories", target_is_directory=True)
        else:
            section.unlink()
            section.mkdir()
            for entry in shared.iterdir():
                os.rename(entry, section / entry.name)
        self.section_linked = on

    # -- content -----------------------------------------------------------------------
    def _source(self, rel: str) -> Path:
        """Where a content file is: through a linked section, at the link's target."""
        if self.section_linked and rel.startswith("stories/"):
            return self.root / "shared" / rel
        return self.root / "content" / rel

    def _write_page(self, rel: str) -> None:
        meta, body = self.pages[rel]
        path = self._source(rel)
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
            self._source(rel).unlink()

    @rule(pick=st.integers(0, 20), slot=st.sampled_from(SLOTS))
    def rename_page(self, pick: int, slot: str) -> None:
        rel = self._existing(pick)
        if rel is None or slot in self.pages:
            return
        self.steps.append(f"rename {rel} -> {slot}")
        (self.root / "content" / slot).parent.mkdir(parents=True, exist_ok=True)
        (self.root / "content" / rel).rename(self.root / "content" / slot)
        self.pages[slot] = self.pages.pop(rel)

    @rule(pick=st.integers(0, 20), how=st.sampled_from(("in place", "cp -p")))
    def same_size_with_old_time_stamp(self, pick: int, how: str) -> None:
        """A content file (or the site's style sheet) replaced by other bytes of the same
        size, its time stamp then set back: only its ctime (and, for cp -p, its inode) differs."""
        rel = self._existing(pick) if pick % 4 else None
        if rel is not None:
            meta, body = self.pages[rel]
            self.pages[rel] = (meta, rot13(body))
            path = self._source(rel)
            old = path.read_text(encoding="utf-8")  # (as the fixture wrote it, or _page_text)
            text = old[:len(old) - len(body)] + rot13(body)
            assert old.endswith(body)
        else:
            rel = "static/assets/sitegen.css"
            path = self.root / rel
            old = path.read_text(encoding="utf-8") if path.is_file() else ""
            if "#222" not in old and "#333" not in old:
                return
            text = old.replace("#222", "#555") if "#222" in old else old.replace("#333", "#222")
        before = path.stat()
        if len(text.encode("utf-8")) != before.st_size:
            raise AssertionError(f"the replacement of {rel} is not of the same size")
        self.steps.append(f"{rel} replaced ({how}) by {text!r}, of the same size and time stamp")
        if how == "in place":
            path.write_text(text, encoding="utf-8")
        else:
            temp = path.with_name(path.name + ".part")  # (litter while it exists)
            temp.write_text(text, encoding="utf-8")
            os.utime(temp, ns=(before.st_atime_ns, before.st_mtime_ns))
            os.replace(temp, path)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

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

    @precondition(lambda self: CAN_LINK)
    @rule(path=st.sampled_from(("static/images/p.png", "static/images/q.png")),
          picture=st.sampled_from(sorted(LINKED_PICTURES)))
    def repoint_picture(self, path: str, picture: str) -> None:
        """A picture a page shows becomes a link (`ln -sfn`) to another picture in static/,
        of another size."""
        self.steps.append(f"{path} -> {picture}")
        target = self.root / "static" / picture
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(png(*LINKED_PICTURES[picture]))
        link = self.root / path
        link.parent.mkdir(parents=True, exist_ok=True)
        temp = link.with_name(f".{link.name}.tmp")
        temp.unlink(missing_ok=True)
        temp.symlink_to(os.path.relpath(target, link.parent))
        os.replace(temp, link)

    @rule(path=st.sampled_from(CAPTIONS), text=st.sampled_from(("WEBVTT\n", "WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n",
                                                                 None)))
    def captions(self, path: str, text: str | None) -> None:
        self.steps.append(f"captions {path} = {text!r}")
        self._put(path, text)

    @rule(path=st.sampled_from((*COLLIDING, "static/video/other.webm", "static/.env")),
          text=st.sampled_from(("<p>mine</p>\n", None)))
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

    @rule(where=st.sampled_from(sorted(NOTES)), text=st.sampled_from((*NOTE_TEXTS, None)))
    def note(self, where: str, text: str | None) -> None:
        """A template that the site's entry card includes, in templates/static/ or in
        shared-templates/ reached through the link templates/shared (made here if missing),
        written (edited) where it really is."""
        if where == "shared" and not CAN_LINK:
            return
        self.steps.append(f"template {NOTES[where]} = {text!r}")
        if where == "shared" and not (self.root / "templates/shared").is_symlink():
            (self.root / "templates").mkdir(exist_ok=True)
            (self.root / "templates/shared").symlink_to("../shared-templates", target_is_directory=True)
        self._put(NOTES[where], text)
        card = self.root / "templates/partials/entry_card.html"
        include = f'{{% include "{where}/note.html" %}}'
        if text is not None and not (card.is_file() and include in card.read_text(encoding="utf-8")):
            # The card the site shows now: its own, else its theme's (deleted by an edit, maybe),
            # else the default theme's.
            shown = next(path for path in (card, self.root / "themes/hubtheme/templates/partials/entry_card.html",
                                           REPO / "themes/default/templates/partials/entry_card.html")
                         if path.is_file())
            old = shown.read_text(encoding="utf-8")
            self.steps.append(f"template {card.relative_to(self.root).as_posix()} includes it")
            card.parent.mkdir(parents=True, exist_ok=True)
            card.write_text(include + old, encoding="utf-8")

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

    @rule()
    def pause(self) -> None:
        """The writer waits a while before the next edit: the files saved so far are older
        than the time-stamp tick when the next build looks at them."""
        self.steps.append("a pause")
        self.cache_clock.pause()

    @rule(on=st.booleans())
    def use_future(self, on: bool) -> None:
        """Builds with --future (or without); the preview is started again with it."""
        if on == self.future:
            return
        self.steps.append(f"future = {on}")
        self.future = on
        self._start_preview()

    @rule(on=st.booleans())
    def use_drafts(self, on: bool) -> None:
        """Builds with --drafts (or without); the preview is started again with it."""
        if on == self.drafts:
            return
        self.steps.append(f"drafts = {on}")
        self.drafts = on
        self._start_preview()

    @rule(jobs=st.sampled_from((1, 2)))
    def use_workers(self, jobs: int) -> None:
        """`sitegen build` and the preview parse and render in this process alone, or with
        a forked worker (the fixture lets a hub this small use workers)."""
        if jobs != self.jobs:
            self.steps.append(f"--jobs {jobs}")
            self.jobs = jobs

    @rule(base_url=st.sampled_from(BASE_URLS))
    def base_url_option(self, base_url: str | None) -> None:
        """Builds with --base-url (or without); the preview is given it too (`sitegen serve`
        gives its own address so)."""
        if base_url == self.base_url:
            return
        self.steps.append(f"--base-url {base_url}")
        self.base_url = base_url

    @rule(when=st.sampled_from(SCHEDULED), consent=st.booleans())
    def scheduled_interview(self, when: date, consent: bool) -> None:
        """A newer interview of Ana, dated after the build, giving (or refusing) consent
        with a contact: its details appear only once it is due (docs/people.md)."""
        rel = "interviews/cleo.md"
        self.steps.append(f"{rel}: Ana, on {when}, consent {consent}")
        self.pages[rel] = ({"title": "Clay and bread", "date": when, "tags": ["craft"],
                            "person": {"name": "Ana Pérez", "role": "Baker",
                                       "contact": {"email": "ana@ana.example"}, "consent": consent}},
                           "## Why clay?\n\nBecause.\n")
        self._write_page(rel)

    @rule(beside=st.sampled_from(LITTER_BESIDE), kind=st.sampled_from(sorted(LITTER)), present=st.booleans())
    def litter(self, beside: str, kind: str, present: bool) -> None:
        """Editors' litter appears or vanishes beside a file: never read, never published."""
        folder, name = (self.root / beside).parent, LITTER[kind].format(Path(beside).name)
        if kind == "emacs lock" and not CAN_LINK:
            return
        path = folder / name
        rel = path.relative_to(self.root).as_posix()
        self.steps.append(f"litter {rel} {'appears' if present else 'vanishes'}")
        if not present:
            if os.path.lexists(path):
                path.unlink()
            self.litter_paths.discard(rel)
            return
        folder.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(path):
            path.unlink()
        if kind == "emacs lock":  # a link to nothing, named after who holds it
            path.symlink_to("writer@laptop.4242:1700000000")
        else:
            path.write_text(LITTER_TEXT, encoding="utf-8")
        self.litter_paths.add(rel)

    # -- the output and the build cache, changed between builds --------------------------
    @rule(data=st.data(), how=st.sampled_from(("edited", "emptied", "deleted", "stray file", "stray folder",
                                                "folder deleted", "all deleted")))
    def output_by_hand(self, data: st.DataObject, how: str) -> None:
        """Someone changes the built site by hand: a file edited or deleted, a file or a
        folder of their own put in, a folder or the whole site deleted. The next `sitegen
        build` makes it what a clean build makes again."""
        output = self.root / "_site"
        files = sorted(p.relative_to(output).as_posix() for p in output.rglob("*")
                       if p.is_file() and p.name != MARKER) if output.is_dir() else []
        if not files:
            return
        rel = data.draw(st.sampled_from(files), label="file")
        path = output / rel
        if how == "folder deleted" and path.parent == output:
            return  # (the output folder itself: "all deleted")
        self.steps.append("_site deleted by hand" if how == "all deleted" else f"_site/{rel}: {how} by hand")
        if how == "edited":  # (in place: the same file, which a link may share)
            with open(path, "ab") as f:
                f.write(b"<!-- mine -->")
        elif how == "emptied":
            path.write_bytes(b"")
        elif how == "deleted":
            path.unlink()
        elif how == "stray file":
            path.with_name("mine.html").write_text("<p>mine</p>", encoding="utf-8")
        elif how == "stray folder":
            (path.parent / "mine").mkdir(exist_ok=True)
            (path.parent / "mine/index.html").write_text("<p>mine</p>", encoding="utf-8")
        else:
            shutil.rmtree(output if how == "all deleted" else path.parent)

    @rule(data=st.data(), whose=st.sampled_from(("build", "preview")),
          how=st.sampled_from(("truncated", "a byte flipped", "deleted")))
    def damaged_cache(self, data: st.DataObject, whose: str, how: str) -> None:
        """A file of a build cache is damaged (a full disk, a crash, a hand): the next
        build ignores what it cannot trust and makes what a clean build makes."""
        folder = cache.store_for(self.root, self.root / "_site" if whose == "build" else self.server.output)
        folder /= cache.FOLDER
        names = sorted(p.relative_to(folder).as_posix() for p in (*folder.glob("*.pickle"), *folder.glob("bodies/*"))
                       if p.is_file())
        if not names:
            return
        name = data.draw(st.sampled_from(names), label="file")
        path = folder / name
        self.steps.append(f"{whose}'s cache file {name}: {how}")
        raw = path.read_bytes()
        if how == "deleted":
            path.unlink()
        elif how == "truncated":
            path.write_bytes(raw[: len(raw) // 2])
        elif raw:
            middle = len(raw) // 2
            path.write_bytes(raw[:middle] + bytes([raw[middle] ^ 0x20]) + raw[middle + 1:])

    def _put(self, rel: str, text: str | None) -> None:
        path = self.root / rel
        if text is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")

    # -- a build killed ---------------------------------------------------------------------
    @precondition(lambda self: CAN_FORK)
    @rule(whose=st.sampled_from(("build", "preview")), at=st.integers(1, 320))
    def killed_build(self, whose: str, at: int) -> None:
        """`sitegen build`, or the preview, is killed (as by kill -9: no clean-up) just
        before its ``at``-th change to a file or folder (a rename, link, unlink, folder
        made or removed, the swap of two folders); the preview is then started again. Its
        output is left whole: as it was, or as a clean build makes it. The next builds
        (the invariant's) end what it began."""
        output = self.root / "_site" if whose == "build" else self.server.output
        before = tree_digest(output) if output.is_dir() else {}
        options = BuildOptions(jobs=self.jobs, **self._when()) if whose == "build" else \
            BuildOptions(output=output, jobs=self.jobs, defer_cache=True, **self._when())
        process = Process() if whose == "build" else self.preview
        pid = os.fork()
        if pid == 0:  # (the child: it never returns)
            status = 0
            try:
                _die_at(at)
                build(self.root, options, warm=process.warm)
                process.warm.flush()
            except BaseException:
                status = 1
            os._exit(status)
        status = _waited(pid)
        self.steps.append(f"{'sitegen build' if whose == 'build' else 'the preview'} killed at its change {at}"
                          + ("" if os.waitstatus_to_exitcode(status) == KILLED else " (it ended before)"))
        if whose == "preview":
            self._start_preview()
        after = tree_digest(output) if output.is_dir() else {}
        if after != before:
            expected = self._clean()
            steps = "\n  ".join(self.steps)
            assert not isinstance(expected, tuple), f"a build of an invalid site changed its output, after:\n  {steps}"
            assert _differences(output, expected) == [], f"the killed build left a half-new site, after:\n  {steps}"

    def _when(self) -> dict[str, Any]:
        """The options every build of this moment is given."""
        return {"now": self.now, "future": self.future, "drafts": self.drafts, "base_url": self.base_url}

    def _clean(self, warned: list[str] | None = None) -> dict[str, str] | tuple[str, ...]:
        """What a clean build of a copy of the hub (without the editors' litter) makes."""
        clean = self.root.parent / f"{self.root.name}-clean"
        shutil.rmtree(clean, ignore_errors=True)
        # (links copied as links; the editors' litter left out: a build must never see it)
        litter = {Path(rel).name for rel in self.litter_paths}
        shutil.copytree(self.root, clean, symlinks=True, ignore=shutil.ignore_patterns(cache.FOLDER, "_site", *litter))
        return _outcome(clean, BuildOptions(output=clean / "out", jobs=1, clean=True, **self._when()), Process(),
                        warned)

    # -- the three builds ---------------------------------------------------------------
    @invariant()
    def agree(self) -> None:
        """A `sitegen build`, a preview rebuild and a clean build make the same files, and
        report the same warnings and counts."""
        with checked_declarations() as oracle:  # and no job of it read what it did not declare
            expected = self._clean(clean_warnings := [])
        assert oracle.undeclared == [], "\n".join(oracle.undeclared)
        when = self._when()
        # `sitegen build`: a new process, with the build cache
        built = _outcome(self.root, BuildOptions(jobs=self.jobs, **when), Process(), built_warnings := [])
        # `sitegen serve`: one process, rebuilding, given the content files as the server
        # lists them (its loop: snapshot, rebuild, then mirror the spare once it built)
        server = self.server
        seen = server._snapshots.take(server._watched_paths())
        changed = changed_files(server._snapshot, seen, server.root)
        server._snapshot = seen
        sources = server._content_sources(changed)
        previewed = _outcome(self.root, BuildOptions(output=server.output, jobs=self.jobs, defer_cache=True,
                                                     sources=sources, **when), self.preview, previewed_warnings := [])
        self.preview.warm.flush()
        server._theme_dirs = server._current_theme_dirs()
        if not isinstance(previewed, tuple) and self.preview.warm.spare is None:
            self.preview.warm.spare = mirror(server.output, cache.spare_folder(server.root, server.output))
        steps = "\n  ".join(self.steps)
        if isinstance(expected, tuple):  # the edits made the site invalid: all three fail alike
            assert built == expected, f"sitegen build did not fail as a clean build did, after:\n  {steps}"
            assert previewed == expected, f"the preview did not fail as a clean build did, after:\n  {steps}"
            return
        assert _differences(self.root / "_site", expected) == [], f"sitegen build is stale after:\n  {steps}"
        assert _differences(server.output, expected) == [], f"the preview is stale after:\n  {steps}"
        # and what they warn about and say they made is what a clean build does
        assert built_warnings == clean_warnings, f"sitegen build's warnings are stale after:\n  {steps}"
        assert previewed_warnings == clean_warnings, f"the preview's warnings are stale after:\n  {steps}"


#: The exit status of a build killed by ``_die_at``.
KILLED = 137


def _die_at(at: int) -> None:
    """In a forked process: end it at once, as kill -9 would (nothing cleaned up, no
    ``finally``), just before its ``at``-th change to a file or folder."""
    count = 0

    def dying(real: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal count
            count += 1
            if count >= at:
                os._exit(KILLED)
            return real(*args, **kwargs)
        return call

    for name in ("rename", "replace", "link", "symlink", "unlink", "rmdir", "mkdir"):
        setattr(os, name, dying(getattr(os, name)))
    write._exchange = dying(write._exchange)


def _waited(pid: int, seconds: float = 300) -> int:
    """The wait status of the forked process ``pid``, once it ended; it is killed, and the
    step fails, if it runs longer than ``seconds`` (a build of this hub takes well under one)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"the build in a forked process did not end within {seconds} s")


def _outcome(root: Path, options: BuildOptions, process: Process,
             warned: list[str] | None = None) -> dict[str, str] | tuple[str, ...]:
    """The files a build by ``process`` made (by hash), or the problems it failed with;
    ``warned`` gets the warnings of a build that succeeds."""
    try:
        report = build(root, options, warm=process.warm)
    except SitegenError as exc:
        return tuple(sorted(f"{p.path}:{p.line}: {p.message}" for p in exc.problems))
    if warned is not None:  # (and what it says it did)
        warned.extend(sorted(f"{p.path}:{p.line}: {p.message}" for p in report.warnings))
        warned.append(f"{report.pages} pages, {report.files} files, left out: {report.left_out_drafts} drafts, "
                      f"{sorted(p.source for p in report.left_out_future)} in the future")
    return tree_digest(report.output)


def _differences(output: Path, expected: dict[str, str] | tuple[str, ...]) -> list[str]:
    if isinstance(expected, tuple):
        return ["the clean build failed: " + "; ".join(expected)]
    found = tree_digest(output)
    return sorted(f"{path}: {'missing' if path not in found else 'stray' if path not in expected else 'differs'}"
                  for path in found.keys() | expected.keys() if found.get(path) != expected.get(path))


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> type[StalePages]:
    """The state machine, making its hubs under ``tmp_path``, with the build cache's clock
    stopped (see ``PausedClock``) and workers allowed for a few pages, until the test ends."""
    counter = iter(range(1_000_000))
    clock = PausedClock()
    monkeypatch.setattr(cache, "time", clock)
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 2)  # (so that --jobs 2 uses a worker on this small hub)
    return type("StalePagesHere", (StalePages,), {"tmp": tmp_path, "counter": counter, "cache_clock": clock})


def test_every_rule_is_a_step_of_the_machine(machine: type[StalePages]) -> None:
    """No attribute the fixture gives the machine hides one of its rules (hypothesis
    would silently never take that step)."""
    def rules(cls: type) -> set[str]:
        return {name for name, member in inspect.getmembers(cls) if hasattr(member, "hypothesis_stateful_rule")}
    assert rules(machine) == rules(StalePages)
    assert {"clock", "pause", "output_by_hand", "damaged_cache", "killed_build", "use_workers"} <= rules(machine)


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
