"""Raw HTML in Markdown is read as a browser reads it and held to an allow-list: what
the list would remove fails the build with ``file:line``, the element and attribute,
and a hint; it reaches neither the pages nor the feeds. Allowed HTML is published as
written, in pages and feeds alike."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import soup, tree_digest
from sitegen.safety import ALLOWED_ELEMENTS, GLOBAL_ATTRIBUTES, raw_html_problems
from site_checks import ATOM

STORY = "---\ntitle: Bread\ndate: 2026-10-02\n---\nIntro.\n\n{body}\n"
FIRST_BODY_LINE = 5  # "Intro." is line 5 of the file
PAYLOAD_LINE = FIRST_BODY_LINE + 2

# (payload, what the message names, why) for each payload of the issue and its kin.
PAYLOADS = [
    ('<img title=">" src="x" onerror="alert(3)">', "<img onerror=...>", "event handler attributes run scripts"),
    ("<a title='>' onmouseover=alert(4)>bread</a>", "<a onmouseover=...>", "event handler attributes run scripts"),
    ('<svg><animate attributeName="href" values="javascript:alert(5)"/></svg>', "<svg>",
     "inline SVG and MathML can carry scripts"),
    ('<iframe srcdoc="&lt;script&gt;alert(6)&lt;/script&gt;"></iframe>', "<iframe>",
     "embedded frames and objects load and run another document"),
    ('<a href="&#106;ava&#x09;script:alert(7)">bread</a>', "<a href=javascript:alert(7)>", "javascript: URLs run scripts"),
]
# Written in a paragraph, these are not HTML to Markdown (it shows them as text): as blocks they are.
BLOCK_PAYLOADS = [
    ('<div title==" onclick=alert(8) ">bread</div>', '<div title=="', "browsers may read this tag differently"),
    ('<!--><img src=x onerror=alert(9)>-->', "<!--><img src=x", "browsers end this comment earlier"),
]


def _story(body: str) -> str:
    return STORY.format(body=body)


def _feed_bodies(output: Path) -> list[BeautifulSoup]:
    """The HTML of every entry of the site's Atom and JSON feeds, parsed."""
    atom = ET.parse(output / "feed.xml").getroot()
    bodies = [entry.find(f"{ATOM}content").text or "" for entry in atom.findall(f"{ATOM}entry")]
    bodies += [item["content_html"] for item in json.loads((output / "feed.json").read_text(encoding="utf-8"))["items"]]
    return [BeautifulSoup(body, "html5lib") for body in bodies]


def _inert(doc: BeautifulSoup) -> None:
    """No element of ``doc`` runs or embeds anything from content."""
    assert not doc.find(["script", "svg", "iframe", "animate", "object", "embed"]), doc
    for tag in doc.find_all(True):
        assert not [a for a in tag.attrs if a.lower().startswith("on")], tag
        for value in (tag.get("href"), tag.get("src")):
            assert not re.match(r"\s*java", str(value or ""), re.I), tag


@pytest.fixture
def built_site(make_site, cli) -> tuple[Path, dict[str, str]]:
    """A site built once with a harmless story: its output is what a failed build must keep."""
    root = make_site({"content/stories/bread.md": _story("Plain words.")})
    result = cli("build", root)
    assert result.exit_code == 0, result.output
    return root, tree_digest(root / "_site")


@pytest.mark.parametrize("payload, shown, why, where", [
    *[(*case, "block") for case in PAYLOADS + BLOCK_PAYLOADS], *[(*case, "inline") for case in PAYLOADS]])
