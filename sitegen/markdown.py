"""Markdown: ``make_markdown()`` builds the one MarkdownIt that renders every page.

CommonMark plus tables, strikethrough and footnotes, with sitegen's plugins listed in
:func:`make_markdown`. Each plugin is a function ``plugin(md)`` that adds a core rule;
what the rules learn (headings, images, the first paragraph) goes into the ``env``
dict of the render, which ``parse.py`` reads back.

``env`` keys read: ``urls`` (a :class:`~sitegen.urls.Urls`), ``static_dir`` (the site's
``static/`` folder, where root-relative images are looked up for their size). Keys written:
``headings`` (list of :class:`~sitegen.model.Heading`), ``images`` (list of
``(src, line)``), ``unsafe_html`` (list of ``(what, line)``), ``first_paragraph`` (plain text), ``line_offset`` (read: the file
line where the body starts, so token lines become file lines).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, MutableMapping
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from .images import image_size
from .model import Heading
from .safety import unsafe_html
from .slugs import unique_slug


def make_markdown() -> MarkdownIt:
    """The Markdown renderer: CommonMark, tables, strikethrough, footnotes, our plugins."""
    # maxNesting 100: deep lists and quotes render instead of being cut at 20 levels,
    # while staying far below Python's recursion limit.
    md = MarkdownIt("commonmark", {"html": True, "xhtmlOut": False, "maxNesting": 100})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(heading_ids_plugin)
    md.use(site_links_plugin)
    md.use(first_paragraph_plugin)
    md.use(raw_html_plugin)
    return md


def inline_text(token: Token) -> str:
    """The plain text of an inline token (what a reader sees, without markup)."""
    if not token.children:
        return token.content
    return "".join(child.content for child in token.children if child.type in ("text", "code_inline"))


def _file_line(token: Token, env: MutableMapping[str, Any]) -> int:
    start = token.map[0] if token.map else 0
    return int(env.get("line_offset", 1)) + start


def heading_ids_plugin(md: MarkdownIt) -> None:
    """Give every heading a stable id unique in its page, from its transliterated text,
    and make the heading's text a link to itself (unless it already holds a link)."""

    def rule(state: StateCore) -> None:
        taken: set[str] = set(state.env.setdefault("_ids", set()))
        headings: list[Heading] = state.env.setdefault("headings", [])
        tokens = state.tokens
        for index, token in enumerate(tokens):
            if token.type != "heading_open":
                continue
            inline = tokens[index + 1]
            text = inline_text(inline).strip()
            anchor = unique_slug(text, taken)
            token.attrSet("id", anchor)
            headings.append(Heading(id=anchor, text=text, level=int(token.tag[1]), line=_file_line(token, state.env)))
            children = inline.children or []
            if children and not any(child.type == "link_open" for child in children):
                link_open = Token("link_open", "a", 1, attrs={"href": f"#{anchor}", "class": "heading-link"})
                link_close = Token("link_close", "a", -1)
                inline.children = [link_open, *children, link_close]
        state.env["_ids"] = taken

    md.core.ruler.push("sitegen_heading_ids", rule)


def _walk_inline(tokens: list[Token]) -> Iterator[tuple[Token, Token, int]]:
    """Each inline child with its inline parent and the line breaks before it."""
    for token in tokens:
        if token.type == "inline" and token.children:
            breaks = 0
            for child in token.children:
                yield token, child, breaks
                if child.type in ("softbreak", "hardbreak"):
                    breaks += 1


def site_links_plugin(md: MarkdownIt) -> None:
    """Give root-relative links and images (``/about/``, ``/images/a.jpg``) the site's
    base path, mark external links ``rel="noopener noreferrer"``, record images, and give
    images found under ``static/`` their ``width`` and ``height``."""

    def rule(state: StateCore) -> None:
        urls = state.env.get("urls")
        images: list[tuple[str, int]] = state.env.setdefault("images", [])
        for parent, child, breaks in _walk_inline(state.tokens):
            if child.type == "link_open":
                href = str(child.attrGet("href") or "")
                if urls is not None:
                    child.attrSet("href", urls.link(href))
                if href.startswith(("http://", "https://", "//")) and not (
                    urls is not None and href.startswith(urls.origin + urls.base_path)
                ):
                    child.attrSet("rel", "noopener noreferrer")
            elif child.type == "image":
                src = str(child.attrGet("src") or "")
                images.append((src, _file_line(parent, state.env) + breaks))
                _set_image_size(child, src, state.env.get("static_dir"))
                if urls is not None:
                    child.attrSet("src", urls.link(src))

    md.core.ruler.push("sitegen_site_links", rule)


def raw_html_plugin(md: MarkdownIt) -> None:
    """Record raw HTML that would run code in a reader's browser (a script, an event
    handler, a ``javascript:`` link) as ``env["unsafe_html"]``: ``(what, line)``;
    ``parse.py`` refuses the page with those lines."""

    def rule(state: StateCore) -> None:
        found: list[tuple[str, int]] = state.env.setdefault("unsafe_html", [])
        for token in state.tokens:
            if token.type == "html_block":
                what = unsafe_html(token.content)
                if what:
                    found.append((what, _file_line(token, state.env)))
        for parent, child, breaks in _walk_inline(state.tokens):
            if child.type == "html_inline":
                what = unsafe_html(child.content)
                if what:
                    found.append((what, _file_line(parent, state.env) + breaks))

    md.core.ruler.push("sitegen_raw_html", rule)


def _set_image_size(image: Token, src: str, static_dir: Path | None) -> None:
    """Width and height from the file, so the page does not jump as the image loads."""
    if static_dir is None or not src.startswith("/") or src.startswith("//"):
        return
    rel = unquote(src.split("?", 1)[0].split("#", 1)[0]).lstrip("/")
    target = (static_dir / rel).resolve()
    if not target.is_relative_to(static_dir.resolve()):
        return
    size = image_size(target)
    if size is not None:
        image.attrSet("width", str(size[0]))
        image.attrSet("height", str(size[1]))


def first_paragraph_plugin(md: MarkdownIt) -> None:
    """Record the plain text of the first paragraph (the summary when none is given)."""

    def rule(state: StateCore) -> None:
        tokens = state.tokens
        for index, token in enumerate(tokens):
            if token.type == "paragraph_open" and token.level == 0:
                state.env["first_paragraph"] = inline_text(tokens[index + 1]).strip()
                return

    md.core.ruler.push("sitegen_first_paragraph", rule)


def render_markdown(md: MarkdownIt, text: str, env: dict[str, Any]) -> str:
    """Render ``text`` to HTML, filling ``env`` with what the plugins learned."""
    return md.render(text, env)
