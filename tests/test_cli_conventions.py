"""Command-line conventions: -h on every command, NO_COLOR and non-terminals get no
colours, --quiet keeps only errors, exit statuses documented in --help."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from conftest import INTERVIEW
from sitegen.cli import main

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _run(*args: object, env: dict[str, str] | None = None, color: bool = False):
    return CliRunner().invoke(main, [str(a) for a in args], env=env, color=color, catch_exceptions=False)


@pytest.mark.parametrize("command", [None, *sorted(main.commands)])
def test_every_command_takes_h_as_well_as_help(command):
    args = [command] if command else []
    short, long = _run(*args, "-h"), _run(*args, "--help")
    assert short.exit_code == 0 and long.exit_code == 0, short.output
    assert short.output.startswith("Usage: ") and short.output == long.output


def test_help_documents_the_exit_statuses():
    text = _run("--help").output
    assert "Exit statuses:" in text
    for status in ("0  success", "1  a mistake", "2  the command line"):
        assert status in text
    assert "NO_COLOR" in text and "--quiet" in text
    due = _run("due", "-h").output
    assert "0  something fell due" in due and "1  nothing fell due" in due and "2  it could not answer" in due
    assert "SITEGEN_NOW" in due


def _warned_site(make_site):
    # A site whose build has a warning (no contact form) and a left-out draft.
    return make_site({"content/interviews/ana.md": INTERVIEW.format(title="Bread"),
                      "content/stories/d.md": "---\ntitle: D\ndate: 2026-01-01\ndraft: true\n---\nx\n"})


def test_colours_follow_no_color_and_the_terminal(make_site):
    site = _warned_site(make_site)
    coloured = _run("check", site, color=True)  # as on a terminal
    assert coloured.exit_code == 0 and ANSI.search(coloured.output)
    for env in ({"NO_COLOR": "1"}, {"NO_COLOR": "yes"}):
        plain = _run("check", site, env=env, color=True)
        assert plain.exit_code == 0 and not ANSI.search(plain.output), env
        assert "Checked" in plain.output
    assert not ANSI.search(_run("check", site).output)  # not a terminal
    # An empty NO_COLOR means "not set" (no-color.org).
    assert ANSI.search(_run("check", site, env={"NO_COLOR": ""}, color=True).output)


@pytest.mark.parametrize("where", ["before", "after"])
def test_quiet_keeps_only_errors(make_site, where):
    site = _warned_site(make_site)
    loud = _run("build", site)
    assert "warning:" in loud.stderr and "draft" in loud.stderr and "Built" in loud.stdout
    quiet = _run("-q", "build", site) if where == "before" else _run("build", site, "--quiet")
    assert quiet.exit_code == 0
    assert quiet.stdout == "" and quiet.stderr == ""
    # An error is still shown, with its location and hint.
    (site / "content/stories/bad.md").write_text("---\ntitle: B\n---\nx\n", encoding="utf-8")
    failed = _run("--quiet", "build", site)
    assert failed.exit_code == 1
    assert "content/stories/bad.md:1: 'date' is missing" in failed.stderr and "hint:" in failed.stderr
    # check keeps its error findings, drops warnings and the summary.
    (site / "content/stories/bad.md").write_text("---\ntitle: B\ndate: 2026-01-01\n---\n[x](/nowhere/)\n",
                                                 encoding="utf-8")
    checked = _run("check", site, "-q")
    assert checked.exit_code == 1
    assert "broken link" in checked.output and "warning" not in checked.output and "Checked" not in checked.output


def test_quiet_init_and_new(tmp_path):
    hub = tmp_path / "hub"
    result = _run("init", hub, "-q")
    assert result.exit_code == 0 and result.output == ""
    assert (hub / "sitegen.yaml").is_file()
    made = _run("new", "page", "Colophon", "--site", hub, "-q")
    assert made.exit_code == 0 and made.stderr == ""
    assert made.stdout.strip().endswith("content/pages/colophon.md")  # its answer, the path, is kept
