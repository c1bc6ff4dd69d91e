"""The privacy guard: counters, trackers and third-party loads are refused; prose passes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import INTERVIEW, tree_digest

from sitegen.guard import Guard, finding_problem, is_counter_text, scan_template

FIXTURES = Path(__file__).parent / "fixtures" / "guard"
SEEDS = Path("/work/shared/seeds")
GUARD = Guard("https://example.org")


def _lines(name: str) -> list[str]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _as_html(line: str) -> str:
    return line if line.startswith("<") else f"<p>{line}</p>"


@pytest.mark.parametrize("snippet", _lines("innocent.txt"))
def test_innocent_prose_passes(snippet: str) -> None:
    findings = GUARD.scan_html(_as_html(snippet))
    assert findings == [], findings


@pytest.mark.parametrize("line", _lines("offending.txt"))
def test_offending_snippets_are_caught_with_their_kind(line: str) -> None:
    kind, _, snippet = line.partition(" | ")
    findings = GUARD.scan_html(snippet)
    assert [f for f in findings if f.kind == kind], (kind, findings)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the product's seed essays are not on this machine")
def test_the_seed_essays_pass_paragraph_by_paragraph() -> None:
    for seed in sorted(SEEDS.glob("*.txt")):
        paragraphs = [p for p in seed.read_text(encoding="utf-8").split("\n") if p.strip()]
        html = "".join(f"<p>{p}</p>" for p in paragraphs)
        assert GUARD.scan_html(html) == [], seed.name


def test_counter_shapes_in_both_languages() -> None:
    assert is_counter_text("12,345 followers")
    assert is_counter_text("8.200 seguidores")
    assert is_counter_text("Followers: 12k")
    assert is_counter_text("1.2M views")
    assert not is_counter_text("I had 50,000 followers and it paid nothing")
    assert not is_counter_text("crecimos de 40 a 400 lectores en un año")
    assert not is_counter_text("1,000 true fans")


def test_a_count_inside_a_sentence_is_prose_but_alone_it_is_a_display() -> None:
    assert GUARD.scan_html('<p>I had <a href="/x/">12,000 followers</a> and it paid nothing.</p>') == []
    found = GUARD.scan_html('<div class="card"><h3>Ana</h3><a href="/x/">12,000 followers</a></div>')
    assert [f.evidence for f in found] == ["12,000 followers"]


def test_one_report_per_display() -> None:
    found = GUARD.scan_html('<div class="stats"><p><b>1.2M</b> views</p></div>')
    assert [f.evidence for f in found] == ["1.2M views"]


def test_allowed_origin_passes_but_counters_and_trackers_cannot_be_allowed() -> None:
    guard = Guard("https://example.org", ["https://media.example.net", "https://www.googletagmanager.com",
                                          "https://hits.seeyoufarm.com"])
    assert guard.scan_html('<img src="https://media.example.net/a.jpg" alt="A">') == []
    assert [f.kind for f in guard.scan_html('<script src="https://www.googletagmanager.com/gtag/js?id=G"></script>')] \
        == ["tracker"]
    assert [f.kind for f in guard.scan_html('<img src="https://hits.seeyoufarm.com/api/count" alt="">')] == ["counter"]
    assert [f.kind for f in guard.scan_html('<img src="https://other.example.net/a.jpg" alt="">')] == ["origin"]


def test_the_sites_own_origin_and_links_are_not_third_party() -> None:
    html = ('<img src="https://example.org/repo/a.jpg" alt=""><a href="https://elsewhere.example/">x</a>'
            '<link rel="canonical" href="https://elsewhere.example/"><img src="data:image/png;base64,AAAA" alt="">')
    assert GUARD.scan_html(html) == []


def test_messages_name_the_page_what_and_the_way_out() -> None:
    [finding] = GUARD.scan_html('<link rel="stylesheet" href="https://fonts.example.net/a.css">')
    problem = finding_problem(finding, "interviews/ana/index.html", "templates/base.html", 7)
    assert problem.location == "templates/base.html:7"
    assert "interviews/ana/index.html" in problem.message and "https://fonts.example.net" in problem.message
    assert 'allow_origins: ["https://fonts.example.net"]' in problem.hint
    [counter] = GUARD.scan_html("<span>12k followers</span>")
    problem = finding_problem(counter, "index.html", "content/pages/about.md", 3)
    assert "12k followers" in problem.message and "cannot be allowed" in problem.hint


def test_template_variables_next_to_count_words() -> None:
    text = "<p>{{ page.title }}</p>\n<span>{{ n }} followers</span>\n{{ url('interviews/') }}\n<b>Seguidores:</b> {{ x }}\n{{ t('reply_text') }}\n"
    assert [line for line, _ in scan_template(text)] == [2, 4]
    assert [line for line, _ in scan_template("{{ page.meta.follower_count }}")] == [1]


# -- In a build ---------------------------------------------------------------------
def _interview(body: str) -> str:
    return INTERVIEW.format(title="Bread") + "\n" + body + "\n"


def test_a_counter_in_content_fails_the_build_naming_file_line_and_page(make_site, cli) -> None:
    root = make_site({"content/interviews/ana.md": INTERVIEW.format(title="Bread")})
    assert cli("build", root).exit_code == 0
    before = tree_digest(root / "_site")
    (root / "content/interviews/ana.md").write_text(_interview('<p><strong>8.200</strong> seguidores</p>'), encoding="utf-8")
    result = cli("build", root)
    assert result.exit_code == 1
    line = _interview("").count("\n")  # the body line after the front matter and intro
    assert re.search(rf"content/interviews/ana\.md:{line}: a displayed count on interviews/ana/index\.html: '8\.200 seguidores'",
                     result.output), result.output
    assert "hint: remove it" in result.output
    assert tree_digest(root / "_site") == before


def test_prose_about_followers_builds(make_site, cli) -> None:
    body = ("I had 50,000 followers and it paid nothing.\n\n"
            "> crecimos de 40 a 400 lectores en un año\n\n- we grew from 438 to 5,300 listeners\n")
    root = make_site({"content/interviews/ana.md": _interview(body)})
    result = cli("build", root)
    assert result.exit_code == 0, result.output


def test_a_tracker_in_a_template_override_names_the_template(make_site, cli) -> None:
    override = ('{% extends "theme/base.html" %}\n{% block head %}\n'
                '<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>\n{% endblock %}\n')
    root = make_site({"content/interviews/ana.md": INTERVIEW.format(title="Bread"), "templates/base.html": override})
    result = cli("build", root)
    assert result.exit_code == 1
    assert re.search(r"templates/base\.html:3: tracking: <script src> of Google Tag Manager / gtag "
                     r"on [\w/.-]*index\.html \(and \d+ other pages\)", result.output), result.output
    assert "cannot be allowed" in result.output
    assert not (root / "_site").exists()


def test_a_template_rendering_a_count_fails(make_site, cli) -> None:
    template = '{% extends "theme/interview.html" %}\n{% block content %}\n<p>{{ page.meta.get("n", "") }} followers</p>\n{{ super() }}{% endblock %}\n'
    root = make_site({"content/interviews/ana.md": INTERVIEW.format(title="Bread"), "templates/interview.html": template})
    result = cli("build", root)
    assert result.exit_code == 1
    assert "templates/interview.html:3: a template renders a count next to a follower/like/view word" in result.output


def test_a_third_party_origin_fails_until_allowed(make_site, cli) -> None:
    body = '<img src="https://media.example.net/bread.jpg" alt="A loaf">'
    files = {"content/interviews/ana.md": _interview(body)}
    root = make_site(files)
    result = cli("build", root)
    assert result.exit_code == 1
    assert "third-party request: <img src> loaded from https://media.example.net" in result.output
    assert 'privacy: {allow_origins: ["https://media.example.net"]}' in result.output
    (root / "sitegen.yaml").write_text((root / "sitegen.yaml").read_text() +
                                       "privacy:\n  allow_origins: [\"https://media.example.net\"]\n")
    result = cli("build", root)
    assert result.exit_code == 0, result.output


def test_a_style_sheet_in_static_is_checked(make_site, cli) -> None:
    root = make_site({"content/interviews/ana.md": INTERVIEW.format(title="Bread"),
                      "static/css/extra.css": "body {\n  background: url(https://cdn.example.net/bg.png);\n}\n"})
    result = cli("build", root)
    assert result.exit_code == 1
    assert "static/css/extra.css:2: third-party request: a style sheet url() loaded from https://cdn.example.net" in result.output


def test_allow_origins_must_be_origins(make_site, cli) -> None:
    config = ("title: Hub\nbase_url: https://example.org/\nprivacy:\n  allow_origins:\n"
              "    - https://media.example.net/path/\n  allow_trackers: true\n")
    root = make_site({}, config=config)
    result = cli("build", root)
    assert result.exit_code == 1
    assert "sitegen.yaml:4: 'privacy.allow_origins' entries must be origins" in result.output
    assert "sitegen.yaml:6: 'privacy.allow_trackers' is not a privacy setting" in result.output


# -- URLs read as a browser reads them -------------------------------------------------
CDN = "https://cdn.example.net/x.png"
# (what the guard names, the HTML that loads CDN, or another site, with the page)
BROWSER_READS = [
    ("<image xlink:href>", f'<svg width="1" height="1"><image xlink:href="{CDN}"/></svg>'),
    ("<image href>", f'<svg width="1" height="1"><image href="{CDN}"/></svg>'),
    ("<use href>", f'<svg width="1" height="1"><use href="{CDN}#icon"></use></svg>'),
    ("a style url() on <p>", f'<p style="background: u\\72l({CDN})">x</p>'),
    ("a style sheet url()", f"<style>p {{ background: \\75\\72\\6c ({CDN}) }}</style>"),
    ("a style url() on <div>", f'<div style="background-image: image-set(&quot;{CDN}&quot; 1x)">x</div>'),
    ("a style sheet url()", f"<style>p {{ background: -webkit-image-set('{CDN}' 2x) }}</style>"),
    ("a style url() on <p>", f'<p style="background: URL({CDN})">x</p>'),
    ("<table background>", f'<table background="{CDN}"><tr><td>x</td></tr></table>'),
    ("<td background>", f'<table><tr><td background="{CDN}">x</td></tr></table>'),
    ("<link imagesrcset>", f'<link rel="preload" as="image" imagesrcset="/a.png 1x, {CDN} 2x">'),
    ("<img src> loaded from https://cdn.example.net inside an <iframe srcdoc>",
     f'<iframe title="x" srcdoc="&lt;p&gt;hi&lt;img src=&quot;{CDN}&quot; alt=&quot;&quot;&gt;"></iframe>'),
    ("a <meta http-equiv=refresh>", '<meta http-equiv="refresh" content="0; url = https://cdn.example.net/">'),
    ("a <meta http-equiv=refresh>", "<meta http-equiv=\"Refresh\" content=\"5, URL = 'https://cdn.example.net/'\">"),
]


@pytest.mark.parametrize("what, html", BROWSER_READS)
def test_every_url_a_browser_loads_is_read(what: str, html: str) -> None:
    found = GUARD.scan_html(html)
    assert [f.kind for f in found] == ["origin"], found
    assert what in found[0].what and found[0].origin == "https://cdn.example.net", found


@pytest.mark.parametrize("what, html", BROWSER_READS)
def test_every_url_a_browser_loads_is_read_in_a_template(make_site, cli, what: str, html: str) -> None:
    override = f'{{% extends "theme/base.html" %}}\n{{% block head %}}\n{{{{ super() }}}}\n{html}\n{{% endblock %}}\n'
    root = make_site({"content/interviews/ana.md": INTERVIEW.format(title="Bread"), "templates/base.html": override})
    result = cli("build", root)
    assert result.exit_code == 1, result.output
    assert re.search(rf"templates/base\.html:4: third-party request: {re.escape(what)}.* on [\w/.-]*index\.html "
                     r"\(and \d+ other pages\)", result.output), result.output
    assert 'allow_origins: ["https://cdn.example.net"]' in result.output
    assert not (root / "_site").exists()


@pytest.mark.parametrize("style", [f"background: u\\72l({CDN})", f"background: image-set('{CDN}' 1x)",
                                   f"background: \\55\\52\\4c({CDN})"])
def test_a_style_in_markdown_is_read_as_a_browser_reads_it(make_site, cli, style: str) -> None:
    body = f'<span style="{style}">Bread</span>'
    root = make_site({"content/interviews/ana.md": _interview(body)})
    result = cli("build", root)
    assert result.exit_code == 1, result.output
    line = _interview("").count("\n")
    assert f"content/interviews/ana.md:{line}: third-party request: a style url() on <span> loaded from " \
           "https://cdn.example.net" in result.output, result.output
    assert not (root / "_site").exists()  # neither the page nor feed.xml and feed.json were published


def test_what_the_new_rules_read_stays_quiet_when_it_is_the_sites_own() -> None:
    html = ('<svg><use href="#icon"></use><image xlink:href="/a.png"/></svg><table background="/b.png"></table>'
            '<p style="background: u\\72l(/c.png); content: \'\\201C\'">x</p>'
            '<meta http-equiv="refresh" content="0; url = /moved/"><meta http-equiv="refresh" content="30">'
            '<link rel="preload" as="image" imagesrcset="/a.png 1x, https://example.org/b.png 2x">'
            '<iframe title="x" srcdoc="&lt;p&gt;12 likes is fine in prose, really, we said so&lt;/p&gt;"></iframe>')
    assert GUARD.scan_html(html) == []


def _in_srcdoc(page: str, times: int) -> str:
    for _ in range(times):
        page = f'<iframe title="x" srcdoc="{page.replace("&", "&amp;").replace(chr(34), "&quot;")}"></iframe>'
    return page


def test_a_srcdoc_nested_too_deep_is_refused_not_a_crash() -> None:
    guard = Guard("https://example.org")
    found = guard.scan_html(_in_srcdoc("<p>x</p>", 12))
    assert found and "nested more than" in found[0].what
    # A tag met deep down and then at the top is judged at each depth, not remembered.
    assert guard.scan_html(_in_srcdoc("<p>x</p>", 4)) == []


def test_a_srcdoc_page_may_speak_of_srcdoc() -> None:
    """Depth is how many pages are inside one another, not how often the word appears."""
    prose = "<p>" + " ".join(["The srcdoc attribute holds a page."] * 10) + "</p>"
    assert GUARD.scan_html(_in_srcdoc(prose, 2)) == []
    tracked = prose + '<img src="https://cdn.example.net/pixel.gif" alt="">'
    found = GUARD.scan_html(_in_srcdoc(tracked, 2))
    assert [f.what for f in found] == ["<img src> loaded from https://cdn.example.net "
                                       "inside an <iframe srcdoc> inside an <iframe srcdoc>"]
