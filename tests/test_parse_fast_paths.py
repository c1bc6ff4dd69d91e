"""The parse stage's fast paths give exactly what the plain ways of doing the same gave.

Each speed-up of parsing (issue 10) replaced a simple implementation by a faster one.
The simple ones are kept here as oracles, and random input (hypothesis) must give the
same result from both: word counts, invisible characters, slugs, the front-matter split,
and the Markdown token walk (HTML, headings, images, unsafe HTML, first paragraph).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from sitegen.errors import SitegenError
from sitegen.frontmatter import FrontMatter, _describe, load_yaml, split_front_matter
from sitegen.markdown import inline_text, make_markdown
from sitegen.model import Heading
from sitegen.parse import count_words, remove_invisible
from sitegen.safety import INVISIBLE, raw_html_problems
from sitegen.slugs import _SPECIAL, slugify, transliterate, unique_slug
from sitegen.urls import Urls

# Characters that matter to these functions, mixed with any others.
_TRICKY = ("a", "Z", "7", "_", " ", "\n", "\t", "-", "'", "’", "—", "é", "ß", "Ø", "ñ", "中", "٣", "\u00a0",
           "\x00", "\x07", "\x1b", "\x85", "\ufdd0", "\ufffe", "\U0001fffe", "\U0010ffff", "😀", "\u0301")
texts = st.text(alphabet=st.one_of(st.sampled_from(_TRICKY), st.characters()), max_size=200)


# -- Word count, invisible characters, slugs -----------------------------------------------

@given(texts)
@settings(max_examples=400)
def test_count_words_is_the_number_of_word_runs(text: str) -> None:
    assert count_words(text) == len(re.findall(r"\w+", text))


def _remove_invisible_plainly(text: str) -> str:
    return INVISIBLE.sub("", text)


@given(texts)
@settings(max_examples=400)
def test_remove_invisible_removes_what_invisible_matches_and_warns_the_same(text: str) -> None:
    cleaned, problems = remove_invisible(text, "content/a.md")
    assert cleaned == _remove_invisible_plainly(text)
    first = INVISIBLE.search(text)
    if first is None:
        assert problems == []
    else:
        assert len(problems) == 1
        assert problems[0].line == text.count("\n", 0, first.start()) + 1
        assert f"U+{ord(first.group()):04X}" in problems[0].message


def _slugify_plainly(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", "-", plain.lower()).strip("-")


@given(texts)
@settings(max_examples=300)
def test_slugify_and_transliterate_match_the_unicode_decomposition(text: str) -> None:
    assert slugify(text) == _slugify_plainly(text)
    assert slugify(text) == slugify(text)  # remembered: the same answer again
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    assert transliterate(text) == "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# -- Front matter -------------------------------------------------------------------------

def _split_plainly(text: str, path: str) -> FrontMatter:
    """The front-matter split as it was: every line of the file split apart."""
    if not (text.startswith("---\n") or text == "---" or text.startswith("--- ")):
        return FrontMatter(meta={}, lines={}, body=text, body_line=1)
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return FrontMatter(meta={}, lines={}, body=text, body_line=1)
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise SitegenError("the front matter opened by '---' on line 1 is never closed", path=path, line=1,
                           hint="add a line with just '---' after the last front-matter setting")
    data, key_lines = load_yaml("\n".join(lines[1:end]), path, first_line=2)
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise SitegenError(f"the front matter must be a set of 'key: value' settings, not {_describe(data)}",
                           path=path, line=2, hint="write one setting per line, e.g. 'title: My interview'")
    return FrontMatter(meta=data, lines=key_lines, body="\n".join(lines[end + 1:]), body_line=end + 2)


_LINES = ("---", "--- ", "---\t", "--- x", "...", "... ", "----", " ---", "title: A", "tags: [a, b]",
          "person:", "  name: Ana", "  consent: true", "date: 2026-10-02", "x: [", "- a", "", "Body text",
          "# Heading", "---\u00a0", "a: 'b: c'")


@given(st.lists(st.sampled_from(_LINES), max_size=12), st.booleans())
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_split_front_matter_matches_splitting_every_line(lines: list[str], newline_at_end: bool) -> None:
    text = "\n".join(lines) + ("\n" if newline_at_end else "")

    def outcome(split: Any) -> Any:
        try:
            return split(text, "content/a.md")
        except SitegenError as exc:
            return exc.problems

    assert outcome(split_front_matter) == outcome(_split_plainly)


# -- Markdown: the one walk over the tokens -----------------------------------------------

def _line(token: Token, env: dict[str, Any]) -> int:
    return int(env.get("line_offset", 1)) + (token.map[0] if token.map else 0)


def _walk_inline(tokens: list[Token]) -> Any:
    for token in tokens:
        if token.type == "inline" and token.children:
            breaks = 0
            for child in token.children:
                yield token, child, breaks
                if child.type in ("softbreak", "hardbreak"):
                    breaks += 1


def _headings_rule(state: StateCore) -> None:
    taken: set[str] = set(state.env.setdefault("_ids", set()))
    headings = state.env.setdefault("headings", [])
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        inline = state.tokens[index + 1]
        text = inline_text(inline).strip()
        anchor = unique_slug(text, taken)
        token.attrSet("id", anchor)
        headings.append(Heading(id=anchor, text=text, level=int(token.tag[1]), line=_line(token, state.env)))
        children = inline.children or []
        if children and not any(child.type == "link_open" for child in children):
            inline.children = [Token("link_open", "a", 1, attrs={"href": f"#{anchor}", "class": "heading-link"}),
                               *children, Token("link_close", "a", -1)]
    state.env["_ids"] = taken


def _links_rule(state: StateCore) -> None:
    urls = state.env.get("urls")
    images = state.env.setdefault("images", [])
    for parent, child, breaks in _walk_inline(state.tokens):
        if child.type == "link_open":
            href = str(child.attrGet("href") or "")
            if urls is not None:
                child.attrSet("href", urls.link(href))
            if href.startswith(("http://", "https://", "//")) and not (
                    urls is not None and href.startswith(urls.origin + urls.base_path)):
                child.attrSet("rel", "noopener noreferrer")
        elif child.type == "image":
            src = str(child.attrGet("src") or "")
            images.append((src, _line(parent, state.env) + breaks))
            if urls is not None:
                child.attrSet("src", urls.link(src))


def _first_paragraph_rule(state: StateCore) -> None:
    for index, token in enumerate(state.tokens):
        if token.type == "paragraph_open" and token.level == 0:
            state.env["first_paragraph"] = inline_text(state.tokens[index + 1]).strip()
            return


def _raw_html_rule(state: StateCore) -> None:
    found = state.env.setdefault("unsafe_html", [])
    for token in state.tokens:
        if token.type == "html_block":
            found.extend((p.message, p.hint, _line(token, state.env) + p.line) for p in raw_html_problems(token.content))
    for parent, child, breaks in _walk_inline(state.tokens):
        if child.type == "html_inline":
            found.extend((p.message, p.hint, _line(parent, state.env) + breaks + p.line)
                         for p in raw_html_problems(child.content))


def _markdown_plainly() -> MarkdownIt:
    """The renderer as it was: four core rules, each walking the tokens on its own."""
    md = MarkdownIt("commonmark", {"html": True, "xhtmlOut": False, "maxNesting": 100})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    for name, rule in (("h", _headings_rule), ("l", _links_rule), ("p", _first_paragraph_rule),
                       ("r", _raw_html_rule)):
        md.core.ruler.push(name, rule)
    return md


_PIECES = (
    "Plain words", "more *words*", "[a site page](/about/)", "[elsewhere](https://example.org/x)",
    "[ours](https://u.github.io/repo/a/)", "[proto](//cdn.example.org/a)", "![a picture](/images/a.jpg)",
    "![remote](https://example.org/a.png)", "<b>bold</b>", "<span onclick=\"x()\">hi</span>",
    "<a href=\"javascript:alert(1)\">x</a>", "<https://example.org/auto>", "`code [x](/y)`", "a  ",
    "[^1]", "^[an inline note]", "\\[not a link]", "x < y", "[ref]", "~~gone~~", "Ana Pérez",
)
_BLOCKS = (
    "# Why?", "## Why?", "## [Linked](/x/) heading", "### `code` heading", "#", "Setext\n===",
    "<div>\nblock\n</div>", "<script>alert(1)</script>", "<p onmouseover=\"x\">p</p>", "> quoted [q](/q/)",
    "- item [i](/i/)\n- two", "| a | b |\n|---|---|\n| [c](/c/) | <i>d</i> |", "```\n[no](/link/)\n```",
    "[^1]: the note [n](/n/)", "[ref]: /ref/target", "    indented <script>", "---",
)
paragraph = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6).map(
    lambda parts: "".join(p + (" " if i % 3 else "\n") for i, p in enumerate(parts)).strip())
documents = st.lists(st.one_of(st.sampled_from(_BLOCKS), paragraph), max_size=10).map("\n\n".join)


@pytest.fixture(scope="module")
def renderers() -> tuple[MarkdownIt, MarkdownIt]:
    return make_markdown(), _markdown_plainly()


@given(documents, st.integers(min_value=1, max_value=30))
@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_one_token_walk_renders_and_records_what_four_walks_did(
        renderers: tuple[MarkdownIt, MarkdownIt], text: str, offset: int) -> None:
    fast, plain = renderers
    urls = Urls.from_base_url("https://u.github.io/repo/")
    env_fast: dict[str, Any] = {"urls": urls, "line_offset": offset}
    env_plain: dict[str, Any] = {"urls": urls, "line_offset": offset}
    assert fast.render(text, env_fast) == plain.render(text, env_plain)
    for key in ("headings", "images", "unsafe_html", "first_paragraph", "_ids"):
        assert env_fast.get(key) == env_plain.get(key), key


def test_a_page_without_footnotes_after_a_page_with_them_has_no_footnote_section() -> None:
    md = make_markdown()
    assert 'class="footnotes"' in md.render("Said[^1] [a](/a/).\n\n[^1]: Really.\n", {})
    html = md.render("Said [a](/a/) and [b].\n", {})
    assert "footnote" not in html and '<a href="/a/">a</a>' in html


# -- Invisible characters in front-matter values -------------------------------------------

@pytest.mark.parametrize("value, found", [
    ('"Bell\\a"', "'person.name' contains an invisible control character (U+0007)"),
    ("'a back\\slash'", None),  # single quotes: a backslash is only a backslash
    ('"\\u00e9t\\u00e9"', None),  # escapes of visible characters are fine
    ("Plain", None),
])
def test_escaped_invisible_characters_in_values_are_still_found(make_site, value: str, found: str | None) -> None:
    from sitegen.build import load_config
    from sitegen.discover import discover_content
    from sitegen.parse import parse_all

    text = f"---\ntitle: T\ndate: 2026-01-01\nperson:\n  name: {value}\n---\nBody with a \\\\ backslash.\n"
    root = make_site({"content/stories/a.md": text})
    pages, problems = parse_all(discover_content(root)[0], load_config(root), make_markdown())
    assert [p.message for p in problems if p.severity == "error"] == ([found] if found else [])
    assert [p.line for p in problems if p.severity == "error"] == ([4] if found else [])


def test_aliases_that_stand_for_too_many_values_are_still_refused() -> None:
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for name, previous in zip("bcde", "abcd"):
        rows.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    with pytest.raises(SitegenError) as caught:
        load_yaml("\n".join(rows), "content/a.md", first_line=2)
    assert "more than 100000 values" in caught.value.problems[0].message
    data, _ = load_yaml("a: [x, y]\nb: {c: 1}\n", "content/a.md")  # no alias: read as always
    assert data == {"a": ["x", "y"], "b": {"c": 1}}
