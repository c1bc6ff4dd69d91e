"""Writing: the rendered files go into a staging folder beside the output, which is
swapped in only when every file is written.

A failed or killed build never touches the previous output: the staging folder is
``.<output>.sitegen-new-<pid>`` next to it, and stale ones left by a killed build are
removed by the next build. On Linux the swap is one atomic ``renameat2(EXCHANGE)``;
elsewhere two renames, with the old output kept until the new one is in place.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .discover import StaticFile
from .errors import BuildError, Problem, SitegenError

if TYPE_CHECKING:  # only a type here; render.py imports Jinja and Babel
    from .render import OutputFile

_STAGING = ".sitegen-new-"
_RETIRED = ".sitegen-old-"


def check_output_folder(output: Path, root: Path) -> None:
    """Refuse an output folder whose replacement would delete the user's work."""
    output, root = output.resolve(), root.resolve()
    forbidden = {
        root: "the site folder itself",
        root / "content": "the content folder",
        root / "static": "the static folder",
        root / "templates": "the templates folder",
        Path.home().resolve(): "your home folder",
        Path(output.anchor): "the root of the file system",
    }
    reason = forbidden.get(output)
    if reason is None and output in root.parents:
        reason = "a folder that contains the site"
    if reason is None:
        for folder in ("content", "static", "templates", "i18n", "themes", ".git"):
            if (root / folder) in output.parents:
                reason = f"inside {folder}/"
    if reason is not None:
        raise SitegenError(
            f"refusing to write the site into {output}: it is {reason}, and building replaces the output folder",
            hint="choose an output folder of its own, such as _site (the default)",
        )


def _staging_name(output: Path, prefix: str) -> Path:
    return output.parent / f".{output.name}{prefix}{os.getpid()}"


def _owner_alive(name: str) -> bool:
    """Whether the build whose pid ends a staging folder's name is still running."""
    pid = name.rsplit("-", 1)[-1]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def remove_stale(output: Path) -> None:
    """Remove staging and retired folders left behind by builds that were killed.

    A folder whose build is still running (another ``sitegen build`` or ``serve`` on
    the same site) is left alone.
    """
    if not output.parent.is_dir():
        return
    for entry in output.parent.iterdir():
        if entry.name.startswith(f".{output.name}{_STAGING}") or entry.name.startswith(f".{output.name}{_RETIRED}"):
            if _owner_alive(entry.name):
                continue
            if not output.exists() and entry.name.startswith(f".{output.name}{_RETIRED}"):
                entry.rename(output)  # killed between the two renames: put the old output back
                continue
            shutil.rmtree(entry, ignore_errors=True)


class Staging:
    """A folder the new output is written into before it replaces the old one."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.folder = _staging_name(output, _STAGING)
        try:
            remove_stale(output)
            self.folder.mkdir(parents=True)
        except OSError as exc:
            raise SitegenError(f"cannot create the output folder beside {output}: {exc.strerror}",
                               hint=f"check the permissions and free space of {output.parent}") from None
        self._made: set[Path] = {self.folder}
        self.count = 0

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
            raise SitegenError(f"cannot write the output: {exc.strerror} ({target})", path=file.source,
                               hint=f"check the free space and the permissions of {self.output.parent}") from None
        self.count += 1

    def copy_static(self, files: Iterable[StaticFile], root: Path | None = None) -> int:
        """Copy static files (later ones win over earlier ones with the same target).

        Every file that cannot be read is reported, with its path under ``root``.
        """
        copied = 0
        problems = []
        for file in files:
            target = self._inside(file.target)
            try:
                self._parent(target)
                shutil.copyfile(file.path, target)
            except OSError as exc:
                shown = file.path.relative_to(root).as_posix() if root and file.path.is_relative_to(root) else str(file.path)
                hint = (f"give yourself read permission, e.g. chmod u+r {shown}" if isinstance(exc, PermissionError)
                        else "check that the file can be opened, and the free space of the disk")
                problems.append(Problem(f"cannot copy this file: {exc.strerror}", path=shown, hint=hint))
                continue
            copied += 1
        if problems:
            raise BuildError(problems)
        return copied

    def merge(self, remove: Iterable[str] = ()) -> dict[str, tuple[int, int]]:
        """Move the staged files into the existing output (each by one rename) and remove
        the output files ``remove``; for incremental builds, where only a few files are
        staged. Returns the moved files with their size and time stamp."""
        moved: dict[str, tuple[int, int]] = {}
        made: set[Path] = set()
        for dirpath, _, filenames in os.walk(self.folder):
            for name in filenames:
                staged = Path(dirpath) / name
                rel = staged.relative_to(self.folder).as_posix()
                target = self.output / rel
                if target.parent not in made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    made.add(target.parent)
                st = staged.stat()
                os.replace(staged, target)
                moved[rel] = (st.st_size, st.st_mtime_ns)
        for rel in remove:
            target = self.output / rel
            target.unlink(missing_ok=True)
            parent = target.parent
            while parent != self.output and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        self.discard()
        return moved

    def discard(self) -> None:
        """Remove the staging folder (after a failed build)."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def commit(self) -> None:
        """Put the staging folder in place of the output, atomically where possible."""
        if self.output.exists() and _exchange(self.folder, self.output):
            shutil.rmtree(self.folder, ignore_errors=True)  # now holds the old output
            return
        if self.output.exists():
            retired = _staging_name(self.output, _RETIRED)
            self.output.rename(retired)
            self.folder.rename(self.output)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            self.folder.rename(self.output)


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
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
