"""Discovery: walk ``content/`` and ``static/`` and list the sources, nothing parsed.

In content/, hidden files and folders (editors' ``.#draft.md``) and names starting
with ``_`` are skipped; in static/, only version-control and editor litter is.
Symbolic links are followed only when they stay inside the site folder and out of
its ``.git``; a link loop cannot hang the walk, and an unreadable folder is reported.
"""

from __future__ import annotations

import os
from dataclasses import FrozenInstanceError, dataclass
from operator import attrgetter
from pathlib import Path
from typing import Callable

from .errors import Problem
from .model import CONTENT_DIRS, Kind


class Source:
    """A content file: its kind and where it is.

    Frozen, and compared and hashed like a dataclass of ``kind``, ``path`` and ``rel``.
    ``path`` may be given as text: it becomes a :class:`~pathlib.Path` only when asked for, since
    discovery lists every file of the site and an up-to-date build opens only the changed ones.
    """

    __slots__ = ("kind", "rel", "stat", "_path")
    __match_args__ = ("kind", "path", "rel", "stat")

    kind: Kind
    rel: str  # relative to the site folder, with forward slashes
    stat: tuple[int, int] | None  # size, mtime_ns when discovered (not compared)
    _path: Path | str  # absolute, as given

    def __init__(self, kind: Kind, path: Path | str, rel: str, stat: tuple[int, int] | None = None) -> None:
        _set_kind(self, kind)
        _set_path(self, path)
        _set_rel(self, rel)
        _set_stat(self, stat)

    @property
    def path(self) -> Path:
        """The file, absolute. (Made anew each time from text: not kept on the source, so
        forked workers do not write into pages of memory they share with the parent.)"""
        path = self._path
        return path if isinstance(path, Path) else Path(path)

    @property
    def location(self) -> str:
        """The file's absolute path, as text (without making a Path)."""
        return os.fspath(self._path)

    def with_stat(self, stat: tuple[int, int] | None) -> Source:
        """The same file with another ``stat``."""
        return Source(self.kind, self._path, self.rel, stat)

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Source) or other.__class__ is not self.__class__:
            return NotImplemented
        return (self.kind, self.path, self.rel) == (other.kind, other.path, other.rel)

    def __hash__(self) -> int:
        return hash((self.kind, self.path, self.rel))

    def __repr__(self) -> str:
        return f"Source(kind={self.kind!r}, path={self.path!r}, rel={self.rel!r}, stat={self.stat!r})"

    def __reduce__(self) -> tuple[type[Source], tuple[Kind, Path | str, str, tuple[int, int] | None]]:
        return Source, (self.kind, self._path, self.rel, self.stat)


# The slots' own setters: what a frozen dataclass's __init__ does, without its calls of object.__setattr__.
_set_kind, _set_rel, _set_stat, _set_path = (Source.__dict__[name].__set__ for name in ("kind", "rel", "stat", "_path"))


@dataclass(frozen=True, slots=True)
class StaticFile:
    """A file to copy as is: where it is and where it goes in the output."""

    path: Path
    target: str  # relative to the output folder


_name = attrgetter("name")


def _skip_content(name: str) -> bool:
    return name.startswith((".", "_"))


def _skip_static(name: str) -> bool:
    # Dotfiles such as .well-known/ are published; version control and editor litter is not.
    return name in _LITTER or name.endswith(("~", ".swp"))


#: Never published from static/: version control, editor litter, secrets for tools.
_LITTER = (".git", ".hg", ".svn", ".DS_Store", "Thumbs.db", ".env")


def _in_git(real: Path, root: Path) -> bool:
    """Whether a resolved path is inside a .git folder of the site."""
    return real.is_relative_to(root) and ".git" in real.relative_to(root).parts


