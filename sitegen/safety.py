"""Safety checks shared by the stages that read what users write (config, parse).

Values from ``sitegen.yaml`` and front matter may end up in ``href`` and ``src``
attributes through templates. Escaping keeps them from breaking out of the attribute,
but a ``javascript:`` or ``data:`` URL is dangerous inside it: such values are refused
wherever they appear, with the key that holds them.

Raw HTML written in Markdown is read as a browser reads it and held to an allow-list
of elements and attributes (:func:`raw_html_problems`); ``docs/raw-html.md`` lists it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from types import MappingProxyType
from typing import Any
from collections.abc import Iterator, Mapping

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


# -- Raw HTML in Markdown -------------------------------------------------------------
# Writers may use HTML for what Markdown lacks (<details>, <figure>, <abbr>, <kbd>), but
# some text comes from the people interviewed, and a page's HTML also goes into feeds,
# which feed readers show without the site's content security policy. Raw HTML is
# therefore read as a browser reads it and held to an allow-list: what the list would
# remove is an error, never published and never dropped in silence.

#: Attributes every allowed element may carry (and every ``aria-*`` and ``data-*``).
GLOBAL_ATTRIBUTES = frozenset({
    "class", "id", "title", "lang", "dir", "hidden", "translate", "style", "role", "tabindex",
    "itemscope", "itemprop", "itemtype", "itemid", "itemref",
})
_CELL = frozenset({"colspan", "rowspan", "headers"})
_MEDIA = frozenset({"src", "controls", "preload", "muted", "loop", "width", "height"})
#: The elements raw HTML may use, with the attributes each adds to the global ones.
ALLOWED_ELEMENTS: Mapping[str, frozenset[str]] = MappingProxyType({
    **{name: frozenset() for name in (
        "abbr", "b", "bdi", "br", "code", "dfn", "em", "i", "kbd", "mark", "s", "samp", "small", "span",
        "strong", "sub", "sup", "u", "var", "wbr", "ruby", "rp", "rt", "cite",
        "div", "p", "pre", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "dl", "dt", "dd",
        "figure", "figcaption", "summary", "section", "article", "aside", "header", "footer",
        "address", "hgroup", "table", "caption", "thead", "tbody", "tfoot", "tr", "picture")},
    "a": frozenset({"href", "hreflang", "rel", "target", "type", "download"}),
    "bdo": frozenset(), "data": frozenset({"value"}), "time": frozenset({"datetime"}),
    "q": frozenset({"cite"}), "blockquote": frozenset({"cite"}),
    "del": frozenset({"cite", "datetime"}), "ins": frozenset({"cite", "datetime"}),
    "ol": frozenset({"start", "reversed", "type"}), "li": frozenset({"value"}),
    "details": frozenset({"open", "name"}),
    "colgroup": frozenset({"span"}), "col": frozenset({"span"}),
    "th": _CELL | {"scope", "abbr"}, "td": _CELL,
    "img": frozenset({"src", "srcset", "sizes", "alt", "width", "height", "loading", "decoding"}),
    "source": frozenset({"src", "srcset", "sizes", "type", "media", "width", "height"}),
    "video": _MEDIA | {"poster", "playsinline"}, "audio": _MEDIA,
    "track": frozenset({"src", "kind", "srclang", "label", "default"}),
})
#: Attributes that hold a URL a browser follows or loads (``srcset``: a list of them).
URL_ATTRIBUTES = frozenset({"href", "src", "srcset", "cite", "poster", "itemtype", "itemid"})
#: The schemes a raw HTML URL may have; a URL without one is relative to the page.
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto", "tel", "sms", "xmpp", "geo", "webcal", "matrix"})
_IMAGE_DATA = re.compile(r"^data:image/(png|gif|jpeg|webp|avif)[;,]", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# What a browser ignores in a URL: C0 controls and spaces at the ends, tab and newline anywhere.
_URL_EDGES = "".join(map(chr, range(0x21)))
_URL_IGNORED = re.compile(r"[\t\n\r]")

#: Why an element is refused, and the way out, for the elements a writer may try.
_REFUSED: Mapping[str, tuple[str, str]] = MappingProxyType({
    **dict.fromkeys(("script", "noscript"), (
        "scripts run in every reader's browser and feed reader",
        "remove it; raw HTML in Markdown cannot run code. A theme's template may link a script file from static/")),
    **dict.fromkeys(("iframe", "frame", "frameset", "object", "embed", "portal", "applet", "fencedframe"), (
        "embedded frames and objects load and run another document",
        "link to it instead; for a video, set 'video:' in the front matter (it loads only after a click)")),
    **dict.fromkeys(("svg", "math"), (
        "inline SVG and MathML can carry scripts, animations and links the allow-list cannot check",
        "save the drawing as a file under static/ and show it as an image: ![what it shows](/images/drawing.svg)")),
    **dict.fromkeys(("form", "input", "button", "select", "option", "optgroup", "textarea", "datalist",
                     "fieldset", "legend", "label", "output", "meter", "progress"), (
        "forms send what readers type to another address",
        "the contact page has a form that works without JavaScript: set 'contact' in sitegen.yaml")),
    **dict.fromkeys(("style", "link", "meta", "base", "head", "title", "html", "body"), (
        "it changes the whole page (its style sheets, its address, where it sends the reader)",
        "set it in sitegen.yaml or in a template; style sheets go under static/")),
})
_EVENT_HANDLER_HINT = "remove the attribute; raw HTML in Markdown cannot run code"
_ALLOW_LIST_HINT = ("write it in Markdown, or keep to the elements and attributes listed in "
                    "docs/raw-html.md")

# A start tag as CommonMark writes it (attributes apart by whitespace; a value quoted, or
# unquoted without quotes, "=", "<", ">" or "`"), with HTML's own whitespace. A tag
# written this way has one reading, the browser's; any other is refused, not guessed at.
_HTML_SPACE = "[\t\n\f\r ]"
_ATTRIBUTE = re.compile(
    rf"{_HTML_SPACE}+([a-zA-Z_:][a-zA-Z0-9:._-]*)"
    rf"(?:{_HTML_SPACE}*={_HTML_SPACE}*(?:\"([^\"]*)\"|'([^']*)'|([^\"'=<>`\x00-\x20]+)))?")
_START_TAG = re.compile(
    rf"<([a-zA-Z][a-zA-Z0-9-]*)((?:{_ATTRIBUTE.pattern})*){_HTML_SPACE}*/?>")
_END_TAG = re.compile(rf"</[a-zA-Z][a-zA-Z0-9-]*{_HTML_SPACE}*>")
# In text, a "<" before these starts a tag, an end tag, a comment or a declaration.
_TAG_START = re.compile(r"<[a-zA-Z/!?]")


@dataclass(frozen=True, slots=True)
class RawHtmlProblem:
    """Something raw HTML in Markdown holds that sitegen refuses to publish."""

    shown: str  # the element (and attribute) as the writer wrote it: <img onerror=...>
    reason: str  # why it is refused, in a reader's words
    hint: str  # the way out
    line: int  # the line of the fragment it is on, counted from 0

    @property
    def message(self) -> str:
        """``raw HTML <img onerror=...> is not allowed: event handler attributes run scripts``."""
        return f"raw HTML {self.shown} is not allowed: {self.reason}"


def url_scheme(url: str) -> str | None:
    """The scheme a browser reads in ``url`` (lower case), or None for a relative URL."""
    match = _SCHEME.match(_URL_IGNORED.sub("", url.strip(_URL_EDGES)))
    return match.group(1).lower() if match else None


def _url_problem(element: str, attribute: str, url: str) -> tuple[str, str] | None:
    """Why ``url`` may not stand in ``attribute`` of ``element``, with the way out, or None."""
    scheme = url_scheme(url)
    if scheme is None or scheme in ALLOWED_SCHEMES:
        return None
    if scheme == "data" and element in ("img", "source") and attribute in ("src", "srcset") \
            and _IMAGE_DATA.match(_URL_IGNORED.sub("", url.strip(_URL_EDGES))):
        return None
    if scheme in ("javascript", "vbscript", "livescript"):
        return f"{scheme}: URLs run scripts", "link to a page (https://... or /path/) instead"
    if scheme == "data":
        return ("data: URLs can hold a whole page or script",
                "save the file under static/ and link it from there "
                "(a picture may be a data:image/png, jpeg, gif, webp or avif)")
    return (f"{scheme}: is not a scheme sitegen publishes",
            "use an https://, mailto: or tel: link, or a path on the site")


def _srcset_urls(value: str) -> list[str]:
    """The URLs of a ``srcset`` (each candidate's first word)."""
    return [words[0] for words in (c.split() for c in value.split(",")) if words]


def _judge_start_tag(text: str, line: int) -> list[RawHtmlProblem]:
    """The problems of one start tag, ``text`` as written (``<img src=... alt=...>``)."""
    match = _START_TAG.fullmatch(text)
    if match is None:
        shown = text if len(text) <= 40 else text[:37] + "..."
        return [RawHtmlProblem(shown, "browsers may read this tag differently from what it seems to say",
                               'write each attribute as name="value", apart by spaces, and close the tag with ">"',
                               line)]
    element = match.group(1).lower()
    if element not in ALLOWED_ELEMENTS:
        reason, hint = _REFUSED.get(element, (
            f"<{element}> is not among the elements sitegen publishes from Markdown", _ALLOW_LIST_HINT))
        return [RawHtmlProblem(f"<{element}>", reason, hint, line)]
    problems = []
    allowed = ALLOWED_ELEMENTS[element]
    for found in _ATTRIBUTE.finditer(match.group(2)):
        attribute = found.group(1).lower()
        where = line + text.count("\n", 0, match.start(2) + found.start(1))
        if attribute.startswith("on"):
            problems.append(RawHtmlProblem(f"<{element} {attribute}=...>", "event handler attributes run scripts",
                                           _EVENT_HANDLER_HINT, where))
            continue
        if not (attribute in allowed or attribute in GLOBAL_ATTRIBUTES
                or attribute.startswith(("aria-", "data-"))):
            problems.append(RawHtmlProblem(f"<{element} {attribute}=...>",
                                           f"{attribute} is not an attribute sitegen publishes on <{element}>",
                                           _ALLOW_LIST_HINT, where))
            continue
        if attribute in URL_ATTRIBUTES:
            raw = next((g for g in found.group(2, 3, 4) if g is not None), "")
            value = html.unescape(raw)
            for url in (_srcset_urls(value) if attribute == "srcset" else [value]):
                refused = _url_problem(element, attribute, url)
                if refused is not None:  # (shown as the browser reads it)
                    read = _URL_IGNORED.sub("", url.strip(_URL_EDGES))
                    shown_url = read if len(read) <= 24 else read[:21] + "..."
                    problems.append(RawHtmlProblem(f"<{element} {attribute}={shown_url}>", *refused, where))
                    break
    return problems


class _RawHtmlReader(HTMLParser):
    """Python's HTML tokenizer, used only to find where tags, comments and text are.

    Each start tag is then judged by :func:`_judge_start_tag` on its text as written;
    what the tokenizer and a browser could read differently (odd comments, CDATA,
    declarations, a "<" left in text) is refused instead of guessed at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.problems: list[RawHtmlProblem] = []
        self._text: list[str] = []  # the text since the last tag, which the tokenizer gives in pieces
        self._text_line = 0

    def _flush_text(self) -> None:
        text = "".join(self._text)
        self._text.clear()
        stray = _TAG_START.search(text)
        if stray is not None:
            start = text[stray.start():].split("\n", 1)[0]
            shown = start if len(start) <= 24 else start[:21] + "..."
            self.problems.append(RawHtmlProblem(
                shown, "it is not a complete tag or comment, so browsers would read what follows into it",
                'close the tag or comment in the same HTML block; write "&lt;" for a "<" that is text',
                self._text_line + text.count("\n", 0, stray.start())))

    def _at(self) -> int:
        return self.getpos()[0] - 1

    def handle_data(self, data: str) -> None:
        if self.cdata_elem is not None:
            return  # the content of a <script> or <style>, refused at its start tag
        if not self._text:
            self._text_line = self._at()
        self._text.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush_text()
        self.problems.extend(_judge_start_tag(self.get_starttag_text() or "", self._at()))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        self._flush_text()

    def handle_entityref(self, name: str) -> None:
        self.handle_data("&")  # (never a "<": it only keeps the text's pieces together)

    handle_charref = handle_entityref

    def handle_comment(self, data: str) -> None:
        self._flush_text()
        # Browsers end "<!-->" and "<!--->" at once and a comment at "--!>"; this
        # tokenizer reads on to the next "-->", hiding tags a browser would run.
        if data.startswith((">", "->")) or "--!>" in data:
            self.problems.append(RawHtmlProblem(
                "<!--" + data[:12], "browsers end this comment earlier than it seems to end",
                "write a comment as <!-- text -->, with text that does not start with > or ->", self._at()))

    def unknown_decl(self, data: str) -> None:
        self._flush_text()
        self.problems.append(RawHtmlProblem(
            "<![" + data[:12], "CDATA sections and other declarations have no place in a page's text "
            "(browsers end them at the first >)", 'write the text as it is, with "&lt;" for "<"', self._at()))

    def handle_decl(self, decl: str) -> None:
        self._flush_text()
        self.problems.append(RawHtmlProblem(
            f"<!{decl[:20]}>", "a declaration belongs to a whole document, not to a page's text",
            "remove it; the theme writes the page's <!DOCTYPE>", self._at()))

    def handle_pi(self, data: str) -> None:
        self._flush_text()
        self.problems.append(RawHtmlProblem(
            f"<?{data[:20]}",
            "processing instructions are not HTML (browsers read them as a comment up to the first >)",
            "remove it", self._at()))

    def close(self) -> None:
        super().close()
        self._flush_text()


def raw_html_problems(fragment: str) -> list[RawHtmlProblem]:
    """What raw HTML written in Markdown (a block or one inline tag) holds that sitegen
    refuses to publish, in the order written; empty when all of it is allowed."""
    if "<" not in fragment or fragment in ("<!-->", "<!--->") or _END_TAG.fullmatch(fragment):
        return []  # (Markdown reads those two as whole, empty comments, as browsers do)
    if _START_TAG.fullmatch(fragment):  # one tag, as most inline HTML is: read as it is
        return _judge_start_tag(fragment, 0)
    reader = _RawHtmlReader()
    reader.feed(fragment)
    reader.close()
    return reader.problems


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
