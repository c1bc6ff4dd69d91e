"""Writing: the rendered files go into a staging folder beside the output, which is
swapped in only when every file is written.

A failed or killed build never touches the previous output: the staging folder is
``.<output>.sitegen-new-<pid>`` next to it, and stale ones left by a killed build are
removed by the next build. On Linux the swap is one atomic ``renameat2(EXCHANGE)``;
elsewhere two renames, with the old output kept until the new one is in place. An
incremental build stages only the files it rendered, and makes its next output from the
output the build before it replaced (kept in the build cache): the files that differ from
the live output's are linked again, the staged ones renamed in, and the whole swapped in.
The live output is always one build's, complete, and no file of it is ever written into.

sitegen replaces only a folder it made (``check_output_folder``): every output carries
the marker ``.sitegen-output``, which lists its files. A mount point, which cannot be
renamed, is written into in place (not atomically), and only files its marker lists are
deleted from it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import functools
import os
import re
import shutil
import signal
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Iterable, Mapping

from .discover import StaticFile
from .errors import BuildError, Problem, SitegenError

if TYPE_CHECKING:  # only a type here; render.py imports Jinja and Babel
    from .render import OutputFile

_STAGING = ".sitegen-new-"
_RETIRED = ".sitegen-old-"
_NEXT = ".sitegen-next-"  # an incremental build's next output, before it is swapped in


#: The file every output carries: it says sitegen made the folder (so a later build may
#: replace it) and lists the files of that build, one path a line, after a comment line.
MARKER = ".sitegen-output"
_MARKER_HEAD = "# Made by sitegen: the next build replaces this folder. The files of this build:\n"
#: Folders of a site that sitegen reads: never an output folder, nor inside one.
_SITE_FOLDERS = ("content", "static", "templates", "i18n", "themes", ".git", ".github")
#: Outputs of a site that are sitegen's by name (when they are real folders): the default
#: output, and the preview `sitegen serve` builds inside the build cache.
_OWN_OUTPUTS = ("_site", ".sitegen-cache/serve")


def check_output_folder(output: Path, root: Path) -> None:
    """Refuse, before any work, an output folder whose replacement could delete what
    sitegen did not make.

    sitegen replaces a folder that does not exist yet, an empty one, one an earlier build
    marked with ``MARKER``, and the site's own ``_site`` (or the preview of ``sitegen
    serve``) when it is a real folder. ``output`` is absolute with its last part not
    resolved: a symbolic link is seen as one, and refused wherever it points."""
    root = root.resolve()
    shown = _shown(output, root)
    reason, hint = _forbidden(output, root), None
    if reason is None and os.path.lexists(output):
        if output.is_symlink():
            reason = f"a symbolic link (to {os.readlink(output)}), and sitegen never replaces a folder through a link"
            hint = "name the real folder with --output (or 'output:' in sitegen.yaml), or remove the link"
        elif not output.is_dir():
            reason = "a file, not a folder"
            hint = "choose an output folder, such as _site (the default)"
        elif not _ours(output, root):
            reason = f"a folder that holds files sitegen did not make (it has no {MARKER} file from an earlier build)"
            hint = ("choose a new or empty folder, or move those files away; if this folder is an older "
                    "build of this site, delete it and build again")
    if reason is not None:
        raise SitegenError(f"refusing to write the site into {shown}: it is {reason}",
                           hint=hint or "choose an output folder of its own, such as _site (the default)")


def _shown(output: Path, root: Path) -> str:
    """The output folder as a message names it: relative to the site when inside it."""
    if output.is_relative_to(root) and output != root:
        return output.relative_to(root).as_posix() + "/"
    return str(output)


def _forbidden(output: Path, root: Path) -> str | None:
    """Why ``output`` can never be an output folder, whatever it holds, or None."""
    real = output.resolve()
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError):  # (no HOME, and no entry in the user database)
        home = Path(real.anchor)
    named = {root: "the site folder itself", Path(real.anchor): "the root of the file system",
             root / ".sitegen-cache": "the build cache folder"}
    named.setdefault(home, "your home folder")
    for place in (output, real):
        if place in named:
            return named[place]
        if place in root.parents:
            return "a folder that contains the site"
        if place in home.parents:
            return "a folder that contains your home folder"
        for folder in _SITE_FOLDERS:
            if place == root / folder or (root / folder) in place.parents:
                return (f"{'the' if place == root / folder else 'inside the'} {folder}/ folder of the site, "
                        "which sitegen reads")
    return None


def _ours(output: Path, root: Path) -> bool:
    """Whether the existing real folder ``output`` is one sitegen may replace."""
    if any(output == root / own for own in _OWN_OUTPUTS):
        return True
    marker = output / MARKER
    if marker.is_file() and not marker.is_symlink():
        return True
    try:
        with os.scandir(output) as entries:
            return next(entries, None) is None
    except OSError:
        return False  # (unreadable: refused, with the message saying which folder)


def marker_text(files: Iterable[str]) -> bytes:
    """The marker of an output holding ``files`` (paths relative to it), the same for the
    same files whichever build wrote them."""
    listed = sorted(f for f in files if f != MARKER)
    return (_MARKER_HEAD + "".join(f"{f}\n" for f in listed)).encode("utf-8")


def marked_files(output: Path) -> set[str] | None:
    """The files the marker of ``output`` lists as the last build's, or None without one."""
    marker = output / MARKER
    if marker.is_symlink() or not marker.is_file():
        return None
    lines = marker.read_text(encoding="utf-8", errors="replace").splitlines()
    return {line for line in lines[1:] if line and not line.startswith("#")}


