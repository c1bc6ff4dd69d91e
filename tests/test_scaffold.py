"""sitegen init and sitegen new: a hub that builds out of the box, drafts with their front matter."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import yaml
from hypothesis import assume, given, settings, strategies as st

from conftest import REPO, soup, tree_digest
from sitegen.frontmatter import split_front_matter
from sitegen.scaffold import skeleton_files

PAGES_ACTIONS = ("actions/checkout", "actions/setup-python", "actions/configure-pages", "actions/cache/restore",
                 "actions/cache/save", "actions/upload-pages-artifact", "actions/deploy-pages")


def _init(cli, tmp_path: Path, *args: str) -> Path:
    hub = tmp_path / "my-hub"
    result = cli("init", hub, *args)
    assert result.exit_code == 0, result.output
    return hub


# -- init ------------------------------------------------------------------------------

def test_init_builds_out_of_the_box(cli, tmp_path):
    hub = _init(cli, tmp_path)
    for rel in ("sitegen.yaml", "content/pages/about.md", "content/pages/contact.md", "content/pages/membership.md",
                "static/favicon.svg", ".gitignore", ".github/workflows/pages.yml"):
        assert (hub / rel).is_file(), rel
    assert list((hub / "content/interviews").glob("*.md")) and list((hub / "content/stories").glob("*.md"))
    result = cli("build", hub)
    assert result.exit_code == 0, result.output
    # A fresh hub is clean, not only buildable: the only advice allowed is about settings
    # the creator has to fill in (such as a contact form service).
    warnings = [line for line in result.output.splitlines() if "warning:" in line]
    assert all(line.startswith("sitegen.yaml: warning:") for line in warnings), warnings
    out = hub / "_site"
    home = soup(out / "index.html")
    assert home.find("h1").get_text(strip=True) == "My hub"  # from the folder's name
    nav = {a.get_text(strip=True): a["href"] for a in home.select("nav.site-nav a")}
    assert nav["About"] == "/my-hub/about/" and nav["Membership"] == "/my-hub/membership/"
    interview = next((out / "interviews").glob("*/index.html"))
    assert soup(interview).find("h2") is not None
    assert (out / "favicon.svg").read_bytes() == (hub / "static/favicon.svg").read_bytes()


def test_init_passes_sitegen_check(cli, tmp_path):
    hub = _init(cli, tmp_path)
    result = cli("check", hub)
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output
    # What the Pages workflow runs, with the address configure-pages gives.
    base = "https://ana.github.io/my-hub/"
    assert cli("build", hub, "--output", hub / "_site", "--base-url", base).exit_code == 0
    result = cli("check", hub, "--no-build", "--output", hub / "_site", "--base-url", base)
    assert result.exit_code == 0, result.output


def test_init_links_resolve_inside_the_built_site(cli, tmp_path):
    hub = _init(cli, tmp_path, "--base-url", "https://ana.github.io/hub/")
    assert cli("build", hub).exit_code == 0
    out = hub / "_site"
    for page in out.rglob("*.html"):
        for a in soup(page).find_all("a", href=True):
            href = a["href"].split("#")[0].split("?")[0]
            if not href.startswith("/hub/"):
                continue
            target = out / href[len("/hub/"):]
            assert (target / "index.html").is_file() or target.is_file(), f"{page}: {a['href']}"


def test_settings_file_has_a_comment_on_every_setting(cli, tmp_path):
    hub = _init(cli, tmp_path, "--title", "Pan: de barrio")
    lines = (hub / "sitegen.yaml").read_text(encoding="utf-8").splitlines()
    data = yaml.safe_load("\n".join(lines))
    assert data["title"] == "Pan: de barrio"
    keys = [i for i, line in enumerate(lines) if re.match(r"^[a-z_]+:", line)]
    assert len(keys) == len(data)
    for i in keys:
        above = [line for line in lines[:i] if line.strip()]
        assert above and above[-1].startswith("#"), f"no comment above {lines[i]!r}"


def test_workflow_uses_the_official_pages_actions(cli, tmp_path):
    hub = _init(cli, tmp_path)
    flow = yaml.safe_load((hub / ".github/workflows/pages.yml").read_text(encoding="utf-8"))
    assert flow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert flow["concurrency"]["group"] == "pages"
    steps = [step for job in flow["jobs"].values() for step in job["steps"]]
    used = [step["uses"].split("@")[0] for step in steps if "uses" in step]
    assert used == list(PAGES_ACTIONS)
    assert all(re.search(r"@v\d+$", step["uses"]) for step in steps if "uses" in step)
    build_step = next(step for step in steps if "sitegen build" in step.get("run", ""))
    assert "steps.pages.outputs.base_url" in build_step["env"]["BASE_URL"]
    assert '--base-url "$BASE_URL/"' in build_step["run"] and "--output _site" in build_step["run"]
    check_step = next(step for step in steps if "sitegen check" in step.get("run", ""))
    assert steps.index(build_step) < steps.index(check_step)  # checked before it is uploaded
    assert "--no-build --output _site" in check_step["run"] and '--base-url "$BASE_URL/"' in check_step["run"]
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_site"
    pages_step = next(step for step in steps if step.get("uses", "").startswith("actions/configure-pages"))
    assert pages_step["id"] == "pages"
    deploy = flow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    requirements = (hub / "requirements.txt").read_text(encoding="utf-8")
    # This sitegen is an editable install (the test environment's): its wheel ships in the hub.
    wheel = re.search(r"^\./(\.sitegen/wheels/sitegen_hub-[^/]+-py3-none-any\.whl)$", requirements, re.M)
    assert wheel and (hub / wheel.group(1)).is_file()


def test_the_base_url_from_configure_pages_works_under_a_project_path(cli, tmp_path):
    """What the workflow runs: configure-pages gives the URL without a trailing slash."""
    hub = _init(cli, tmp_path)
    result = cli("build", hub, "--output", hub / "_site", "--base-url", "https://ana.github.io/pan-de-barrio" + "/")
    assert result.exit_code == 0, result.output
    home = soup(hub / "_site/index.html")
    assert home.find("link", rel="stylesheet")["href"].startswith("/pan-de-barrio/assets/")
    assert home.find("link", rel="canonical")["href"] == "https://ana.github.io/pan-de-barrio/"


def test_init_refuses_to_overwrite_and_writes_nothing(cli, tmp_path):
    hub = tmp_path / "hub"
    (hub / "content/pages").mkdir(parents=True)
    (hub / "content/pages/about.md").write_text("---\ntitle: Mine\n---\nMy own words.\n", encoding="utf-8")
    (hub / "sitegen.yaml").write_text("title: Mine\nbase_url: https://example.org/\n", encoding="utf-8")
    before = tree_digest(hub)
    result = cli("init", hub)
    assert result.exit_code == 1
    assert "content/pages/about.md: already exists" in result.output
    assert "sitegen.yaml: already exists" in result.output
    assert "hint:" in result.output and "--force" in result.output
    assert "Traceback" not in result.output
    assert tree_digest(hub) == before


def test_init_force_replaces_only_its_own_files(cli, tmp_path):
    hub = tmp_path / "hub"
    (hub / "content/pages").mkdir(parents=True)
    (hub / "content/pages/about.md").write_text("old", encoding="utf-8")
    (hub / "content/pages/mine.md").write_text("---\ntitle: Mine\n---\n", encoding="utf-8")
    (hub / ".gitignore").write_text("node_modules/\n", encoding="utf-8")
    result = cli("init", hub, "--force")
    assert result.exit_code == 0, result.output
    assert "replaced  content/pages/about.md" in result.output
    assert (hub / "content/pages/about.md").read_text(encoding="utf-8") != "old"
    assert (hub / "content/pages/mine.md").read_text(encoding="utf-8") == "---\ntitle: Mine\n---\n"
    # An existing .gitignore is extended, never replaced (with or without --force).
    assert (hub / ".gitignore").read_text(encoding="utf-8").splitlines()[0] == "node_modules/"
    assert {"_site/", ".sitegen-cache/"} <= set((hub / ".gitignore").read_text(encoding="utf-8").splitlines())


def test_init_never_writes_through_a_link(cli, tmp_path):
    """A change to a hub can add links; 'sitegen init --force' run there again must not
    replace (or extend) a file of yours wherever they lead. It writes nothing at all."""
    hub, elsewhere = tmp_path / "hub", tmp_path / "elsewhere"
    (elsewhere / "workflows").mkdir(parents=True)
    (elsewhere / "workflows/pages.yml").write_text("mine", encoding="utf-8")
    (elsewhere / "gitignore").write_text("mine\n", encoding="utf-8")
    hub.mkdir()
    (hub / ".github").symlink_to(elsewhere, target_is_directory=True)
    (hub / ".gitignore").symlink_to(elsewhere / "gitignore")
    result = cli("init", hub, "--force")
    assert result.exit_code == 1 and "Traceback" not in result.output
    for name in (".github", ".gitignore"):
        assert f"{name}: this is a symbolic link, and sitegen init never writes through one" in result.output
    assert (elsewhere / "workflows/pages.yml").read_text(encoding="utf-8") == "mine"
    assert (elsewhere / "gitignore").read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in hub.iterdir()) == [".github", ".gitignore"]


def test_init_in_an_existing_repository_extends_gitignore(cli, tmp_path):
    hub = tmp_path / "repo"
    hub.mkdir()
    (hub / "README.md").write_text("# my repo\n", encoding="utf-8")
    (hub / ".gitignore").write_text("*.log", encoding="utf-8")
    result = cli("init", hub)
    assert result.exit_code == 0, result.output
    assert (hub / "README.md").read_text(encoding="utf-8") == "# my repo\n"
    assert (hub / ".gitignore").read_text(encoding="utf-8").splitlines()[0] == "*.log"
    assert cli("build", hub).exit_code == 0


def test_init_rejects_a_bad_base_url(cli, tmp_path):
    result = cli("init", tmp_path / "hub", "--base-url", "ana.github.io/hub")
    assert result.exit_code == 1
    assert "--base-url must be an absolute http(s) URL" in result.output and "hint:" in result.output
    assert not (tmp_path / "hub").exists()


def test_sample_hub_ships_in_the_wheel():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]["sitegen"]
    assert "skeleton/**/*" in data
    targets = {target for target, _ in skeleton_files()}
    assert {".gitignore", ".github/workflows/pages.yml", "sitegen.yaml"} <= targets
    # No hidden names in the package itself: packaging tools may skip them.
    assert not any(part.startswith(".") for _, source in skeleton_files()
                   for part in source.relative_to(REPO).parts)


# -- new -------------------------------------------------------------------------------

def _meta(path: Path) -> dict:
    return split_front_matter(path.read_text(encoding="utf-8"), path.name).meta


def test_new_interview_with_accents(cli, make_site):
    site = make_site(config="title: T\nbase_url: https://example.org/\ntimezone: America/Mexico_City\n")
    before = datetime.now(timezone.utc)
    result = cli("new", "interview", "Ana Pérez: ñandú, über und Façade", "--person", "Ana Pérez", "--site", site)
    assert result.exit_code == 0, result.output
    path = site / "content/interviews/ana-perez-nandu-uber-und-facade.md"
    assert result.stdout.strip().endswith("content/interviews/ana-perez-nandu-uber-und-facade.md")
    meta = _meta(path)
    assert meta["title"] == "Ana Pérez: ñandú, über und Façade"
    assert meta["person"] == {"name": "Ana Pérez", "consent": False}
    assert meta["draft"] is True
    # Now, in the site's time zone (to the minute).
    written = datetime.strptime(meta["date"], "%Y-%m-%d %H:%M")
    from zoneinfo import ZoneInfo
    local_now = before.astimezone(ZoneInfo("America/Mexico_City")).replace(tzinfo=None, second=0, microsecond=0)
    assert abs((written - local_now).total_seconds()) <= 120
    body = path.read_text(encoding="utf-8").split("---", 2)[2]
    assert len(re.findall(r"^## ", body, re.M)) >= 3  # question headings to start from
    # The draft is left out by default and built with --drafts.
    assert cli("build", site).exit_code == 0
    assert not (site / "_site/interviews/ana-perez-nandu-uber-und-facade").exists()
    assert cli("build", site, "--drafts").exit_code == 0
    page = soup(site / "_site/interviews/ana-perez-nandu-uber-und-facade/index.html")
    assert page.find("h1").get_text(strip=True) == "Ana Pérez: ñandú, über und Façade"


def test_new_story_in_spanish_and_page(cli, make_site):
    site = make_site()
    result = cli("new", "story", "Cómo empezó la cooperativa", "--lang", "es", "--date", "2026-03-04", "--site", site)
    assert result.exit_code == 0, result.output
    story = site / "content/stories/como-empezo-la-cooperativa.md"
    meta = _meta(story)
    assert meta["lang"] == "es" and meta["date"] == "2026-03-04" and meta["draft"] is True
    assert "person" not in meta
    assert "## Qué pasó" in story.read_text(encoding="utf-8")  # the skeleton speaks the page's language
    result = cli("new", "page", "Colofón", "--site", site)
    assert result.exit_code == 0, result.output
    page = site / "content/pages/colofon.md"
    assert "date" not in _meta(page) and _meta(page)["title"] == "Colofón"
    assert cli("build", site, "--drafts").exit_code == 0
    assert (site / "_site/colofon/index.html").is_file()
    assert soup(site / "_site/stories/como-empezo-la-cooperativa/index.html").find("html")["lang"] == "es"


def test_new_interview_without_person_still_builds(cli, make_site):
    site = make_site()
    result = cli("new", "interview", "Untitled talk", "--site", site)
    assert result.exit_code == 0, result.output
    assert cli("build", site, "--drafts").exit_code == 0


def test_new_refuses_to_overwrite(cli, make_site):
    site = make_site(files={"content/interviews/ana-perez.md": "---\ntitle: Mine\ndate: 2026-01-01\n---\nKeep me.\n"})
    before = tree_digest(site)
    result = cli("new", "interview", "Ana Pérez", "--site", site)
    assert result.exit_code == 1
    assert "content/interviews/ana-perez.md: already exists" in result.output
    assert "hint:" in result.output and "--slug" in result.output
    assert tree_digest(site) == before
    result = cli("new", "interview", "Ana Pérez", "--slug", "ana-perez-2", "--site", site)
    assert result.exit_code == 0
    assert (site / "content/interviews/ana-perez-2.md").is_file()


def test_new_mistakes_are_explained(cli, make_site):
    site = make_site()
    for args, message in (
        (("interview", "T", "--date", "02/10/2026"), "--date must be a date"),
        (("story", "T", "--lang", "Spanish"), "--lang is not a language code"),
        (("page", "T", "--person", "Ana"), "--person is for interviews and stories"),
        (("page", "¿?"), "cannot make a file name"),
        (("page", "T", "--slug", "../x"), "cannot make a file name"),
    ):
        result = cli("new", *args, "--site", site)
        assert result.exit_code == 1, args
        assert message in result.output and "hint:" in result.output, result.output
        assert "Traceback" not in result.output
    assert not (site / "content").exists()


def test_new_outside_a_hub(cli, tmp_path):
    result = cli("new", "page", "About", "--site", tmp_path)
    assert result.exit_code == 1
    assert "no sitegen.yaml" in result.output and "sitegen init" in result.output


def test_an_installed_sitegen_inits_a_hub_that_builds(tmp_path):
    """The sample hub is package data: a non-editable install must carry every file."""
    import os
    import subprocess
    import sys

    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(REPO)],
                   check=True, capture_output=True, cwd=tmp_path)
    env = {**os.environ, "PYTHONPATH": str(target)}
    hub = tmp_path / "hub"
    for args in (["init", str(hub)], ["build", str(hub)]):
        result = subprocess.run([sys.executable, "-m", "sitegen", *args], capture_output=True, text=True,
                                cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
    assert {target for target, _ in skeleton_files()} <= {
        p.relative_to(hub).as_posix() for p in hub.rglob("*") if p.is_file() and "_site" not in p.parts}
    assert (hub / ".github/workflows/pages.yml").is_file()
    assert (hub / "_site/index.html").is_file()


@settings(max_examples=150, deadline=None)
@given(title=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
       person=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20))
def test_any_title_and_name_survive_the_front_matter(tmp_path_factory, title, person):
    from sitegen.scaffold import new_content
    from sitegen.slugs import slugify

    assume(title.strip() and slugify(title) and person.strip())
    site = tmp_path_factory.mktemp("hub")
    (site / "sitegen.yaml").write_text("title: T\nbase_url: https://example.org/\n", encoding="utf-8")
    path = new_content(site, "interview", title, person=person)
    assert path.name == slugify(title) + ".md"
    meta = _meta(path)
    assert meta["title"] == title.strip()
    assert meta["person"]["name"] == person.strip()


GIT_INSTALL = {"url": "https://github.com/ana/sitegen", "vcs_info": {"vcs": "git", "commit_id": "4f2a" * 10,
                                                                     "requested_revision": "main"}}


def _requirement(monkeypatch, direct_url: object) -> str:
    from sitegen import pin
    monkeypatch.setattr(pin, "_direct_url", lambda: direct_url if direct_url is None or isinstance(direct_url, str)
                        else json.dumps(direct_url))
    return pin.decide().line


def test_requirements_name_the_git_commit_sitegen_was_installed_from(cli, tmp_path, monkeypatch):
    """While sitegen-hub is not on PyPI, a hub made by a sitegen installed from git
    deploys with that very commit."""
    from packaging.requirements import Requirement
    from sitegen import pin
    monkeypatch.setattr(pin, "_direct_url", lambda: json.dumps(GIT_INSTALL))
    hub = _init(cli, tmp_path)
    assert not (hub / ".sitegen").exists()  # nothing shipped: the runner installs from git
    lines = [line for line in (hub / "requirements.txt").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    assert lines == ["sitegen-hub @ git+https://github.com/ana/sitegen@" + "4f2a" * 10]
    requirement = Requirement(lines[0])  # what pip parses
    assert requirement.name == "sitegen-hub" and requirement.url.endswith("@" + "4f2a" * 10)

    subfolder = {**GIT_INSTALL, "subdirectory": "tools/sitegen"}
    assert _requirement(monkeypatch, subfolder).endswith("#subdirectory=tools/sitegen")


def test_requirements_never_carry_credentials_or_local_folders(monkeypatch):
    """A release from the index is pinned by version; anything GitHub's runners cannot
    reach (a local folder, a private URL, another VCS) ships as a wheel inside the hub."""
    from sitegen import __version__
    from sitegen.pin import wheel_name
    assert _requirement(monkeypatch, None) == f"sitegen-hub=={__version__}"  # from an index
    shipped = f"./.sitegen/wheels/{wheel_name()}"
    cases = [
        {"url": "file:///home/ana/sitegen", "dir_info": {"editable": True}},
        {"url": "file:///home/ana/sitegen", "dir_info": {}},
        {"url": "file:///home/ana/dist/sitegen_hub-0.1.0-py3-none-any.whl", "archive_info": {}},
        {**GIT_INSTALL, "url": "https://ana:ghp_secret@github.com/ana/sitegen"},
        {**GIT_INSTALL, "url": "https://x-access-token@github.com/ana/sitegen"},
        {**GIT_INSTALL, "url": "ssh://git@github.com/ana/sitegen"},
        {**GIT_INSTALL, "vcs_info": {"vcs": "hg", "commit_id": "abc"}},
        {**GIT_INSTALL, "vcs_info": {"vcs": "git", "commit_id": "abc; rm -rf /"}},
        "not json",
    ]
    for case in cases:
        assert _requirement(monkeypatch, case) == shipped, case


def test_the_hub_explains_itself_in_its_readme(cli, tmp_path):
    hub = _init(cli, tmp_path, "--title", "Pan de barrio")
    readme = (hub / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Pan de barrio\n")
    headings = re.findall(r"^## (.+)$", readme, re.M)
    assert headings == ["Preview", "Write", "Publish", "Where things are"]
    for needed in ("sitegen serve", 'sitegen new interview "', "Settings > Pages", "GitHub Actions",
                   ".github/workflows/pages.yml", "sitegen pin", "`sitegen.yaml`", "requirements.txt"):
        assert needed in readme, needed
    # Every file it names exists in the hub.
    for rel in ("sitegen.yaml", ".github/workflows/pages.yml", "requirements.txt", "content/interviews/",
                "content/stories/", "content/pages/", "static/"):
        assert f"`{rel}`" in readme and (hub / rel).exists(), rel


def test_init_never_overwrites_the_users_readme(cli, tmp_path):
    hub = tmp_path / "repo"
    hub.mkdir()
    (hub / "README.md").write_text("# mine\n", encoding="utf-8")
    for args in ((), ("--force",)):
        result = cli("init", hub, *args)
        assert result.exit_code == 0, result.output
        assert "kept      README.md" in result.output
        assert (hub / "README.md").read_text(encoding="utf-8") == "# mine\n"
