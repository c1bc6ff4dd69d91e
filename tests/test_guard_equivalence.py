"""The fast privacy guard and link protection give exactly what they gave before.

``tests/guard_reference.py`` is a verbatim copy of ``Guard.scan_html`` (with its
helpers) and of ``protect_external_links`` as they were before they were made
faster, plus, written the plain way, each rule the guard gained since. Every test here runs both on the same HTML and wants the same answer: the
same findings in the same order (or the same exception), the same protected page.

The HTML comes from a grammar of what the guard looks at (hypothesis), from pages
built from the broken-site fixtures and the example site, and, when they are on the
machine, from every page of the reference builds in /tmp/ref.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import guard_reference as reference
import sitegen.guard
import sitegen.safety
from conftest import EXAMPLE_SITE, SITES
from sitegen.build import BuildOptions, build
from sitegen.errors import SitegenError
from sitegen.guard import Guard
from sitegen.safety import protect_external_links

SETTINGS = settings(max_examples=int(os.environ.get("SITEGEN_GUARD_EXAMPLES", "400")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ORIGIN = "https://example.org"
ALLOWED = ("https://fonts.example.net", "https://media.example.net")
BASE_URLS = ("https://example.org/hub/", "https://example.org/", "//example.org/")
# One guard for the whole module, as a build has: its memory of tags is shared by
# every example, so a remembered answer is checked against a fresh one too.
SHARED = Guard(ORIGIN, ALLOWED)


def _values(findings: list) -> list[tuple]:
    """Findings as plain values (the reference has its own Finding class)."""
    return [(f.kind, f.what, f.evidence, f.origin) for f in findings]


def _outcome(scan, html: str) -> object:
    try:
        found = scan(html)
        return _values(found) if isinstance(found, list) else found
    except Exception as exc:  # a URL urlsplit refuses: the same error, from both
        return ("raised", type(exc).__name__, str(exc))


def assert_same_scan(html: str) -> None:
    """The old and new guard find the same things in ``html``, in the same order."""
    expected = _outcome(reference.Guard(ORIGIN, ALLOWED).scan_html, html)
    if isinstance(expected, tuple) and expected[1] == "ValueError":
        # The old guard stopped at a malformed URL; the new one reports it as a finding.
        for scan in (Guard(ORIGIN, ALLOWED).scan_html, SHARED.scan_html):
            found = _outcome(scan, html)
            assert isinstance(found, list) and any(f[0] == "malformed" for f in found), html
        return
    assert _outcome(Guard(ORIGIN, ALLOWED).scan_html, html) == expected, html
    assert _outcome(SHARED.scan_html, html) == expected, html


def assert_same_protection(html: str) -> None:
    """The old and new protect_external_links give the same page."""
    for base_url in BASE_URLS:
        expected = _outcome(lambda page: reference.protect_external_links(page, base_url), html)
        assert _outcome(lambda page: protect_external_links(page, base_url), html) == expected, (base_url, html)


# -- A grammar of what the guard cares about ------------------------------------------
NUMBERS = ["12", "12,345", "8.200", "1.2M", "12k", "3 mil", "1 200", "12\u00a0345", "2025", "7", "0",
           "١٢", "&#49;2", "&#x31;", "&amp;#49;", "1&nbsp;200", "45+", "2.5 millones"]
WORDS = ["followers", "Followers:", "likes", "views", "members", "readers", "subscribers", "shares",
         "seguidores", "me gusta", "vistas", "lectores", "miembros", "visitas", "reproducciones",
         "people have read this", "times read", "veces compartido", "on Instagram", "en YouTube",
         "total", "more than", "ya somos", "felices", "so far"]
PLAIN = ["Hello", "I had", "and it paid nothing", "Page 1 of 67", "17 September 2025", "7 min read",
         "Story", "·", "|", "(", ")", "—", "a < b", "<3", "x > y", "Tom &amp; Jerry", "&lt;p&gt;", "&amp;amp;",
         "&", "&#", "ñandú", "Ünïcödé", "🙂", "K", "İ", "ſ", "\u00a0", "\u202f"]
ICONS = ["👁", "❤️", "♥", "👍", "⭐", "🔁", "💬", "🎧"]
SPACE = [" ", "  ", "\n", "\n  ", "\t", ""]
LONG = ["Cooperative letter patience book mistake neighbour oven wrote member plan winter listener letter "
        "price quiet summer clear quiet reader learned listened and more words to be long"]

URLS = ["/hub/a.png", "a.png", "#top", "data:image/png;base64,AAAA", "https://example.org/x.js",
        "https://EXAMPLE.org:443/x", "//example.org/y", "https://fonts.example.net/f.css",
        "https://other.example.com/i.png", "http://other.example.com:8080/v.mp4", "//cdn.example.com/a.js",
        "https://www.googletagmanager.com/gtag/js?id=G-1", "https://www.google-analytics.com/analytics.js",
        "https://hits.seeyoufarm.com/api/count", "/js/matomo.js", "/plausible.outbound-links.js",
        "https://img.shields.io/github/followers/x", "https://platform.twitter.com/widgets.js",
        "https://facebook.com/tr?id=1", "mailto:a@example.org?subject=a&amp;body=b", "javascript:alert(1)",
        "ftp://files.example.com/a", "https://a.example.com/x.png 1x, /b.png 2x", " https://sp.example.com ",
        "&#104;ttps://entity.example.com/", "https://example.org&#47;&#47;x", "http://[::1", "https://x:99999/"]
CLASSES = ["card", "follower-count", "followers", "like-count", "count", "view_count", "twitter-follow-button",
           "fb-like", "a2a_counter", "github-button", "stats members", "hit-counter", "sharethis-inline",
           "counter-12", "p-name u-url", "kicker", "FOLLOWER-COUNT"]
CSS = ["color: red", "background: url(https://other.example.com/bg.png)", "background:url('/hub/a.png')",
       "@import 'https://fonts.example.net/f.css'", "background: url(\"https://hits.seeyoufarm.com/c.svg\")",
       # read as a browser reads them: escapes, any case, image-set() strings
       "background: u\\72l(https://other.example.com/e.png)", "background:\\75\\72\\6c (//cdn.example.com/e.png)",
       "background: URL(https://other.example.com/u.png)", "background: image-set('https://other.example.com/s.png' 1x)",
       "background: -webkit-image-set(\"/hub/a.png\" 1x, url(https://other.example.com/w.png) 2x)",
       "content: '\\201C'", "@IMPORT 'https://fonts.example.net/g.css'", "@\u0130mport 'https://other.example.com/i.css'",
       "background: image-\u017fet('https://other.example.com/l.png')", "background: u\\rl(x)", "a\\"]
SRCDOCS = ["<p>12 followers</p>", "<img src=\"https://other.example.com/i.png\">", "<script>gtag('config')</script>",
           "<iframe srcdoc='&lt;img src=https://cdn.example.com/n.png&gt;'></iframe>", "plain", ""]

INLINE = ["a", "span", "strong", "b", "em", "small", "time", "data", "abbr", "mark", "q", "sub", "sup"]
PROSE = ["p", "li", "td", "th", "h2", "h3", "blockquote", "figcaption", "label", "summary", "dd"]
BLOCK = ["div", "section", "article", "header", "footer", "nav", "ul", "ol", "table", "tr", "aside", "main",
         "x-count", "my:tag", "body", "html"]
SKIP = ["pre", "code", "kbd", "samp", "head", "template", "svg", "math"]
RAW = ["script", "style", "title", "textarea"]
VOID = ["br", "img", "meta", "link", "hr", "input", "source", "embed", "track", "area", "wbr", "iframe",
        "video", "audio", "object", "image", "frame", "use", "feImage", "base"]
NAMES = INLINE + PROSE + BLOCK + SKIP + RAW + VOID


def _case(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name, name, name.upper(), name.capitalize()])


texts = st.one_of(
    st.sampled_from(NUMBERS), st.sampled_from(WORDS), st.sampled_from(PLAIN), st.sampled_from(ICONS),
    st.sampled_from(SPACE), st.sampled_from(LONG),
    st.lists(st.sampled_from(NUMBERS + WORDS + PLAIN + ICONS + SPACE), min_size=1, max_size=5).map(" ".join),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
)


def _quote(value: str) -> st.SearchStrategy[str]:
    options = [f'"{value.replace(chr(34), "&quot;")}"', f"'{value.replace(chr(39), '&#39;')}'"]
    if value and not any(c in value for c in " \t\n\"'>"):
        options.append(value)
    return st.sampled_from(options)


attribute = st.one_of(
    st.tuples(st.sampled_from(["class", "CLASS", "Class"]), st.sampled_from(CLASSES)),
    st.tuples(st.sampled_from(["style", "STYLE"]), st.sampled_from(CSS)),
    st.tuples(st.sampled_from(["data-count", "data-followers", "data-show-count", "data-x", "data-likes-count",
                               "DATA-COUNT", "data-views"]), st.sampled_from(["12", "false", "0", "no", "1.2k", "x"])),
    st.tuples(st.sampled_from(["aria-label", "title", "alt", "aria-description", "TITLE"]), texts),
    st.tuples(st.sampled_from(["ping", "src", "srcset", "href", "poster", "data", "SRC", "Href", "xlink:href",
                               "background", "imagesrcset", "XLINK:HREF"]), st.sampled_from(URLS)),
    st.tuples(st.sampled_from(["srcdoc", "SRCDOC"]), st.sampled_from(SRCDOCS)),
    st.tuples(st.sampled_from(["rel"]), st.sampled_from(["stylesheet", "icon", "preload", "canonical",
                                                         "noopener", "Stylesheet alternate", "noopener noreferrer"])),
    st.tuples(st.sampled_from(["http-equiv"]), st.sampled_from(["refresh", "Refresh", "content-type"])),
    st.tuples(st.sampled_from(["content"]), st.sampled_from(["0; url=https://other.example.com/", "5;URL='/x'",
                                                             "text/html", "0;url=https://hits.seeyoufarm.com/",
                                                             "0; url = https://other.example.com/", "1.5, Url = \"//cdn.example.com/\"",
                                                             "0;https://other.example.com/r", "7", "0; url"])),
    st.tuples(st.sampled_from(["id", "lang", "type", "value", "datetime", "name", "target", "onclick", "x"]),
              texts),
    st.tuples(st.sampled_from(["hidden", "async", "defer", "/"]), st.just(None)),
)


@st.composite
def attributes(draw: st.DrawFn) -> str:
    """A start tag's attribute text, quoted every way, sometimes self-closing."""
    parts = []
    for name, value in draw(st.lists(attribute, max_size=4)):
        space = draw(st.sampled_from([" ", " ", "\n  ", "  "]))
        if value is None:
            parts.append(f"{space}{name}")
        else:
            equals = draw(st.sampled_from(["=", "=", " = "]))
            parts.append(f"{space}{name}{equals}{draw(_quote(value))}")
    return "".join(parts) + draw(st.sampled_from(["", "", "", " /", "/", " "]))