def _staging_name(output: Path, prefix: str) -> Path:
    return output.parent / f".{output.name}{prefix}{os.getpid()}"


def not_a_folder(root: Path, folder: Path) -> tuple[Path, str] | None:
    """The first of the folders from ``root`` down to ``folder`` that is there but is not
    a real folder, with what it is (a symbolic link, wherever it leads, or a file); None
    when each is a real folder or missing. sitegen writes in, and removes from, only
    folders of the hub's own: a change to the hub can add a link anywhere."""
    path = root
    for part in folder.relative_to(root).parts:
        path /= part
        if path.is_symlink():
            return path, f"a symbolic link (to {os.readlink(path)})"
        if os.path.lexists(path) and not path.is_dir():
            return path, "a file, not a folder"
    return None


def another_build_runs(pid: str) -> bool:
    """Whether ``pid``, the text in the name of a temporary file or folder a build left,
    is another process that still runs (then that build still uses it). This process's
    own pid is not, nor text that is no pid (not a number, or one no process can have):
    never an error, whatever the name holds."""
    if not pid.isdigit() or int(pid) == os.getpid() or int(pid) == 0:
        return False  # (0 names a process group, never one build)
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, OverflowError):  # (a number no process can have)
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def remove_stale(output: Path) -> None:
    """Remove staging and retired folders left behind by builds that were killed.

    Only real folders named exactly as a build names them are touched (never a link,
    whatever its name). A folder whose build is still running (another ``sitegen
    build`` or ``serve`` on the same site) is left alone.
    """
    if not output.parent.is_dir():
        return
    kinds = "|".join(re.escape(kind) for kind in (_STAGING, _RETIRED, _NEXT))
    ours = re.compile(re.escape(f".{output.name}") + f"({kinds})[0-9]+")
    for entry in output.parent.iterdir():
        match = ours.fullmatch(entry.name)
        if (match is None or entry.is_symlink() or not entry.is_dir()
                or another_build_runs(entry.name.rsplit("-", 1)[-1])):
            continue
        if match.group(1) == _RETIRED and not os.path.lexists(output):
            entry.rename(output)  # killed between the two renames: put the old output back
            continue
        shutil.rmtree(entry, ignore_errors=True)


