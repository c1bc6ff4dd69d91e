"""Markdown: ``make_markdown()`` builds the one MarkdownIt that renders every page.

CommonMark plus tables, strikethrough and footnotes, with sitegen's plugin
:func:`site_plugin`: one core rule that walks the tokens once. What it learns (headings,
images, the first paragraph, unsafe raw HTML) goes into the ``env`` dict of the render,
which ``parse.py`` reads back.

``env`` keys read: ``urls`` (a :class:`~sitegen.urls.Urls`), ``static_dir`` (the site's
``static/`` folder, where root-relative images are looked up for their size). Keys written:
``headings`` (list of :class:`~sitegen.model.Heading`), ``images`` (list of
``(src, line)``), ``unsafe_html`` (list of ``(message, hint, line)``), ``first_paragraph`` (plain text),
``line_offset`` (read: the file line where the body starts, so token lines become file lines).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.footnote.index import footnote_tail

from .images import image_size, static_image_file
from .model import Heading
from .safety import raw_html_problems
from .slugs import unique_slug


def make_markdown() -> MarkdownIt:
    """The Markdown renderer: CommonMark, tables, strikethrough, footnotes, our plugins."""
    # maxNesting 100: deep lists and quotes render instead of being cut at 20 levels,
    # while staying far below Python's recursion limit.
    md = MarkdownIt("commonmark", {"html": True, "xhtmlOut": False, "maxNesting": 100})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.core.ruler.at("footnote_tail", _footnote_tail)
    md.use(site_plugin)
    # A page links to the same few addresses again and again, and every page of a site
    # to the same ones: normalising a link (parse, punycode, percent-encode) is a pure
    # function of its text, so each is done once per process.
    md.normalizeLink = lru_cache(maxsize=4096)(md.normalizeLink)  # type: ignore[method-assign]
    md.normalizeLinkText = lru_cache(maxsize=4096)(md.normalizeLinkText)  # type: ignore[method-assign]
    md.validateLink = lru_cache(maxsize=4096)(md.validateLink)  # type: ignore[method-assign]
    return md


def _footnote_tail(state: StateCore) -> None:
    """The footnote plugin's last step, skipped on a page without footnotes.

    The plugin notes ``env["footnotes"]`` as soon as a "[" is tried as a footnote
    reference, so its tail step would otherwise copy the token list of every page with
    a link; with no footnote defined or written inline it changes nothing.
    """
    found = state.env.get("footnotes")
    if found is not None and (found.get("refs") or found.get("list")):
        footnote_tail(state)


def inline_text(token: Token) -> str:
    """The plain text of an inline token (what a reader sees, without markup)."""
    if not token.children:
        return token.content
    return "".join(child.content for child in token.children if child.type in ("text", "code_inline"))


def site_plugin(md: MarkdownIt) -> None:
    """sitegen's additions to the token stream, in one walk over it (one core rule):

    - headings: every heading gets a stable id unique in its page, from its transliterated
      text, and its text becomes a link to itself (unless it already holds a link);
      each is recorded in ``env["headings"]``;
    - links and images: root-relative ones (``/about/``, ``/images/a.jpg``) get the site's
      base path, external links ``rel="noopener noreferrer"``; images are recorded in
      ``env["images"]`` and those found under ``static/`` get ``width`` and ``height``;
    - the plain text of the first top-level paragraph goes in ``env["first_paragraph"]``
      (the summary when none is given);
    - raw HTML is read as a browser reads it and held to the allow-list of
      :mod:`sitegen.safety`; what the list would remove (a script, an event handler, a
      ``javascript:`` link, an ``<iframe>``...) is recorded in ``env["unsafe_html"]`` as
      ``(message, hint, line)``, the HTML blocks first, then inline HTML; ``parse.py``
      refuses the page with those lines.

    A heading's link is added before the walk reaches the heading's text, so it gets the
    same treatment as any other link.
    """
    md.core.ruler.push("sitegen", _site_rule)


def _site_rule(state: StateCore) -> None:
    env = state.env
    offset = int(env.get("line_offset", 1))
    urls = env.get("urls")
    own = urls.origin + urls.base_path if urls is not None else None
    static_dir = env.get("static_dir")
    taken: set[str] = set(env.setdefault("_ids", set()))
    headings: list[Heading] = env.setdefault("headings", [])
    images: list[tuple[str, int]] = env.setdefault("images", [])
    unsafe_blocks: list[tuple[str, str, int]] = []
    unsafe_inline: list[tuple[str, str, int]] = []
    first_paragraph = None
    heading_text = -1  # the position of the last heading's text, which got a link
    tokens = state.tokens
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "inline":
            children = token.children
            # Links, images and inline HTML all start with "[" or "<" in the text the
            # children were parsed from: most lines of prose have neither.
            if not children or ("[" not in token.content and "<" not in token.content
                                and index != heading_text):
                continue
            line = offset + (token.map[0] if token.map else 0)
            for child in children:
                kind = child.type
                if kind == "text":
                    continue
                if kind == "softbreak" or kind == "hardbreak":
                    line += 1
                elif kind == "link_open":
                    href = str(child.attrGet("href") or "")
                    if urls is not None:
                        child.attrSet("href", urls.link(href))
                    if (href.startswith(("http://", "https://", "//"))
                            and not (own is not None and href.startswith(own))):
                        child.attrSet("rel", "noopener noreferrer")
                elif kind == "html_inline":
                    unsafe_inline.extend((p.message, p.hint, line + p.line) for p in raw_html_problems(child.content))
                elif kind == "image":
                    src = str(child.attrGet("src") or "")
                    images.append((src, line))
                    _set_image_size(child, src, static_dir, env.get("pictures_read"))
                    if urls is not None:
                        child.attrSet("src", urls.link(src))
        elif kind == "heading_open":
            inline = tokens[index + 1]
            text = inline_text(inline).strip()
            anchor = unique_slug(text, taken)
            token.attrSet("id", anchor)
            headings.append(Heading(id=anchor, text=text, level=int(token.tag[1]),
                                    line=offset + (token.map[0] if token.map else 0)))
            children = inline.children or []
            if children and not any(child.type == "link_open" for child in children):
                link_open = Token("link_open", "a", 1, attrs={"href": f"#{anchor}", "class": "heading-link"})
                link_close = Token("link_close", "a", -1)
                inline.children = [link_open, *children, link_close]
                heading_text = index + 1
        elif kind == "paragraph_open":
            if first_paragraph is None and token.level == 0:
                first_paragraph = inline_text(tokens[index + 1]).strip()
        elif kind == "html_block":
            start = offset + (token.map[0] if token.map else 0)
            unsafe_blocks.extend((p.message, p.hint, start + p.line) for p in raw_html_problems(token.content))
    env["_ids"] = taken
    if first_paragraph is not None:
        env["first_paragraph"] = first_paragraph
    found: list[tuple[str, str, int]] = env.setdefault("unsafe_html", [])
    found.extend(unsafe_blocks)
    found.extend(unsafe_inline)


def _set_image_size(image: Token, src: str, static_dir: Path | None,
                    read: dict[str, tuple[int, int, int] | None] | None) -> None:
    """Width and height from the file, so the page does not jump as the image loads
    (``read``: see ``image_size``)."""
    target = static_image_file(src, static_dir) if static_dir is not None else None
    if target is None:
        return
    size = image_size(target, read)
    if size is not None:
        image.attrSet("width", str(size[0]))
        image.attrSet("height", str(size[1]))