@st.composite
def start_tag(draw: st.DrawFn, name: str) -> str:
    return f"<{draw(_case(name))}{draw(attributes())}>"


@st.composite
def end_tag(draw: st.DrawFn, name: str) -> str:
    return f"</{draw(_case(name))}{draw(st.sampled_from(['', '', ' ', '  x=1']))}>"


RAW_CONTENT = ["gtag('config', 'G-1');", "window.dataLayer = window.dataLayer || [];", "_paq.push(['trackPageView']);",
               "var x = 1 < 2;", "<p>12,345 followers</p>", "</scr", "</script ", "a { background: url(https://x.example.com/a.png) }",
               "@import url('https://fonts.example.net/a.css');", "12 followers", "</style><p>7 likes</p>",
               "<!-- </script> -->", "</textarea", "</TITLE >"]
SPECIALS = ["<!-- 12 followers -->", "<!doctype html>", "<![CDATA[ 12 likes ]]>", "<?xml version='1.0'?>",
            "<!-- unclosed", "<", "</", "<a", "<p class=\"x", "<1>", "< p>", "&#49;", "&amp;#50;", "&#x1F441;",
            "&", ">", "<br>", "<br/>", "</br>", "</p>", "</div>", "</span>", "</a>", "</li>", "</code>"]


