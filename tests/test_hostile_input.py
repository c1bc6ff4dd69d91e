"""What a careless or hostile user can put in a hub: every case is a message naming the
file (and line), with a hint and exit status 1, never a traceback, a hang or a leak.

Cases that cannot live in tests/sites/broken/ are made here: file names that are not
UTF-8 or that Windows reserves (a checkout on Windows would fail), named pipes, link
loops; and families of cases (a malformed URL in each place a URL is written).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINIMAL_CONFIG, soup

STORY = "---\ntitle: Bread\ndate: 2026-01-01\n{front}---\n{body}"
TIER = ("membership:\n  goal: {{amount: 1000, currency: EUR, period: year}}\n  tiers:\n"
        "    - {{name: Reader, price: 4, currency: EUR, interval: month, join_url: '{url}'}}\n")

can_link = pytest.mark.skipif(os.name == "nt", reason="needs symbolic links")
can_pipe = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


def story(front: str = "", body: str = "Body.\n") -> str:
    return STORY.format(front=front, body=body)


def assert_reported(result, prefix: str, message: str, hint: str) -> None:
    """Exit 1, no traceback, a line starting with ``prefix`` that says ``message``,
    and under it a hint that says ``hint``."""
    stderr = result.stderr
    assert "Traceback" not in result.output + stderr
    assert result.exit_code == 1, stderr
    lines = stderr.splitlines()
    found = [i for i, line in enumerate(lines) if line.startswith(prefix) and message in line]
    assert found, stderr
    after = lines[found[0] + 1]
    assert after.startswith("  hint: ") and hint in after, stderr


# -- One cause, thirteen tracebacks: urllib.parse refusing a malformed URL --------------
PORT_HINT = "a port is a number from 1 to 65535"
MALFORMED = {
    "front matter link": (
        {"content/interviews/ana.md": "---\ntitle: Ana\ndate: 2026-01-01\nperson:\n  name: Ana\n"
                                      "  links: {website: 'http://[::1'}\n---\nBody.\n"},
        MINIMAL_CONFIG, "content/interviews/ana.md:6:", "'person.links.website' must be an http(s) URL",
        "e.g. website: https://example.org/"),
    "front matter video": (
        {"content/interviews/ana.md": "---\ntitle: Ana\ndate: 2026-01-01\nperson: Ana\n"
                                      "video: 'https://www.youtube.com:8O80/watch?v=aaaaaaaaaaa'\n---\nBody.\n"},
        MINIMAL_CONFIG, "content/interviews/ana.md:5:", "'video' must be an https URL", "e.g. video: https://"),
    "front matter image": (
        {"content/stories/bread.md": story("image: 'http://[::1/bread.jpg'\n")},
        MINIMAL_CONFIG, "content/stories/bread.md:4:", "'image' must be a path under static/", "static/images/"),
    "Markdown image, IPv6": (
        {"content/stories/bread.md": story(body="Intro.\n\n![Loaf](http://[::1/bread.jpg)\n")},
        MINIMAL_CONFIG, "content/stories/bread.md:7:", "this image's address is malformed", PORT_HINT),
    "Markdown image, port": (
        {"content/stories/bread.md": story(body="Intro.\n\n![Loaf](https://cdn.example:99999/bread.jpg)\n")},
        MINIMAL_CONFIG, "content/stories/bread.md:7:", "this image's address is malformed", PORT_HINT),
    "raw <img>": (
        {"content/stories/bread.md": story(body='Intro.\n\n<img src="http://[::1/bread.jpg" alt="Loaf">\n')},
        MINIMAL_CONFIG, "content/stories/bread.md:7:", "<img src> with a malformed address", PORT_HINT),
    "raw srcset": (
        {"content/stories/bread.md": story(body='Intro.\n\n<img src="/a.jpg" srcset="https://cdn.example:8O80/b.jpg 2x" alt="L">\n')},
        MINIMAL_CONFIG, "content/stories/bread.md:7:", "<img srcset> with a malformed address", PORT_HINT),
    "raw CSS": (
        {"content/stories/bread.md": story(body='Intro.\n\n<p style="background: url(http://[::1/b.jpg)">Hi</p>\n')},
        MINIMAL_CONFIG, "content/stories/bread.md:7:", "url() on <p> with a malformed address", PORT_HINT),
    "base_url, IPv6": (
        {}, "title: T\nbase_url: 'http://[::1'\n", "sitegen.yaml:2:", "'base_url' must be an absolute http(s) URL",
        PORT_HINT),
    "base_url, port": (
        {}, "title: T\nbase_url: 'https://example.org:99999/'\n", "sitegen.yaml:2:",
        "'base_url' must be an absolute http(s) URL", PORT_HINT),
    "allow_origins": (
        {}, MINIMAL_CONFIG + "privacy:\n  allow_origins: ['https://media.example:8O80']\n", "sitegen.yaml:7:",
        "'privacy.allow_origins' entries must be origins", ":port (1-65535)"),
    "menu": (
        {}, MINIMAL_CONFIG + "menu:\n  - {label: Home, url: 'http://[::1'}\n", "sitegen.yaml:6:",
        "'menu' url must be a site path", "{label: About, url: /about/}"),
    "tier join_url": (
        {}, MINIMAL_CONFIG + TIER.format(url="https://[::1/join"), "sitegen.yaml:9:",
        "'membership.tiers[0].join_url' must be an https:// or mailto: link", "a link where readers join"),
    "form action": (
        {}, MINIMAL_CONFIG + "  form: {action: 'https://forms.example:8O80/f'}\n", "sitegen.yaml:6:",
        "'contact.form.action' must be an https URL", "forms must post over https"),
    "author url": (
        {}, MINIMAL_CONFIG + "author: {name: Marta, url: 'http://[::1'}\n", "sitegen.yaml:6:",
        "'author.url' must be an http(s) URL", "e.g. url: https://example.org/"),
    "webmention": (
        {}, MINIMAL_CONFIG + "webmention: 'https://[::1/webmention'\n", "sitegen.yaml:6:",
        "'webmention' must be an https URL", "e.g. webmention: https://"),
    "fediverse": (
        {}, MINIMAL_CONFIG + "  fediverse: 'https://[::1/@ana'\n", "sitegen.yaml:6:",
        "'contact.fediverse' must be a fediverse handle", "fediverse:"),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_a_malformed_url_is_a_message_wherever_it_is_written(case, make_site, cli) -> None:
    files, config, prefix, message, hint = MALFORMED[case]
    root = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi.\n", **files}, config=config)
    assert_reported(cli("build", root), prefix, message, hint)


def test_a_well_formed_ipv6_address_and_port_are_still_accepted(make_site, cli) -> None:
    root = make_site({"content/stories/bread.md": story("image: 'https://[2001:db8::1]:8443/bread.jpg'\n")},
                     config=MINIMAL_CONFIG + "privacy:\n  allow_origins: ['https://[2001:db8::1]:8443']\n")
    result = cli("build", root)
    assert result.exit_code == 0, result.stderr


# -- privacy.allow_origins goes into every page's Content-Security-Policy --------------
@pytest.mark.parametrize("origin", [
    "https://a.example;script-src 'unsafe-inline'",
    "https://a.example 'unsafe-inline'",
    "https://a.example/path/",
    "https://a.example'",
    'https://a.example"',
    "https://*.example.org",
    "https://a.example:0",
    "ftp://a.example",
    "https://a.example?x=1",
])
def test_allow_origins_takes_only_a_scheme_a_host_and_a_port(origin, make_site, cli) -> None:
    quoted = "'" + origin.replace("'", "''") + "'"
    root = make_site({}, config=MINIMAL_CONFIG + f"privacy:\n  allow_origins:\n    - {quoted}\n")
    assert_reported(cli("build", root), "sitegen.yaml:7:", "'privacy.allow_origins' entries must be origins",
                    "no path, spaces, ';', quotes or wildcards")


def test_an_allowed_origin_with_a_port_reaches_the_policy_and_nothing_else_does(make_site, cli) -> None:
    root = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi.\n"},
                     config=MINIMAL_CONFIG + "privacy:\n  allow_origins: ['https://Media.example.org:8443/']\n")
    result = cli("build", root)
    assert result.exit_code == 0, result.stderr
    meta = soup(root / "_site" / "about" / "index.html").find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    directives = [d.strip() for d in meta["content"].split(";")]
    assert "img-src 'self' data: https://media.example.org:8443" in directives
    assert all(d.split()[0].endswith("-src") or d.startswith("base-uri") for d in directives), directives


# -- base_url with a password ----------------------------------------------------------
def test_a_password_in_base_url_is_refused_and_never_printed(make_site, cli) -> None:
    root = make_site({}, config="title: T\nbase_url: https://ana:hunter2-secret@example.org/\n")
    result = cli("build", root)
    assert_reported(result, "sitegen.yaml:2:", "must not contain a user name or password", "public address only")
    assert "hunter2" not in result.output + result.stderr
    assert not (root / "_site").exists()


def test_no_part_of_a_password_with_an_at_sign_is_printed(make_site, cli) -> None:
    root = make_site({}, config="title: T\nbase_url: \"https://ana:hunter2@secret@example.org/\"\n")
    result = cli("build", root)
    assert result.exit_code == 1
    assert "must not contain a user name or password" in result.output + result.stderr
    assert "hunter2" not in result.output + result.stderr and "secret" not in result.output + result.stderr


def test_a_password_given_with_base_url_option_is_not_printed_either(make_site, cli) -> None:
    root = make_site({})
    result = cli("build", root, "--base-url", "https://ana:hunter2-secret@example.org/")
    assert result.exit_code == 1
    assert "--base-url: must not contain a user name or password" in result.stderr
    assert "hunter2" not in result.output + result.stderr


# -- Amounts of money ------------------------------------------------------------------
@pytest.mark.parametrize("amount, message", [
    ("1.0e+300", "is too large to be an amount of money"),
    ("1000000000000", "is too large to be an amount of money"),
    (".inf", "must be a positive number"),
    ("-.inf", "must be a positive number"),
    (".nan", "must be a positive number"),
])
@pytest.mark.parametrize("where", ["goal", "price"])
def test_an_amount_out_of_range_is_a_message(amount, message, where, make_site, cli) -> None:
    goal = amount if where == "goal" else "1000"
    price = amount if where == "price" else "4"
    config = MINIMAL_CONFIG + (
        f"membership:\n  goal: {{amount: {goal}, currency: EUR, period: year}}\n  tiers:\n"
        f"    - {{name: Reader, price: {price}, currency: EUR, interval: month, join_url: 'https://pay.example/r'}}\n")
    key = "membership.goal.amount" if where == "goal" else "membership.tiers[0].price"
    line = 7 if where == "goal" else 9
    assert_reported(cli("build", make_site({}, config=config)), f"sitegen.yaml:{line}:", f"'{key}' {message}",
                    "plain number" if "large" in message else "write just the number")


# -- File names and kinds of files -----------------------------------------------------
def test_a_content_file_name_that_is_not_utf8_is_named(make_site, cli) -> None:
    root = make_site({"content/stories/ok.md": story()})
    folder = os.fsencode(root / "content" / "stories")
    with open(folder + b"/caf\xe9.md", "wb") as file:
        file.write(story().encode())
    assert_reported(cli("build", root), "content/stories/caf\\xe9.md:", "this name is not UTF-8 text",
                    "rename it")


def test_a_static_file_name_that_is_not_utf8_is_named(make_site, cli) -> None:
    root = make_site({"static/ok.txt": "ok"})
    with open(os.fsencode(root / "static") + b"/men\xfa.txt", "wb") as file:
        file.write(b"x")
    assert_reported(cli("build", root), "static/men\\xfa.txt:", "this name is not UTF-8 text", "rename it")


@can_link
def test_a_symbolic_link_loop_in_static_is_named(make_site, cli) -> None:
    root = make_site({"static/ok.txt": "ok"})
    (root / "static" / "loop").symlink_to("loop")
    (root / "static" / "a").symlink_to("b")
    (root / "static" / "b").symlink_to("a")
    result = cli("build", root)
    assert_reported(result, "static/loop:", "leads to itself (a loop)", "remove the link")
    assert_reported(result, "static/a:", "leads to itself (a loop)", "remove the link")


def _build_in_a_process(root: Path) -> subprocess.CompletedProcess[str]:
    """A build in its own process, stopped after a minute: a hang fails the test."""
    return subprocess.run([sys.executable, "-m", "sitegen", "build", str(root)], capture_output=True,
                          text=True, timeout=60)


@can_pipe
@pytest.mark.parametrize("rel", ["content/stories/pipe.md", "static/pipe.txt", "static/feeds/pipe.xml"])
def test_a_named_pipe_never_hangs_the_build(rel, make_site) -> None:
    root = make_site({"content/stories/ok.md": story(), "static/feeds/.keep": ""})
    os.mkfifo(root / rel)
    result = _build_in_a_process(root)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"{rel}: ") and "not a regular file" in line)
    assert lines[at + 1].startswith("  hint: ") and "regular file" in lines[at + 1]


@can_pipe
def test_a_named_pipe_not_named_like_content_is_left_alone(make_site) -> None:
    root = make_site({"content/stories/ok.md": story()})
    os.mkfifo(root / "content" / "stories" / "notes.fifo")
    result = _build_in_a_process(root)
    assert result.returncode == 0, result.stderr


# Made here, not kept in tests/sites/broken/: the repository must stay checkout-able on Windows.
@pytest.mark.parametrize("rel", [
    "content/stories/CON.md", "content/stories/aux.md", "content/pages/Nul.markdown",
    "content/stories/com1.md", "content/stories/LPT9.draft.md", "static/aux.txt", "static/prn/index.html",
    "static/COM3",
])
def test_a_name_windows_reserves_is_an_error(rel, make_site, cli) -> None:
    root = make_site({"content/stories/ok.md": story(), rel: story() if rel.endswith("md") else "x"})
    reserved = next(part for part in rel.split("/")[1:] if part.split(".")[0].lower()
                    in ("con", "prn", "aux", "nul", "com1", "com3", "lpt9"))
    shown = rel[:rel.index(reserved) + len(reserved)]
    assert_reported(cli("build", root), f"{shown}: ", "is a name Windows reserves", "rename it, e.g.")


def test_names_that_only_look_reserved_are_fine(make_site, cli) -> None:
    root = make_site({f"content/stories/{name}.md": story() for name in ("console", "auxiliary", "com10", "nul-points")}
                     | {"static/lpt.txt": "x"})
    result = cli("build", root)
    assert result.exit_code == 0, result.stderr
    assert (root / "_site" / "stories" / "com10" / "index.html").is_file()


# -- What a link may lead to -----------------------------------------------------------
@can_link
@pytest.mark.parametrize("link, target, message", [
    ("static/settings.txt", "../sitegen.yaml", "leads to the site's sitegen.yaml"),
    ("static/cache", "../.sitegen-cache", "leads to the site's .sitegen-cache"),
    ("static/old.json", "../.sitegen-cache/pages.json", "leads to the site's .sitegen-cache"),
    ("content/pages/settings.md", "../../sitegen.yaml", "leads to the site's sitegen.yaml"),
    ("static/templates", "../templates", "leads outside static/"),
    ("static/drafts.md", "../content/stories/draft.md", "points outside static/"),
])
def test_a_link_never_publishes_the_settings_the_cache_or_the_sources(link, target, message, make_site, cli) -> None:
    root = make_site({"content/stories/draft.md": story("draft: true\n"), "templates/page.html": "{% extends 'theme/page.html' %}",
                      ".sitegen-cache/pages.json": "{}"},
                     config=MINIMAL_CONFIG + "private:\n  token: PRIVATE-77aa\n")
    (root / link).parent.mkdir(parents=True, exist_ok=True)
    (root / link).symlink_to(target)
    result = cli("build", root)
    assert_reported(result, f"{link}:", message, "remove the link" if "site's" in message else "copy the file")
    assert not (root / "_site").exists()


def test_env_files_are_never_published_and_named_once(make_site, cli) -> None:
    secrets = {"static/.env": "A=ENV-1", "static/.env.local": "B=ENV-2", "static/.env.production": "C=ENV-3",
               "static/tools/.env.test": "D=ENV-4"}
    root = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi.\n", "static/.envelope.svg": "<svg/>",
                      **secrets})
    result = cli("build", root)
    assert result.exit_code == 0, result.stderr
    built = b"".join(p.read_bytes() for p in (root / "_site").rglob("*") if p.is_file())
    assert not any(value.split("=")[1].encode() in built for value in secrets.values())
    assert (root / "_site" / ".envelope.svg").is_file()  # only .env and .env.* are secrets
    warnings = [line for line in result.stderr.splitlines() if ".env files hold secrets" in line]
    assert len(warnings) == 1, result.stderr
    assert all(rel in warnings[0] for rel in secrets), warnings


# -- A static file a generated page takes the place of ---------------------------------
def test_a_static_file_that_loses_to_a_generated_page_is_named_with_it(make_site, cli) -> None:
    root = make_site({"content/pages/about.md": "---\ntitle: About us\n---\nThe page.\n",
                      "static/about/index.html": "<p>My own about page</p>",
                      "static/robots.txt": "User-agent: *\n"})
    for attempt in ("first build", "build with nothing to do"):
        result = cli("build", root)
        assert result.exit_code == 0, result.stderr
        lines = result.stderr.splitlines()
        about = [line for line in lines if line.startswith("static/about/index.html: warning: not published")]
        assert about and "content/pages/about.md makes about/index.html" in about[0], (attempt, result.stderr)
        robots = [line for line in lines if line.startswith("static/robots.txt: warning: not published")]
        assert robots and "sitegen makes robots.txt" in robots[0], (attempt, result.stderr)
    assert soup(root / "_site" / "about" / "index.html").find("h1").get_text(strip=True) == "About us"


def test_a_static_file_nothing_generated_collides_with_is_not_mentioned(make_site, cli) -> None:
    root = make_site({"content/pages/about.md": "---\ntitle: About\n---\nHi.\n", "static/about/team.html": "<p>x</p>"})
    result = cli("build", root)
    assert result.exit_code == 0 and "not published" not in result.stderr, result.stderr


# -- Front matter that was accepted silently --------------------------------------------
def test_one_tag_without_commas_is_still_a_tag(make_site, cli) -> None:
    root = make_site({"content/stories/bread.md": story("tags: food\n")})
    result = cli("build", root)
    assert result.exit_code == 0, result.stderr
    assert (root / "_site" / "tags" / "food" / "index.html").is_file()


@pytest.mark.parametrize("title", ["'   '", '"\\t"', "' \u3000 '"])
def test_a_blank_title_is_an_error(title, make_site, cli) -> None:
    root = make_site({"content/stories/bread.md": f"---\ntitle: {title}\ndate: 2026-01-01\n---\nBody.\n"})
    assert_reported(cli("build", root), "content/stories/bread.md:2:", "'title' is blank", "write the title")


@pytest.mark.parametrize("template", ["partials/reply.html", "theme/partials/nav.html", "default/partials/tags.html"])
def test_a_partial_is_not_a_page_template(template, make_site, cli) -> None:
    root = make_site({"content/pages/about.md": f"---\ntitle: About\ntemplate: {template}\n---\nHi.\n"})
    assert_reported(cli("build", root), "content/pages/about.md:3:", "'template' names a partial",
                    "use interview.html, story.html or page.html")


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-14:00"])
def test_a_date_at_the_edge_of_time_names_the_content_file(moment, make_site, cli) -> None:
    root = make_site({"content/stories/bread.md": story().replace("date: 2026-01-01", f"date: {moment}")})
    result = cli("build", root, "--future") if moment.startswith("9999") else cli("build", root)
    assert_reported(result, "content/stories/bread.md:3:", "'date' is out of range", "between the years 2 and 9998")
    assert "templates/" not in result.stderr


def test_an_unknown_placeholder_in_a_theme_catalog_names_the_catalog(make_site, cli) -> None:
    root = make_site({"content/stories/bread.md": story(),
                      "themes/mine/templates/.keep": "",
                      "themes/mine/i18n/en.yaml": "section_story: Stories\nreading_time: '{minutes} min, {speed}'\n"},
                     config=MINIMAL_CONFIG + "theme: mine\n")
    assert_reported(cli("build", root), "themes/mine/i18n/en.yaml:2:", "'reading_time': the placeholder {speed} is unknown",
                    "this string can use {minutes}")


def test_check_reports_a_malformed_link_in_the_built_site(make_site, cli) -> None:
    root = make_site({"content/stories/bread.md": story(body='See <a href="http://[::1/x">this</a>.\n')})
    assert cli("build", root).exit_code == 0
    result = cli("check", root)
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == 1
    out = (result.output + result.stderr).splitlines()
    at = next(i for i, line in enumerate(out) if "content/stories/bread.md:5:" in line and "malformed address" in line)
    assert "a port is a number from 1 to 65535" in out[at + 1]


@pytest.mark.parametrize("base_url, message", [
    ("http://[::1", "--base-url must be an absolute http(s) URL"),
    ("https://example.org:8O80/", "--base-url must be an absolute http(s) URL"),
    ("https://ana:hunter2-secret@example.org/", "--base-url must not contain a user name or password"),
])
def test_init_refuses_a_malformed_or_secret_base_url(base_url, message, tmp_path, cli) -> None:
    result = cli("init", tmp_path / "hub", "--base-url", base_url)
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == 1
    assert message in result.stderr and "hunter2" not in result.output + result.stderr
    assert not (tmp_path / "hub").exists()


REPO = Path(__file__).resolve().parent.parent
BASE = (REPO / "themes/default/templates/base.html").read_text(encoding="utf-8")


@can_link
@pytest.mark.parametrize("target", ["a file outside the site", "the site's .env", "the site's .git",
                                    "through a templates folder that links out", "from a theme's templates"])
def test_a_template_linked_out_of_the_site_is_never_read(make_site, cli, tmp_path: Path, target: str) -> None:
    """A change to a hub can add a symbolic link (git keeps them) as a template, and a
    template that includes it. Were it read, a build would publish whatever it points to:
    a file of the computer that builds, the hub's .env or its .git/config (which may hold
    a token). The build stops and names the link; no page is written."""
    root = make_site({"content/stories/bread.md": story(), ".env": "TOKEN=SECRET-1\n"})
    outside = tmp_path / "elsewhere"
    (outside / "partials").mkdir(parents=True)
    (outside / "partials/sig.html").write_text("SECRET-1", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git/config").write_text("url = https://SECRET-1@example.org/\n", encoding="utf-8")
    templates = root / ("themes/mine/templates" if target == "from a theme's templates" else "templates")
    if target == "from a theme's templates":
        (root / "sitegen.yaml").write_text(MINIMAL_CONFIG + "theme: mine\n", encoding="utf-8")
    if target == "through a templates folder that links out":
        (outside / "base.html").write_text(BASE.replace("</footer>", '{% include "partials/sig.html" %}</footer>'),
                                           encoding="utf-8")
        templates.symlink_to(outside, target_is_directory=True)
        shown = "templates/base.html"  # (the first template read through the link)
    else:
        (templates / "partials").mkdir(parents=True)
        (templates / "base.html").write_text(BASE.replace("</footer>", '{% include "partials/sig.html" %}</footer>'),
                                             encoding="utf-8")
        (templates / "partials/sig.html").symlink_to({
            "a file outside the site": outside / "partials/sig.html", "the site's .env": root / ".env",
            "the site's .git": root / ".git/config", "from a theme's templates": outside / "partials/sig.html"}[target])
        shown = f"{templates.relative_to(root).as_posix()}/partials/sig.html"
    result = cli("build", root)
    assert_reported(result, f"{shown}:", "leads into the site's .git" if target == "the site's .git" else
                    "sitegen does not read it",
                    "remove the link" if target in ("the site's .env", "the site's .git") else "instead of linking")
    assert not [p for p in root.rglob("*") if "_site" in p.parts and p.is_file() and b"SECRET" in p.read_bytes()]


@can_link
def test_a_template_linked_elsewhere_in_the_site_is_read(make_site, cli) -> None:
    root = make_site({"content/stories/bread.md": story(), "shared/sig.html": "<p>Signed, the baker.</p>"})
    (root / "templates/partials").mkdir(parents=True)
    (root / "templates/base.html").write_text(
        BASE.replace("</footer>", '{% include "partials/sig.html" %}</footer>'), encoding="utf-8")
    (root / "templates/partials/sig.html").symlink_to("../../shared/sig.html")
    assert cli("build", root).exit_code == 0
    assert "Signed, the baker." in soup(root / "_site/stories/bread/index.html").find("footer").get_text()


@can_link
def test_interface_strings_linked_out_of_the_site_are_never_read(make_site, cli, tmp_path: Path) -> None:
    root = make_site({"content/stories/bread.md": story()})
    (tmp_path / "en.yaml").write_text("read_more: SECRET-2\n", encoding="utf-8")
    (root / "i18n").mkdir()
    (root / "i18n/en.yaml").symlink_to(tmp_path / "en.yaml")
    result = cli("build", root)
    assert_reported(result, "i18n/en.yaml:", "points outside the site folder; sitegen does not read it",
                    "instead of linking")
    assert "SECRET-2" not in result.stderr + result.output


@can_link
def test_links_in_templates_to_devices_and_the_whole_disk_are_not_followed(make_site) -> None:
    """The build's digest of the templates (which decides whether every page is made again)
    reads every file under templates/: a link to /dev/zero (which never ends) or to / (the
    whole disk) must not be read, in a process whose memory and time are limited."""
    root = make_site({"content/stories/bread.md": story()})
    (root / "templates").mkdir()
    (root / "templates/zero.html").symlink_to("/dev/zero")
    (root / "templates/disk").symlink_to("/", target_is_directory=True)
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
              "from sitegen.cli import main; sys.argv = ['sitegen', 'build', '--jobs', '1', sys.argv[1]]; main()")
    done = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert soup(root / "_site/stories/bread/index.html").find("h1").get_text(strip=True) == "Bread"


@can_link
def test_a_template_not_utf8_in_a_folder_linked_in_is_named(make_site, cli) -> None:
    """A folder of partials kept elsewhere in the site and linked into templates/ is read
    by the loader like any other; a partial there that is not UTF-8 is named with its line
    and byte, not reported as a traceback."""
    root = make_site({"content/stories/bread.md": story()})
    (root / "shared").mkdir()
    (root / "shared/sig.html").write_bytes(b"<p>Signed</p>\n<p>caf\xe9</p>\n")
    (root / "templates").mkdir()
    (root / "templates/partials").symlink_to("../shared", target_is_directory=True)
    (root / "templates/base.html").write_text(
        BASE.replace("</footer>", '{% include "partials/sig.html" %}</footer>'), encoding="utf-8")
    assert_reported(cli("build", root), "templates/partials/sig.html:2:",
                    "this template is not UTF-8 text (byte 20 is 0xe9)", "re-save the file as UTF-8")


@can_link
def test_a_template_not_utf8_is_named_without_reading_links_out_of_the_site(make_site, cli, tmp_path) -> None:
    """Only the template Jinja read is looked at for the bad byte: a link out of the site
    among the templates (never read to render) is not read to report a mistake either."""
    root = make_site({"content/stories/bread.md": story()})
    (tmp_path / "outside.html").write_bytes(b"\xff SECRET-3\n")
    (root / "templates").mkdir()
    (root / "templates/a-link.html").symlink_to(tmp_path / "outside.html")
    (root / "templates/base.html").write_bytes(BASE.encode("utf-8").replace(b"</footer>", b"caf\xe9</footer>"))
    result = cli("build", root)
    assert_reported(result, "templates/base.html:", "this template is not UTF-8 text", "re-save the file as UTF-8")
    assert "a-link.html" not in result.stderr + result.output


@can_link
def test_the_privacy_guard_never_reads_a_template_linked_out_of_the_site(make_site, cli, tmp_path) -> None:
    """The guard reads every template of the site and theme for counts it would render,
    and to say which template a finding came from. A template that is a link out of the
    site is never read to render a page, and is not read for the guard either: its text
    would be quoted in the build's log, and a very large file would be read whole."""
    root = make_site({"content/stories/bread.md": story()})
    (tmp_path / "outside.html").write_text("<p>{{ n }} followers</p>\n", encoding="utf-8")
    (root / "templates").mkdir()
    (root / "templates/counts.html").symlink_to(tmp_path / "outside.html")
    result = cli("build", root)
    assert result.exit_code == 0, result.stderr
    assert "counts.html" not in result.stderr + result.output
    assert soup(root / "_site/stories/bread/index.html").find("h1").get_text(strip=True) == "Bread"