def test_each_payload_fails_the_build_with_file_line_and_element(
        built_site, cli, payload: str, shown: str, why: str, where: str) -> None:
    root, before = built_site
    body = payload if where == "block" else f"Some words {payload} and more."
    (root / "content/stories/bread.md").write_text(_story(body), encoding="utf-8")
    result = cli("build", root)
    assert result.exit_code == 1, result.output
    expected = f"content/stories/bread.md:{PAYLOAD_LINE}: raw HTML {shown}"
    messages = [line for line in result.output.splitlines() if line.startswith(expected)]
    assert messages and why in messages[0], result.output
    assert "hint:" in result.output and "Traceback" not in result.output
    # Nothing of it was published: the pages and both feeds are those of the last good build.
    output = root / "_site"
    assert tree_digest(output) == before
    for doc in [soup(output / "stories" / "bread" / "index.html"), *_feed_bodies(output)]:
        _inert(doc)


@pytest.mark.parametrize("payload, shown, why", PAYLOADS + BLOCK_PAYLOADS)
def test_each_payload_fails_a_first_build_too_and_writes_no_feed(make_site, cli, payload: str, shown: str,
                                                                  why: str) -> None:
    root = make_site({"content/stories/bread.md": _story(payload)})
    result = cli("build", root)
    assert result.exit_code == 1 and f"raw HTML {shown}" in result.output, result.output
    assert not (root / "_site" / "feed.xml").exists() and not (root / "_site" / "feed.json").exists()


def test_the_line_is_the_line_of_the_offending_tag_inside_a_block(make_site, cli) -> None:
    body = '<figure>\n<img src="/a.png" alt="A loaf">\n<figcaption onclick="steal()">A loaf</figcaption>\n</figure>'
    root = make_site({"content/stories/bread.md": _story(body)})
    result = cli("build", root)
    assert result.exit_code == 1
    assert (f"content/stories/bread.md:{PAYLOAD_LINE + 2}: raw HTML <figcaption onclick=...> is not allowed"
            in result.output), result.output


def test_every_refusal_of_a_page_is_reported(make_site, cli) -> None:
    body = '<p style="color: red" ping="https://t.example/">x</p>\n\nWords <span onclick="x()">y</span>.'
    root = make_site({"content/stories/bread.md": _story(body)})
    result = cli("build", root)
    assert result.exit_code == 1
    assert f"bread.md:{PAYLOAD_LINE}: raw HTML <p ping=...> is not allowed: ping is not an attribute" in result.output
    assert f"bread.md:{PAYLOAD_LINE + 2}: raw HTML <span onclick=...> is not allowed" in result.output


ALLOWED = """\
<details open>
<summary>How the <abbr title="cooperative">co-op</abbr> splits the bread</summary>

Each member takes a loaf; press <kbd>Ctrl</kbd> + <kbd>P</kbd> to print the rota.

</details>

<figure>
<img src="data:image/png;base64,iVBORw0KGgo=" alt="A loaf" width="2" height="1">
<figcaption>A loaf, <time datetime="2026-10-02">October</time>. <mark>Warm</mark> H<sub>2</sub>O, x<sup>2</sup></figcaption>
</figure>

<!-- a note to ourselves, never shown -->

<div class="aside" lang="es" data-kind="note" aria-label="nota">1 < 2, and <a href="https://other.example/" rel="external">a link</a>
or <a href="mailto:ana@example.org">mail</a>.</div>

<table>
<tr><th scope="col">Loaves</th></tr>
<tr><td>12</td></tr>
</table>
"""


def test_allowed_raw_html_is_published_as_written_in_pages_and_feeds(make_site, cli) -> None:
    root = make_site({"content/stories/bread.md": _story(ALLOWED)})
    result = cli("build", root)
    assert result.exit_code == 0, result.output
    output = root / "_site"
    for doc in [soup(output / "stories" / "bread" / "index.html"), *_feed_bodies(output)]:
        details = doc.find("details")
        assert details is not None and details.has_attr("open"), doc
        assert details.find("summary").find("abbr")["title"] == "cooperative"
        assert [k.get_text() for k in details.find_all("kbd")] == ["Ctrl", "P"]
        assert doc.find("figure").find("img")["alt"] == "A loaf"
        assert doc.find("figure").find("time")["datetime"] == "2026-10-02"
        aside = doc.find("div", class_="aside")
        assert aside["data-kind"] == "note" and aside["aria-label"] == "nota" and "1 < 2" in aside.get_text()
        assert doc.find("th")["scope"] == "col"
        assert doc.find("a", href="mailto:ana@example.org")
        _inert(doc)


