"""sitegen check: every audit on a small broken site, and a clean pass on the example site."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import EXAMPLE_SITE

CONFIG = "title: Hub\nbase_url: https://u.github.io/repo/\ncontact: {email: me@example.org}\n"
ANA = """\
---
title: Ana
date: 2025-01-01
person:
  name: Ana Pérez
  contact: {email: ana@example.org}
---
See [about](/abuot/), [a question](#nope), [bread](/interviews/ana/#why-bread) and [more](/interviews/ana/#why-bread-2).

![](/images/missing.png)

<img src="/repo/images/loaf.svg">

<a href="/repo/interviews/ana/"></a>

[outside](https://u.github.io/other/) and <a href="../../../outside/">up</a>

You can write to Ana at ana@example.org.

## Why bread?

Because.
"""
FINE = "---\ntitle: Fine\ndate: 2025-01-02\n---\nNothing wrong here: [Ana](/interviews/ana/#why-bread).\n"


def _broken_site(make_site, cli) -> Path:  # type: ignore[no-untyped-def]
    root = make_site({"content/interviews/ana.md": ANA, "content/stories/fine.md": FINE,
                      "static/images/loaf.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
                      "static/extra.html": "<!doctype html><title>Extra</title><p>By hand.</p>"}, config=CONFIG)
    result = cli("build", root)
    assert result.exit_code == 0, result.output
    out = root / "_site"
    # What the build would refuse, slipped into the output by hand:
    fine = out / "stories/fine/index.html"
    fine.write_text(fine.read_text(encoding="utf-8").replace(
        "</main>", '<span class="count">12,345 followers</span>'
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script></main>'), encoding="utf-8")
    (out / "feed.xml").write_text("<feed><entry></feed>", encoding="utf-8")
    (out / "feed.json").write_text("{not json", encoding="utf-8")
    (out / "404.html").unlink()
    return root


def _json(cli, root: Path) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    result = cli("check", root, "--no-build", "--format", "json")
    return result.exit_code, json.loads(result.output)


def test_check_reports_every_kind_of_problem_grouped_by_page(make_site, cli) -> None:
    root = _broken_site(make_site, cli)
    code, report = _json(cli, root)
    assert code == 1 and report["ok"] is False
    pages = {p["page"]: p for p in report["pages"]}
    ana = pages["interviews/ana/index.html"]
    assert ana["source"] == "content/interviews/ana.md"
    messages = [f["message"] for f in ana["findings"]]
    assert any(m.startswith("broken link: <a> /repo/abuot/") for m in messages)
    assert any(m.startswith("broken anchor: <a> #nope") for m in messages)
    assert any("#why-bread-2" in m and m.startswith("broken anchor") for m in messages)
    assert not any(m.startswith("broken anchor: <a> /repo/interviews/ana/#why-bread:") for m in messages)
    assert any(m.startswith("broken asset: <img> /repo/images/missing.png") for m in messages)
    assert any(m.startswith("<a> https://u.github.io/other/ points outside") for m in messages)
    assert any(m.startswith("<a> ../../../outside/ points outside") for m in messages)
    assert any(m == "image without alt text: /repo/images/loaf.svg" for m in messages)
    assert any(m == 'link without text: <a href="/repo/interviews/ana/">' for m in messages)
    assert any(m.startswith("contact details of Ana Pérez are published without consent") for m in messages)
    by_kind = {f["kind"]: f for f in ana["findings"]}
    assert by_kind["broken-link"]["path"] == "content/interviews/ana.md" and by_kind["broken-link"]["line"] == 8
    assert by_kind["missing-alt"]["line"] == 12 and by_kind["missing-alt"]["hint"]
    assert by_kind["consent"]["line"] == 6

    fine = {f["kind"] for f in pages["stories/fine/index.html"]["findings"]}
    assert fine == {"counter", "tracker"}
    assert [f["kind"] for f in pages["feed.xml"]["findings"]] == ["feed"]
    assert [f["kind"] for f in pages["feed.json"]["findings"]] == ["feed"]
    sitemap = pages["extra.html"]["findings"]
    assert [(f["kind"], f["severity"]) for f in sitemap] == [("sitemap", "warning")]
    assert [(f["kind"], f["severity"]) for f in pages[""]["findings"]] == [("missing-404", "warning")]
    assert report["errors"] == sum(f["severity"] == "error" for p in report["pages"] for f in p["findings"])


def test_check_text_output_names_pages_files_and_lines(make_site, cli) -> None:
    root = _broken_site(make_site, cli)
    result = cli("check", root, "--no-build")
    assert result.exit_code == 1
    out = result.output
    assert "interviews/ana/index.html (from content/interviews/ana.md)" in out
    assert "  content/interviews/ana.md:8: error: broken link: <a> /repo/abuot/" in out
    assert "    hint: fix the address" in out
    assert "the whole site\n  warning: there is no 404.html" in out
    assert out.rstrip().splitlines()[-1].startswith("Checked ") and "errors" in out.splitlines()[-1]


def test_warnings_alone_exit_zero(make_site, cli) -> None:
    root = make_site({"content/stories/fine.md": FINE.replace("[Ana](/interviews/ana/#why-bread)", "words"),
                      "static/extra.html": "<!doctype html><title>Extra</title><p>By hand.</p>"}, config=CONFIG)
    result = cli("check", root)
    assert result.exit_code == 0, result.output
    assert "0 errors, 1 warning" in result.output
    assert "extra.html" in result.output and "missing from sitemap.xml" in result.output


def test_check_builds_first_and_the_guard_stops_it(make_site, cli) -> None:
    root = make_site({"content/stories/x.md": "---\ntitle: X\ndate: 2025-01-01\n---\n<p>Followers: 12,345</p>\n"},
                     config=CONFIG)
    result = cli("check", root)
    assert result.exit_code == 1
    assert "content/stories/x.md:5: a displayed count on stories/x/index.html" in result.output
    result = cli("check", root, "--format", "json")
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["build_failed"] and data["problems"][0]["path"] == "content/stories/x.md"


def test_no_build_without_an_output_says_what_to_do(make_site, cli) -> None:
    root = make_site({}, config=CONFIG)
    result = cli("check", root, "--no-build")
    assert result.exit_code == 1
    assert "there is no built site" in result.output and "hint:" in result.output


def test_the_example_site_passes(copy_site, cli) -> None:
    root = copy_site(EXAMPLE_SITE)
    result = cli("check", root, "--format", "json")
    report = json.loads(result.output)
    assert result.exit_code == 0, result.output
    assert report["ok"] and report["errors"] == 0 and report["warnings"] == 0, report["pages"]
    assert report["pages_checked"] > 3


def test_no_build_on_an_output_built_for_another_address(make_site, cli) -> None:
    root = make_site({"content/stories/fine.md": FINE.replace("[Ana](/interviews/ana/#why-bread)", "words")},
                     config=CONFIG)
    assert cli("build", root, "--base-url", "http://127.0.0.1:8000/").exit_code == 0
    result = cli("check", root, "--no-build")
    assert result.exit_code == 1
    assert "was built for http://127.0.0.1:8000/" in result.output and "--base-url http://127.0.0.1:8000/" in result.output
    assert cli("check", root, "--no-build", "--base-url", "http://127.0.0.1:8000/").exit_code == 0


def test_a_page_with_its_own_address_is_traced_to_its_file(make_site, cli) -> None:
    """check places each content file where the build publishes it: `url:` included."""
    team = "---\ntitle: Team\nurl: /about/team/\n---\nSee [nowhere](/nowhere/).\n"
    root = make_site({"content/pages/team.md": team}, config=CONFIG)
    assert cli("build", root).exit_code == 0
    code, report = _json(cli, root)
    pages = {p["page"]: p for p in report["pages"]}
    assert code == 1
    assert pages["about/team/index.html"]["source"] == "content/pages/team.md"
    broken = [f for f in pages["about/team/index.html"]["findings"] if f["kind"] == "broken-link"]
    assert broken and broken[0]["path"] == "content/pages/team.md" and broken[0]["line"] == 5