def elements(depth: int) -> st.SearchStrategy[str]:
    """An element (maybe left open, maybe closed with another name's end tag) holding
    text and, below ``depth`` 0, other elements."""
    inner = texts if depth <= 0 else st.one_of(texts, texts, elements(depth - 1), st.sampled_from(SPECIALS))

    @st.composite
    def element(draw: st.DrawFn) -> str:
        name = draw(st.sampled_from(NAMES))
        opening = draw(start_tag(name))
        if name in RAW:
            content = "".join(draw(st.lists(st.sampled_from(RAW_CONTENT + SPACE + NUMBERS + WORDS), max_size=4)))
            closing = draw(st.one_of(end_tag(name), st.sampled_from(["", f"</{name}>"])))
            return opening + content + closing
        children = "".join(draw(st.lists(inner, max_size=4)))
        closing = draw(st.one_of(end_tag(name), end_tag(name), end_tag(name),
                                 st.sampled_from(NAMES).flatmap(end_tag), st.just("")))
        return opening + children + closing

    return element()


pages = st.lists(st.one_of(elements(3), texts, st.sampled_from(SPECIALS)), max_size=8).map("".join)
# Tokens in any order: unbalanced, interleaved, stray and unclosed tags.
soups = st.lists(st.one_of(
    st.sampled_from(NAMES).flatmap(start_tag), st.sampled_from(NAMES).flatmap(end_tag), texts,
    st.sampled_from(SPECIALS + RAW_CONTENT)), max_size=30).map("".join)


