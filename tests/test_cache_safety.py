"""The build cache never runs code from a file planted in the site folder.

Its files are loaded (with pickle, or marshal for compiled templates) only once their MAC,
made with a key kept outside the site, checks out. Each way in is tried with a file that
would run code if it were loaded: it must be ignored, the build must succeed, and its
output must equal a clean build's.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
import pickle
import shutil
import stat
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pytest
from conftest import INTERVIEW, make_old, REPO, SMALL_HUB, tree_digest
from test_incremental import body_file

from sitegen import cache
from sitegen.build import BuildOptions, BuildReport, build
from sitegen.errors import SitegenError
from sitegen.warm import Warm


@pytest.fixture(autouse=True)
def key_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own cache key folder (XDG_CACHE_HOME), never the tester's."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def hub(make_site: Callable[..., Path]) -> Path:
    """A small hub, built once (so that it has a whole cache)."""
    site = make_site(files={
        **SMALL_HUB,
    })
    make_old(site)
    build(site, BuildOptions(jobs=1))
    return site


class _Payload:
    """Unpickled, it writes ``marker``: what a planted pickle could do instead."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return exec, (f"open({str(self.marker)!r}, 'w').write('ran')",)


def evil_pickle(marker: Path) -> bytes:
    """A valid pickle that writes ``marker`` when it is loaded."""
    return pickle.dumps(_Payload(marker), protocol=5)


def evil_code(marker: Path) -> bytes:
    """Valid marshalled code that writes ``marker`` when it is run."""
    return marshal.dumps(compile(f"open({str(marker)!r}, 'w').write('ran')", "<planted>", "exec"))


