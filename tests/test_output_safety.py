"""sitegen replaces only an output folder it made, and never loses a user's files.

A sandbox: ``HOME`` points into a temporary folder, the hub sits inside it beside another
project, and marker files lie everywhere a careless or hostile output setting could reach
(the hub's git repository, its other folders, a sibling project, ~/Documents, the parent
of the home folder, a stand-in for /etc). Every refused output leaves every marker as it
was; every allowed one builds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import MINIMAL_CONFIG, tree_digest, write_files
from sitegen.build import BuildOptions, build
from sitegen.errors import SitegenError
from sitegen.write import MARKER

PAGES = {
    "content/pages/about.md": "---\ntitle: About\n---\nHi there.\n",
    "content/stories/first.md": "---\ntitle: First\ndate: 2026-01-01\n---\nA story.\n",
}


class Sandbox:
    """A home folder holding a hub, with marker files in every folder a build must not touch."""

    def __init__(self, tmp_path: Path) -> None:
        self.top = tmp_path / "top"  # the parent of the home folder
        self.home = self.top / "home"
        self.hub = self.home / "projects" / "hub"
        self.other = self.home / "projects" / "other"
        self.etc = self.top / "etc"  # a stand-in for /etc, outside the hub
        write_files(self.hub, {"sitegen.yaml": MINIMAL_CONFIG, "README.md": "# My hub\n", **PAGES})
        subprocess.run(["git", "init", "-q", str(self.hub)], check=True)
        git = ["git", "-C", str(self.hub), "-c", "user.name=T", "-c", "user.email=t@example.org"]
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
        self.markers: dict[Path, str] = {}
        for folder in (self.hub / ".git", self.hub / "i18n", self.hub / "themes", self.hub / ".github",
                       self.hub / "docs", self.other, self.home / "Documents", self.top, self.etc, self.home):
            self.add_marker(folder)

    def add_marker(self, folder: Path) -> None:
        marker = folder / "marker.txt"
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"user's own file in {folder.name}\n")
        self.markers[marker] = marker.read_text()

    def assert_untouched(self) -> None:
        for marker, text in self.markers.items():
            assert marker.is_file(), f"{marker} was deleted"
            assert marker.read_text() == text, f"{marker} was changed"
        for name in ("README.md", "sitegen.yaml", "content/pages/about.md"):
            assert (self.hub / name).is_file(), f"{name} was moved"
        log = subprocess.run(["git", "-C", str(self.hub), "log", "--oneline"], capture_output=True, text=True)
        assert log.returncode == 0 and "first" in log.stdout, log.stderr
        assert not [p for p in self.hub.parent.iterdir() if ".sitegen-" in p.name]
        assert not [p for p in self.top.rglob("*") if ".sitegen-new-" in p.name or ".sitegen-old-" in p.name]


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    box = Sandbox(tmp_path)
    monkeypatch.setenv("HOME", str(box.home))
    monkeypatch.chdir(box.hub)
    return box


#: Outputs that must be refused, as given (relative to the hub; ETC: the stand-in for /etc).
REFUSED = {
    "git repository": ".git",
    "i18n": "i18n",
    "themes": "themes",
    ".github": ".github",
    "another folder of the hub": "docs",
    "sibling project": "../other",
    "Documents": "../../Documents",
    "home folder": "../..",
    "parent of home": "../../..",
    "etc stand-in": "ETC",
    "the hub itself": ".",
    "the hub's parent": "..",
    "a file: README.md": "README.md",
    "a file: sitegen.yaml": "sitegen.yaml",
    "root of the file system": "/",
}


def _given(box: Sandbox, output: str) -> str:
    return str(box.etc) if output == "ETC" else output


def _named(box: Sandbox, output: str) -> str:
    """How a message names the folder: relative to the hub when inside it, else in full."""
    folder = (box.hub / _given(box, output)).resolve()
    if folder.is_relative_to(box.hub) and folder != box.hub:
        return folder.relative_to(box.hub).as_posix() + "/"
    return str(folder)


@pytest.mark.parametrize("output", REFUSED.values(), ids=REFUSED.keys())
def test_output_option_that_is_not_sitegens_is_refused(sandbox: Sandbox, cli, output: str) -> None:
    result = cli("build", sandbox.hub, "--output", _given(sandbox, output))
    assert result.exit_code != 0
    named = _named(sandbox, output)
    if (sandbox.hub / output).is_file():  # refused by the command line itself
        assert f"'{output}' is a file" in result.stderr, result.stderr
    else:
        assert f"refusing to write the site into {named}: it is " in result.stderr, result.stderr
        assert "hint:" in result.stderr
    assert "Built" not in result.stdout
    sandbox.assert_untouched()


@pytest.mark.parametrize("output", REFUSED.values(), ids=REFUSED.keys())
def test_output_setting_that_is_not_sitegens_is_refused(sandbox: Sandbox, cli, output: str) -> None:
    config = sandbox.hub / "sitegen.yaml"
    config.write_text(MINIMAL_CONFIG + f"output: {_given(sandbox, output)!r}\n")
    result = cli("build", sandbox.hub)
    assert result.exit_code == 1
    assert f"refusing to write the site into {_named(sandbox, output)}: it is " in result.stderr, result.stderr
    assert "hint:" in result.stderr
    sandbox.assert_untouched()


def test_site_output_that_is_a_link_to_another_project_is_refused(sandbox: Sandbox, cli) -> None:
    (sandbox.hub / "_site").symlink_to("../other")
    result = cli("build", sandbox.hub)
    assert result.exit_code == 1
    assert "_site" in result.stderr and "symbolic link" in result.stderr
    assert (sandbox.hub / "_site").is_symlink()
    sandbox.assert_untouched()


def test_a_link_is_refused_even_to_a_folder_sitegen_made(sandbox: Sandbox, cli) -> None:
    built = sandbox.home / "built"
    assert cli("build", sandbox.hub, "--output", built).exit_code == 0
    before = tree_digest(built)
    (sandbox.hub / "out").symlink_to(built)
    result = cli("build", sandbox.hub, "--output", sandbox.hub / "out")
    assert result.exit_code == 1 and "out/" in result.stderr
    assert tree_digest(built) == before


def test_a_link_as_the_preview_folder_of_serve_is_refused(sandbox: Sandbox) -> None:
    preview = sandbox.hub / ".sitegen-cache" / "serve"
    preview.parent.mkdir()
    preview.symlink_to(sandbox.other)
    with pytest.raises(SitegenError) as caught:
        build(sandbox.hub, BuildOptions(output=preview, base_url="http://127.0.0.1:8000/", jobs=1))
    assert "serve" in str(caught.value.problems[0].message)
    sandbox.assert_untouched()


def test_refused_before_any_work(sandbox: Sandbox, cli) -> None:
    """Nothing is parsed, no cache is made, and not even stale staging folders are removed."""
    dead = sandbox.hub / "._docs.sitegen-new-999999999"
    (dead / "half").mkdir(parents=True)
    (sandbox.hub / "content/stories/broken.md").write_text("---\ntitle: [unclosed\n---\n")
    result = cli("build", sandbox.hub, "--output", "docs")
    assert result.exit_code == 1
    assert "broken.md" not in result.stderr  # refused before parsing
    assert not (sandbox.hub / ".sitegen-cache").exists()
    assert dead.is_dir()


def test_stale_staging_names_that_are_links_are_never_followed(sandbox: Sandbox, cli) -> None:
    for name in ("._site.sitegen-new-999999999", "._site.sitegen-old-999999998"):
        (sandbox.hub / name).symlink_to(sandbox.other)
    result = cli("build", sandbox.hub)
    assert result.exit_code == 0, result.stderr
    assert (sandbox.hub / "._site.sitegen-new-999999999").is_symlink()
    # (a retired output is put back only when it is a real folder: the output is the new build)
    assert not (sandbox.hub / "_site").is_symlink() and (sandbox.hub / "_site" / MARKER).is_file()
    for link in sandbox.hub.glob("._site.sitegen-*"):
        link.unlink()
    sandbox.assert_untouched()


# -- What is allowed ----------------------------------------------------------------------------

def _assert_built(folder: Path) -> None:
    assert (folder / "index.html").is_file() and (folder / "about" / "index.html").is_file()
    listed = (folder / MARKER).read_text().splitlines()[1:]
    assert "index.html" in listed and "about/index.html" in listed and MARKER not in listed


def test_a_new_folder_is_made(sandbox: Sandbox, cli) -> None:
    result = cli("build", sandbox.hub, "--output", sandbox.home / "new" / "site")
    assert result.exit_code == 0, result.stderr
    _assert_built(sandbox.home / "new" / "site")
    sandbox.assert_untouched()


def test_an_empty_folder_is_used(sandbox: Sandbox, cli) -> None:
    (sandbox.hub / "public").mkdir()
    result = cli("build", sandbox.hub, "--output", "public")
    assert result.exit_code == 0, result.stderr
    _assert_built(sandbox.hub / "public")
    sandbox.assert_untouched()


def test_a_folder_with_the_marker_is_replaced(sandbox: Sandbox, cli) -> None:
    config = sandbox.hub / "sitegen.yaml"
    config.write_text(MINIMAL_CONFIG + "output: public\n")
    assert cli("build", sandbox.hub).exit_code == 0
    (sandbox.hub / "content/stories/first.md").unlink()
    result = cli("build", sandbox.hub, "--clean")
    assert result.exit_code == 0, result.stderr
    assert not (sandbox.hub / "public/stories/first").exists()
    _assert_built(sandbox.hub / "public")
    sandbox.assert_untouched()


def test_the_default_output_of_an_older_build_without_marker_is_replaced(sandbox: Sandbox, cli) -> None:
    write_files(sandbox.hub / "_site", {"index.html": "old home", "gone/index.html": "an old page"})
    result = cli("build", sandbox.hub)
    assert result.exit_code == 0, result.stderr
    _assert_built(sandbox.hub / "_site")
    assert not (sandbox.hub / "_site/gone").exists()
    sandbox.assert_untouched()


def test_the_marker_is_not_in_the_sitemap(sandbox: Sandbox, cli) -> None:
    assert cli("build", sandbox.hub).exit_code == 0
    assert (sandbox.hub / "_site" / MARKER).is_file()
    assert MARKER not in (sandbox.hub / "_site/sitemap.xml").read_text()


# -- A mount point (a Docker volume) is written in place ---------------------------------------

@pytest.fixture
def mounted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A folder the build takes for a mount point: it cannot be renamed away."""
    volume = tmp_path / "volume"
    volume.mkdir()
    real = os.path.ismount
    monkeypatch.setattr("sitegen.write.is_mount_point", lambda folder: folder == volume or real(folder))
    return volume


