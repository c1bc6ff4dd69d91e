"""Property-based tests over what writers type: any front matter (YAML scalars and
structures, or plain garbage), titles, slugs, tags and Markdown bodies.

Whatever the input, a build either succeeds or fails with sitegen's own error (never
another exception); every page it writes parses as HTML; every file it writes and
every link it makes stays inside the output.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import yaml
from hypothesis import HealthCheck, event, given, settings, strategies as st

from conftest import MINIMAL_CONFIG, soup, write_files
from sitegen.build import BuildOptions, build
from sitegen.errors import Problem, SitegenError
from sitegen.parse import KNOWN_KEYS, SLUG_RE

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
BASE_PATH = "/hub/"
CONFIG = MINIMAL_CONFIG.replace("https://example.org/", "https://example.org/hub/")

# SITEGEN_PROPERTY_EXAMPLES=2000 for a longer hunt than the suite's.
SETTINGS = settings(max_examples=int(os.environ.get("SITEGEN_PROPERTY_EXAMPLES", "80")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40),
    st.dates().map(lambda d: d.isoformat()), st.sampled_from(["2026-10-02", "2026-13-40", "yes", "~", "", "../x"]),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
keys = st.one_of(st.sampled_from(KNOWN_KEYS + ("person.name", "extra")), st.text(min_size=1, max_size=12))
VALID = {"title": "A title", "date": "2026-10-02"}
# Half the time the generated keys go over a valid title and date, so that many
# examples get past validation and into rendering.
front_matters = st.tuples(st.booleans(), st.dictionaries(keys, values, max_size=8)).map(
    lambda pair: {**VALID, **pair[1]} if pair[0] else pair[1])
slugs = st.one_of(st.from_regex(SLUG_RE, fullmatch=True), st.text(max_size=20), st.sampled_from(
    ["../../etc", "/abs", "a\\b", "ok-slug", ".", "..", "a/b", "CAPS", "a\x00b", "tags", "interviews"]))
tags = st.lists(st.one_of(st.text(max_size=15), st.integers(), st.sampled_from(["<b>x</b>", "../..", "#", "ñandú"])),
                max_size=4)
markdown = st.lists(st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=10),
    st.sampled_from(["\n", "\n\n", "# ", "## ", "> ", "- ", "1. ", "`", "*", "_", "[", "](", ")", "![a](",
                     "<", ">", "&", "|", "---", "    ", "<div>", "</div>", "<!--", "[^1]", "~~"]),
), max_size=40).map("".join)


def _document(meta: str, body: str) -> str:
    return f"---\n{meta}---\n{body}"


def _dump(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, default_flow_style=False)


def _build(files: dict[str, str | bytes]) -> None:
    """Build a site of ``files`` in a temporary folder: sitegen either refuses it with
    its own error, or builds an output that passes :func:`_check_output`."""
    with tempfile.TemporaryDirectory(prefix="sitegen-prop-") as folder:
        root = Path(folder)
        write_files(root, {"sitegen.yaml": CONFIG, **files})
        try:
            build(root, BuildOptions(drafts=True, future=True, now=NOW))
        except SitegenError as exc:
            assert exc.problems and all(isinstance(p, Problem) and p.message for p in exc.problems)
            assert not (root / "_site").exists()
            event("refused")
            return
        event("built")
        # Raw HTML in a body may be unbalanced (it is the writer's); without any, every
        # page must parse without a single HTML parse error.
        raw_html = any("<" in (v if isinstance(v, str) else v.decode("utf-8", "replace")) for v in files.values())
        _check_output(root / "_site", strict=not raw_html)


def _check_output(output: Path, strict: bool) -> None:
    root = output.parent
    outside = {p for p in root.rglob("*") if not p.is_relative_to(output)}
    assert all(p.name in ("sitegen.yaml",) or "content" in p.relative_to(root).parts
               or "static" in p.relative_to(root).parts
               or ".sitegen-cache" in p.relative_to(root).parts  # the build cache (issue 10)
               for p in outside if p.is_file()), outside
    for page in output.rglob("*.html"):
        assert page.resolve().is_relative_to(output.resolve())
        parser = html5lib.HTMLParser(strict=strict)
        parser.parse(page.read_bytes())  # raises ParseError on the first error when strict
        doc = soup(page)
        assert doc.find("main") is not None, page
        for tag in doc.find_all(["a", "link", "img", "script", "source", "video"]):
            for attr in ("href", "src"):
                value = tag.get(attr)
                if not value or urlsplit(value).scheme or value.startswith(("//", "#", "?")):
                    continue
                path = unquote(urlsplit(value).path)
                if path.startswith("/"):
                    assert path.startswith(BASE_PATH), f"{page}: {value} leaves the site"
                    segments = path[len(BASE_PATH):].split("/")
                else:  # relative to the page
                    segments = [*page.parent.relative_to(output).parts, *path.split("/")]
                depth = 0
                for segment in segments:
                    depth += -1 if segment == ".." else (0 if segment in ("", ".") else 1)
                    assert depth >= 0, f"{page}: {value} climbs out of the output"


@SETTINGS
@given(meta=front_matters, body=markdown)
def test_any_front_matter_builds_or_fails_cleanly(meta: dict, body: str) -> None:
    _build({"content/interviews/one.md": _document(_dump(meta), body),
            "content/pages/about.md": _document(_dump({**meta, "title": "About"}), body)})


@SETTINGS
@given(valid=st.booleans(), meta=st.one_of(st.text(max_size=200), st.text(alphabet="ab1: -[]{}\"'#&*!|>\t\n", max_size=60)),
       body=markdown)
def test_any_front_matter_text_builds_or_fails_cleanly(valid: bool, meta: str, body: str) -> None:
    start = "title: A title\ndate: 2026-10-02\n" if valid else ""
    _build({"content/stories/one.md": _document(start + meta + "\n", body)})


@SETTINGS
@given(title=st.text(max_size=60), slug=slugs, tag_list=tags, body=markdown,
       url=st.one_of(st.none(), slugs, st.sampled_from(["/team/", "//x.example/", "/a/../../b/", "/tags/x/"])))
def test_titles_slugs_tags_and_bodies(title: str, slug: str, tag_list: list, body: str, url: str | None) -> None:
    entry = {"title": title, "date": "2026-10-02", "slug": slug, "tags": tag_list}
    page = {"title": title, **({"url": url} if url is not None else {})}
    _build({"content/stories/one.md": _document(_dump(entry), body),
            "content/interviews/two.md": _document(_dump({**entry, "slug": "two"}), body),
            "content/pages/three.md": _document(_dump(page), body)})


@SETTINGS
@given(data=st.binary(max_size=200))
def test_any_bytes_build_or_fail_cleanly(data: bytes) -> None:
    files = {"content/pages/team.md": b"---\ntitle: Team\n---\n" + data.decode("utf-8", "replace").encode()}
    if data[:1] in (b"-", b"\xef", b"\xff", b""):  # sometimes the bytes are the whole file
        files["content/pages/raw.md"] = data
    else:
        files["content/pages/about.md"] = b"---\ntitle: About\n---\n" + data
    _build(files)
