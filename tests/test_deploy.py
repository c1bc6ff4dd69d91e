"""Publishing a hub on GitHub Pages: the pin in requirements.txt (and the wheel shipped
in the hub), the workflow (schema, schedule, cache), a cache that survives a fresh
clone, sitegen due with a fixed clock, and the checks of a hub's deploy files."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import venv
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import REPO, tree_digest
from sitegen import __version__
from sitegen.build import BuildOptions, build
from sitegen.pin import wheel_name

WORKFLOW = ".github/workflows/pages.yml"
INTERVIEW = "content/interviews/a-workshop-for-forty-households.md"


def _init(cli, tmp_path: Path, name: str = "my-hub") -> Path:
    hub = tmp_path / name
    result = cli("init", hub)
    assert result.exit_code == 0, result.output
    return hub


def _flow(hub: Path) -> dict:
    return yaml.safe_load((hub / WORKFLOW).read_text(encoding="utf-8"))


def _pin_line(hub: Path) -> str:
    return [line for line in (hub / "requirements.txt").read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")][0]


# -- The pin ------------------------------------------------------------------------

def test_init_ships_an_editable_sitegen_as_a_wheel_and_says_so(cli, tmp_path):
    hub = _init(cli, tmp_path)
    result = cli("init", tmp_path / "other")
    pinned = [line for line in result.output.splitlines() if line.startswith("Pinned")]
    assert len(pinned) == 1 and ".sitegen/wheels/" in pinned[0] and "cannot reach" in pinned[0]
    assert _pin_line(hub) == f"./.sitegen/wheels/{wheel_name()}"
    wheel = hub / ".sitegen/wheels" / wheel_name()
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"sitegen_hub-{__version__}.dist-info"
        assert {"sitegen/cli.py", "sitegen/skeleton/sitegen.yaml", f"{info}/METADATA", f"{info}/RECORD",
                f"{info}/WHEEL", f"{info}/entry_points.txt"} <= names
        assert any(n.startswith("sitegen/builtin_themes/default/templates/") for n in names)
        assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
        assert "sitegen = sitegen.cli:program" in archive.read(f"{info}/entry_points.txt").decode()
        assert "Requires-Dist: jinja2" in archive.read(f"{info}/METADATA").decode()
        # Every member is in RECORD with its true hash (pip refuses a wheel that lies).
        record = {row.split(",")[0]: row.split(",")[1] for row in archive.read(f"{info}/RECORD").decode().splitlines()}
        assert set(record) == names
        for name in names - {f"{info}/RECORD"}:
            import base64
            digest = base64.urlsafe_b64encode(hashlib.sha256(archive.read(name)).digest()).rstrip(b"=").decode()
            assert record[name] == f"sha256={digest}", name
    # The same code gives the same bytes: re-pinning leaves the workflow's cache key alone.
    assert (tmp_path / "other/.sitegen/wheels" / wheel_name()).read_bytes() == wheel.read_bytes()


def test_init_pins_a_release_from_the_index(cli, tmp_path, monkeypatch):
    from sitegen import pin
    monkeypatch.setattr(pin, "_direct_url", lambda: None)
    hub = _init(cli, tmp_path)
    assert _pin_line(hub) == f"sitegen-hub=={__version__}"
    assert not (hub / ".sitegen").exists()
    result = cli("check", hub)
    assert result.exit_code == 0 and "requirements.txt" not in result.output, result.output


def test_pin_changes_only_the_pin_line_and_its_wheel(cli, tmp_path):
    hub = _init(cli, tmp_path)
    user_lines = ("# my own notes\r\nrequests==2.32.3  # for my scripts\r\nsitegen-hub==0.0.1  # the hub's\r\n"
                  "\r\n# end\r\n")
    (hub / "requirements.txt").write_bytes(user_lines.encode())
    old = hub / ".sitegen/wheels/sitegen_hub-0.0.1-py3-none-any.whl"
    old.write_bytes(b"an old wheel")
    mine = hub / ".sitegen/wheels/my-tool-1.0-py3-none-any.whl"
    mine.write_bytes(b"not sitegen's")
    (hub / ".sitegen/wheels" / wheel_name()).unlink()
    before = tree_digest(hub)
    result = cli("pin", hub)
    assert result.exit_code == 0, result.output
    assert "now installs" in result.output and "sitegen-hub==0.0.1" in result.output
    after = (hub / "requirements.txt").read_bytes().decode()
    expected = user_lines.replace("sitegen-hub==0.0.1", f"./.sitegen/wheels/{wheel_name()}")
    assert after == expected  # every other byte (line endings included) as it was
    assert not old.exists() and mine.read_bytes() == b"not sitegen's"
    changed = {rel for rel, digest in tree_digest(hub).items() if before.get(rel) != digest} | (set(before) - set(tree_digest(hub)))
    assert changed == {"requirements.txt", f".sitegen/wheels/{wheel_name()}",
                       ".sitegen/wheels/sitegen_hub-0.0.1-py3-none-any.whl"}
    # Run again: nothing to change.
    result = cli("pin", hub)
    assert result.exit_code == 0 and "already installs" in result.output
    assert (hub / "requirements.txt").read_bytes().decode() == expected


def test_pin_never_writes_or_removes_wheels_through_a_link(cli, tmp_path):
    hub = _init(cli, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    theirs = elsewhere / "sitegen_hub-0.0.1-py3-none-any.whl"
    theirs.write_bytes(b"someone else's wheel")
    shutil.rmtree(hub / ".sitegen/wheels")
    (hub / ".sitegen/wheels").symlink_to(elsewhere)
    result = cli("pin", hub)
    assert result.exit_code == 1
    assert ".sitegen/wheels" in result.output and "link" in result.output
    assert theirs.read_bytes() == b"someone else's wheel"
    assert sorted(p.name for p in elsewhere.iterdir()) == [theirs.name]


def test_pin_never_writes_requirements_through_a_link(cli, tmp_path):
    """A change to the hub can make requirements.txt a link to any file of the person who
    runs 'sitegen pin' (their ~/.bashrc): pin refuses it, and that file stays as it was."""
    hub = _init(cli, tmp_path)
    theirs = tmp_path / "bashrc"
    theirs.write_text("export EDITOR=vi\n", encoding="utf-8")
    (hub / "requirements.txt").unlink()
    (hub / "requirements.txt").symlink_to(theirs)
    result = cli("pin", hub)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "requirements.txt: it is a symbolic link" in result.output and "hint:" in result.output
    assert theirs.read_text(encoding="utf-8") == "export EDITOR=vi\n"


def test_pin_outside_a_hub_is_explained(cli, tmp_path):
    result = cli("pin", tmp_path)
    assert result.exit_code == 1
    assert "no sitegen.yaml" in result.output and "hint:" in result.output
    assert not (tmp_path / "requirements.txt").exists()


def test_build_warns_once_when_the_hub_pins_another_sitegen(cli, tmp_path):
    hub = _init(cli, tmp_path)
    result = cli("build", hub)
    assert result.exit_code == 0 and "sitegen pin" not in result.output
    text = (hub / "requirements.txt").read_text(encoding="utf-8")
    (hub / "requirements.txt").write_text(text.replace(f"./.sitegen/wheels/{wheel_name()}", "sitegen-hub==0.0.1"),
                                          encoding="utf-8")
    for _ in range(2):  # a full build and a build with nothing to do both say it, once
        result = cli("build", hub)
        assert result.exit_code == 0
        assert result.stderr.count("sitegen pin") == 1, result.stderr
        assert "requirements.txt:4: warning: the Pages workflow publishes with sitegen 0.0.1" in result.stderr


def test_a_preview_says_the_pin_note_once_not_at_every_rebuild(cli, tmp_path):
    """sitegen serve rebuilds with one Warm: its first build reports the pin note, the
    rebuilds after it do not repeat it; a new process says it again."""
    from sitegen.build import BuildOptions, build
    from sitegen.warm import Warm

    hub = _init(cli, tmp_path)
    text = (hub / "requirements.txt").read_text(encoding="utf-8")
    (hub / "requirements.txt").write_text(text.replace(f"./.sitegen/wheels/{wheel_name()}", "sitegen-hub==0.0.1"),
                                          encoding="utf-8")
    warm = Warm()

    def pin_notes(report) -> list[str]:
        return [w.message for w in report.warnings if "publishes with" in w.message]

    assert len(pin_notes(build(hub, BuildOptions(jobs=1), warm=warm))) == 1
    story = next((hub / "content").rglob("*.md"))
    story.write_text(story.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert pin_notes(build(hub, BuildOptions(jobs=1), warm=warm)) == []
    assert len(pin_notes(build(hub, BuildOptions(jobs=1)))) == 1


# -- Bad input: sitegen check (and build) say which file and what to do ---------------

def _check(cli, hub: Path):
    result = cli("check", hub, "--format", "json")
    data = json.loads(result.stdout)
    findings = [f for page in data["pages"] for f in page["findings"]]
    return result, findings


def test_a_missing_wheel_is_reported_by_build_and_check(cli, tmp_path):
    hub = _init(cli, tmp_path)
    (hub / ".sitegen/wheels" / wheel_name()).unlink()
    result = cli("build", hub)
    assert result.exit_code == 0  # a local build does not need it...
    assert "requirements.txt:4: warning: names the wheel" in result.stderr and "sitegen pin" in result.stderr
    result, findings = _check(cli, hub)
    assert result.exit_code == 1  # ...the workflow does: nothing is published
    found = [f for f in findings if f["path"] == "requirements.txt"]
    assert found and found[0]["severity"] == "error" and found[0]["line"] == 4
    assert "missing" in found[0]["message"] and "sitegen pin" in found[0]["hint"]
    assert cli("pin", hub).exit_code == 0
    assert _check(cli, hub)[0].exit_code == 0


@pytest.mark.parametrize("line, message", [
    ("sitegen-hub=>0.1", "pip cannot read this line"),
    ("sitegen hub", "pip cannot read this line"),
    ("/home/ana/sitegen_hub-0.1.0-py3-none-any.whl", "outside the hub"),
    ("requests==2.0", "no line installs sitegen-hub"),
])
def test_a_requirements_file_that_cannot_install_is_reported(cli, tmp_path, line, message):
    hub = _init(cli, tmp_path)
    (hub / "requirements.txt").write_text(f"# pins\n{line}\n", encoding="utf-8")
    result, findings = _check(cli, hub)
    assert result.exit_code == 1
    found = [f for f in findings if f["path"] == "requirements.txt" and message in f["message"]]
    assert found, findings
    assert found[0]["hint"] and "sitegen pin" in found[0]["hint"]
    if "cannot read" in message:
        assert found[0]["line"] == 2
    text = cli("check", hub).output
    assert "requirements.txt" in text and "Traceback" not in text


def test_a_release_pin_an_editable_sitegen_cannot_vouch_for_is_reported(cli, tmp_path):
    hub = _init(cli, tmp_path)
    (hub / "requirements.txt").write_text(f"sitegen-hub=={__version__}\n", encoding="utf-8")
    result, findings = _check(cli, hub)
    found = [f for f in findings if f["path"] == "requirements.txt"]
    assert found and "may not exist there" in found[0]["message"] and "sitegen pin" in found[0]["hint"]


@pytest.mark.parametrize("edit, message, line", [
    (lambda text: text.replace("    runs-on: ubuntu-latest\n    outputs:", "    runs-on: ubuntu-latest\n\touts:"),
     "not valid YAML", True),
    (lambda text: text.replace("run: sitegen build --output", "run: echo build --output"), "no step that runs 'sitegen build'",
     False),
    (lambda text: "name: nothing\non: push\n", "no jobs", False),
])
def test_a_broken_workflow_is_reported(cli, tmp_path, edit, message, line):
    hub = _init(cli, tmp_path)
    path = hub / WORKFLOW
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    result, findings = _check(cli, hub)
    assert result.exit_code == 1
    found = [f for f in findings if f["path"] == WORKFLOW]
    assert found and message in found[0]["message"] and "sitegen init" in found[0]["hint"], findings
    if line:
        assert found[0]["line"] == 1 + path.read_text(encoding="utf-8").splitlines().index("\touts:")


# -- The workflow ----------------------------------------------------------------------

def test_workflow_validates_against_githubs_schema(cli, tmp_path):
    hub = _init(cli, tmp_path)
    tool = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run([str(tool), "--builtin-schema", "vendor.github-workflows", str(hub / WORKFLOW)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # The checker itself can fail: a workflow without jobs is refused.
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\n", encoding="utf-8")
    assert subprocess.run([str(tool), "--builtin-schema", "vendor.github-workflows", str(broken)],
                          capture_output=True).returncode != 0


def test_workflow_runs_on_schedule_with_the_cache_and_pages_permissions(cli, tmp_path):
    hub = _init(cli, tmp_path)
    flow = _flow(hub)
    triggers = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"] == [{"cron": "17 * * * *"}]  # hourly
    assert "push" in triggers and "workflow_dispatch" in triggers
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    steps = flow["jobs"]["build"]["steps"]
    by_uses = {step["uses"].split("@")[0]: step for step in steps if "uses" in step}
    restore, save = by_uses["actions/cache/restore"], by_uses["actions/cache/save"]
    paths = set(restore["with"]["path"].split())
    assert paths == set(save["with"]["path"].split()) == {".sitegen-cache", "_site", "~/.cache/sitegen"}
    key = restore["with"]["key"]
    assert key == save["with"]["key"] and key.endswith("-${{ github.run_id }}")
    assert "hashFiles('requirements.txt', '.sitegen/wheels/*.whl')" in key and "hashFiles('sitegen.yaml')" in key
    # A new sitegen or new settings never restore an old cache: the only fallback keeps both hashes.
    assert restore["with"]["restore-keys"].strip().splitlines() == [key.removesuffix("${{ github.run_id }}")]
    names = [step.get("name") for step in steps]
    assert names.index("Restore the build cache") < names.index("Build the site") < names.index("Save the build cache")
    assert names.index("Check the site") < names.index("Save the build cache")  # a failed check saves nothing
    # Everything after the decision is skipped when nothing is due, and so is the deploy job.
    decision = names.index("Decide whether to publish")
    assert all(step.get("if") == "steps.due.outputs.deploy == 'true'" for step in steps[decision + 1:])
    assert flow["jobs"]["build"]["outputs"]["deploy"] == "${{ steps.due.outputs.deploy }}"
    assert flow["jobs"]["deploy"]["if"] == "needs.build.outputs.deploy == 'true'"


# -- A fresh clone builds warm -----------------------------------------------------------

def test_a_cloned_hub_with_its_cache_restored_renders_nothing(cli, tmp_path):
    """A deploy checks the hub out afresh (every file gets a new time stamp, in a new
    folder) and restores .sitegen-cache/ and _site/ with actions/cache. The cache's own
    files may get new time stamps too; the output's keep theirs (actions/cache is a tar
    archive, and the build compares output files by size and time stamp)."""
    hub = _init(cli, tmp_path)
    build(hub, BuildOptions(jobs=1))
    clone = tmp_path / "clone" / "my-hub"
    shutil.copytree(hub, clone, symlinks=True)  # copy2: time stamps kept, then changed below
    later = time.time() + 3600
    for path in clone.rglob("*"):
        if path.is_file() and path.relative_to(clone).parts[0] != "_site":
            os.utime(path, (later, later))
    report = build(clone, BuildOptions(jobs=1))
    assert report.rendered == 0, report.explanation
    assert not [line for line in report.explanation if "parsed" in line or "rendered" in line], report.explanation
    assert tree_digest(clone / "_site") == tree_digest(hub / "_site")

    # One edit renders only what shows it, and equals a clean build byte for byte.
    page = clone / INTERVIEW
    page.write_text(page.read_text(encoding="utf-8").replace("a former shoe shop", "a former bakery"),
                    encoding="utf-8")
    report = build(clone, BuildOptions(jobs=1))
    rendered = {line.split(":")[0] for line in report.explanation if "rendered" in line}
    assert "interviews/a-workshop-for-forty-households/index.html" in rendered
    assert not rendered & {"about/index.html", "contact/index.html", "membership/index.html",
                           "stories/why-small-is-enough/index.html"}, rendered
    assert 0 < report.rendered < report.pages
    clean = tmp_path / "clean"
    shutil.copytree(clone, clean, ignore=shutil.ignore_patterns("_site", ".sitegen-cache"))
    build(clean, BuildOptions(jobs=1, clean=True))
    assert tree_digest(clone / "_site") == tree_digest(clean / "_site")


# -- sitegen due with a fixed clock --------------------------------------------------------

DUE_CONFIG = "title: Hub\nbase_url: https://ana.github.io/hub/\ntimezone: Europe/Madrid\n"
DATED = "---\ntitle: {title}\ndate: {date}\n---\nText.\n"


def _due_hub(make_site) -> Path:
    return make_site({
        "content/interviews/old.md": DATED.format(title="Old", date="2026-12-01"),
        # 09:00 in Madrid (08:00 UTC).
        "content/interviews/nine.md": DATED.format(title="Nine", date="2026-12-06 09:00"),
        "content/stories/tomorrow.md": DATED.format(title="Tomorrow", date="2026-12-07 09:00"),
        "content/stories/draft.md": "---\ntitle: Draft\ndate: 2026-12-01\ndraft: true\n---\nx\n",
    }, config=DUE_CONFIG)


def _deployed_at(hub: Path, tmp_path: Path, moment: str) -> Path:
    """The sitemap the live site has after a deploy at ``moment`` (Madrid time)."""
    from zoneinfo import ZoneInfo
    now = datetime.fromisoformat(moment).replace(tzinfo=ZoneInfo("Europe/Madrid"))
    build(hub, BuildOptions(now=now, jobs=1, output=tmp_path / f"live-{moment[-5:].replace(':', '')}"))
    return tmp_path / f"live-{moment[-5:].replace(':', '')}" / "sitemap.xml"


def _due(cli, monkeypatch, hub: Path, now: str, *args: str):
    monkeypatch.setenv("SITEGEN_NOW", now)
    return cli("due", hub, *args)


def test_an_entry_dated_nine_is_due_at_nine_oh_five(cli, make_site, tmp_path, monkeypatch):
    hub = _due_hub(make_site)
    sitemap = _deployed_at(hub, tmp_path, "2026-12-06T08:00")  # the last deploy, before nine
    result = _due(cli, monkeypatch, hub, "2026-12-06T09:05", "--deployed", sitemap)
    assert result.exit_code == 0, result.output
    assert "due: content/interviews/nine.md (2026-12-06 09:00 CET)" in result.output
    assert "old.md" not in result.output and "draft.md" not in result.output and "tomorrow.md" not in result.output
    assert "2026-12-07 09:00 CET" in result.output  # the next one
    # Before nine, and after a deploy that published it: nothing to publish.
    assert _due(cli, monkeypatch, hub, "2026-12-06T08:59", "--deployed", sitemap).exit_code == 1
    sitemap = _deployed_at(hub, tmp_path, "2026-12-06T09:05")
    result = _due(cli, monkeypatch, hub, "2026-12-06T10:17", "--deployed", sitemap)
    assert result.exit_code == 1 and "Nothing fell due" in result.output
    # A clock with an offset is read as such: 08:05 UTC is 09:05 in Madrid; times are shown in Madrid's.
    old_sitemap = tmp_path / "live-0800" / "sitemap.xml"
    result = _due(cli, monkeypatch, hub, "2026-12-06T08:05+00:00", "--deployed", old_sitemap)
    assert result.exit_code == 0 and "2026-12-07 09:00 CET" in result.output and "UTC" not in result.output
    assert _due(cli, monkeypatch, hub, "2026-12-06T07:55+00:00", "--deployed", old_sitemap).exit_code == 1


def test_due_with_nothing_deployed_publishes_and_errors_exit_two(cli, make_site, tmp_path, monkeypatch):
    hub = _due_hub(make_site)
    result = _due(cli, monkeypatch, hub, "2026-12-06T08:00", "--deployed", tmp_path / "nowhere.xml")
    assert result.exit_code == 0 and "no deployed sitemap" in result.output
    monkeypatch.delenv("SITEGEN_NOW")  # the real clock: times are shown in the site's time zone too
    result = cli("due", hub, "--deployed", tmp_path / "nowhere.xml")
    assert result.exit_code == 0 and "UTC" not in result.output, result.output
    monkeypatch.setenv("SITEGEN_NOW", "2026-12-06T08:00")
    result = _due(cli, monkeypatch, hub, "yesterday", "--deployed", tmp_path / "nowhere.xml")
    assert result.exit_code == 2 and "SITEGEN_NOW" in result.output and "hint:" in result.output
    monkeypatch.delenv("SITEGEN_NOW")
    (hub / "sitegen.yaml").write_text("title: [\n", encoding="utf-8")
    result = cli("due", hub)
    assert result.exit_code == 2 and "sitegen.yaml" in result.output and "Traceback" not in result.output


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = lambda *a, **k: _Quiet(*a, directory=str(folder), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _decision_step(hub: Path) -> dict:
    return next(step for step in _flow(hub)["jobs"]["build"]["steps"] if step.get("id") == "due")


def test_the_workflows_decision_with_a_fixed_clock(cli, make_site, tmp_path, monkeypatch):
    """The shell of the workflow's decision step, run as GitHub runs it (bash -e), against
    a live site served on 127.0.0.1: a scheduled run at 09:05 publishes the entry dated
    09:00; one with nothing due skips; a push always publishes."""
    hub = _due_hub(make_site)
    (hub / ".github/workflows").mkdir(parents=True)
    shutil.copy(_init(cli, tmp_path, "made") / WORKFLOW, hub / WORKFLOW)
    step = _decision_step(hub)
    live = tmp_path / "pages"
    server, origin = _serve(live)
    try:
        def run(event: str, now: str, deployed_at: str | None) -> tuple[int, str]:
            shutil.rmtree(live, ignore_errors=True)
            (live / "hub").mkdir(parents=True)
            if deployed_at:
                shutil.copy(_deployed_at(hub, tmp_path, deployed_at), live / "hub/sitemap.xml")
            output = tmp_path / "github_output"
            output.write_text("", encoding="utf-8")
            env = {**os.environ, "GITHUB_EVENT_NAME": event, "GITHUB_OUTPUT": str(output), "SITEGEN_NOW": now,
                   "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                   "BASE_URL": step["env"]["BASE_URL"].replace("${{ steps.pages.outputs.base_url }}", origin + "/hub")}
            done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=hub, env=env, capture_output=True, text=True)
            return done.returncode, output.read_text(encoding="utf-8")

        assert run("schedule", "2026-12-06T09:05", "2026-12-06T08:00") == (0, "deploy=true\n")
        assert run("schedule", "2026-12-06T08:30", "2026-12-06T08:00") == (0, "deploy=false\n")
        assert run("schedule", "2026-12-06T10:17", "2026-12-06T09:05") == (0, "deploy=false\n")
        assert run("schedule", "2026-12-06T09:05", None) == (0, "deploy=true\n")  # nothing deployed yet (404)
        assert run("push", "2026-12-06T08:30", "2026-12-06T08:00") == (0, "deploy=true\n")
        assert run("workflow_dispatch", "2026-12-06T08:30", "2026-12-06T08:00") == (0, "deploy=true\n")
        # sitegen due cannot answer: the run stops (it neither publishes nor skips silently).
        status, output = run("schedule", "not a time", "2026-12-06T08:00")
        assert status == 2 and output == ""
    finally:
        server.shutdown()


# -- The whole workflow, from a non-editable install, in a new environment ---------------

def _venv(folder: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    return folder / "bin"


def _condition(expression: str | None, outputs: dict[str, dict[str, str]]) -> bool:
    """The `if:` conditions the workflow's run steps use: steps.<id>.outputs.<key> == '<value>'."""
    if expression is None:
        return True
    m = re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+) == '([^']*)'", expression.strip())
    assert m, f"a condition this test cannot evaluate: {expression}"
    return outputs.get(m.group(1), {}).get(m.group(2)) == m.group(3)


