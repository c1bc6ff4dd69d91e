"""The build pipeline end to end, on small sites made in the test."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from conftest import INTERVIEW, soup, tree_digest
from site_checks import check_atom, check_internal_links, check_json_feed, check_sitemap_lists_every_page

from sitegen.build import BuildOptions, build


def story(title: str, date: str, tags: str = "[]", extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: {date}\ntags: {tags}\n{extra}---\nA story about {title}.\n"


def test_interview_page_shows_person_questions_and_meta(make_site, cli) -> None:
    root = make_site({"content/interviews/ana-perez.md": INTERVIEW.format(title="Bread & butter")},
                     config="title: Hub\nbase_url: https://u.github.io/repo/\n")
    result = cli("build", root)
    assert result.exit_code == 0, result.output
    doc = soup(root / "_site/interviews/ana-perez/index.html")
    assert doc.html["lang"] == "en"
    assert doc.title.string == "Bread & butter · Hub"
    assert doc.find("meta", attrs={"name": "description"})["content"] == "A baker on sharing a business."
    assert doc.find("link", rel="canonical")["href"] == "https://u.github.io/repo/interviews/ana-perez/"
    assert doc.find("meta", property="og:type")["content"] == "article"
    assert doc.find("meta", attrs={"name": "twitter:card"})["content"] == "summary"
    assert doc.select_one(".person-name").get_text() == "Ana Pérez"
    assert doc.select_one(".person-role").get_text() == "Baker"
    toc = [a["href"] for a in doc.select(".toc a")]
    assert toc == ["#why-bread", "#what-next"]
    questions = doc.select(".entry-body h2")
    assert [q["id"] for q in questions] == ["why-bread", "what-next"]
    assert questions[0].a["href"] == "#why-bread"
    assert "min read" in doc.select_one(".entry-meta").get_text()
    assert doc.find("time")["datetime"] == "2026-10-02T00:00:00+00:00"
    assert [a["href"] for a in doc.select(".tags a")] == ["/repo/tags/food/", "/repo/tags/cooperatives/"]


def test_drafts_and_future_entries_are_left_out_unless_asked(make_site) -> None:
    root = make_site({
        "content/stories/old.md": story("Old", "2026-01-01"),
        "content/stories/draft.md": story("Draft", "2026-01-02", extra="draft: true\n"),
        "content/stories/soon.md": story("Soon", "2026-12-24T10:00:00"),
    })
    now = datetime(2026, 11, 21, tzinfo=timezone.utc)
    report = build(root, BuildOptions(now=now))
    assert (root / "_site/stories/old/index.html").exists()
    assert not (root / "_site/stories/draft").exists() and not (root / "_site/stories/soon").exists()
    assert [p.source for p in report.left_out_future] == ["content/stories/soon.md"]
    assert report.left_out_drafts == 1
    build(root, BuildOptions(now=now, drafts=True, future=True))
    assert (root / "_site/stories/draft/index.html").exists() and (root / "_site/stories/soon/index.html").exists()


def test_a_date_without_zone_uses_the_site_timezone(make_site) -> None:
    # 2026-11-21 09:00 in Madrid is 08:00 UTC: at 08:30 UTC the entry is published.
    root = make_site({"content/stories/a.md": story("A", "2026-11-21 09:00")},
                     config="title: Hub\nbase_url: https://example.org/\ntimezone: Europe/Madrid\n")
    report = build(root, BuildOptions(now=datetime(2026, 11, 21, 8, 30, tzinfo=timezone.utc)))
    assert not report.left_out_future
    report = build(root, BuildOptions(now=datetime(2026, 11, 21, 7, 30, tzinfo=timezone.utc)))
    assert len(report.left_out_future) == 1


def test_cli_says_which_future_entries_were_left_out(make_site, cli) -> None:
    root = make_site({"content/stories/later.md": story("Later", "2999-01-01")})
    result = cli("build", root)
    assert result.exit_code == 0
    assert "content/stories/later.md: left out until 2999-01-01" in result.stderr
    assert result.stdout.startswith("Built ") and " s\n" in result.stdout


def test_lists_are_paginated_and_tags_grouped(make_site) -> None:
    files = {f"content/stories/s{i:02}.md": story(f"Story {i:02}", f"2026-01-{i:02}", "[Food, craft]") for i in range(1, 8)}
    root = make_site(files, config="title: Hub\nbase_url: https://example.org/\npage_size: 3\n")
    build(root)
    out = root / "_site"
    first = soup(out / "stories/index.html")
    assert [a.get_text() for a in first.select(".card-title a")] == ["Story 07", "Story 06", "Story 05"]
    assert first.find("a", rel="next")["href"] == "/stories/page/2/"
    last = soup(out / "stories/page/3/index.html")
    assert [a.get_text() for a in last.select(".card-title a")] == ["Story 01"]
    assert last.find("a", rel="prev")["href"] == "/stories/page/2/"
    assert (out / "tags/food/page/3/index.html").exists()
    tags = soup(out / "tags/index.html")
    assert [a.get_text() for a in tags.select(".tags-index a")] == ["craft", "Food"]
    assert not any(ch.isdigit() for ch in tags.select_one(".tags-index").get_text()), "no counts on tags"


def test_feeds_sitemap_and_links_under_a_subpath(make_site) -> None:
    files = {f"content/stories/s{i}.md": story(f"S{i}", f"2026-02-0{i}", "[food]") for i in range(1, 4)}
    files["content/interviews/ana.md"] = INTERVIEW.format(title="Ana") + "\nSee [the first story](/stories/s1/) and [a note](#why-bread).\n"
    files["content/pages/about.md"] = "---\ntitle: About\n---\n![A loaf](/images/loaf.svg)\n"
    files["static/images/loaf.svg"] = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    root = make_site(files, config="title: Hub\nbase_url: https://u.github.io/repo/\ncname: hub.example.org\n")
    build(root)
    out = root / "_site"
    assert check_internal_links(out, "/repo/") > 20
    feed = check_atom(out / "feed.xml")
    atom = "{http://www.w3.org/2005/Atom}"
    assert len(feed.findall(f"{atom}entry")) == 4
    ana = next(e for e in feed.findall(f"{atom}entry") if e.find(f"{atom}title").text == "Ana")
    content = ana.find(f"{atom}content").text
    assert 'href="https://u.github.io/repo/stories/s1/"' in content
    assert 'href="https://u.github.io/repo/interviews/ana/#why-bread"' in content
    tag_feed = check_atom(out / "tags/food/feed.xml")
    assert len(tag_feed.findall(f"{atom}entry")) == 4  # 3 stories + the interview
    data = check_json_feed(out / "feed.json")
    assert len(data["items"]) == 4
    check_sitemap_lists_every_page(out, "https://u.github.io/repo/")
    assert "Sitemap: https://u.github.io/repo/sitemap.xml" in (out / "robots.txt").read_text()
    assert (out / ".nojekyll").exists() and (out / "CNAME").read_text() == "hub.example.org\n"
    assert (out / "404.html").exists() and (out / "images/loaf.svg").exists()
    assert soup(out / "404.html").find("link", rel="stylesheet")["href"].startswith("/repo/assets/sitegen.css")


def test_site_templates_override_and_extend_the_theme(make_site) -> None:
    root = make_site({
        "content/pages/about.md": "---\ntitle: About\nmood: sunny\n---\nHi\n",
        "templates/page.html": "{% extends 'theme/page.html' %}{% block content %}<p id='mood'>{{ page.meta.mood }}</p>{{ super() }}{% endblock %}",
    })
    build(root)
    doc = soup(root / "_site/about/index.html")
    assert doc.find(id="mood").get_text() == "sunny"
    assert doc.select_one(".entry-body p").get_text() == "Hi"  # the theme's block still renders
    assert doc.select_one(".skip-link") is not None  # and the base layout is the theme's


def test_theme_prefix_reaches_the_default_template_the_chosen_theme_lacks(make_site) -> None:
    """With a theme of the site's own that has no page.html, "theme/page.html" is what
    that theme renders for page.html: the default theme's."""
    root = make_site({
        "content/pages/about.md": "---\ntitle: About\nmood: sunny\n---\nHi\n",
        "themes/mine/templates/home.html": "{% extends 'default/home.html' %}",
        "templates/page.html": "{% extends 'theme/page.html' %}{% block content %}<p id='mood'>{{ page.meta.mood }}</p>{{ super() }}{% endblock %}",
    })
    settings = root / "sitegen.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "theme: mine\n", encoding="utf-8")
    build(root)
    doc = soup(root / "_site/about/index.html")
    assert doc.find(id="mood").get_text() == "sunny"
    assert doc.select_one(".entry-body p").get_text() == "Hi"