def _reference(tmp_path: Path, files: dict[str, str], name: str) -> dict[str, str]:
    site = write_files(tmp_path / name, {"sitegen.yaml": MINIMAL_CONFIG, **files})
    build(site, BuildOptions(jobs=1, clean=True))
    return tree_digest(site / "_site")


def test_a_mount_point_is_built_into_in_place(tmp_path: Path, mounted: Path) -> None:
    site = write_files(tmp_path / "hub", {"sitegen.yaml": MINIMAL_CONFIG, **PAGES})
    inode = mounted.stat().st_ino
    build(site, BuildOptions(output=mounted, jobs=1))
    assert tree_digest(mounted) == _reference(tmp_path, PAGES, "ref1")
    assert mounted.stat().st_ino == inode  # never renamed away

    (mounted / "notes-of-the-admin.txt").write_text("not sitegen's")
    less = {"content/pages/about.md": PAGES["content/pages/about.md"]}
    (site / "content/stories/first.md").unlink()
    build(site, BuildOptions(output=mounted, jobs=1))  # incremental
    after = tree_digest(mounted)
    assert after.pop("notes-of-the-admin.txt")
    assert after == _reference(tmp_path, less, "ref2")

    (site / "content/stories/second.md").write_text("---\ntitle: Second\ndate: 2026-02-01\n---\nAgain.\n")
    build(site, BuildOptions(output=mounted, jobs=1, clean=True))  # full
    after = tree_digest(mounted)
    assert after.pop("notes-of-the-admin.txt")
    more = {**less, "content/stories/second.md": (site / "content/stories/second.md").read_text()}
    assert after == _reference(tmp_path, more, "ref3")
    assert mounted.stat().st_ino == inode
    assert not [p for p in tmp_path.iterdir() if ".sitegen-" in p.name]