def sealed_elsewhere(role: str, payload: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """``payload`` sealed properly, but with another user's key (made in another folder)."""
    mine = os.environ["XDG_CACHE_HOME"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    try:
        return cache.seal(role, payload)
    finally:
        monkeypatch.setenv("XDG_CACHE_HOME", mine)


STORY = (REPO / "themes/default/templates/story.html").read_text(encoding="utf-8")
HEADER = len(b"sitegen build cache %d\n" % cache.FORMAT) + 32  # format line and MAC

#: The ways a file can be forged without the key, and with it (a key that leaked: the
#: unpickler still makes nothing but the cache's own values).
FORGERIES = ["another key's MAC", "a real file's MAC", "a bare pickle", "the old format", "a leaked key"]


def forge(how: str, role: str, payload: bytes, real: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A cache file holding ``payload``, made without this user's key (``real``: the file it replaces)."""
    if how == "another key's MAC":
        return sealed_elsewhere(role, payload, tmp_path, monkeypatch)
    if how == "a leaked key":
        return cache.seal(role, payload)
    if how == "a real file's MAC":
        return real[:HEADER] + payload
    if how == "a bare pickle":
        return payload
    # The layout before the MAC: a format line and a CRC-32 of the rest.
    return b"sitegen build cache %d\n%08x\n" % (cache.FORMAT, zlib.crc32(payload)) + payload


def clean_digest(site: Path, tmp_path: Path) -> dict[str, str]:
    """The output of a clean build of a copy of ``site``."""
    copy = tmp_path / "clean"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("_site", cache.FOLDER))
    build(copy, BuildOptions(jobs=1, clean=True))
    return tree_digest(copy / "_site")


def edit(site: Path) -> None:
    """A body edit: the next build has something to do, and loads the cache to do it."""
    path = site / "content/interviews/ana.md"
    path.write_text(path.read_text(encoding="utf-8").replace("More bread.", "More rye."), encoding="utf-8")


def assert_ignored_and_rebuilt(site: Path, marker: Path, report: BuildReport, tmp_path: Path) -> None:
    assert not marker.exists(), "the planted file ran"
    assert tree_digest(site / "_site") == clean_digest(site, tmp_path)
    assert not marker.exists()
    assert cache.load(site, cache.code_digest(), Warm())[0] is not None, "the cache was written again, whole"


@pytest.mark.parametrize("how", FORGERIES)
def test_a_planted_index_never_runs(hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    marker = tmp_path / "ran-index"
    path = cache.cache_file(hub)
    path.write_bytes(forge(how, cache.INDEX, evil_pickle(marker), path.read_bytes(), tmp_path, monkeypatch))
    edit(hub)
    report = build(hub, BuildOptions(jobs=1))
    assert report.rendered > 10  # everything: nothing of the planted index was believed
    assert any("build cache" in line for line in report.explanation)
    assert_ignored_and_rebuilt(hub, marker, report, tmp_path)


@pytest.mark.parametrize("how", FORGERIES)
def test_a_planted_page_shard_never_runs(hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    marker = tmp_path / "ran-shard"
    path = hub / cache.FOLDER / f"pages-{cache.shard_of('content/interviews/bea.md'):02x}.pickle"
    path.write_bytes(forge(how, path.name, evil_pickle(marker), path.read_bytes(), tmp_path, monkeypatch))
    edit(hub)
    report = build(hub, BuildOptions(jobs=1))
    assert any("damaged" in line or "another version" in line for line in report.explanation)
    assert_ignored_and_rebuilt(hub, marker, report, tmp_path)


def test_a_shard_cannot_stand_in_for_another(hub: Path, tmp_path: Path) -> None:
    """A whole, properly sealed shard copied over another one is damaged there: the MAC
    covers what the file is for."""
    one = hub / cache.FOLDER / f"pages-{cache.shard_of('content/interviews/bea.md'):02x}.pickle"
    other = next(p for p in sorted((hub / cache.FOLDER).glob("pages-*.pickle")) if p != one)
    other.write_bytes(one.read_bytes())
    edit(hub)
    report = build(hub, BuildOptions(jobs=1))
    assert any("damaged" in line for line in report.explanation)
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


@pytest.mark.parametrize("how", ["another key's MAC", "a real file's MAC", "a bare pickle", "a leaked key"])
def test_planted_job_records_never_run(hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """The packed job records are checked on their own, even inside a whole index."""
    marker = tmp_path / "ran-jobs"
    data, _ = cache.load(hub, cache.code_digest(), Warm())  # read from the file, as a new process
    assert data is not None and data.jobs_pickle
    planted = forge(how, "jobs", evil_pickle(marker), data.jobs_pickle, tmp_path, monkeypatch)
    path = cache.cache_file(hub)
    # An index sealed with the right key around job records that are not: the index's
    # MAC alone must not be what stands between them and pickle.
    data.jobs_pickle = planted
    path.write_bytes(cache.seal(cache.INDEX, pickle.dumps(data, protocol=5)))
    edit(hub)
    report = build(hub, BuildOptions(jobs=1))
    assert report.rendered > 10
    assert any("damaged" in line for line in report.explanation)
    assert_ignored_and_rebuilt(hub, marker, report, tmp_path)


@pytest.mark.parametrize("how", ["another key's MAC", "a real file's MAC", "Jinja's own format"])
def test_planted_template_bytecode_never_runs(hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              how: str) -> None:
    marker = tmp_path / "ran-template"
    compiled = list((hub / cache.FOLDER).glob("templates-*/*.code"))
    assert compiled, "the first build kept its compiled templates"
    from jinja2.bccache import bc_magic
    for path in compiled:
        real = path.read_bytes()
        checksum = real[HEADER:].partition(b"\n")[0]  # the template's own: the code would be used
        if how == "Jinja's own format":
            planted = bc_magic + pickle.dumps(checksum.decode(), 2) + evil_code(marker)
            path.with_name(f"__jinja2_{path.stem}.cache").write_bytes(planted)
        else:
            role = f"template {path.stem} {importlib.util.MAGIC_NUMBER.hex()}"
            planted = forge(how, role, checksum + b"\n" + evil_code(marker), real, tmp_path, monkeypatch)
        path.write_bytes(planted)
    edit(hub)
    report = build(hub, BuildOptions(jobs=1))
    assert report.rendered > 0
    assert not marker.exists(), "the planted bytecode ran"
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    assert not marker.exists()
    # The templates this build used were compiled again and kept, sealed with this user's key.
    role = f"template {{}} {importlib.util.MAGIC_NUMBER.hex()}"
    assert any(_sealed_here(role.format(path.stem), path) for path in compiled)


def _sealed_here(role: str, path: Path) -> bool:
    try:
        cache.unseal(role, path.read_bytes())
    except cache.CacheError:
        return False
    return True


def test_a_cache_made_with_another_key_is_rebuilt(hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another user's cache (or this user's, after the key was deleted) is not trusted."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-home"))
    edit(hub)
    report = build(hub, BuildOptions(jobs=1))
    assert report.rendered > 10
    assert any("another key" in line for line in report.explanation)
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    assert build(hub, BuildOptions(jobs=1)).rendered == 0  # the cache made with the new key is used


@pytest.mark.parametrize("length", ["empty", "format line only", "half the MAC", "header only", "half"])
@pytest.mark.parametrize("which", ["index", "shard", "template"])
def test_a_truncated_file_is_ignored(hub: Path, tmp_path: Path, which: str, length: str) -> None:
    folder = hub / cache.FOLDER
    path = {"index": cache.cache_file(hub),
            "shard": folder / f"pages-{cache.shard_of('content/interviews/ana.md'):02x}.pickle",
            "template": max(folder.glob("templates-*/*.code"), key=lambda p: p.stat().st_size)}[which]
    raw = path.read_bytes()
    cut = {"empty": 0, "format line only": HEADER - 32, "half the MAC": HEADER - 16, "header only": HEADER,
           "half": len(raw) // 2}[length]
    path.write_bytes(raw[:cut])
    edit(hub)
    report = build(hub, BuildOptions(jobs=1))
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    if which != "template":
        assert any("damaged" in line for line in report.explanation)
    assert build(hub, BuildOptions(jobs=1)).rendered == 0  # whole again


def test_the_key_is_made_once_for_this_user_only(hub: Path, key_home: Path) -> None:
    key = key_home / "sitegen" / "cache-key"
    assert len(key.read_bytes()) == cache.KEY_BYTES
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    before = key.read_bytes()
    edit(hub)
    build(hub, BuildOptions(jobs=1))
    assert key.read_bytes() == before
    assert [p.name for p in key.parent.iterdir()] == ["cache-key"]  # no temporary file left


def _key_in_a_file(home: Path) -> None:
    home.write_text("not a folder")


def _key_is_a_folder(home: Path) -> None:
    (home / "sitegen" / "cache-key").mkdir(parents=True)


def _key_too_short(home: Path) -> None:
    (home / "sitegen").mkdir(parents=True)
    (home / "sitegen" / "cache-key").write_bytes(b"short")


def _key_writable_by_others(home: Path) -> None:
    (home / "sitegen").mkdir(parents=True)
    key = home / "sitegen" / "cache-key"
    key.write_bytes(os.urandom(32))
    key.chmod(0o666)


def _read_only_folder(home: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write in a read-only folder")
    home.mkdir()
    home.chmod(0o500)


UNUSABLE_KEYS: dict[str, Callable[[Path], None]] = {
    "XDG_CACHE_HOME is a file": _key_in_a_file,
    "the key is a folder": _key_is_a_folder,
    "the key is too short": _key_too_short,
    "the key is writable by others": _key_writable_by_others,
    "read-only folder": _read_only_folder,
}


@pytest.mark.parametrize("unusable", UNUSABLE_KEYS)
def test_without_a_usable_key_the_build_has_no_cache_and_one_warning(
        make_site: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        cli: Callable[..., Any], unusable: str) -> None:
    home = tmp_path / "unusable"
    UNUSABLE_KEYS[unusable](home)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    site = make_site(files={"content/interviews/ana.md": INTERVIEW.format(title="Baking bread")})
    try:
        for _ in range(2):
            report = build(site, BuildOptions(jobs=1))
            warnings = [w for w in report.warnings if "without a cache" in w.message]
            assert len(warnings) == 1 and warnings[0].hint
            assert report.rendered > 5  # everything, every time
            assert not cache.cache_file(site).exists()
            assert not list((site / cache.FOLDER).glob("*.pickle"))
            assert not list((site / cache.FOLDER).glob(".*.tmp"))
            assert not list((site / cache.FOLDER).glob("templates-*/*.code"))
        result = cli("build", str(site))
        assert result.exit_code == 0
        assert result.stderr.count("building without a cache") == 1
        assert tree_digest(site / "_site") == clean_digest(site, tmp_path)
    finally:
        if home.is_dir():
            home.chmod(0o700)


class _Reach:
    """Unpickled, it reaches a module through attributes (getattr), as a subtler payload would."""

    def __reduce__(self) -> tuple[Any, ...]:
        return getattr, (Path, "home")


@pytest.mark.parametrize("payload", ["exec", "getattr", "a module's function"])
def test_the_cache_loads_only_its_own_values_even_with_the_right_mac(hub: Path, payload: str) -> None:
    """A file sealed with this user's key is still read only as the cache's own values:
    whatever else it names (a builtin, getattr, any module's function) makes it damaged."""
    marker = hub / "ran"
    raw = {"exec": evil_pickle(marker), "getattr": pickle.dumps(_Reach(), protocol=5),
           "a module's function": pickle.dumps(os.getcwd, protocol=5)}[payload]
    cache.cache_file(hub).write_bytes(cache.seal(cache.INDEX, raw))
    data, why = cache.load(hub, cache.code_digest(), Warm())
    assert data is None and "damaged" in why
    assert not marker.exists()


def test_every_value_a_build_stores_is_one_the_cache_loads(hub: Path) -> None:
    """The allow-list covers what real builds write (a multilingual hub with people, dates
    in a time zone, headings and warnings): its cache loads whole, and the next build
    with nothing changed reads it and does nothing."""
    settings = hub / "sitegen.yaml"
    settings.write_text("\n".join(line for line in settings.read_text(encoding="utf-8").splitlines()
                                  if not line.startswith("timezone:")) + "\ntimezone: Europe/Madrid\n",
                        encoding="utf-8")
    build(hub, BuildOptions(jobs=1))
    data, why = cache.load(hub, cache.code_digest(), Warm())
    assert data is not None, why
    assert cache.jobs_of(data)
    pages: dict[str, object] = {}
    for shard, token in data.shards.items():
        pages.update(cache.load_shard(hub, shard, token, Warm()))
    assert set(pages) == set(data.sources) and len(pages) >= 4
    edit(hub)
    report = build(hub, BuildOptions(jobs=1))
    assert 0 < report.rendered < 10


def test_a_body_that_no_longer_reads_back_starts_the_build_again_without_the_cache(
        hub: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kept page's text that cannot be read back when a job needs it (its bodies file
    changed during the build) is never parsed again on the side: the build starts over
    without the cache, and its output is a clean build's. If even that fails, it says so."""
    real = cache.read_body
    failures = [1]

    def damaged_once(*args: Any) -> str:
        if failures:
            failures.pop()
            raise cache.CacheError("the build cache is damaged (a page body does not match)")
        return real(*args)

    monkeypatch.setattr(cache, "read_body", damaged_once)
    edit(hub)
    report = build(hub, BuildOptions(jobs=1))
    assert not failures, "a kept body was read"
    assert report.rendered > 10 and any("--clean" in line for line in report.explanation)
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)

    before = tree_digest(hub / "_site")

    def always_damaged(*args: Any) -> str:
        raise cache.CacheError("the build cache is damaged (a page body does not match)")

    monkeypatch.setattr(cache, "read_body", always_damaged)
    path = hub / "content/interviews/bea.md"
    path.write_text(path.read_text(encoding="utf-8").replace("More bread.", "More clay."), encoding="utf-8")
    with pytest.raises(SitegenError, match="changed while this build used it"):
        build(hub, BuildOptions(jobs=1))
    assert tree_digest(hub / "_site") == before  # the output is as it was


def test_a_page_without_text_reads_back_from_the_cache(hub: Path, tmp_path: Path) -> None:
    """A page with front matter only keeps an empty body in the cache, which reads back
    as such (not as damage that would start the build over)."""
    (hub / "content/pages/empty.md").write_text("---\ntitle: Nothing yet\n---\n", encoding="utf-8")
    css = hub / "static/assets/sitegen.css"  # the theme's style sheet, which every page links
    css.parent.mkdir(parents=True)
    css.write_text("p { margin: 0 }\n", encoding="utf-8")
    build(hub, BuildOptions(jobs=1))
    css.write_text("p { margin: 1px }\n", encoding="utf-8")
    edit(hub)  # and every page, the empty one included, is rendered again from its kept page
    report = build(hub, BuildOptions(jobs=1))
    assert report.rendered > 5 and not any("--clean" in line for line in report.explanation)
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def _listing(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` (hidden ones too): a file's bytes, a folder's "folder"."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else "folder"
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("planted", [".sitegen-cache as a link", "serve-state as a link", ".sitegen-cache as a file"])
def test_a_cache_folder_that_is_a_link_or_a_file_is_refused(hub: Path, tmp_path: Path, cli: Any,
                                                            planted: str) -> None:
    """A change to the site can add a link named .sitegen-cache (git keeps links). The
    cache would then be written wherever it points, and what builds clean up there (the
    compiled templates of other versions, the temporary files of builds no longer
    running, an old spare output) would be deleted. The build refuses before any work,
    says which link and how to fix it, and the folder it points to is left as it was."""
    elsewhere = tmp_path / "my-folder"
    for rel, text in {"templates-old/notes.txt": "mine", ".draft.999999.tmp": "mine", "output-spare/a.txt": "mine",
                      "serve/index.html": "mine", "serve-state/.sitegen-cache/index.pickle": "mine"}.items():
        (elsewhere / rel).parent.mkdir(parents=True, exist_ok=True)
        (elsewhere / rel).write_text(text, encoding="utf-8")
    before, output = _listing(elsewhere), tree_digest(hub / "_site")
    folder = hub / cache.FOLDER
    shutil.rmtree(folder)
    if planted == ".sitegen-cache as a link":
        folder.symlink_to(elsewhere)
    elif planted == ".sitegen-cache as a file":
        folder.write_text("not a folder", encoding="utf-8")
    else:
        folder.mkdir()
        (folder / "serve-state").symlink_to(elsewhere)
    edit(hub)
    if planted == "serve-state as a link":  # the preview's build, which keeps its cache there
        with pytest.raises(SitegenError) as raised:
            build(hub, BuildOptions(jobs=1, output=folder / "serve", base_url="http://127.0.0.1:8000/"))
        message, hint = raised.value.problems[0].message, raised.value.problems[0].hint or ""
    else:
        result = cli("build", hub)
        assert result.exit_code == 1 and "Traceback" not in result.stderr
        message = hint = result.stderr
    shown = ".sitegen-cache/serve-state" if planted == "serve-state as a link" else ".sitegen-cache"
    assert f"refusing to use the build cache: {shown} is a" in message
    assert ("symbolic link" if "link" in planted else "a file, not a folder") in message
    assert f"rm {shown}" in hint
    assert _listing(elsewhere) == before
    assert tree_digest(hub / "_site") == output
    if planted != "serve-state as a link":
        folder.unlink()
        assert cli("build", hub).exit_code == 0
        assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
        assert folder.is_dir() and not folder.is_symlink()


@pytest.mark.parametrize("which", ["index", "a shard", "a page body", "compiled templates"])
def test_a_link_planted_in_the_cache_is_never_read_through(hub: Path, tmp_path: Path, which: str) -> None:
    """A cache file replaced by a link (to /dev/zero, which never ends) is damaged: it is
    not read through, the build succeeds (in a process whose memory is limited, so that
    reading the link would fail it) and the file is written anew."""
    folder = hub / cache.FOLDER
    shard = cache.shard_of("content/interviews/bea.md")
    paths = {"index": [cache.cache_file(hub)], "a shard": [folder / f"pages-{shard:02x}.pickle"],
             "a page body": [body_file(hub, "content/stories/first.md")],
             "compiled templates": sorted(folder.glob("templates-*/*.code"))}[which]
    assert paths and all(path.is_file() for path in paths)
    for path in paths:
        path.unlink()
        path.symlink_to("/dev/zero")
    edit(hub)
    (hub / "templates").mkdir(exist_ok=True)  # a template of the site's own: every page rendered again
    (hub / "templates/story.html").write_text(STORY + "\n", encoding="utf-8")
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
              "from sitegen.cli import main; sys.argv = ['sitegen', 'build', '--jobs', '1', sys.argv[1]]; main()")
    done = subprocess.run([sys.executable, "-c", script, str(hub)], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    replaced = [path.is_file() and not path.is_symlink() for path in paths]  # written anew
    # (but the theme's story template, which the site's own replaces now, is not read)
    assert all(replaced) if which != "compiled templates" else replaced.count(False) == 1


def test_the_cache_never_writes_through_a_link_at_a_temporary_name(hub: Path, tmp_path: Path) -> None:
    """A cache file is written under a temporary name, then put in place. A link planted at
    that name (a compiled template's, which this build's pid makes) is replaced, never
    written through."""
    story = hub / "templates/story.html"
    story.parent.mkdir(exist_ok=True)
    story.write_text(STORY, encoding="utf-8")
    build(hub, BuildOptions(jobs=1))
    victim = tmp_path / "victim.txt"
    victim.write_text("mine", encoding="utf-8")
    compiled = sorted((hub / cache.FOLDER).glob("templates-*/*.code"))
    assert compiled
    for path in compiled:
        path.with_name(f".{path.name}.{os.getpid()}.tmp").symlink_to(victim)
    story.write_text(STORY + "\n", encoding="utf-8")  # compiled again, and kept
    build(hub, BuildOptions(jobs=1))
    assert victim.read_text(encoding="utf-8") == "mine"
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
    assert all(path.is_file() and not path.is_symlink() for path in compiled)


def test_a_compiled_templates_folder_that_is_a_link_is_not_written_through(hub: Path, tmp_path: Path) -> None:
    """The folder of this sitegen's compiled templates, replaced by a link, is made again
    as a real folder: no compiled code is written where the link leads."""
    folder = next((hub / cache.FOLDER).glob("templates-*"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.rmtree(folder)
    folder.symlink_to(elsewhere, target_is_directory=True)
    (hub / "templates").mkdir(exist_ok=True)  # a template of the site's own: compiled, and kept
    (hub / "templates/story.html").write_text(STORY, encoding="utf-8")
    build(hub, BuildOptions(jobs=1))
    assert list(elsewhere.iterdir()) == []
    assert folder.is_dir() and not folder.is_symlink() and list(folder.glob("*.code"))
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_the_cache_folder_s_gitignore_is_never_written_through_a_link(hub: Path, tmp_path: Path) -> None:
    """The cache folder is made with a .gitignore. A link planted in its place (even one
    that leads nowhere yet) is left as it is: nothing is written where it points."""
    target = tmp_path / "not-yet" / "profile"
    target.parent.mkdir()
    folder = hub / cache.FOLDER
    for path in list(folder.iterdir()):  # the folder as a change to the site could leave it
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    (folder / ".gitignore").symlink_to(target)
    edit(hub)
    build(hub, BuildOptions(jobs=1))
    assert not os.path.lexists(target)
    assert (folder / ".gitignore").is_symlink()
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)


def test_a_bodies_folder_that_is_a_link_is_never_written_or_cleaned_through(hub: Path, tmp_path: Path) -> None:
    """Page bodies are kept in .sitegen-cache/bodies/, where a build removes the bodies no
    page has any longer (files named by 32 hex digits) and the temporary files of killed
    builds. That folder replaced by a link is made again as a real folder: nothing is
    written where the link leads, and nothing of what is there is removed."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    mine = {"0123456789abcdef0123456789abcdef": "mine", ".notes.999999.tmp": "mine too"}
    for name, text in mine.items():
        (elsewhere / name).write_text(text, encoding="utf-8")
    bodies = hub / cache.FOLDER / cache.BODIES
    shutil.rmtree(bodies)
    bodies.symlink_to(elsewhere, target_is_directory=True)
    edit(hub)
    build(hub, BuildOptions(jobs=1))
    assert {p.name: p.read_text(encoding="utf-8") for p in elsewhere.iterdir()} == mine
    assert bodies.is_dir() and not bodies.is_symlink() and list(bodies.iterdir())
    assert tree_digest(hub / "_site") == clean_digest(hub, tmp_path)
