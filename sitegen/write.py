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
from typing import Any, Iterable

from .discover import StaticFile
from .errors import SitegenError
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


def remove_stale(output: Path) -> None:
    """Remove staging and retired folders left behind by builds that were killed."""
    if not output.parent.is_dir():
        return
    for entry in output.parent.iterdir():
        if entry.name.startswith(f".{output.name}{_STAGING}") or entry.name.startswith(f".{output.name}{_RETIRED}"):
            if not output.exists() and entry.name.startswith(f".{output.name}{_RETIRED}"):
                entry.rename(output)  # killed between the two renames: put the old output back
                continue
            shutil.rmtree(entry, ignore_errors=True)


class Staging:
    """A folder the new output is written into before it replaces the old one."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.folder = _staging_name(output, _STAGING)
        remove_stale(output)
        self.folder.mkdir(parents=True)
        self._made: set[Path] = {self.folder}
        self.count = 0

    def _parent(self, target: Path) -> None:
        parent = target.parent
        if parent not in self._made:
            parent.mkdir(parents=True, exist_ok=True)
            self._made.add(parent)

    def write(self, file: OutputFile) -> None:
        """Write one rendered file."""
        target = self.folder / file.path
        self._parent(target)
        target.write_bytes(file.data)
        self.count += 1

    def copy_static(self, files: Iterable[StaticFile]) -> int:
        """Copy static files (later ones win over earlier ones with the same target)."""
        copied = 0
        for file in files:
            target = self.folder / file.target
            self._parent(target)
            shutil.copyfile(file.path, target)
            copied += 1
        return copied

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
