"""The privacy guard: no counters, no trackers, no third-party loads (a build stage).

Runs over every rendered page (and the CSS that ships) after rendering and before the
output is swapped in, so it sees content, raw HTML in Markdown, theme templates and a
site's template overrides alike. ``scan_html`` returns :class:`Finding` values; the
build turns them into problems that name the file (and line) the offending text most
likely came from, the output page, what was found and how to remove it.

What counts as a counter is a *display* of a count: an element whose whole visible
text is a number and a follower/like/view/... word (``12,345 followers``,
``Seguidores: 8.200``, ``👁 1,204``), a count in an attribute, or a widget known to
show counts. A sentence that mentions a number of followers ("I had 50,000 followers
and it paid nothing") is the writer's prose and passes: the rules match an element's
*entire* text against a short shape, never words inside a longer sentence.

The tokenizer is a few regular expressions rather than a full HTML parser: it runs on
every page of every build, and only needs tags, attributes and short texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal
from collections.abc import Iterable, Mapping

from .discover import is_litter, outside_link
from .errors import Problem
from .urls import split_url

if TYPE_CHECKING:
    from .model import Config
    from .themes import Theme
    from .warm import Warm

FindingKind = Literal["counter", "tracker", "origin", "malformed"]
CONFIG_HINT_KEY = "privacy.allow_origins"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the guard refuses on one output file."""

    kind: FindingKind
    what: str  # what was found, as a reader would describe it
    evidence: str  # the text, URL or code that shows it (used to find the line too)
    origin: str | None = None  # for kind "origin": the origin that could be allowed


# -- Words and numbers ---------------------------------------------------------------
_NUM = (r"(?:\d{1,3}(?:[.,\u00a0\u202f' ]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
        r"(?:\s?(?:[kmb](?![a-z])|mil(?:lones|lón|lion|liones)?\b|thousand\b|millones\b))?\+?")
_COUNT_WORDS = (
    # English
    r"followers?|follows|likes?|views?|viewers|shares?|shared|subscribers?|subs|readers?|reads|"
    r"listeners?|listens|members?|visits?|visitors?|plays|downloads?|reactions?|retweets?|reposts?|"
    r"claps?|upvotes?|hits|pageviews?|page\s+views?|impressions|"
    # Spanish
    r"seguidor(?:es|as?)?|me\s+gusta|vistas?|visualizaciones|reproducciones|visitas?|visitantes|"
    r"compartid[oa]s?|veces\s+compartid[oa]|suscriptor(?:es|as?)?|lector(?:es|as?)?|lecturas|"
    r"oyentes|miembros?|soci[oa]s|descargas|reacciones|impresiones"
)
_NETWORKS = (r"twitter|x|mastodon|instagram|youtube|tiktok|facebook|linkedin|substack|patreon|spotify|"
             r"github|bluesky|threads|twitch|medium|ko-fi|telegram|whatsapp|discord|reddit")
_BEFORE = (r"total|over|more\s+than|almost|nearly|join|joined\s+by|already|we\s+are|"
           r"más\s+de|casi|únete\s+a|ya\s+somos|somos|ya|total\s+de")
_BETWEEN = (r"other|total|new|happy|active|paying|monthly|weekly|daily|unique|"
            r"otr[oa]s|nuev[oa]s|activ[oa]s|mensuales|semanales|diari[oa]s|únic[oa]s|felices|de\s+pago|de")
_AFTER = (r"on|in|en|at|total|so\s+far|hasta\s+ahora|and\s+counting|y\s+contando|"
          r"this\s+month|este\s+mes|today|hoy|this\s+week|esta\s+semana|" + _NETWORKS)
_ICONS = "👁👀❤♥💙💜🧡💚🤍🖤💛👍👏🔁🔄⭐★☆💬🔥📈🎧▶👥🙌"
_ICON = rf"[{_ICONS}]\ufe0f?"