def test_site_static_files_win_over_the_theme(make_site) -> None:
    root = make_site({"static/assets/sitegen.css": "body{}", "static/.well-known/x.txt": "ok"})
    build(root)
    assert (root / "_site/assets/sitegen.css").read_text() == "body{}"
    assert (root / "_site/.well-known/x.txt").read_text() == "ok"


def test_rebuild_replaces_output_and_removes_deleted_pages(make_site) -> None:
    root = make_site({"content/stories/a.md": story("A", "2026-01-01"), "content/stories/b.md": story("B", "2026-01-02")})
    build(root)
    (root / "content/stories/b.md").unlink()
    build(root)
    assert not (root / "_site/stories/b").exists()
    assert [p.name for p in root.iterdir() if p.name.startswith("._site")] == []


def test_build_is_deterministic(make_site) -> None:
    files = {f"content/stories/s{i}.md": story(f"S{i}", f"2026-02-0{i}", "[food, craft]") for i in range(1, 5)}
    root = make_site(files)
    build(root)
    first = tree_digest(root / "_site")
    build(root)
    assert tree_digest(root / "_site") == first


def test_unknown_front_matter_is_kept_for_templates(make_site) -> None:
    from sitegen.build import load_config
    from sitegen.discover import discover_content
    from sitegen.markdown import make_markdown
    from sitegen.parse import parse_all
    root = make_site({"content/stories/a.md": story("A", "2026-01-01", extra="location: Porto\nrating: 5\n")})
    config = load_config(root)
    pages, problems = parse_all(discover_content(root)[0], config, make_markdown())
    assert pages[0].meta == {"location": "Porto", "rating": 5}
    assert not problems


def test_crlf_and_bom_are_accepted(make_site) -> None:
    text = "\ufeff---\r\ntitle: Windows\r\ndate: 2026-01-01\r\n---\r\nLine one.\r\n"
    root = make_site({"content/stories/w.md": text.encode("utf-8")})
    build(root)
    doc = soup(root / "_site/stories/w/index.html")
    assert doc.find("h1").get_text() == "Windows"
    assert json.loads((root / "_site/feed.json").read_text())["items"][0]["title"] == "Windows"


def test_minimal_fixture_site_builds(copy_site, cli) -> None:
    root = copy_site(Path(__file__).parent / "sites/minimal")
    result = cli("build", root)
    assert result.exit_code == 0, result.stderr
    doc = soup(root / "_site/interviews/first/index.html")
    assert doc.select_one(".person-name").get_text() == "Sam Lee"
