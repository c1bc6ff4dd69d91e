"""Every user mistake the build knows: exit 1, the file and line, a hint, no traceback,
and the previous output byte-identical afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import INTERVIEW, tree_digest


def _built(make_site, cli, files):
    root = make_site({"content/interviews/ana.md": INTERVIEW.format(title="Bread"), **files})
    first = cli("build", root)
    assert first.exit_code == 0, first.output
    return root, tree_digest(root / "_site")


CASES = {
    "bad_yaml": ({"content/stories/s.md": "---\ntitle: Bread: a co-op\ndate: 2026-01-01\n---\nx\n"},
                 "content/stories/s.md:2:", "quotes"),
    "missing_title": ({"content/stories/s.md": "---\ndate: 2026-01-01\n---\nx\n"},
                      "content/stories/s.md:1: 'title' is missing", "title:"),
    "missing_date": ({"content/interviews/b.md": "---\ntitle: B\n---\nx\n"},
                     "content/interviews/b.md:1: 'date' is missing", "YYYY-MM-DD"),
    "bad_date": ({"content/interviews/b.md": "---\ntitle: B\n\ndate: 2026-13-02\n---\nx\n"},
                 'content/interviews/b.md:4: \'date\' must be a date like 2026-10-02 (got "2026-13-02")', "month"),
    "unclosed_fence": ({"content/pages/p.md": "---\ntitle: P\nbody\n"},
                       "content/pages/p.md:1:", "'---'"),
    "unknown_template": ({"content/pages/p.md": "---\ntitle: P\ntemplate: fancy.html\n---\nx\n"},
                         "content/pages/p.md: there is no template named 'fancy.html'", "templates/"),
    "template_syntax": ({"templates/page.html": "{% extends 'theme/page.html' %}\n{% block content %}\n{% if %}\n{% endblock %}\n",
                         "content/pages/p.md": "---\ntitle: P\n---\nx\n"},
                        "templates/page.html:3: template syntax error", "{% %}"),
    "template_runtime": ({"templates/page.html": "{% extends 'theme/page.html' %}\n{% block content %}\n{{ page.nope.deeper }}\n{% endblock %}\n",
                          "content/pages/p.md": "---\ntitle: P\n---\nx\n"},
                         "templates/page.html:3: template error while rendering content/pages/p.md", "spelling"),
    # A helper the template calls fails (here on a date given as text): the template's line is named.
    "helper_fails": ({"templates/page.html": "{% extends 'theme/page.html' %}\n{% block content %}\n\n"
                                             "{{ format_date('2026-01-01', lang) }}\n{% endblock %}\n",
                      "content/pages/p.md": "---\ntitle: P\n---\nx\n"},
                     "templates/page.html:4: template error while rendering content/pages/p.md", "spelling"),
    "case_collision": ({"content/stories/Same.md": "---\ntitle: A\ndate: 2026-01-01\n---\nx\n",
                        "content/stories/same.md": "---\ntitle: B\ndate: 2026-01-01\n---\nx\n"},
                       "would both be published at /stories/same/", "rename"),
    "page_takes_generated_url": ({"content/pages/interviews.md": "---\ntitle: I\n---\nx\n"},
                                 "content/pages/interviews.md:1: this page's URL /interviews/ is taken by the interviews index", "rename"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_mistake_is_reported_and_output_kept(make_site, cli, case: str) -> None:
    files, expected, hint = CASES[case]
    root, before = _built(make_site, cli, {})
    for rel, content in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(content, encoding="utf-8")
    result = cli("build", root)
    assert result.exit_code == 1
    assert expected in result.stderr, result.stderr
    assert f"hint: " in result.stderr and hint in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert tree_digest(root / "_site") == before
    assert not [p for p in root.iterdir() if p.name.startswith("._site")], "no staging folder left behind"


def test_all_problems_of_a_build_are_reported_together(make_site, cli) -> None:
    root = make_site({
        "content/interviews/a.md": "---\ntitle: A\n---\nx\n",
        "content/interviews/b.md": "---\ndate: 2026-01-01\n---\nx\n",
        "content/stories/c.md": "---\ntitle: [broken\n---\n",
    })
    result = cli("build", root)
    assert result.exit_code == 1
    for name in ("content/interviews/a.md", "content/interviews/b.md", "content/stories/c.md"):
        assert name in result.stderr
    # sorted by file
    assert result.stderr.index("interviews/a.md") < result.stderr.index("interviews/b.md") < result.stderr.index("stories/c.md")


def test_config_error_names_the_key(make_site, cli) -> None:
    root = make_site(config="title: Hub\nbase_url: https://example.org/\nthem: dark\n")
    result = cli("build", root)
    assert result.exit_code == 1
    assert "sitegen.yaml:3: 'them' is not a setting (did you mean 'theme'?)" in result.stderr


def test_unknown_theme_lists_the_themes(make_site, cli) -> None:
    root = make_site(config="title: Hub\nbase_url: https://example.org/\ntheme: fancy\n")
    result = cli("build", root)
    assert result.exit_code == 1
    assert "no such theme" in result.stderr and "default" in result.stderr


@pytest.mark.parametrize("output", [".", "content", "static", "templates", ".."])
def test_output_folder_that_would_delete_work_is_refused(make_site, cli, output: str) -> None:
    root = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi\n", "static/a.txt": "keep"})
    (root / "templates").mkdir()
    result = cli("build", root, "--output", root / output)
    assert result.exit_code == 1
    assert "refusing to write the site" in result.stderr
    assert (root / "content/pages/about.md").exists() and (root / "static/a.txt").read_text() == "keep"


def test_debug_shows_a_traceback(make_site, cli) -> None:
    root = make_site({"content/interviews/b.md": "---\ntitle: B\n---\nx\n"})
    from sitegen.errors import SitegenError
    with pytest.raises(SitegenError):
        cli("build", root, "--debug")


def test_missing_config_is_a_clear_error(tmp_path: Path, cli) -> None:
    result = cli("build", tmp_path)
    assert result.exit_code == 1 and "no sitegen.yaml" in result.stderr
