"""Markdown rendering: fixture pairs in tests/markdown/ (input .md, expected .html)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.markdown import make_markdown
from sitegen.urls import Urls

FIXTURES = sorted((Path(__file__).parent / "markdown").glob("*.md"))


@pytest.mark.parametrize("source", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_markdown_fixture(source: Path) -> None:
    env = {"urls": Urls.from_base_url("https://u.github.io/repo/"), "line_offset": 1}
    html = make_markdown().render(source.read_text(encoding="utf-8"), env)
    assert html == source.with_suffix(".html").read_text(encoding="utf-8")


def test_headings_and_images_are_recorded_with_file_lines() -> None:
    env = {"urls": Urls.from_base_url("https://example.org/"), "line_offset": 6}
    make_markdown().render("Intro text.\n\n## Why?\n\n![a](/a.png)\n", env)
    assert [(h.id, h.text, h.level, h.line) for h in env["headings"]] == [("why", "Why?", 2, 8)]
    assert env["images"] == [("/a.png", 10)]
    assert env["first_paragraph"] == "Intro text."


def test_deeply_nested_quotes_render_and_extreme_nesting_does_not_crash() -> None:
    assert "deep" in make_markdown().render("> " * 60 + "deep\n", {"line_offset": 1})
    html = make_markdown().render("> " * 5000 + "deeper\n", {"line_offset": 1})
    assert html.count("<blockquote>") <= 100