def test_a_file_put_into_an_empty_mount_point_during_a_build_is_kept(
        tmp_path: Path, mounted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sitegen import write
    site = write_files(tmp_path / "hub", {"sitegen.yaml": MINIMAL_CONFIG, **PAGES})
    real = write.Staging.commit

    def meanwhile(self: write.Staging, *args: object, **kwargs: object) -> None:
        (mounted / "backup.tar").write_text("someone else's, written while the build ran")
        real(self, *args, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(write.Staging, "commit", meanwhile)
    build(site, BuildOptions(output=mounted, jobs=1))
    assert (mounted / "backup.tar").read_text() == "someone else's, written while the build ran"
    assert (mounted / "index.html").is_file()


def test_a_mount_point_that_is_not_sitegens_is_refused(tmp_path: Path, mounted: Path) -> None:
    site = write_files(tmp_path / "hub", {"sitegen.yaml": MINIMAL_CONFIG, **PAGES})
    (mounted / "database.sqlite").write_text("precious")
    with pytest.raises(SitegenError, match="volume"):
        build(site, BuildOptions(output=mounted, jobs=1))
    assert (mounted / "database.sqlite").read_text() == "precious"


def test_a_link_planted_in_a_mount_point_is_never_followed(tmp_path: Path, mounted: Path) -> None:
    site = write_files(tmp_path / "hub", {"sitegen.yaml": MINIMAL_CONFIG, **PAGES})
    build(site, BuildOptions(output=mounted, jobs=1))
    outside = write_files(tmp_path / "outside", {"first/index.html": "someone else's page", "index.html": "theirs"})
    shutil.rmtree(mounted / "stories")
    (mounted / "stories").symlink_to(outside)  # the marker still lists stories/first/index.html
    (site / "content/stories/first.md").unlink()
    with pytest.raises(SitegenError, match="link"):
        build(site, BuildOptions(output=mounted, jobs=1, clean=True))
    assert tree_digest(outside) == {"first/index.html": _sha("someone else's page"), "index.html": _sha("theirs")}


def _sha(text: str) -> str:
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()


# -- Output path collisions name the files at fault ---------------------------------------------

def test_a_static_file_where_a_page_needs_a_folder_names_both(make_site, cli) -> None:
    root = make_site({**PAGES, "static/about": "a file named like the page"})
    result = cli("build", root)
    assert result.exit_code == 1
    assert "content/pages/about.md" in result.stderr and "static/about" in result.stderr, result.stderr
    assert "free space" not in result.stderr


def test_a_static_file_where_the_theme_has_a_folder_names_both(make_site, cli) -> None:
    root = make_site({**PAGES, "static/assets": "a file named like the theme's folder"})
    result = cli("build", root)
    assert result.exit_code == 1
    assert "static/assets" in result.stderr and "/assets/" in result.stderr, result.stderr
    assert "free space" not in result.stderr


def test_a_static_folder_where_a_page_goes_names_it(make_site, cli) -> None:
    root = make_site({**PAGES, "static/about/index.html/x.txt": "a folder named like the page's file"})
    result = cli("build", root)
    assert result.exit_code == 1
    assert "content/pages/about.md" in result.stderr and "about/index.html/x.txt" in result.stderr, result.stderr
    assert "free space" not in result.stderr


def test_a_collision_in_an_incremental_build_leaves_the_output_as_it_was(make_site, cli) -> None:
    root = make_site(PAGES)
    assert cli("build", root).exit_code == 0
    before = tree_digest(root / "_site")
    (root / "static").mkdir()
    (root / "static/about").write_text("a file named like the page")
    result = cli("build", root)
    assert result.exit_code == 1
    assert "/about" in result.stderr and "static/about" in result.stderr, result.stderr
    assert "free space" not in result.stderr
    assert tree_digest(root / "_site") == before


# -- The output an incremental build replaced, kept to make the next one from -------------------

def test_a_spare_output_tampered_with_never_reaches_the_output(make_site, cli, tmp_path: Path) -> None:
    pages = {**PAGES, "content/stories/second.md": "---\ntitle: Second\ndate: 2026-02-01\n---\nTwo.\n"}
    root = make_site(pages)
    outside = write_files(tmp_path / "outside", {"keep.txt": "someone else's"})
    assert cli("build", root).exit_code == 0
    story = root / "content/stories/first.md"
    story.write_text(story.read_text() + "\nMore.\n")
    assert cli("build", root).exit_code == 0
    spare = root / ".sitegen-cache" / "output-spare"
    assert (spare / "index.html").is_file()  # the output the last build replaced

    (spare / "index.html").unlink()
    (spare / "index.html").write_text("a stale home page")  # another file than the output's
    (spare / "stray.html").write_text("not part of the site")
    shutil.rmtree(spare / "about")
    (spare / "about").write_text("a file where a folder goes")
    (spare / "stories" / "second" / "index.html").unlink()
    (spare / "stories" / "second" / "index.html").mkdir()  # a folder where a file goes
    (spare / "linked").symlink_to(outside)
    story.write_text(story.read_text() + "\nEven more.\n")
    assert cli("build", root).exit_code == 0

    reference = write_files(tmp_path / "reference", {"sitegen.yaml": MINIMAL_CONFIG, **pages})
    (reference / "content/stories/first.md").write_text(story.read_text())
    build(reference, BuildOptions(jobs=1, clean=True))
    assert tree_digest(root / "_site") == tree_digest(reference / "_site")
    assert (outside / "keep.txt").read_text() == "someone else's"


def test_a_static_file_cannot_take_the_markers_name(make_site, cli) -> None:
    root = make_site({**PAGES, f"static/{MARKER}": "mine"})
    result = cli("build", root)
    assert result.exit_code == 1
    assert f"static/{MARKER}" in result.stderr and "rename" in result.stderr


def test_without_hard_links_unchanged_files_are_copied(make_site, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    """Where the file system has no hard links (another device, a FAT disk), the next output
    is made of copies, and the build cache records them as they are."""
    import errno

    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    pages = {**PAGES, "content/stories/second.md": "---\ntitle: Second\ndate: 2026-02-01\n---\nTwo.\n"}
    root = make_site(pages)
    build(root, BuildOptions(jobs=1))
    monkeypatch.setattr(os, "link", no_links)
    story = root / "content/stories/first.md"
    for n in range(2):  # from nothing, then from the spare
        story.write_text(story.read_text() + f"\nMore {n}.\n")
        report = build(root, BuildOptions(jobs=1))
        assert 0 < report.rendered < 10  # an incremental build
    reference = write_files(tmp_path / "reference", {"sitegen.yaml": MINIMAL_CONFIG, **pages})
    (reference / "content/stories/first.md").write_text(story.read_text())
    build(reference, BuildOptions(jobs=1, clean=True))
    assert tree_digest(root / "_site") == tree_digest(reference / "_site")
    assert build(root, BuildOptions(jobs=1)).explanation == ()  # nothing to do: the cache knows the copies