@SETTINGS
@given(pages)
def test_scan_is_unchanged_on_generated_pages(html: str) -> None:
    assert_same_scan(html)
    assert_same_protection(html)


@SETTINGS
@given(soups)
def test_scan_is_unchanged_on_tag_soup(html: str) -> None:
    assert_same_scan(html)
    assert_same_protection(html)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' \n\tabpstyleicr1&#;!-?x")), max_size=60))
def test_scan_is_unchanged_on_character_soup(html: str) -> None:
    assert_same_scan(html)
    assert_same_protection(html)


@pytest.mark.parametrize("html", [
    "",
    "<p>12,345 followers</p>",
    "<p>I had <a href='/x/'>12,000 followers</a> and it paid nothing.</p>",
    "<div class=\"card\"><h3>Ana</h3><a href=\"/x/\">12,000 followers</a></div>",
    "<div class=\"stats\"><p><b>1.2M</b> views</p></div>",
    "<span class=\"follower-count\">1,204</span>",
    "<span class=\"follower-count\"><b>1,204</b></span>",
    "<p>&amp;#49;2 followers</p>",  # decoded twice on its way up, as before
    "<p><span>&amp;#49;2</span> followers</p>",
    "<p>12 <code>x<br></code>followers</p>",
    "<pre><p>12 followers</p></pre><p>8 likes</p>",
    "<p>12 followers<p>8 likes",
    "<div><span>12 followers</span><p><b>5 likes</b> is what it had</p></div>",
    "<script>gtag('config')</script><SCRIPT src=/a.js>gtag(1)</SCRIPT >",
    "<title>12 followers</title><textarea><p>7 likes</p></textarea>",
    "<script>a</style>12 followers</script>",
    "<br>12<br/>followers</br>",
    "<img src=\"https://other.example.com/a.png\">12 followers</img>",
    "<p/>12 followers</p>",
    "<SPAN>12 likes</span>",
    "<span>12 likes</SPAN >",
    "<spanx>12 likes</span>",
    "<a href=\"https://other.example.org\">out</a><a href='//x.example.com' rel=\"nofollow\">x</a>",
    "<a\thref=\"&#104;ttps://x.example.com/\">x</a><A HREF=https://y.example.com/>y</A>",
    "<p>" + "word " * 30 + "<span>12 followers</span></p>",
    "<li>" + "x" * 130 + "</li><li>12 followers</li>",
    "<p>12 followers" + " " * 200 + "</p>",
    "<p>\u0661\u0662 followers</p>",
    "<div>👁 1,204</div><div>1,204 ❤️</div>",
    "<meta http-equiv=refresh content=\"0; url=https://other.example.com/\">",
    "<link rel=\"stylesheet icon\" href=\"https://other.example.com/a.css\">",
    "<style>a{background:url(https://other.example.com/a.png)}</style>",
    "<img src=\"http://[::1\">",
    "<svg><image xlink:href=\"https://other.example.com/a.png\"/><use href='//cdn.example.com/s.svg#i'/></svg>",
    "<p style=\"background: u\\72l(https://other.example.com/a.png)\">12 likes</p>",
    "<table background=\"https://other.example.com/t.png\"><tr><td background=/x.png>12 followers</td></tr></table>",
    "<link rel=preload as=image imagesrcset=\"/a.png 1x, https://other.example.com/b.png 2x\">",
    "<iframe srcdoc=\"&lt;span&gt;12 followers&lt;/span&gt;&lt;img src=https://other.example.com/i.png&gt;\"></iframe>",
    "<meta http-equiv=\" Refresh \" content=\"0 ; URL = 'https://other.example.com/'\">",
    "<a href=\"/x\" ping=\"https://t.example.com\" data-count=\"12\" aria-label=\"12 followers\">x</a>",
    # too long to be remembered: judged each time
    "<img alt=\"12 followers\" src=\"data:image/png;base64," + "A" * 3000 + "\"><span>12 " + "1" * 2500 + "</span>",
    "<p><span class=\"count\" title=\"" + "x" * 2500 + "\">1,204</span></p>" * 2,
])
def test_scan_is_unchanged_on_chosen_cases(html: str) -> None:
    assert_same_scan(html)
    assert_same_protection(html)