_COUNTER_SHAPES = re.compile(
    rf"""^(?:
        (?:(?:{_BEFORE})\s+)?{_NUM}\s*(?:(?:{_BETWEEN})\s+)*(?:{_COUNT_WORDS})(?:\s+(?:{_AFTER}))*
      | (?:total\s+)?(?:{_COUNT_WORDS})(?:\s+totales)?\s*
        (?:on\s+(?:{_NETWORKS})\s*|en\s+(?:{_NETWORKS})\s*)?[:·|–—-]?\s*(?!(?:19|20)\d\d$){_NUM}
      | {_ICON}\s*{_NUM} | {_NUM}\s*{_ICON}
      | {_NUM}\s+(?:people|persons|readers|personas|lectores|lectoras)\s+(?:have\s+|han\s+)?
        (?:read|viewed|seen|liked|watched|shared|leído|leyeron|visto|vieron|compartido|compartieron)
        \s+(?:this|esto|est[ea])(?:\s+\w+)?
      | (?:read|viewed|seen|watched|liked|shared|leído|leída|visto|vista|compartido)\s+(?:by\s+|por\s+)?
        {_NUM}\s+(?:people|times|persons|personas|veces)
      | {_NUM}\s+(?:times|veces)\s+(?:read|viewed|seen|watched|shared|leído|visto|compartido)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_EDGE_JUNK = re.compile(r"^[\s()\[\]{}·•|,;.:!¡?¿\"'“”«»–—-]+|[\s()\[\]{}·•|,;.:!¡?¿\"'“”«»–—-]+$")
_SPACES = re.compile(r"\s+")
_HAS_DIGIT = re.compile(r"\d")
_ASCII_DIGIT = re.compile(r"[0-9]")  # \d on ASCII text: the same, without a Unicode lookup per character
#: Texts longer than this are sentences, never counter displays.
_SHORT = 60


def is_counter_text(text: str, memo: dict[str, bool] | None = None) -> bool:
    """True when ``text`` (an element's whole visible text, or an attribute value) is
    a display of a count rather than words about one. ``memo`` keeps the answers by text
    (a :class:`Guard` keeps one: a page's chrome, such as dates, "3 min read" and page
    numbers, repeats on every page; the answer is a function of the text alone)."""
    if len(text) > _SHORT * 2:
        return False
    known = memo.get(text) if memo is not None else None
    if known is None:
        if not (_ASCII_DIGIT.search(text) if text.isascii() else _HAS_DIGIT.search(text)):
            known = False
        else:
            cleaned = _EDGE_JUNK.sub("", _SPACES.sub(" ", text)).strip()
            known = bool(cleaned) and len(cleaned) <= _SHORT and _COUNTER_SHAPES.match(cleaned) is not None
        if memo is not None:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[text] = known
    return known


_MEMO_SIZE = 4_000  # per memo and process: 50,000 cost ~70 MB of peak memory at 10,000 pages
_MEMO_KEY = 2_000  # longer texts and attributes are judged every time, never kept


# -- Known widgets and services --------------------------------------------------------
#: Hosts (or host suffixes) of analytics and advertising, by family.
TRACKER_HOSTS: Mapping[str, str] = MappingProxyType({
    "google-analytics.com": "Google Analytics", "analytics.google.com": "Google Analytics",
    "googletagmanager.com": "Google Tag Manager / gtag", "doubleclick.net": "Google advertising",
    "googlesyndication.com": "Google advertising", "googleadservices.com": "Google advertising",
    "adservice.google.com": "Google advertising", "connect.facebook.net": "Meta pixel",
    "facebook.net": "Meta pixel", "plausible.io": "Plausible", "matomo.cloud": "Matomo",
    "innocraft.cloud": "Matomo", "hotjar.com": "Hotjar", "hotjar.io": "Hotjar",
    "segment.com": "Segment", "segment.io": "Segment", "mixpanel.com": "Mixpanel", "mxpnl.com": "Mixpanel",
    "amplitude.com": "Amplitude", "heapanalytics.com": "Heap", "clarity.ms": "Microsoft Clarity",
    "bat.bing.com": "Microsoft advertising", "snap.licdn.com": "LinkedIn Insight",
    "px.ads.linkedin.com": "LinkedIn Insight", "static.ads-twitter.com": "X (Twitter) pixel",
    "analytics.twitter.com": "X (Twitter) pixel", "analytics.tiktok.com": "TikTok pixel",
    "usefathom.com": "Fathom", "simpleanalyticscdn.com": "Simple Analytics", "umami.is": "Umami",
    "posthog.com": "PostHog", "cloudflareinsights.com": "Cloudflare Web Analytics",
    "quantserve.com": "Quantcast", "quantcount.com": "Quantcast", "chartbeat.com": "Chartbeat",
    "chartbeat.net": "Chartbeat", "mc.yandex.ru": "Yandex Metrica", "statcounter.com": "StatCounter",
    "crazyegg.com": "Crazy Egg", "fullstory.com": "FullStory", "ct.pinterest.com": "Pinterest tag",
    "taboola.com": "Taboola", "outbrain.com": "Outbrain", "amazon-adsystem.com": "Amazon advertising",
    "criteo.com": "Criteo", "criteo.net": "Criteo", "adroll.com": "AdRoll", "goatcounter.com": "GoatCounter",
    "gc.zgo.at": "GoatCounter", "getclicky.com": "Clicky", "mouseflow.com": "Mouseflow",
    "newrelic.com": "New Relic browser agent", "nr-data.net": "New Relic browser agent",
})
#: Tracker scripts by file name, wherever they are hosted (self-hosting is still tracking).
_TRACKER_FILES = re.compile(
    r"(?:^|/)(?:matomo|piwik|plausible(?:\.[\w-]+)*|fbevents|analytics|ga|gtag|umami|fathom|"
    r"goatcounter|hotjar[\w.-]*|clarity)\.(?:js|php)$|(?:^|/)gtag/js$|(?:^|/)(?:matomo|piwik)\.php$|"
    r"facebook\.com/tr/?$", re.I)
#: Inline analytics code.
_TRACKER_CODE = re.compile(
    r"\bgtag\s*\(|GoogleAnalyticsObject|google-analytics\.com|googletagmanager\.com|"
    r"\bga\s*\(\s*['\"](?:create|send)|_gaq\.push|\bfbq\s*\(|_paq\.push|\bhj\s*\(|hotjar|"
    r"\banalytics\.(?:load|page|track)\s*\(|mixpanel\.init|amplitude\.getInstance|posthog\.init|"
    r"\bplausible\s*\(|\bclarity\s*\(|_hmt\.push|\bym\s*\(\s*\d|umami\.track|dataLayer\.push|"
    r"\bwindow\.dataLayer|\btwq\s*\(|\bttq\.(?:load|page)|_linkedin_partner_id|\blintrk\s*\(|"
    r"goatcounter|_gauges|clicky_site_ids|statcounter|sc_project")

#: Hit counters and widgets that show counts: refused even from an allowed origin.
COUNTER_HOSTS: Mapping[str, str] = MappingProxyType({
    "hitwebcounter.com": "a hit counter", "hits.seeyoufarm.com": "a hit counter",
    "visitor-badge.laobi.icu": "a visitor counter", "komarev.com": "a profile view counter",
    "freecounterstat.com": "a hit counter", "websiteout.net": "a hit counter", "whos.amung.us": "a visitor counter",
    "flagcounter.com": "a visitor counter", "clustrmaps.com": "a visitor map", "amazingcounters.com": "a hit counter",
    "easycounter.com": "a hit counter", "supercounters.com": "a hit counter", "freehitscounter.org": "a hit counter",
    "counter.dev": "a visitor counter", "hits.dwyl.com": "a hit counter", "count.getloli.com": "a hit counter",
    "platform.twitter.com": "X (Twitter) follow/share buttons", "platform.x.com": "X follow/share buttons",
    "buttons.github.io": "GitHub buttons", "platform.linkedin.com": "LinkedIn share buttons",
    "addthis.com": "AddThis share buttons", "sharethis.com": "ShareThis share buttons",
    "addtoany.com": "AddToAny share buttons", "assets.pinterest.com": "Pinterest buttons",
})
_COUNTER_PATHS = re.compile(
    r"facebook\.com/plugins/(?:like|share_button|follow|page)|facebook\.com/.*/sdk\.js|"
    r"img\.shields\.io/.*(?:follow|subscriber|views|stars|watchers|likes|visits|downloads)|"
    r"(?:^|[/.-])(?:hit-?counter|visitor-?counter|view-?counter)", re.I)
_WIDGET_CLASSES = re.compile(
    r"^(?:twitter-(?:follow|share|hashtag|mention)-button|fb-(?:like|share-button|follow|page|send)|"
    r"addthis_\w+|a2a_(?:counter|kit)\b.*|sharethis-[\w-]+|github-button|IN-widget|"
    r"[\w-]*(?:follower|like|view|share|subscriber|visit|member|reader)s?-?counts?|[\w-]*hit-?counter[\w-]*)$", re.I)
_COUNT_ATTR = re.compile(
    r"^data-(?:[\w-]*-)?(?:count|counter|followers?|likes?|views?|subscribers?|shares?|visits?|"
    r"members?|readers?)(?:-count)?$", re.I)
_COUNT_CLASS_HINT = re.compile(
    r"(?:^|[-_\s])(?:counts?|counter|followers?|likes?|views?|subscribers?|shares?|visits?|members?)(?:$|[-_\s])", re.I)

# -- Tokenizer ----------------------------------------------------------------------
TAG_TOKEN = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<![^>]*>|<\?[^>]*>"
                       r"|<(/?)([a-zA-Z][\w:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
_ATTR = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
_RAW_TEXT = frozenset({"script", "style", "textarea", "title"})
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                   "track", "wbr", "keygen"})
_SKIP_TEXT = frozenset({"pre", "code", "kbd", "samp", "head", "script", "style", "template", "svg", "math"})
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.I | re.A)
_LOADING_RELS = frozenset({"stylesheet", "preload", "icon", "shortcut", "apple-touch-icon",
                           "apple-touch-icon-precomposed", "mask-icon", "modulepreload", "prefetch", "preconnect",
                           "dns-prefetch", "manifest", "prerender"})
#: The attributes whose URL a browser loads with the page, by element (SVG's by their
#: lower-cased names, as the tokenizer gives them; ``xlink:href`` is SVG 1's ``href``).
_LOAD_ATTRS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "script": ("src", "href", "xlink:href"), "iframe": ("src",), "frame": ("src",), "img": ("src", "srcset"),
    "image": ("href", "xlink:href"), "use": ("href", "xlink:href"), "feimage": ("href", "xlink:href"),
    "video": ("src", "poster"), "audio": ("src",), "source": ("src", "srcset"), "track": ("src",),
    "embed": ("src",), "object": ("data",), "input": ("src",), "base": ("href",),
    "body": ("background",), "table": ("background",), "td": ("background",), "th": ("background",),
})
# CSS: an escape (a hex code point and one optional space after it, or any other
# character as itself; an escaped newline is a line continuation) ...
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\n\r\f])?|(\r\n|[\s\S]))")
# ... and image-set(), whose images may be plain strings (url() in it is read as any url()).
_CSS_IMAGE_SET = re.compile(r"image-set\(((?:[^()]|\([^()]*\))*)\)", re.I | re.A)
_CSS_STRING = re.compile(r"""(['"])(.*?)\1""", re.S)
#: How many <iframe srcdoc> inside one another the guard reads (each is a whole page).
_SRCDOC_DEPTH = 8


def css_unescape(css: str) -> str:
    """``css`` with its escapes decoded, as a browser reads it before it sees ``url(``."""
    def decode(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return "" if match.group(2) in ("\r\n", "\n", "\r", "\f") else match.group(2)
    return _CSS_ESCAPE.sub(decode, css) if "\\" in css else css


_REFRESH = re.compile(r"[\t\n\f\r ]*[0-9.]*[\t\n\f\r ]*[;,]?[\t\n\f\r ]*"
                      r"(?:[uU][rR][lL][\t\n\f\r ]*=[\t\n\f\r ]*)?(.*)", re.S)


def refresh_url(content: str) -> str:
    """The URL a ``<meta http-equiv=refresh content=...>`` sends the reader to ("" for none):
    ``0; url = 'https://...'``, ``0;URL=...`` and ``0, https://...`` alike."""
    rest = _REFRESH.match(content).group(1)  # type: ignore[union-attr]  # (every text matches)
    if rest[:1] in ("'", '"'):
        rest = rest[1:].split(rest[0], 1)[0]
    return rest.strip()


def parse_attrs(raw: str) -> dict[str, str]:
    """The attributes of a start tag (the text after its name), entities decoded."""
    found: dict[str, str] = {}
    for m in _ATTR.finditer(raw):
        name = m.group(1).lower()
        if name not in found:
            value = m.group(2) if m.group(2) is not None else m.group(3) if m.group(3) is not None else m.group(4) or ""
            found[name] = unescape(value) if "&" in value else value
    return found


#: The attributes the guard reads on any tag (and every ``data-*``), and on some tags.
_WATCHED = frozenset({"style", "ping", "aria-label", "title", "alt", "aria-description", "class"})
_WATCHED_ON: Mapping[str, frozenset[str]] = MappingProxyType({
    **{name: _WATCHED | set(loads) for name, loads in _LOAD_ATTRS.items()},
    "iframe": _WATCHED | {"src", "srcdoc"}, "link": _WATCHED | {"href", "rel", "imagesrcset"},
    "meta": _WATCHED | {"http-equiv", "content"}})


def _watched_attrs(raw: str, watched: frozenset[str]) -> dict[str, str]:
    """:func:`parse_attrs` without the attributes the guard does not read (same order):
    ``watched`` and ``data-*``. The others are never decoded."""
    found: dict[str, str] = {}
    for name, double, single, bare in _ATTR.findall(raw):  # (an unmatched group is "" here)
        name = name.lower()
        if (name in watched or name.startswith("data-")) and name not in found:
            value = double or single or bare
            found[name] = unescape(value) if "&" in value else value
    return found


def normalize_origin(url: str) -> str | None:
    """``https://Fonts.Example.org:443/x`` -> ``https://fonts.example.org``; None for site-relative URLs."""
    if url.startswith("//"):
        url = "https:" + url
    parts = split_url(url)
    if parts is None or not parts.scheme or not parts.netloc:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    default = parts.port == 443 and scheme == "https" or parts.port == 80 and scheme == "http"
    port = None if default else parts.port
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def _host_match(host: str, table: Mapping[str, str]) -> str | None:
    for suffix, name in table.items():
        if host == suffix or host.endswith("." + suffix):
            return name
    return None


# -- What the scan keeps -------------------------------------------------------------
@dataclass(slots=True)
class _OpenElement:
    """An element the scan has opened and not yet closed (a page opens some 80).
    Mutable, unlike the values of a build: the scan adds to the innermost element's
    text as it reads, and judges it when its end tag comes."""

    name: str  # lower case
    skip: int  # 1 when its text is not prose (pre, code, head...: _K_SKIP), else 0
    count_class: bool = False  # its class names a count ("follower-count")
    # What it shows so far, runs of whitespace as one space; None once longer than a
    # counter display can be (prose).
    text: str | None = ""
    reported: bool = False  # it or an element inside it was reported as a counter
    pending: list[str] | None = None  # count-shaped texts of inline children, judged when it closes
    dirty: bool = False  # False only while its text surely holds no digit and no "&"


# The scan's memories are plain tuples, unpacked at once where they are read: a named
# tuple reads the same but unpacks five times slower, once per tag of every page.
#: What a start tag means to the scan: (name in lower case, kind: _K_SKIP, _K_RAW,
#: _K_VOID (void or self-closing: never opened) or 0, findings, has a src (a <script
#: src> runs no inline code), its class names a count).
_TagInfo = tuple[str, int, tuple[Finding, ...], bool, bool]
#: What an element holding only text does to its parent when it closes: (findings,
#: count-shaped texts the parent judges with its own, the parent now holds a reported
#: counter, the text it passes on: "" none, None too long: prose).
_LeafEffect = tuple[tuple[Finding, ...], tuple[str, ...], bool, str | None]


class Guard:
    """The rules for one site: its own origin and the origins it allows."""

    def __init__(self, site_origin: str, allow_origins: Iterable[str] = ()) -> None:
        self.site_origin = normalize_origin(site_origin) or site_origin
        self.allowed = {o for o in (normalize_origin(a) for a in allow_origins) if o}
        # What the scan remembers (see _leaf_effect, _tag_info); answers depend only on the key.
        self._leaves: dict[tuple[str, bool, str], _LeafEffect] = {}
        self._verdicts: dict[tuple[object, ...], tuple[tuple[Finding, ...], bool]] = {}  # (findings, count_class)
        self._tags: dict[str, _TagInfo] = {}
        self._counters: dict[str, bool] = {}  # is_counter_text's answers, by text
        self._templates: dict[str, tuple[tuple[int, str], ...]] = {}  # scan_template's findings, by text
        self._srcdoc_depth = 0  # how deep in <iframe srcdoc> pages the scan is (see check_srcdoc)

    # -- URLs ---------------------------------------------------------------------
    def check_url(self, url: str, what: str, findings: list[Finding]) -> None:
        """Refuse a URL the page loads when it is a tracker, a counter or another origin."""
        url = url.strip()
        if not url or url.startswith(("data:", "blob:", "#", "about:")):
            return
        parts = split_url("https:" + url if url.startswith("//") else url)
        if parts is None:  # a browser loads nothing from it; the writer meant something else
            findings.append(Finding("malformed", f"{what} with a malformed address", url))
            return
        host = (parts.hostname or "").lower()
        path = host + parts.path if host else parts.path
        counter = _host_match(host, COUNTER_HOSTS) if host else None
        if counter or _COUNTER_PATHS.search(path):
            findings.append(Finding("counter", f"{what} of {counter or 'a counter or count-showing widget'}", url))
            return
        tracker = _host_match(host, TRACKER_HOSTS) if host else None
        if tracker or _TRACKER_FILES.search(parts.path if not host else path):
            family = tracker or "an analytics script"
            findings.append(Finding("tracker", f"{what} of {family}", url))
            return
        origin = normalize_origin(url)
        if origin is None or origin == self.site_origin or origin in self.allowed:
            return
        if parts.scheme not in ("http", "https", ""):
            return
        findings.append(Finding("origin", f"{what} loaded from {origin}", url, origin=origin))

    def check_css(self, css: str, what: str, findings: list[Finding]) -> None:
        """Check every ``url()``, ``image-set()`` and ``@import`` of a style sheet or style
        attribute, read as a browser reads them: escapes decoded, in any case."""
        css = css_unescape(css)
        lowered = css.lower()
        if "url(" not in lowered and "@import" not in lowered and "image-set(" not in lowered:
            return
        for m in _CSS_URL.finditer(css):
            self.check_url(m.group(2) or m.group(4) or "", what, findings)
        if "image-set(" in lowered:
            for images in _CSS_IMAGE_SET.finditer(css):
                for m in _CSS_STRING.finditer(_CSS_URL.sub("", images.group(1))):
                    self.check_url(m.group(2), what, findings)

    def check_srcset(self, value: str, what: str, findings: list[Finding]) -> None:
        for candidate in value.split(","):
            parts = candidate.strip().split()
            if parts:
                self.check_url(parts[0], what, findings)

    # -- A page -------------------------------------------------------------------
    def scan_html(self, html: str) -> list[Finding]:
        """Every counter, tracker and third-party load in one HTML page."""
        findings: list[Finding] = []
        top = _OpenElement("#root", 0)  # the innermost open element
        stack = [top]
        skip = 0  # depth inside elements whose text is not prose (pre, code, head...)
        tags = self._tags
        counters = self._counters
        close = _close
        may_count = _DIGIT_OR_ENTITY.search
        ascii_may_count = _ASCII_DIGIT_OR_ENTITY.search  # the same on ASCII text, many times faster
        parts = _TOKENS.split(html)  # text, then the groups of a token, then text...
        tail = parts.pop()
        for (text, end_name, script, style, textarea, title, raw_attrs, content,
             name, raw, inner) in zip(*[iter(parts)] * _TOKEN_PARTS, strict=False):
            if text and not skip and top.text is not None:
                # an element's text is kept only while it is short enough to be a counter
                if text.isspace():
                    text = top.text + " "
                else:
                    if not top.dirty and (ascii_may_count(text) if text.isascii() else may_count(text)):
                        top.dirty = True
                    text = top.text + text
                top.text = text if len(text) <= _LONG else None
            if end_name is not None:  # an end tag closes everything opened after its start tag
                if end_name != top.name:
                    skip -= _end_tag(stack, end_name, findings, counters)
                    top = stack[-1]
                    continue
                if top.reported or top.pending or top.dirty:
                    skip -= close(stack, findings, counters)
                else:  # what _close does with text that cannot be a count: pass it on
                    stack.pop()
                    skip -= top.skip
                    kept = top.text
                    parent = stack[-1]
                    if kept is None:
                        parent.text = None
                    elif kept and parent.text is not None:
                        text = parent.text + (" " if kept.isspace() else " " + kept + " ")
                        parent.text = text if len(text) <= _LONG else None
                top = stack[-1]
                continue
            if name is None:
                if raw_attrs is not None:  # <script>, <style>, <textarea>, <title>: raw text
                    name = script or style or textarea or title
                    name, _, found, has_src, _ = tags.get(name + raw_attrs) or self._tag_info(name, raw_attrs)
                    if found:
                        findings.extend(found)
                    if script is not None:
                        if not has_src:
                            code = _TRACKER_CODE.search(content)
                            if code:
                                findings.append(Finding("tracker", "inline analytics code", code.group(0)))
                    elif style is not None:
                        self.check_css(content, "a style sheet url()", findings)
                continue  # (else a comment, doctype, CDATA)
            name, kind, found, has_src, count_class = tags.get(name + raw) or self._tag_info(name, raw)
            if found:
                findings.extend(found)
            if kind == _K_VOID:  # void or self-closing: never opened
                if name == "br" and top.text is not None:
                    text = top.text + " "
                    top.text = text if len(text) <= _LONG else None
                if inner is not None:  # the text and end tag that came with it
                    if inner and not skip and top.text is not None:
                        text = top.text + (" " if inner.isspace() else inner)
                        top.text = text if len(text) <= _LONG else None
                        top.dirty = True
                    skip -= _end_tag(stack, name, findings, counters)
                    top = stack[-1]
            elif inner is None:  # a start tag
                top = _OpenElement(name, kind, count_class)
                stack.append(top)
                skip += kind
            elif not inner or skip or kind:
                pass  # an empty element, or text that is not prose: nothing to judge or pass on
            elif (ascii_may_count(inner) if inner.isascii() else may_count(inner)) is None:
                # an element holding text that cannot be a count: it passes it to its parent, spaced
                text = top.text
                if text is not None:
                    if inner.isspace():
                        text += " "
                    elif len(inner) <= _LONG:
                        text += " " + inner + " "
                    else:
                        text = None
                    top.text = text if text is None or len(text) <= _LONG else None
            else:  # judged as its start tag, text and end tag would be (remembered: dates repeat)
                found, pending, reported, passed = (self._leaves.get((name, count_class, inner))
                                                    or self._leaf_effect(name, count_class, inner))
                if found:
                    findings.extend(found)
                if pending:
                    if top.pending is None:
                        top.pending = list(pending)
                    else:
                        top.pending.extend(pending)
                if reported:
                    top.reported = True
                if passed is None:
                    top.text = None
                elif passed and top.text is not None:
                    text = top.text + passed
                    top.text = text if len(text) <= _LONG else None
                    top.dirty = True
        if tail and not skip and top.text is not None:
            text = top.text + (" " if tail.isspace() else tail)
            top.text = text if len(text) <= _LONG else None
        while len(stack) > 1:
            skip -= close(stack, findings, counters)
        findings.extend(Finding("counter", "a displayed count", p) for p in stack[0].pending or ())
        return findings

    def _leaf_effect(self, name: str, count_class: bool, inner: str) -> _LeafEffect:
        """What an element holding only ``inner`` (text that may show a count) does when it
        closes: its findings, the pending texts and reported mark it gives its parent, and
        the text it passes on ("" none, None: long). Found by closing it under an empty
        parent, which is all its effect on any parent; remembered per guard."""
        kept = (" " if inner.isspace() else inner) if len(inner) <= _LONG else None
        parent = _OpenElement("#", 0)
        found: list[Finding] = []
        _close([parent, _OpenElement(name, 0, count_class, text=kept, dirty=True)], found, self._counters)
        effect = (tuple(found), tuple(parent.pending or ()), parent.reported, parent.text)
        if len(inner) <= _MEMO_KEY:
            if len(self._leaves) >= _MEMO_SIZE:
                self._leaves.clear()
            self._leaves[(name, count_class, inner)] = effect
        return effect

    def _tag_info(self, name: str, raw: str) -> _TagInfo:
        """What a start tag (its name as written and raw attribute text) means to the scan:
        its name in lower case, its kind (_K_*: raw text, void and self-closing tags are
        never opened), its findings, whether it has a ``src`` and whether its class names a
        count. Remembered per guard: a theme's tags repeat on every page."""
        lname = name.lower()
        attrs: dict[str, str] = {}
        if raw.strip():
            lowered = raw.lower()
            watched = _WATCHED_ON.get(lname, _WATCHED)
            if lname == "meta" and "http-equiv" not in lowered:
                watched = _WATCHED  # its content matters only to a refresh
            if (watched is not _WATCHED or "class" in lowered or "data-" in lowered or "style" in lowered
                    or "title" in lowered or "alt" in lowered or "aria-" in lowered or "ping" in lowered):
                attrs = _watched_attrs(raw, watched)
            # else no attribute it holds is one the guard reads (their names, lowered, would show)
        # All _tag reads: many tags differ only in an href it ignores.
        judged: tuple[object, ...] = (lname, *attrs.items())
        verdict = self._verdicts.get(judged)
        if verdict is None:
            found: list[Finding] = []
            if attrs:
                self._tag(lname, attrs, found)
            css_class = attrs.get("class")
            verdict = (tuple(found), bool(css_class and _COUNT_CLASS_HINT.search(css_class)))
            # (what an <iframe srcdoc> holds is judged at the depth it is found: not kept)
            if sum(map(len, attrs.values())) <= _MEMO_KEY and "srcdoc" not in attrs:
                if len(self._verdicts) >= _MEMO_SIZE:
                    self._verdicts.clear()
                self._verdicts[judged] = verdict
        kind = _KINDS.get(lname, 0)
        if kind != _K_RAW and raw.rstrip().endswith("/"):
            kind = _K_VOID
        info = (lname, kind, verdict[0], "src" in attrs, verdict[1])
        if len(raw) <= _MEMO_KEY and "srcdoc" not in attrs:  # (a data: URL of a megabyte is not worth keeping)
            if len(self._tags) >= _MEMO_SIZE:
                self._tags.clear()
            self._tags[name + raw] = info  # (one string: the name ends where the attributes start)
        return info

    def _tag(self, name: str, attrs: dict[str, str], findings: list[Finding]) -> None:
        for attr, value in attrs.items():
            if attr == "style":
                self.check_css(value, f"a style url() on <{name}>", findings)
            elif attr == "ping":
                findings.append(Finding("tracker", f"a ping (click tracking) attribute on <{name}>", value))
            elif attr.startswith("data-"):
                if attr == "data-show-count" and value.lower() not in ("false", "0", "no"):
                    findings.append(Finding("counter", f"a widget that shows counts ({attr}) on <{name}>", attr))
                elif _COUNT_ATTR.match(attr) and _HAS_DIGIT.search(value):
                    findings.append(Finding("counter", f"a count in the {attr} attribute of <{name}>",
                                            f'{attr}="{value}"'))
            elif attr in ("aria-label", "title", "alt", "aria-description") and _HAS_DIGIT.search(value):
                if is_counter_text(value, self._counters):
                    findings.append(Finding("counter", f"a count in the {attr} of <{name}>", value))
            elif attr == "class":
                for token in value.split():
                    if _WIDGET_CLASSES.match(token) and not _HAS_DIGIT.search(token):
                        findings.append(Finding("counter", f"a widget known to show counts (class {token!r})", token))
                        break
        for attr in _LOAD_ATTRS.get(name, ()):
            loaded = attrs.get(attr)
            if loaded is None:
                continue
            what = f"<{name} {attr}>"
            if attr == "srcset":
                self.check_srcset(loaded, what, findings)
            else:
                self.check_url(loaded, what, findings)
        if name == "link":
            if "href" in attrs and set(attrs.get("rel", "").lower().split()) & _LOADING_RELS:
                self.check_url(attrs["href"], f"<link rel={attrs.get('rel', '')}>", findings)
            if "imagesrcset" in attrs:
                self.check_srcset(attrs["imagesrcset"], "<link imagesrcset>", findings)
        elif name == "meta" and attrs.get("http-equiv", "").strip().lower() == "refresh":
            target = refresh_url(attrs.get("content", ""))
            if target:
                self.check_url(target, "a <meta http-equiv=refresh>", findings)
        elif name == "iframe" and "srcdoc" in attrs:
            self.check_srcdoc(attrs["srcdoc"], findings)

    def template_findings(self, text: str) -> tuple[tuple[int, str], ...]:
        """:func:`scan_template` of a template's ``text``, remembered by text (a guard kept
        between rebuilds by `sitegen serve` sees the same templates again)."""
        found = self._templates.get(text)
        if found is None:
            if len(self._templates) >= 256:
                self._templates.clear()
            found = self._templates[text] = tuple(scan_template(text))
        return found

    def check_srcdoc(self, page: str, findings: list[Finding]) -> None:
        """Scan the page an ``<iframe srcdoc>`` holds as the page it is."""
        if self._srcdoc_depth >= _SRCDOC_DEPTH:  # (a page in a page in a page...)
            findings.append(Finding("tracker", f"<iframe srcdoc> nested more than {_SRCDOC_DEPTH} deep, "
                                    "which the guard does not read", page[:80]))
            return
        self._srcdoc_depth += 1
        try:
            inside = self.scan_html(page)
        finally:
            self._srcdoc_depth -= 1
        findings.extend(Finding(f.kind, f"{f.what} inside an <iframe srcdoc>", f.evidence, f.origin)
                        for f in inside)


#: Longer texts are prose, never counter displays (and never kept).
_LONG = _SHORT * 2

_INLINE = frozenset({"a", "abbr", "b", "bdi", "bdo", "cite", "data", "dfn", "em", "i", "mark", "q", "s", "small",
                     "span", "strong", "sub", "sup", "time", "u", "var"})
_PROSE = frozenset({"p", "li", "blockquote", "dd", "dt", "figcaption", "td", "th", "h1", "h2", "h3", "h4", "h5",
                    "h6", "caption", "summary", "label"})


def _close(stack: list[_OpenElement], findings: list[Finding], counters: dict[str, bool]) -> int:
    """Close the innermost element: judge its text, pass the text to its parent.
    Returns the element's skip (1 when its text is not prose).

    A count shaped run inside an inline element (a link, <strong>) is judged with
    its sentence: inside a paragraph, list item or quote that says more, it is prose."""
    element = stack.pop()
    parent = stack[-1]
    skip = element.skip
    if element.reported:
        parent.reported = True  # report the innermost display only
        return skip
    name, kept, count_class, pending = element.name, element.text, element.count_class, element.pending
    text = (unescape(kept) if "&" in kept else kept) if kept else ""
    shown: str | None = None
    hit = False
    if text and (_ASCII_DIGIT.search(text) if text.isascii() else _HAS_DIGIT.search(text)):
        # (no digit, no count: the spaces and edges taken off hold none)
        shown = _SPACES.sub(" ", text).strip()
        hit = is_counter_text(shown, counters) or (count_class and _is_bare_number(shown))
    if hit:
        assert shown is not None  # (a hit is judged on the text shown)
        if name in _INLINE and not count_class:
            if parent.pending is None:
                parent.pending = [shown]
            else:
                parent.pending.append(shown)
        else:
            findings.append(Finding("counter", "a displayed count", shown))
            parent.reported = True
            return skip
    elif pending:
        if shown is None:
            shown = _SPACES.sub(" ", text).strip() if text else ""
        if name in _INLINE:
            if parent.pending is None:
                parent.pending = list(pending)
            else:
                parent.pending.extend(pending)
        elif not (name in _PROSE and _is_sentence(kept is None, pending, shown)):
            findings.extend(Finding("counter", "a displayed count", p) for p in pending)
            parent.reported = True
            return skip
    if kept is None:
        parent.text = None  # the parent's text is long too: prose
    elif text and parent.text is not None:
        joined = parent.text + (" " if text.isspace() else " " + text + " ")
        parent.text = joined if len(joined) <= _LONG else None
        parent.dirty = True  # (it may be: this path does not look)
    return skip


def _end_tag(stack: list[_OpenElement], name: str, findings: list[Finding], counters: dict[str, bool]) -> int:
    """An end tag: close every element opened after its start tag, if one is open.
    Returns the change of skip depth."""
    name = name.lower()
    for depth in range(len(stack) - 1, 0, -1):
        if stack[depth].name == name:
            skip = 0
            while len(stack) > depth:
                skip += _close(stack, findings, counters)
            return skip
    return 0


def _is_sentence(long: bool, pending: list[str], text: str) -> bool:
    """True when a prose element says more than its count-shaped parts: a sentence."""
    if long:
        return True
    words = len(text.split())
    counted = sum(len(p.split()) for p in pending)
    return words - counted >= 3


# The scan's tokenizer: TAG_TOKEN's tokens, found the same way, with three differences.
# An end tag has its name in group 1. A raw text element (<script>, <style>,
# <textarea>, <title>: groups 2-5 hold the name as written, 6 its attributes) comes
# with its content (group 7), which runs to the first end tag of its name (as
# ``</script\s*>`` with re.I finds it) or to the end of the page. An element holding
# nothing but text comes with that text (group 10) and its end tag, as one token (name
# in group 8, attributes in 9). Possessive and unrolled, which changes no token: each
# character of a tag has one way to be read. The alternatives start with different
# characters, so their order does not matter, except that raw text comes first.
_ATTRS_TEXT = r"""[^>"']*+(?:(?:"[^"]*+"|'[^']*+')[^>"']*+)*+"""


def _any_case(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" for c in word)


_RAW_CONTENT_END = (r"(?(2)(?i:/script\s*>)|(?(3)(?i:/style\s*>)|"
                    r"(?(4)(?i:/textarea\s*>)|(?i:/title\s*>))))")
_TOKENS = re.compile(
    rf"""<(?:/([a-zA-Z][\w:-]*+){_ATTRS_TEXT}>"""
    rf"""|(?:({_any_case("script")})|({_any_case("style")})|({_any_case("textarea")})|({_any_case("title")}))"""
    rf"""(?![\w:-])({_ATTRS_TEXT})>([^<]*+(?:<(?!{_RAW_CONTENT_END})[^<]*+)*+)"""
    rf"""|([a-zA-Z][\w:-]*+)({_ATTRS_TEXT})>(?:([^<]*+)</\8(?![\w:-]){_ATTRS_TEXT}>)?"""
    rf"""|!--.*?-->|!\[CDATA\[.*?\]\]>|![^>]*>|\?[^>]*>)""", re.S)
_TOKEN_PARTS = 1 + _TOKENS.groups
#: What can make an element's text a count: a digit, or an entity that may spell one.
_DIGIT_OR_ENTITY = re.compile(r"[\d&]")
_ASCII_DIGIT_OR_ENTITY = re.compile(r"[0-9&]")
# What a tag name means to the scan: raw text (never parsed), void (never opened),
# skip (its text is not prose: the frame's skip is this value, 1), or 0 (any other).
_K_SKIP, _K_RAW, _K_VOID = 1, 2, 3
_KINDS: Mapping[str, int] = MappingProxyType({**{n: _K_SKIP for n in _SKIP_TEXT}, **{n: _K_VOID for n in _VOID},
                          **{n: _K_RAW for n in _RAW_TEXT}})
_BARE_NUMBER = re.compile(rf"^{_NUM}$", re.I)


def _is_bare_number(text: str) -> bool:
    """A number alone, shown in an element whose class says it is a count."""
    return _BARE_NUMBER.match(_EDGE_JUNK.sub("", text)) is not None


# -- Templates -----------------------------------------------------------------------
_INLINE_TAGS = r"(?:<\s*/?\s*(?:strong|b|em|i|span|small|data|mark)\b[^>]*>[ \t]*)*"
_TEMPLATE_COUNTER = re.compile(
    rf"\{{\{{[^}}]*\}}\}}(?:[ \t]|&nbsp;)*{_INLINE_TAGS}(?:{_COUNT_WORDS})\b"
    rf"|\b(?:{_COUNT_WORDS})[ \t]*:?[ \t]*{_INLINE_TAGS}\{{\{{[^}}]*\}}\}}"
    r"|\{\{[^}]*(?<![\w-])(?:followers?|follower_count|likes?_count|view_?count|views|subscribers?|"
    r"subscriber_count|member_count|members_count|visits|hit_?count|readers_count)(?![\w-])[^}]*\}\}",
    re.IGNORECASE)


def scan_template(text: str) -> list[tuple[int, str]]:
    """Lines of a template where a variable is rendered next to a follower/like/view word
    (or is itself such a count): ``{{ n }} followers``. Returns (line, snippet) pairs."""
    found = []
    for m in _TEMPLATE_COUNTER.finditer(text):
        snippet = m.group(0)
        if "t(" in snippet and "{{ t(" in snippet.replace("{{t(", "{{ t("):
            # an interface string: its words are the translator's, never a count
            continue
        found.append((text.count("\n", 0, m.start()) + 1, _SPACES.sub(" ", snippet)))
    return found


# -- Problems ------------------------------------------------------------------------
def locate(needle: str, candidates: Iterable[tuple[str, Path]]) -> tuple[str, int] | None:
    """The first file (and line) among ``candidates`` whose text contains ``needle``."""
    probes = [needle]
    if "&" in needle:
        probes.append(needle.replace("&", "&amp;"))
    for rel, path in candidates:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for probe in probes:
            index = text.find(probe)
            if index >= 0:
                return rel, text.count("\n", 0, index) + 1
    return None


def finding_problem(finding: Finding, page: str, path: str | None, line: int | None, others: int = 0) -> Problem:
    """A finding as a build error: where it came from, the page, what it is, the way out."""
    if others:
        page = f"{page} (and {others} other page{'s' if others != 1 else ''})"
    if finding.kind == "counter":
        message = (f"{finding.what} on {page}: {finding.evidence!r}; "
                   "sitegen publishes no counts of followers, likes, views or members")
        hint = ("remove it; counts cannot be allowed. A sentence telling a story with numbers "
                "(\"I had 12,000 followers and it paid nothing\") is fine")
    elif finding.kind == "tracker":
        message = f"tracking: {finding.what} on {page}: {finding.evidence!r}"
        hint = "remove it; sitegen sites run no analytics or advertising code, and this cannot be allowed"
    elif finding.kind == "malformed":
        message = f"{finding.what} on {page}: {finding.evidence!r}"
        hint = ("correct the address: a host in [brackets] needs its closing ], and a port is a number "
                "from 1 to 65535, e.g. https://media.example.org:8080/picture.jpg")
    else:
        message = f"third-party request: {finding.what} on {page}: {finding.evidence!r}"
        hint = (f"copy the file into static/ and link it from there, or, if you accept that every reader's "
                f"browser contacts {finding.origin}, allow it in sitegen.yaml: "
                f"privacy: {{allow_origins: [\"{finding.origin}\"]}}")
    return Problem(message, path=path or page, line=line, hint=hint)


class SiteGuard:
    """The guard over one build: scans each output file, then reports every finding
    once, located in the content file or template it most likely came from."""

    def __init__(self, config: Config, theme: Theme, warm: Warm | None = None) -> None:
        allow = config.privacy.get("allow_origins") or ()
        # A guard's answers depend only on the origins, and it remembers what it judged:
        # `sitegen serve` keeps one between rebuilds, in its warm state, for those origins.
        key = (config.urls.origin, tuple(allow))
        if warm is not None and warm.guard is not None and warm.guard[0] == key:
            self.guard = warm.guard[1]
        else:
            self.guard = Guard(config.urls.origin, allow)
            if warm is not None:
                warm.guard = (key, self.guard)
        self.root = config.root
        self.templates: list[tuple[str, Path]] = []
        for folder in theme.template_dirs:
            for path in sorted(folder.rglob("*.html")):
                # Not an editor's lock (a link to nothing), nor a link out of the site, which
                # no build reads (see ``render._Loader``): its text would be quoted in the log.
                if not is_litter(path.name) and path.is_file() and outside_link(path, config.root, folder) is None:
                    self.templates.append((_shown_path(path, config.root), path))
        self._found: dict[tuple[str, str, str | None, int | None], list[str]] = {}
        self._order: list[tuple[Finding, str | None, int | None]] = []
        self.template_problems = self._scan_templates()

    def _scan_templates(self) -> list[Problem]:
        problems = []
        for rel, path in self.templates:
            for line, snippet in self.guard.template_findings(path.read_text(encoding="utf-8", errors="replace")):
                problems.append(Problem(
                    f"a template renders a count next to a follower/like/view word: {snippet!r}",
                    path=rel, line=line,
                    hint="remove the count from the template; sitegen publishes no counts of followers, "
                    "likes, views or members, and they cannot be allowed"))
        return problems

    def scan(self, page: str, data: bytes, source: str | None) -> None:
        """Scan one rendered HTML page (``page`` is its path in the output)."""
        findings = self.guard.scan_html(data.decode("utf-8", errors="replace"))
        if findings:
            self._record(findings, page, self.candidates(source))

    def add(self, page: str, findings: list[Finding], source: str | None) -> None:
        """Record the findings of a page scanned elsewhere (by a worker process)."""
        if findings:
            self._record(findings, page, self.candidates(source))

    def scan_css(self, target: str, path: Path) -> None:
        """Scan one style sheet copied from a theme or the site's static/."""
        findings: list[Finding] = []
        self.guard.check_css(path.read_text(encoding="utf-8", errors="replace"), "a style sheet url()", findings)
        if findings:
            self._record(findings, target, [(_shown_path(path, self.root), path)])

    def candidates(self, source: str | None) -> list[tuple[str, Path]]:
        """Where a page's text may come from: its content file, then every template."""
        return ([(source, self.root / source)] if source else []) + self.templates

    def locate_finding(self, finding: Finding, candidates: list[tuple[str, Path]]) -> tuple[str | None, int | None]:
        """The file and line a finding most likely came from (the content file, else unknown)."""
        where = locate(finding.evidence, candidates)
        if where is None and finding.kind == "counter":
            numbers = re.findall(r"\d[\d.,]*", finding.evidence)
            if numbers:
                where = locate(max(numbers, key=len), candidates)
        if where:
            return where
        first = candidates[0][0] if candidates else None
        return (first if first and first.startswith("content/") else None), None

    def _record(self, findings: list[Finding], page: str, candidates: list[tuple[str, Path]]) -> None:
        for finding in findings:
            path, line = self.locate_finding(finding, candidates)
            key = (finding.kind, finding.evidence, path, line)
            pages = self._found.setdefault(key, [])
            if not pages:
                self._order.append((finding, path, line))
            if page not in pages:
                pages.append(page)

    def problems(self) -> list[Problem]:
        """Every finding as an error; one per offending spot, naming its first page."""
        problems = list(self.template_problems)
        for finding, path, line in self._order:
            pages = self._found[(finding.kind, finding.evidence, path, line)]
            problems.append(finding_problem(finding, pages[0], path, line, len(pages) - 1))
        return problems


def _shown_path(path: Path, root: Path) -> str:
    """A path as the user knows it: relative to the site, or from ``themes/`` for a built-in theme."""
    if path.is_relative_to(root):
        return path.relative_to(root).as_posix()
    parts = path.parts
    if "themes" in parts:
        return "/".join(parts[len(parts) - parts[::-1].index("themes") - 1:])
    return path.as_posix()