@pytest.mark.parametrize("fragment", [
    "<details>", "</details>", "<summary>More</summary>", "<br>", "<br/>", "<hr />", "<!-- note -->", "<!-->",
    '<a href="/about/">x</a>', '<a href="#top">x</a>', '<a href="tel:+341234">x</a>', '<img src="x.png" alt="">',
    '<img srcset="a.png 1x, https://example.org/b.png 2x" src="a.png" alt="">', "<p>1 < 2</p>", "<p>a &lt;b&gt;</p>",
    '<video controls src="/v.mp4" poster="/v.jpg"></video>', '<ol start="3" reversed><li value="4">x</li></ol>',
    '<blockquote cite="https://example.org/">q</blockquote>', "<span style=\"color: #c00\">red</span>",
])
def test_what_writers_use_passes(fragment: str) -> None:
    assert raw_html_problems(fragment) == []


@pytest.mark.parametrize("fragment, why", [
    ("<img/src=x/onerror=alert(1)>", "browsers may read this tag differently"),  # one attribute to Python, not to every reader
    ('<a title="x"onmouseover="y">', "browsers may read this tag differently"),
    ("<IMG SRC=x ONERROR=y>", "event handler"),
    ("<details ontoggle=alert(1) open>", "event handler"),
    ('<a href=" JaVaScRiPt:x">', "javascript: URLs run scripts"),
    ('<a href="vbscript:x">', "vbscript: URLs run scripts"),
    ('<img src="data:image/svg+xml,<svg onload=alert(1)>">', "data: URLs"),
    ('<a href="data:image/png;base64,AA">', "data: URLs"),  # an image is allowed as a picture, not as a link
    ('<img srcset="a.png 1x, javascript:x 2x">', "javascript: URLs"),
    ('<a href="file:///etc/passwd">', "file: is not a scheme"),
    ('<a xlink:href="javascript:x">', "xlink:href is not an attribute"),
    ('<form action="https://evil.example/"><input name="card"></form>', "forms send"),
    ('<object data="x.swf"></object>', "embedded frames"),
    ('<math><mtext><a href="javascript:x">', "inline SVG and MathML"),
    ("<style>body{display:none}</style>", "changes the whole page"),
    ('<meta http-equiv="refresh" content="0; url=https://evil.example/">', "changes the whole page"),
    ("<base href=\"https://evil.example/\">", "changes the whole page"),
    ("<script>alert(1)</script>", "scripts run"),
    ("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", "scripts run"),
    ('<div title="', "not a complete tag"),
    ("<![CDATA[ > <img src=x onerror=alert(1)> ]]>", "CDATA"),
    ("<?php echo 1 ?>", "processing instructions"),
    ("<!DOCTYPE html>", "declaration"),
    ("<marquee>x</marquee>", "is not among the elements"),
])
def test_what_the_allow_list_removes_is_named(fragment: str, why: str) -> None:
    problems = raw_html_problems(fragment)
    assert problems and why in problems[0].message, problems
    assert all(p.hint for p in problems)


def test_the_allow_list_holds_nothing_that_runs_or_loads_a_document() -> None:
    for element in ("script", "iframe", "object", "embed", "svg", "math", "form", "style", "link", "meta", "base"):
        assert element not in ALLOWED_ELEMENTS
    attributes = GLOBAL_ATTRIBUTES.union(*ALLOWED_ELEMENTS.values())
    assert not [a for a in attributes if a.startswith("on") or a in ("srcdoc", "formaction", "action", "ping")]