def _walk(top: Path, root: Path, problems: list[Problem],
          skip: Callable[[str], bool] = _skip_content) -> list[tuple[str, tuple[int, int] | None]]:
    """Every regular file under ``top`` (as paths relative to ``top``, with forward
    slashes), sorted, skipping ``skip`` names and link loops. Symbolic links to folders
    are followed when they stay inside ``root`` and out of its .git."""
    found: list[tuple[str, tuple[int, int] | None]] = []
    seen: set[tuple[int, int]] = set()

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename or top)
        shown = where.relative_to(root).as_posix() if where.is_relative_to(root) else str(where)
        problems.append(Problem(f"cannot read this folder: {exc.strerror}", path=shown,
                                hint=f"give yourself permission to read it, e.g. chmod u+rx {shown}"))

    def visit(folder: str, prefix: str) -> None:
        here = Path(folder)
        try:
            st = os.stat(folder)
        except OSError:
            return
        if (st.st_dev, st.st_ino) in seen:  # a symbolic-link loop: walked already
            return
        seen.add((st.st_dev, st.st_ino))
        real = here.resolve()
        if _in_git(real, root):
            problems.append(Problem(
                "a symbolic link leads into the site's .git folder, which is never published",
                path=here.relative_to(root).as_posix() if here.is_relative_to(root) else str(here),
                hint="remove the link; the history of your site stays private",
            ))
            return
        if real != root and root not in real.parents:
            problems.append(Problem(
                "a symbolic link leads outside the site folder; it is not followed",
                path=here.relative_to(root).as_posix() if here.is_relative_to(root) else str(here),
                hint="copy the files into the site instead of linking to them",
            ))
            return
        try:
            with os.scandir(folder) as listing:
                entries = [e for e in listing if not skip(e.name)]
        except OSError as exc:
            unreadable(exc)
            return
        entries.sort(key=_name)
        folders = []
        for entry in entries:
            try:
                is_folder = entry.is_dir()  # a link to a folder counts as a folder
            except OSError:
                is_folder = False
            if is_folder:
                folders.append(entry)
                continue
            # Only links need a look at their target: the folder listing says which are.
            if entry.is_symlink():
                problem = _escaping_link(Path(entry.path), root)
                if problem is not None:
                    problems.append(problem)
                    continue
            try:  # the build cache compares it with the last build's: one stat, taken here
                st = entry.stat()
                stat: tuple[int, int] | None = (st.st_size, st.st_mtime_ns)
            except OSError:
                stat = None
            found.append((prefix + entry.name, stat))
        for entry in folders:
            visit(entry.path, prefix + entry.name + "/")

    visit(str(top), "")
    return found


def _escaping_link(path: Path, root: Path) -> Problem | None:
    """A problem when the symbolic link ``path`` leads out of the site or into its .git."""
    real = path.resolve()
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    if _in_git(real, root):
        return Problem("this symbolic link leads into the site's .git folder, which is never published",
                       path=shown, hint="remove the link; the history of your site stays private")
    if real != root and root not in real.parents:
        return Problem("this symbolic link points outside the site folder; it is not published",
                       path=shown, hint="copy the file into the site instead of linking to it")
    return None


def discover_content(root: Path) -> tuple[list[Source], list[Problem]]:
    """All Markdown sources under ``content/``, by kind then path, and any problems."""
    sources: list[Source] = []
    problems: list[Problem] = []
    for kind, folder in CONTENT_DIRS.items():
        top = root / folder
        if not top.is_dir():
            continue
        where, prefix = str(top) + "/", folder + "/"  # paths as text: see Source
        for rel, stat in _walk(top, root, problems):
            if rel.lower().endswith((".md", ".markdown")):
                sources.append(Source(kind, where + rel, prefix + rel, stat))
    return sources, problems


def discover_static(top: Path, root: Path) -> tuple[list[StaticFile], list[Problem]]:
    """The files under a static folder (the site's or a theme's), with their targets.

    A symbolic link to something outside ``root`` (or into its .git) is refused.
    """
    problems: list[Problem] = []
    if not top.is_dir():
        return [], problems
    files = []
    for rel, _ in _walk(top, root, problems, skip=_skip_static):
        files.append(StaticFile(path=top / rel, target=rel))
    return files, problems