@pytest.mark.slow
def test_a_hub_made_by_an_installed_sitegen_publishes_in_a_fresh_environment(tmp_path):
    """init from a non-editable install of this checkout; then, in a new virtual
    environment without sitegen, the `run:` steps of the hub's own workflow, with the
    base URL configure-pages gives (no trailing slash)."""
    maker = _venv(tmp_path / "maker")
    source = tmp_path / "source"  # what the package is made of; pip must not write build files into the checkout
    for name in ("sitegen", "themes"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    subprocess.run([str(maker / "python"), "-m", "pip", "install", "-q", str(source)], check=True,
                   capture_output=True, cwd=tmp_path)
    made = subprocess.run([str(maker / "sitegen"), "init", "ana-hub"], cwd=tmp_path, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert "Pinned ./.sitegen/wheels/" in made.stdout
    hub = tmp_path / "ana-hub"
    shutil.rmtree(source)  # the runner has only the hub

    runner = _venv(tmp_path / "runner")
    assert not (runner / "sitegen").exists()
    base = "https://ana.github.io/ana-hub"  # what configure-pages gives for a project site
    outputs: dict[str, dict[str, str]] = {}
    ran = []
    for step in _flow(hub)["jobs"]["build"]["steps"]:
        if "run" not in step or not _condition(step.get("if"), outputs):
            continue
        output = tmp_path / f"output-{len(ran)}"
        output.write_text("", encoding="utf-8")
        env = {**os.environ, "PATH": f"{runner}{os.pathsep}{os.environ['PATH']}", "GITHUB_EVENT_NAME": "push",
               "GITHUB_OUTPUT": str(output), "VIRTUAL_ENV": str(runner.parent)}
        env.pop("PYTHONPATH", None)
        for key, value in (step.get("env") or {}).items():
            assert value == "${{ steps.pages.outputs.base_url }}", value
            env[key] = base
        done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=hub, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"{step['name']}:\n{done.stdout}\n{done.stderr}"
        outputs[step.get("id", "")] = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        ran.append((step["name"], done.stdout))
    names = [name for name, _ in ran]
    assert names == ["Install sitegen", "Decide whether to publish", "Build the site", "Check the site"]
    assert "0 errors" in ran[-1][1]
    home = BeautifulSoup((hub / "_site/index.html").read_text(encoding="utf-8"), "html5lib")
    assert home.find("link", rel="canonical")["href"] == base + "/"
    assert home.find("link", rel="stylesheet")["href"].startswith("/ana-hub/")
    assert (runner / "sitegen").exists()  # installed by the workflow's own step, from the shipped wheel


def test_a_fresh_install_of_the_same_libraries_keeps_the_cache(tmp_path, monkeypatch):
    """Each deploy's runner installs sitegen's libraries anew: new time stamps, same
    bytes. The cache is sitegen's and its libraries' code, not their install time."""
    import importlib.util
    from types import SimpleNamespace

    from sitegen import cache
    library = tmp_path / "yaml" / "__init__.py"
    library.parent.mkdir()
    library.write_text("__version__ = '6.0.3'\n", encoding="utf-8")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: SimpleNamespace(origin=str(library)) if name == "yaml" else real(name, *a))
    before = cache.code_digest()
    os.utime(library, (time.time() + 3600, time.time() + 3600))
    assert cache.code_digest() == before
    library.write_text("__version__ = '6.0.4'\n", encoding="utf-8")  # an upgrade
    assert cache.code_digest() != before
