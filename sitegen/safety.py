"""Safety checks shared by the stages that read what users write (config, parse).

Values from ``sitegen.yaml`` and front matter may end up in ``href`` and ``src``
attributes through templates. Escaping keeps them from breaking out of the attribute,
but a ``javascript:`` or ``data:`` URL is dangerous inside it: such values are refused
wherever they appear, with the key that holds them.
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterator

#: Schemes that run code or smuggle content when a browser follows them.
_DANGEROUS = re.compile(r"^(javascript|vbscript|livescript|file|data:[a-z-]+/)", re.IGNORECASE)
# Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
_IGNORED = re.compile(r"[\x00-\x20\x7f]+")


def dangerous_scheme(value: str) -> str | None:
    """The dangerous scheme ``value`` starts with (``javascript:``...), or None."""
    squeezed = _IGNORED.sub("", value)
    match = _DANGEROUS.match(squeezed)
    if match is None:
        return None
    scheme = match.group(1).lower()
    if not scheme.startswith("data:") and not squeezed[len(scheme):].startswith(":"):
        return None  # "javascript" as a word, not a scheme
    return scheme.split(":")[0] + ":"


def unsafe_url_values(data: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every ``(dotted key, scheme)`` in ``data`` whose string value is a dangerous URL.

    ``data`` comes from :func:`~sitegen.frontmatter.load_yaml`, which refuses values
    that contain themselves, so the walk ends.
    """
    if isinstance(data, dict):
        for key, value in data.items():
            yield from unsafe_url_values(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from unsafe_url_values(value, f"{prefix[:-1]}[{index}].")
    elif isinstance(data, str):
        scheme = dangerous_scheme(data)
        if scheme is not None:
            yield prefix.rstrip("."), scheme


# Characters HTML does not allow in a page (controls other than tab, newline and form
# feed; C1 controls; noncharacters). Pasted text sometimes carries them, unseen.
INVISIBLE = re.compile(
    r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef"
    + "".join(f"\\U{plane:04x}fffe\\U{plane:04x}ffff" for plane in range(0x11))
    + "]"
)


def invisible_values(data: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every ``(dotted key, U+XXXX)`` in ``data`` whose key or text holds a character
    HTML forbids (YAML's ``"\\e"`` escapes can put one there)."""
    if isinstance(data, dict):
        for key, value in data.items():
            found = INVISIBLE.search(str(key))
            if found:
                yield f"{prefix}{key}", f"U+{ord(found.group()):04X}"
            yield from invisible_values(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from invisible_values(value, f"{prefix[:-1]}[{index}].")
    elif isinstance(data, str):
        found = INVISIBLE.search(data)
        if found:
            yield prefix.rstrip("."), f"U+{ord(found.group()):04X}"


_SCRIPT = re.compile(r"<\s*script\b", re.IGNORECASE)
_HANDLER = re.compile(r"<[a-z][^>]*?[\s/\"']on[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
_URL_ATTR = re.compile(
    r"[\s/\"'](?:href|src|action|formaction|poster|data|xlink:href)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))",
    re.IGNORECASE,
)
_IMAGE_DATA = re.compile(r"^data:image/(png|gif|jpeg|webp|avif);", re.IGNORECASE)


def unsafe_html(fragment: str) -> str | None:
    """What makes raw HTML written in Markdown unsafe to publish, or None.

    Writers may use HTML for what Markdown lacks (``<details>``, ``<figure>``), but a
    script, an event handler (``onclick=``) or a ``javascript:`` link would run in
    every reader's browser, and some text comes from the people interviewed.
    """
    if _SCRIPT.search(fragment):
        return "a <script> element"
    handler = _HANDLER.search(fragment)
    if handler:
        name = re.search(r"on[a-z]+\s*=$", handler.group(0), re.IGNORECASE)
        return f"an event handler ({name.group(0).rstrip('= ') if name else 'on...'})"
    for match in _URL_ATTR.finditer(fragment):
        value = html.unescape(next(g for g in match.groups() if g is not None))
        scheme = dangerous_scheme(value)
        if scheme is not None and not _IMAGE_DATA.match(_IGNORED.sub("", value)):
            return f"a {scheme} link"
    return None


_A_TAG = re.compile(r"<a\s[^>]*>", re.IGNORECASE)
_HREF_ATTR = re.compile(r"""\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_REL_ATTR = re.compile(r"""\srel\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_PROTECT = ("noopener", "noreferrer")


def protect_external_links(page: str, base_url: str) -> str:
    """``page`` with ``rel="noopener noreferrer"`` on every ``<a>`` that leaves the site.

    Markdown links and the default theme's templates already carry it; this is the net
    under raw HTML in Markdown and under templates a site or theme adds.
    """

    def protect(match: re.Match[str]) -> str:
        tag = match.group(0)
        href = _HREF_ATTR.search(tag)
        if href is None:
            return tag
        value = next(g for g in href.groups() if g is not None)
        # Decoding leaves the text before the first "&" as it is: when it already shows
        # the URL's first character, and that is not "h" or "/", the link stays on the site.
        shown = value[:value.find("&")] if "&" in value else value
        first = shown.lstrip()[:1]
        if first and first not in "hH/":
            return tag
        url = html.unescape(value).strip()
        if not url.lower().startswith(("http://", "https://", "//")) or url.startswith(base_url):
            return tag
        rel = _REL_ATTR.search(tag)
        if rel is None:
            return f'{tag[:-1].rstrip()} rel="noopener noreferrer">'
        tokens = html.unescape(next(g for g in rel.groups() if g is not None)).split()
        missing = [t for t in _PROTECT if t not in (x.lower() for x in tokens)]
        if not missing:
            return tag
        return f'{tag[:rel.start()]} rel="{html.escape(" ".join(tokens + missing))}"{tag[rel.end():]}'

    return _A_TAG_LEAVING.sub(protect, page)


# The <a> tags of _A_TAG that can leave the site: an href that does holds "//", or an
# entity that could spell it. Matches start and end where _A_TAG's do (at the first
# ">"), so the others, which ``protect`` returns unchanged, are simply not visited.
# (Unrolled and possessive, which changes no match: each character has one reading;
# under IGNORECASE, "a" matches only "a" and "A".)
_A_TAG_LEAVING = re.compile(r"<[aA]\s[^>/&]*+(?:/(?!/)[^>/&]*+)*+(?://|&)[^>]*+>")
