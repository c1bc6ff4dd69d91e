"""A verbatim copy of the privacy guard and of ``protect_external_links`` as they were
before the speed work (main at 053928e), kept as the reference oracle for the
differential tests (tests/test_guard_equivalence.py). It is the definition of "the
same results": edit it only to add a rule the guard gains, in this plain style, never
to follow a change of speed. Only the imports were adjusted, and the rules for URLs
read as a browser reads them were added (marked "Rule added:" below)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Literal, Mapping
from urllib.parse import urlsplit

from sitegen.errors import Problem

if TYPE_CHECKING:
    from sitegen.model import Config
    from sitegen.themes import Theme

FindingKind = Literal["counter", "tracker", "origin"]
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
      | (?:total\s+)?(?:{_COUNT_WORDS})(?:\s+totales)?\s*(?:on\s+(?:{_NETWORKS})\s*|en\s+(?:{_NETWORKS})\s*)?[:·|–—-]?\s*(?!(?:19|20)\d\d$){_NUM}
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
#: Texts longer than this are sentences, never counter displays.
_SHORT = 60


def is_counter_text(text: str) -> bool:
    """True when ``text`` (an element's whole visible text, or an attribute value) is
    a display of a count rather than words about one."""
    if len(text) > _SHORT * 2 or not _HAS_DIGIT.search(text):
        return False
    cleaned = _EDGE_JUNK.sub("", _SPACES.sub(" ", text)).strip()
    if not cleaned or len(cleaned) > _SHORT:
        return False
    return _COUNTER_SHAPES.match(cleaned) is not None


# -- Known widgets and services --------------------------------------------------------
#: Hosts (or host suffixes) of analytics and advertising, by family.
TRACKER_HOSTS: Mapping[str, str] = {
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
}
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
COUNTER_HOSTS: Mapping[str, str] = {
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
}
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
TAG_TOKEN = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<![^>]*>|<\?[^>]*>|<(/?)([a-zA-Z][\w:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
_ATTR = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+)))?")
_RAW_TEXT = {"script", "style", "textarea", "title"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr", "keygen"}
_SKIP_TEXT = {"pre", "code", "kbd", "samp", "head", "script", "style", "template", "svg", "math"}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.I | re.A)  # Rule added: re.A, CSS keywords are ASCII
_LOADING_RELS = {"stylesheet", "preload", "icon", "shortcut", "apple-touch-icon", "apple-touch-icon-precomposed",
                 "mask-icon", "modulepreload", "prefetch", "preconnect", "dns-prefetch", "manifest", "prerender"}
# Rule added: SVG's href and xlink:href, <use>, <feImage>, <base href>, background=.
_LOAD_ATTRS: Mapping[str, tuple[str, ...]] = {
    "script": ("src", "href", "xlink:href"), "iframe": ("src",), "frame": ("src",), "img": ("src", "srcset"),
    "image": ("href", "xlink:href"), "use": ("href", "xlink:href"), "feimage": ("href", "xlink:href"),
    "video": ("src", "poster"), "audio": ("src",), "source": ("src", "srcset"), "track": ("src",),
    "embed": ("src",), "object": ("data",), "input": ("src",), "base": ("href",),
    "body": ("background",), "table": ("background",), "td": ("background",), "th": ("background",),
}


# Rule added: CSS escapes are decoded before url() is looked for.
def _css_unescape(css: str) -> str:
    out = []
    i = 0
    while i < len(css):
        c = css[i]
        if c != "\\" or i + 1 == len(css):
            out.append(c)
            i += 1
            continue
        j = i + 1
        digits = ""
        while j < len(css) and len(digits) < 6 and css[j] in "0123456789abcdefABCDEF":
            digits += css[j]
            j += 1
        if digits:
            if css.startswith("\r\n", j):
                j += 2
            elif j < len(css) and css[j] in " \t\n\r\f":
                j += 1
            code = int(digits, 16)
            out.append(chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd")
        elif css.startswith("\r\n", j):
            j += 2
        elif css[j] in "\n\r\f":
            j += 1
        else:
            out.append(css[j])
            j += 1
        i = j
    return "".join(out)


# Rule added: the URL of a refresh, however it is spaced and quoted.
def _refresh_url(content: str) -> str:
    space = "\t\n\f\r "
    rest = content.lstrip(space).lstrip("0123456789.").lstrip(space)
    if rest[:1] in (";", ","):
        rest = rest[1:]
    rest = rest.lstrip(space)
    if rest[:3].lower() == "url" and rest[3:].lstrip(space)[:1] == "=":
        rest = rest[3:].lstrip(space)[1:].lstrip(space)
    if rest[:1] in ("'", '"'):
        rest = rest[1:].split(rest[0], 1)[0]
    return rest.strip()


_CSS_IMAGE_SET = re.compile(r"image-set\(((?:[^()]|\([^()]*\))*)\)", re.I | re.A)
_CSS_STRING = re.compile(r"""(['"])(.*?)\1""", re.S)


def parse_attrs(raw: str) -> dict[str, str]:
    """The attributes of a start tag (the text after its name), entities decoded."""
    found: dict[str, str] = {}
    for m in _ATTR.finditer(raw):
        name = m.group(1).lower()
        if name not in found:
            value = m.group(2) if m.group(2) is not None else m.group(3) if m.group(3) is not None else m.group(4) or ""
            found[name] = unescape(value) if "&" in value else value
    return found


def normalize_origin(url: str) -> str | None:
    """``https://Fonts.Example.org:443/x`` -> ``https://fonts.example.org``; None for site-relative URLs."""
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port if not (parts.port == 443 and scheme == "https" or parts.port == 80 and scheme == "http") else None
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def _host_match(host: str, table: Mapping[str, str]) -> str | None:
    for suffix, name in table.items():
        if host == suffix or host.endswith("." + suffix):
            return name
    return None


class Guard:
    """The rules for one site: its own origin and the origins it allows."""

    def __init__(self, site_origin: str, allow_origins: Iterable[str] = ()) -> None:
        self.site_origin = normalize_origin(site_origin) or site_origin
        self.allowed = {o for o in (normalize_origin(a) for a in allow_origins) if o}

    # -- URLs ---------------------------------------------------------------------
    def check_url(self, url: str, what: str, findings: list[Finding]) -> None:
        """Refuse a URL the page loads when it is a tracker, a counter or another origin."""
        url = url.strip()
        if not url or url.startswith(("data:", "blob:", "#", "about:")):
            return
        parts = urlsplit("https:" + url if url.startswith("//") else url)
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
        """Check every ``url()`` and ``@import`` of a style sheet or style attribute."""
        css = _css_unescape(css)  # Rule added (and the case of url( no longer matters)
        for m in _CSS_URL.finditer(css):
            self.check_url(m.group(2) or m.group(4) or "", what, findings)
        for images in _CSS_IMAGE_SET.finditer(css):  # Rule added: image-set("...")
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
        stack: list[_Frame] = [_Frame("#root")]
        skip = 0  # depth inside elements whose text is not prose (pre, code, head...)
        pos = 0
        length = len(html)
        while pos < length:
            m = TAG_TOKEN.search(html, pos)
            end = m.start() if m else length
            if end > pos and not skip:
                stack[-1].add(html[pos:end])
            if m is None:
                break
            pos = m.end()
            name = m.group(2)
            if name is None:
                continue  # comment, doctype, CDATA
            name = name.lower()
            if m.group(1):  # an end tag closes everything opened after its start tag
                for depth in range(len(stack) - 1, 0, -1):
                    if stack[depth].name == name:
                        while len(stack) > depth:
                            skip -= self._close(stack, findings)
                        break
                continue
            raw = m.group(3)
            attrs = parse_attrs(raw) if raw.strip() else {}
            if attrs:
                self._tag(name, attrs, findings)
            if name in _RAW_TEXT:
                closing = _CLOSERS[name].search(html, pos)
                close = closing.start() if closing else length
                content = html[pos:close]
                if name == "script" and "src" not in attrs:
                    code = _TRACKER_CODE.search(content)
                    if code:
                        findings.append(Finding("tracker", "inline analytics code", code.group(0)))
                elif name == "style":
                    self.check_css(content, "a style sheet url()", findings)
                pos = close
                continue
            if name in _VOID or raw.rstrip().endswith("/"):
                if name == "br":
                    stack[-1].add(" ")
                continue
            frame = _Frame(name, skip=name in _SKIP_TEXT,
                           count_class=bool(attrs.get("class")) and bool(_COUNT_CLASS_HINT.search(attrs["class"])))
            stack.append(frame)
            skip += frame.skip
        while len(stack) > 1:
            skip -= self._close(stack, findings)
        findings.extend(Finding("counter", "a displayed count", p) for p in stack[0].pending)
        return findings

    @staticmethod
    def _close(stack: list["_Frame"], findings: list[Finding]) -> int:
        """Close the innermost element: judge its text, pass the text to its parent.

        A count shaped run inside an inline element (a link, <strong>) is judged with
        its sentence: inside a paragraph, list item or quote that says more, it is prose."""
        frame = stack.pop()
        parent = stack[-1]
        if frame.reported:
            parent.reported = True  # report the innermost display only
            return frame.skip
        text = unescape("".join(frame.pieces)) if frame.pieces and frame.size <= _SHORT * 2 else ""
        shown = _SPACES.sub(" ", text).strip() if text else ""
        if shown and _HAS_DIGIT.search(shown) and (
                is_counter_text(shown) or (frame.count_class and _is_bare_number(shown))):
            if frame.name in _INLINE and not frame.count_class:
                parent.pending.append(shown)
            else:
                findings.append(Finding("counter", "a displayed count", shown))
                parent.reported = True
                return frame.skip
        elif frame.pending:
            if frame.name in _INLINE:
                parent.pending.extend(frame.pending)
            elif not (frame.name in _PROSE and _is_sentence(frame, shown)):
                findings.extend(Finding("counter", "a displayed count", p) for p in frame.pending)
                parent.reported = True
                return frame.skip
        if frame.size > _SHORT * 2:
            parent.size = _SHORT * 3  # the parent's text is long too: prose
        elif text:
            parent.add(" " + text + " ")
        return frame.skip

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
                if is_counter_text(value):
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
        if name == "link" and "href" in attrs:
            rels = set(attrs.get("rel", "").lower().split())
            if rels & _LOADING_RELS:
                self.check_url(attrs["href"], f"<link rel={attrs.get('rel', '')}>", findings)
        if name == "link" and "imagesrcset" in attrs:  # Rule added
            self.check_srcset(attrs["imagesrcset"], "<link imagesrcset>", findings)
        elif name == "meta" and attrs.get("http-equiv", "").strip().lower() == "refresh":
            target = _refresh_url(attrs.get("content", ""))  # Rule added: spaced and quoted alike
            if target:
                self.check_url(target, "a <meta http-equiv=refresh>", findings)
        elif name == "iframe" and "srcdoc" in attrs:  # Rule added: the page in srcdoc is a page
            page = attrs["srcdoc"]
            depth = getattr(self, "srcdoc_depth", 0)
            if depth >= 8:
                findings.append(Finding("tracker", "<iframe srcdoc> nested more than 8 deep, "
                                        "which the guard does not read", page[:80]))
            else:
                self.srcdoc_depth = depth + 1
                try:
                    inside = self.scan_html(page)
                finally:
                    self.srcdoc_depth = depth
                findings.extend(Finding(f.kind, f"{f.what} inside an <iframe srcdoc>", f.evidence, f.origin)
                                for f in inside)


class _Frame:
    """An open element while scanning: its name and the start of its visible text."""

    __slots__ = ("name", "pieces", "size", "reported", "skip", "count_class", "pending")

    def __init__(self, name: str, skip: bool = False, count_class: bool = False) -> None:
        self.name = name
        self.pieces: list[str] = []
        self.size = 0
        self.reported = False  # this element or a descendant was reported as a counter
        self.skip = int(skip)
        self.count_class = count_class
        self.pending: list[str] = []  # count-shaped texts of inline children, judged here

    def add(self, text: str) -> None:
        """Keep text only while it is short enough to be a counter display."""
        if text.isspace():
            text = " "
        if self.size <= _SHORT * 2:
            self.pieces.append(text)
        self.size += len(text)


_INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "data", "dfn", "em", "i", "mark", "q", "s", "small",
           "span", "strong", "sub", "sup", "time", "u", "var"}
_PROSE = {"p", "li", "blockquote", "dd", "dt", "figcaption", "td", "th", "h1", "h2", "h3", "h4", "h5",
          "h6", "caption", "summary", "label"}


def _is_sentence(frame: _Frame, text: str) -> bool:
    """True when a prose element says more than its count-shaped parts: a sentence."""
    if frame.size > _SHORT * 2:
        return True
    words = len(text.split())
    counted = sum(len(p.split()) for p in frame.pending)
    return words - counted >= 3


_CLOSERS = {name: re.compile(rf"</{name}\s*>", re.I) for name in _RAW_TEXT}
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
        message = f"{finding.what} on {page}: {finding.evidence!r}; sitegen publishes no counts of followers, likes, views or members"
        hint = ("remove it; counts cannot be allowed. A sentence telling a story with numbers "
                "(\"I had 12,000 followers and it paid nothing\") is fine")
    elif finding.kind == "tracker":
        message = f"tracking: {finding.what} on {page}: {finding.evidence!r}"
        hint = "remove it; sitegen sites run no analytics or advertising code, and this cannot be allowed"
    else:
        message = f"third-party request: {finding.what} on {page}: {finding.evidence!r}"
        hint = (f"copy the file into static/ and link it from there, or, if you accept that every reader's "
                f"browser contacts {finding.origin}, allow it in sitegen.yaml: "
                f"privacy: {{allow_origins: [\"{finding.origin}\"]}}")
    return Problem(message, path=path or page, line=line, hint=hint)


class SiteGuard:
    """The guard over one build: scans each output file, then reports every finding
    once, located in the content file or template it most likely came from."""

    def __init__(self, config: "Config", theme: "Theme") -> None:
        allow = config.privacy.get("allow_origins") or ()
        self.guard = Guard(config.urls.origin, allow)
        self.root = config.root
        self.templates: list[tuple[str, Path]] = []
        for folder in theme.template_dirs:
            for path in sorted(folder.rglob("*.html")):
                self.templates.append((_shown_path(path, config.root), path))
        self._found: dict[tuple[str, str, str | None, int | None], list[str]] = {}
        self._order: list[tuple[Finding, str | None, int | None]] = []
        self.template_problems = self._scan_templates()

    def _scan_templates(self) -> list[Problem]:
        problems = []
        for rel, path in self.templates:
            for line, snippet in scan_template(path.read_text(encoding="utf-8", errors="replace")):
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


# -- safety.protect_external_links (verbatim) -------------------------------------
import html

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
        url = html.unescape(next(g for g in href.groups() if g is not None)).strip()
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

    return _A_TAG.sub(protect, page)