def is_mount_point(folder: Path) -> bool:
    """Whether ``folder`` is a mount point (a Docker volume, say), which cannot be renamed:
    the build then writes into it in place."""
    return os.path.ismount(folder)


Stat = tuple[int, int]  # size, time stamp in nanoseconds (as the build cache records them)
#: A folder's identity: its device, inode and time stamp, and its marker's inode and time stamp.
FolderId = tuple[int, int, int, int, int]


@dataclass(frozen=True)
class SpareState:
    """What a swap left: the spare (the output replaced) and the live output, as they were
    just after it, and the only files in which they differ (added, removed or replaced).

    A process that alone writes both folders (``sitegen serve``) uses it to make its next
    output from the spare without listing either tree, while both identities still match."""

    live: FolderId
    spare: FolderId
    differ: frozenset[str]
    live_folders: frozenset[str]
    spare_folders: frozenset[str]


class Staging:
    """A folder the new output is written into before it replaces the old one.

    Files are only ever created in the staging folder and put in place by renaming, so a
    file of the live output is never written to: an incremental build links the old
    output's unchanged files into its next output (``merge``), and those links share
    their bytes with the output they came from."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.in_place = output.is_dir() and is_mount_point(output)
        self.folder = _staging_name(output, _STAGING)
        try:
            remove_stale(output)
            self.folder.mkdir(parents=True)
        except OSError as exc:
            raise SitegenError(f"cannot create the output folder beside {output}: {exc.strerror}",
                               hint=f"check the permissions and free space of {output.parent}") from None
        self._made: set[Path] = {self.folder}
        self._static: dict[str, str] = {}  # each static file copied, by target: to name it in a collision
        self.count = 0
        self.left: SpareState | None = None  # what the swap of ``merge`` left (None: unknown)
        # A mount point without a marker (empty, or the site's own _site from before markers):
        # what it holds now is what this build may replace; a file put there since is not ours.
        self._unmarked = (set(_files_under(output)) if self.in_place and marked_files(output) is None
                          else set())

    def _parent(self, target: Path) -> None:
        parent = target.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)

    def _inside(self, rel: str) -> Path:
        """The staging path for ``rel``; refuses one that would land outside it."""
        target = Path(os.path.normpath(self.folder / rel))
        if not target.is_relative_to(self.folder) or target == self.folder:
            raise SitegenError(f"refusing to write {rel!r}: it is outside the output folder",
                               hint="this is a bug in sitegen or a theme; please report it")
        return target

    def write(self, file: OutputFile) -> None:
        """Write one rendered file."""
        target = self._inside(file.path)
        try:
            self._parent(target)
            target.write_bytes(file.data)
        except OSError as exc:
            clash = self._collision(file.path)
            if clash is not None:
                raise SitegenError(f"cannot write /{file.path}: {clash}", path=file.source,
                                   hint="rename the static file or folder, or give the page another 'slug:'") from None
            raise SitegenError(f"cannot write the output: {exc.strerror} ({target})", path=file.source,
                               hint=f"check the free space and the permissions of {self.output.parent}") from None
        self.count += 1

    def _collision(self, rel: str) -> str | None:
        """What already holds the place of output file ``rel`` (a file where it needs a
        folder, or a folder where it goes), said with the files that made it; None if
        nothing does (the trouble is elsewhere: the disk, the permissions)."""
        parts = rel.split("/")
        for n in range(1, len(parts)):
            above = "/".join(parts[:n])
            path = self.folder / above
            if path.is_file():
                return f"/{above} is a file already ({self._made_by(above)}), and this needs a folder of that name"
        if (self.folder / rel).is_dir():
            inside = next((p for p in sorted((self.folder / rel).rglob("*")) if p.is_file()), None)
            example = inside.relative_to(self.folder).as_posix() if inside is not None else rel
            return f"/{rel} is a folder already, holding /{example} ({self._made_by(example)})"
        return None

    def _made_by(self, rel: str) -> str:
        source = self._static.get(rel)
        return f"copied from {source}" if source is not None else "a page or file the build writes"

    def copy_static(self, files: Iterable[StaticFile], root: Path | None = None) -> int:
        """Copy static files (later ones win over earlier ones with the same target).

        Every file that cannot be read is reported, with its path under ``root``.
        """
        copied = 0
        problems = []
        for file in files:
            target = self._inside(file.target)
            shown = (file.path.relative_to(root).as_posix() if root and file.path.is_relative_to(root)
                     else str(file.path))
            if file.target == MARKER:
                problems.append(Problem(f"a static file cannot be named {MARKER}: sitegen writes its own there",
                                        path=shown, hint="rename or delete the file"))
                continue
            try:
                self._parent(target)
                shutil.copyfile(file.path, target)
            except OSError as exc:
                clash = self._collision(file.target)
                if clash is not None:
                    problems.append(Problem(f"cannot copy this file to /{file.target}: {clash}", path=shown,
                                            hint=f"rename {shown}, or move it into another folder"))
                    continue
                hint = (f"give yourself read permission, e.g. chmod u+r {shown}" if isinstance(exc, PermissionError)
                        else "check that the file can be opened, and the free space of the disk")
                problems.append(Problem(f"cannot copy this file: {exc.strerror}", path=shown, hint=hint))
                continue
            self._static[file.target] = (shown if root and file.path.is_relative_to(root)
                                         else f"the theme's {file.target}")
            copied += 1
        if problems:
            raise BuildError(problems)
        return copied

    def merge(self, carry: Mapping[str, Stat], remove: Iterable[str] = (), spare: Path | None = None,
              known: SpareState | None = None,
              live_folders: Iterable[str] | None = None) -> tuple[dict[str, Stat], dict[str, int]]:
        """Bring the output up to date with the few files staged (an incremental build).

        The next output is made beside the old one: the staged files, and the old output's
        files ``carry`` (with their stats as the plan saw them; hard links, or copies where
        the file system has none), and then swapped in as a full build's is; a build killed
        at any moment leaves the old or the new site, whole. The files ``remove`` are simply
        not carried over.

        The output it replaces is kept in ``spare`` (a folder of the build cache), and the
        next incremental build makes its next output from it: only the files that differ
        from the live output are linked again, instead of making (and later deleting) a
        folder for every page. Returns the files whose size or time stamp may differ from
        the old output's, and the time stamp of every folder of the new output (for the
        build cache). In a mount point (see ``in_place``) the staged files are moved in one
        by one instead, and then the files ``remove`` that the last build listed in its
        marker are deleted.

        ``known`` is what the last swap left (``left``), from a process that alone writes
        the output and the spare: while both folders are still what it says, only the files
        it names are linked again, and neither tree is listed. ``live_folders`` are the live
        output's folders, when the caller knows them: with them, ``left`` is set."""
        staged = _files_under(self.folder)
        if self.in_place:
            return self._merge_in_place(staged, carry, remove)
        tree = _staging_name(self.output, _NEXT)
        have: tuple[dict[str, int], set[str]] = ({}, set())
        fast: SpareState | None = None
        try:
            if spare is not None and spare.is_dir() and not spare.is_symlink():
                if known is not None and _identity(spare) == known.spare and _identity(self.output) == known.live:
                    fast = known
                os.rename(spare, tree)
                have = ({}, set(fast.spare_folders)) if fast is not None else _entries(tree)
        except OSError:  # (another build took it, or it is damaged: start from nothing)
            have, fast = ({}, set()), None
            if not tree.is_symlink():
                shutil.rmtree(tree, ignore_errors=True)
        try:
            if not have[1]:
                tree.mkdir()
        except OSError as exc:
            raise SitegenError(f"cannot create the output folder beside {self.output}: {exc.strerror}",
                               hint=f"check the permissions and free space of {self.output.parent}") from None
        try:
            return self._make_next(tree, have, carry, staged, spare, fast, remove,
                                   None if live_folders is None else frozenset(live_folders))
        except BaseException:
            shutil.rmtree(tree, ignore_errors=True)
            raise

    def _make_next(self, tree: Path, have: tuple[dict[str, int], set[str]], carry: Mapping[str, Stat],
                   staged: list[str], spare: Path | None, fast: SpareState | None, remove: Iterable[str],
                   live_folders: frozenset[str] | None) -> tuple[dict[str, Stat], dict[str, int]]:
        """Make ``tree`` (empty, or an earlier output: ``have``, its files' inodes and its
        folders; or, with ``fast``, the spare it describes) hold the staged files and the
        live output's files ``carry``, then swap it in."""
        staged_set = set(staged)
        removed = set(remove)
        wanted = [rel for rel in carry if rel not in staged_set and rel != MARKER]
        files, folders_had = have
        needed: set[str] = {""}
        for rel in (*wanted, *staged, MARKER):
            parent = rel.rpartition("/")[0]
            while parent not in needed:
                needed.add(parent)
                parent = parent.rpartition("/")[0]
        target = {*wanted, *staged_set, MARKER}
        if fast is not None and not _real_folders(tree, (*fast.differ, *removed, *staged_set,
                                                         *(f"{rel}/" for rel in folders_had - needed))):
            # Something changed deep inside the spare (a folder made a link): list it instead,
            # as a build without a warm state does, and never reach through a link.
            fast = None
            files, folders_had = _entries(tree)
        for rel in sorted(staged_set & needed):  # a file staged where a carried file needs a folder
            inside = next(f for f in wanted if f.startswith(rel + "/"))
            raise SitegenError(f"cannot write /{inside}: /{rel} is a file now ({self._made_by(rel)}), "
                               "and this needs a folder of that name",
                               hint="rename the static file or folder at fault")
        for rel in sorted(folders_had - needed):  # (a parent before what it holds)
            if (tree / rel).is_dir() and not (tree / rel).is_symlink():
                shutil.rmtree(tree / rel, ignore_errors=True)
        for rel in files:
            if rel not in target or rel in needed:
                (tree / rel).unlink(missing_ok=True)
        if fast is not None:  # the spare is the live output but for these files
            for rel in fast.differ | removed | staged_set:
                if rel not in target or rel in needed:
                    with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
                        os.unlink(tree / rel)
            # (a file where a folder is needed stays in the list: linking it reports the clash)
            wanted = [rel for rel in wanted if rel in fast.differ or rel in needed]
        gone: set[str] = set()
        for rel in sorted(needed - folders_had):
            try:
                (tree / rel).mkdir()
            except FileExistsError:
                pass  # (made with an earlier folder)
            except OSError as exc:
                clash = self._collision(rel + "/x")
                raise SitegenError(f"cannot make the folder /{rel}/: {clash or exc.strerror}",
                                   hint=("rename the static file or folder at fault" if clash else
                                         f"check the free space and the permissions of {self.output.parent}")) from None
        placed: dict[str, Stat] = {}
        kill_after = _test_kill_point("carried")
        linked = 0
        output, next_output = str(self.output), str(tree)  # (plain strings: this runs for every file)
        for rel in wanted:
            if linked == kill_after:
                _test_kill()
            old, new = f"{output}/{rel}", f"{next_output}/{rel}"
            try:
                live = os.lstat(old).st_ino
            except FileNotFoundError:
                gone.add(rel)
                continue  # deleted by hand since it was listed: the next build renders it again
            if files.get(rel) == live and rel not in needed:
                linked += 1
                continue  # the same file already
            try:
                if rel in files or fast is not None:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(new)
                try:
                    os.link(old, new, follow_symlinks=False)
                except OSError as exc:
                    if exc.errno == errno.ENOENT:
                        gone.add(rel)
                        continue
                    shutil.copy2(old, new, follow_symlinks=False)  # no hard links here (another device, a FAT disk)
                    copied = _stat(Path(new))  # (the live file's size and time stamp, as copied)
                    # Changed by hand since the plan listed it: remembered as never matching, so
                    # the next build makes it again (a link shares the live file's stat itself).
                    placed[rel] = copied if copied == carry.get(rel) else (-1, -1)
            except OSError as exc:
                clash = self._collision(rel)
                raise SitegenError(f"cannot write /{rel}: {clash or exc.strerror}",
                                   hint=("rename the static file or folder at fault" if clash else
                                         f"check the free space and the permissions of {self.output.parent}")) from None
            linked += 1
        for rel in staged:  # a rename: a new file, never bytes written into a linked one
            try:
                os.replace(self.folder / rel, tree / rel)
            except OSError as exc:
                raise SitegenError(f"cannot write /{rel}: {exc.strerror}",
                                   hint=f"check the free space and the permissions of {self.output.parent}") from None
            placed[rel] = _stat(tree / rel)
        if kill_after is not None:
            _test_kill()  # (every file in place, the marker not written yet)
        marker = self.folder / MARKER
        marker.write_bytes(marker_text(target))
        os.replace(marker, tree / MARKER)
        placed[MARKER] = _stat(tree / MARKER)
        folders = {rel: folder_stamp(os.stat(f"{next_output}/{rel}" if rel else next_output)) for rel in needed}
        self.discard()
        self.folder = tree
        self.commit(files=(), marked=True, keep=spare)
        if fast is not None:
            live_folders = fast.live_folders
        if spare is not None and live_folders is not None:
            # The replaced output is the spare now: it differs from the new one in the files
            # placed anew (rendered, copied, the marker) and the files this build left out.
            with contextlib.suppress(OSError):
                self.left = SpareState(live=_identity(self.output), spare=_identity(spare),
                                       differ=frozenset(placed.keys() | removed | gone),
                                       live_folders=frozenset(needed), spare_folders=live_folders)
        return placed, folders

    def _merge_in_place(self, staged: list[str], carry: Iterable[str],
                        remove: Iterable[str]) -> tuple[dict[str, Stat], dict[str, int]]:
        listed = marked_files(self.output)
        placed: dict[str, Stat] = {}
        for rel in staged:
            placed[rel] = self._move_in(rel)
        for rel in remove:
            if listed is None or rel in listed:  # (only the site's own _site has no list: all of it is ours)
                _remove_file(self.output, rel)
        placed[MARKER] = self._replace_marker({*carry, *staged})
        self.discard()
        return placed, {}

    def _move_in(self, rel: str) -> Stat:
        """Put the staged file ``rel`` in place in the output folder (a mount point), by a
        rename, or by a copy renamed into place where the staging folder is on another device."""
        staged, target = self.folder / rel, Path(os.path.normpath(self.output / rel))
        if not _within(self.output, target):
            raise SitegenError(f"refusing to write /{rel}: a symbolic link in {self.output} leads out of it",
                               hint="remove the link from the output folder")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(staged, target)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                part = target.with_name(f".{target.name}{_STAGING}{os.getpid()}")
                shutil.copy2(staged, part)
                os.replace(part, target)
        except OSError as exc:
            raise SitegenError(f"cannot write /{rel} into {self.output}: {exc.strerror}",
                               hint=("a file and a folder of the same name: delete the folder's old build and "
                                     "build again" if isinstance(exc, (IsADirectoryError, NotADirectoryError,
                                                                        FileExistsError)) else
                                     f"check the free space and the permissions of {self.output}")) from None
        return _stat(target)

    def _replace_marker(self, files: Iterable[str]) -> Stat:
        part = self.folder / MARKER
        part.write_bytes(marker_text(files))
        return self._move_in(MARKER)

    def discard(self) -> None:
        """Remove the staging folder (after a failed build)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def mark(self, files: Iterable[str]) -> None:
        """Write the marker of the staging folder, listing ``files`` (see ``commit``)."""
        (self.folder / MARKER).write_bytes(marker_text(files))

    def commit(self, files: Iterable[str] | None = None, marked: bool = False, keep: Path | None = None) -> None:
        """Put the staging folder in place of the output, atomically where possible.

        ``files`` are the files written (the staging folder is listed when None); the
        marker listing them is written first, unless ``marked``. A mount point cannot be
        replaced: the files are moved into it, and then the files its marker listed that
        this build did not write are deleted. The output replaced is moved to ``keep``
        (where the next incremental build starts from it), else deleted."""
        written = _files_under(self.folder) if files is None else list(files)
        if self.in_place:
            listed = marked_files(self.output)
            if listed is None:  # an empty folder, or the site's own _site from before markers
                listed = self._unmarked
            for rel in written:
                if rel != MARKER:
                    self._move_in(rel)
            for rel in sorted(listed - set(written)):
                _remove_file(self.output, rel)
            self._replace_marker(written)
            self.discard()
            return
        if not marked:
            self.mark(written)
        if _test_kill_point("swap") is not None:
            _test_kill()
        if self.output.exists() and _exchange(self.folder, self.output):
            if _test_kill_point("swapped") is not None:
                _test_kill()
            _retire(self.folder, keep)  # it holds the old output now
            return
        if self.output.exists():
            retired = _staging_name(self.output, _RETIRED)
            self.output.rename(retired)
            self.folder.rename(self.output)
            _retire(retired, keep)
        else:
            self.folder.rename(self.output)


def mirror(output: Path, spare: Path) -> SpareState | None:
    """Make ``spare`` (the output a build replaced, kept in the build cache) hold the same
    files as ``output``: hard links to them, only those that differ linked again. Then
    the next incremental build links only the files it changes, instead of every file
    the two differ in. For a process that alone writes both (``sitegen serve``), at a
    quiet moment: right after a build that made a fresh output. Returns what the two
    folders are now (see ``SpareState``), or None when it cannot be made (the next build
    then lists both trees, as without it)."""
    try:
        if not output.is_dir() or output.is_symlink() or spare.is_symlink():
            return None
        live, live_folders = _entries(output)
        if spare.is_dir():
            have, have_folders = _entries(spare)
        else:
            spare.mkdir()
            have, have_folders = {}, {""}
        if not _real_folders(spare, (*live, *(f"{rel}/" for rel in live_folders))):
            return None  # a link inside the spare: never reach through it
        for rel in sorted(have_folders - live_folders):
            shutil.rmtree(spare / rel, ignore_errors=True)
        for rel, inode in have.items():
            if live.get(rel) != inode:
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    os.unlink(spare / rel)
        for rel in sorted(live_folders - have_folders):
            (spare / rel).mkdir(exist_ok=True)
        top, copy = str(output), str(spare)
        for rel, inode in live.items():
            if have.get(rel) != inode:
                os.link(f"{top}/{rel}", f"{copy}/{rel}", follow_symlinks=False)
        folders = frozenset(live_folders)
        return SpareState(live=_identity(output), spare=_identity(spare), differ=frozenset(),
                          live_folders=folders, spare_folders=folders)
    except OSError:
        return None


def _retire(old: Path, keep: Path | None) -> None:
    """Keep the output just replaced as ``keep``, or delete it."""
    if keep is not None:
        try:
            if os.path.lexists(keep):
                shutil.rmtree(keep)
            os.rename(old, keep)
            return
        except OSError:
            pass  # (on another device, say)
    shutil.rmtree(old, ignore_errors=True)


def _real_folders(tree: Path, paths: Iterable[str]) -> bool:
    """Whether every folder above each of ``paths`` (relative to ``tree``; a path ending
    in ``/`` names a folder, checked too) is a real folder or absent, never a link."""
    seen = {""}
    for rel in paths:
        parent = rel.rpartition("/")[0]
        while parent not in seen:
            seen.add(parent)
            try:
                if not stat.S_ISDIR(os.lstat(tree / parent).st_mode):
                    return False
            except FileNotFoundError:
                pass  # (made later, as a real folder)
            except OSError:
                return False
            parent = parent.rpartition("/")[0]
    return True


def _entries(folder: Path) -> tuple[dict[str, int], set[str]]:
    """The files under ``folder`` (anything but a folder: links too, never followed), each
    with its inode, and its folders (itself as ""), relative to it."""
    files: dict[str, int] = {}
    folders: set[str] = set()

    top = str(folder)

    def visit(rel: str) -> None:
        folders.add(rel)
        prefix = f"{rel}/" if rel else ""
        with os.scandir(f"{top}/{rel}" if rel else top) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    visit(prefix + entry.name)
                else:
                    files[prefix + entry.name] = entry.inode()

    visit("")
    return files, folders


def _identity(folder: Path) -> FolderId:
    """The identity of an output folder (``folder`` itself and its marker, never followed):
    a build that swaps, lists or writes it anew changes it."""
    top = os.stat(folder, follow_symlinks=False)
    marker = os.stat(folder / MARKER, follow_symlinks=False)
    return top.st_dev, top.st_ino, top.st_mtime_ns, marker.st_ino, marker.st_mtime_ns


def _files_under(folder: Path) -> list[str]:
    """Every file under ``folder`` (links included, not followed), relative to it."""
    found = []
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            found.append((Path(dirpath) / name).relative_to(folder).as_posix())
    return found


#: For tests of killed builds, and harmless elsewhere: ``SITEGEN_TEST_KILL=carried:N``
#: makes a build kill itself (SIGKILL) after linking N files of the old output into the
#: next one (an N larger than their number: once all are linked), ``swap`` just before the
#: new output is put in place, ``swapped`` just after (the old one not yet removed).
_TEST_KILL = "SITEGEN_TEST_KILL"


def _test_kill_point(point: str) -> int | None:
    """The count given for ``point`` in SITEGEN_TEST_KILL (0 when it has none), or None."""
    name, _, count = os.environ.get(_TEST_KILL, "").partition(":")
    if name != point:
        return None
    return int(count) if count.isdigit() else 0


def _test_kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def folder_stamp(st: os.stat_result) -> int:
    """What the build cache remembers of an output folder (see ``cache.output_stats``): its
    time stamp and its inode, so that a folder replaced by a copy that kept the time stamp
    (``cp -a``, ``rsync -a``) is listed again (and a deploy's output, restored from an
    archive, is listed once). Never -1 (which marks a folder to list)."""
    return hash((st.st_ino, st.st_mtime_ns))


def _stat(path: Path) -> Stat:
    st = os.stat(path, follow_symlinks=False)
    return st.st_size, st.st_mtime_ns


def _within(output: Path, target: Path) -> bool:
    """Whether ``target`` is inside ``output``, also when the folders above it are followed
    (a link planted in the output must not lead a write or a deletion out of it)."""
    if not target.is_relative_to(output) or target == output:
        return False
    return target.parent.resolve().is_relative_to(output.resolve())


def _remove_file(output: Path, rel: str) -> None:
    """Delete the output file ``rel`` (never a folder, never through a link) and the folders
    it leaves empty."""
    target = Path(os.path.normpath(output / rel))
    if not _within(output, target):
        return
    try:
        if target.is_dir() and not target.is_symlink():
            return
        target.unlink(missing_ok=True)
    except OSError:
        return
    parent = target.parent
    while parent != output and parent.is_dir() and not parent.is_symlink() and not any(parent.iterdir()):
        parent.rmdir()
        parent = parent.parent


_RENAME_EXCHANGE = 2


@functools.lru_cache(maxsize=1)
def _renameat2() -> Any:
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    return getattr(ctypes.CDLL(libc_name, use_errno=True), "renameat2", None)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2); False where not supported."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result: int = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
