"""Shared test helpers: make a site from a dict of files, run the CLI, parse built HTML."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import time
import zlib
from pathlib import Path
from collections.abc import Callable

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner, Result

from sitegen.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_SITE = REPO / "example-site"
SITES = Path(__file__).resolve().parent / "sites"

MINIMAL_CONFIG = """\
title: Test Hub
base_url: https://example.org/
timezone: UTC
contact:
  email: hello@example.org
"""


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """``make_site(files={...}, config=...)``: a site folder with a sitegen.yaml."""

    def make(files: dict[str, str | bytes] | None = None, config: str | None = MINIMAL_CONFIG,
             name: str = "site") -> Path:
        root = tmp_path / name
        root.mkdir()
        if config is not None:
            (root / "sitegen.yaml").write_text(config, encoding="utf-8")
        return write_files(root, files or {})

    return make


@pytest.fixture
def copy_site(tmp_path: Path) -> Callable[[Path], Path]:
    """Copy a fixture site (e.g. example-site) into tmp_path, without any old output."""

    def copy(source: Path) -> Path:
        target = tmp_path / source.name
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("_site", ".sitegen-cache"))
        return target

    return copy


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run ``sitegen`` with arguments; returns click's Result (exit_code, output, stderr)."""
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)

    return run


def soup(path: Path) -> BeautifulSoup:
    """Parse a built HTML file."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes (to prove nothing changed)."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


INTERVIEW = """\
---
title: {title}
person:
  name: Ana Pérez
  role: Baker
date: 2026-10-02
summary: A baker on sharing a business.
tags: [food, cooperatives]
---
Intro.

## Why bread?

Because it brings people together.

## What next?

More bread.
"""


#: The small hub several tests build on: two interviews, a story and a page.
SMALL_HUB: dict[str, str | bytes] = {
    "content/interviews/ana.md": INTERVIEW.format(title="Baking bread as a co-op"),
    "content/interviews/bea.md": INTERVIEW.format(title="Pottery by post").replace("2026-10-02", "2026-09-01"),
    "content/stories/first.md": "---\ntitle: The first year\ndate: 2026-08-01\ntags: [food]\n---\nIt began.\n",
    "content/pages/about.md": "---\ntitle: About\n---\nAbout this hub.\n",
}


def make_old(site: Path) -> None:
    """Give every file of ``site`` a time stamp ten seconds old, as a hub's files usually
    are: files saved moments before a build are compared by their bytes next time."""
    for path in site.rglob("*"):
        st = path.stat(follow_symlinks=False)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 10_000_000_000), follow_symlinks=False)


def covers_linked_at_run_time(site: Path, count: int = 30) -> Path:
    """Give ``site`` ``count`` old static files in ``static/covers/`` and a story template
    that links one of them by a name made as the page renders (so its jobs show every
    static file); returns that folder."""
    covers = site / "static/covers"
    covers.mkdir(parents=True)
    an_hour_ago = time.time() - 3600  # (a stat taken within two seconds of a save is never kept)
    for n in range(count):
        (covers / f"c{n}.txt").write_text(f"cover {n}\n", encoding="utf-8")
        os.utime(covers / f"c{n}.txt", (an_hour_ago, an_hour_ago))
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates/story.html").write_text(
        '{% extends "default/story.html" %}{% block head %}'
        '<link rel="alternate" href="{{ asset("covers/c" ~ (page.title | length) ~ ".txt") }}">{% endblock %}',
        encoding="utf-8")
    return covers


def reads_in(folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files in ``folder`` read (with ``Path.read_bytes``) from now on, in order."""
    read: list[str] = []
    real = Path.read_bytes

    def counting(path: Path) -> bytes:
        if path.parent == folder:
            read.append(path.name)
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", counting)
    return read


def png(width: int, height: int) -> bytes:
    """A real PNG picture of ``width`` x ``height`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\x80\x40\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