def test_the_unicode_facts_the_fast_paths_rely_on() -> None:
    """The tokenizer spells the raw-text names and protect_external_links spells "<a"
    with ASCII letters in both cases; that is the same as lowering (or IGNORECASE)
    only because no other character lowers to an ASCII letter of those words."""
    others = [chr(c) for c in range(0x80, 0x110000)]
    assert {c for c in others if any("a" <= x <= "z" for x in c.lower())} <= {"\u0130", "\u212a"}
    assert "\u0130".lower() != "i" and "\u212a".lower() == "k"  # İ lowers to two characters
    assert not [c for c in others if re.fullmatch("(?i:a)", c)]
    # a digit of \d in an ASCII text is one of 0-9
    assert [c for c in map(chr, range(0x80)) if re.fullmatch(r"\d", c)] == list("0123456789")


# -- Real pages ---------------------------------------------------------------------
def _recorded_build(site: Path, output: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Build ``site`` in this process and return every page the guard and the link
    protection were given (the pages of a failing build too, up to its failure)."""
    seen: list[str] = []
    scan, protect = sitegen.guard.Guard.scan_html, sitegen.safety.protect_external_links

    def recording_scan(self: Guard, html: str) -> list:
        seen.append(html)
        return scan(self, html)

    def recording_protect(page: str, base_url: str) -> str:
        seen.append(page)
        return protect(page, base_url)

    with monkeypatch.context() as patch:
        patch.setattr(sitegen.guard.Guard, "scan_html", recording_scan)
        patch.setattr(sitegen.safety, "protect_external_links", recording_protect)
        try:
            build(site, BuildOptions(output=output, jobs=1, clean=True))
        except SitegenError:
            pass
    return seen


def test_pages_of_the_fixture_sites_scan_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pages: list[str] = []
    for number, case in enumerate(sorted(p for p in (SITES / "broken").iterdir() if p.is_dir())):
        root = tmp_path / f"site{number}"
        shutil.copytree(case, root, symlinks=True)
        pages += _recorded_build(root, tmp_path / f"out{number}", monkeypatch)
    root = tmp_path / "minimal"
    shutil.copytree(SITES / "minimal", root)
    pages += _recorded_build(root, tmp_path / "out-minimal", monkeypatch)
    root = tmp_path / "example"
    shutil.copytree(EXAMPLE_SITE, root, ignore=shutil.ignore_patterns("_site", ".sitegen-cache"))
    pages += _recorded_build(root, tmp_path / "out-example", monkeypatch)
    assert len(pages) > 50
    for html in pages:
        assert_same_scan(html)
        assert_same_protection(html)


REFERENCE_BUILDS = [Path("/tmp/ref/corpus-1000"), Path("/tmp/ref/example")]


@pytest.mark.skipif(not any(p.is_dir() for p in REFERENCE_BUILDS),
                    reason="the reference builds of the benchmark corpus are not on this machine")
def test_every_page_of_the_reference_builds_scans_the_same() -> None:
    checked = 0
    for folder in REFERENCE_BUILDS:
        for path in sorted(folder.rglob("*.html")):
            html = path.read_text(encoding="utf-8", errors="replace")
            assert _values(SHARED.scan_html(html)) == _values(reference.Guard(ORIGIN, ALLOWED).scan_html(html)), path
            for base_url in BASE_URLS[:2]:
                assert protect_external_links(html, base_url) == reference.protect_external_links(html, base_url), path
            checked += 1
    assert checked > 0
