"""Discovery: walk ``content/`` and ``static/`` and list the sources, nothing parsed.

In content/, hidden files and folders (editors' ``.#draft.md``) and names starting
with ``_`` are skipped; in static/, only version-control and editor litter is, and
``.env`` files of secrets (with a warning). Symbolic links are followed only when they
stay inside the site folder (inside static/ for static files) and out of its ``.git``,
its build cache and its settings; a link loop cannot hang the walk, and an unreadable
folder is reported. A name that is not UTF-8, a name Windows reserves (``CON``,
``aux.md``) and a file that is not a regular file (a named pipe, which would block
the build forever when read) are reported, never read.
"""

from __future__ import annotations

import os
import re
import stat as stat_module
from dataclasses import FrozenInstanceError, dataclass
from operator import attrgetter
from pathlib import Path
from collections.abc import Callable, Mapping

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
    stat: tuple[int, int, int] | None  # size, mtime_ns, ctime_ns when discovered (not compared)
    _path: Path | str  # absolute, as given

    def __init__(self, kind: Kind, path: Path | str, rel: str, stat: tuple[int, int, int] | None = None) -> None:
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

    def with_stat(self, stat: tuple[int, int, int] | None) -> Source:
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

    def __reduce__(self) -> tuple[type[Source], tuple[Kind, Path | str, str, tuple[int, int, int] | None]]:
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
    return name in _VERSION_CONTROL or is_litter(name)


def is_litter(name: str) -> bool:
    """True for the temporary, backup and lock files editors and systems leave beside a
    file: never read by a build, never a reason for `sitegen serve` to rebuild."""
    return (name in _LITTER_NAMES or name.endswith(_LITTER_SUFFIXES) or name.startswith(".#")
            or (name.startswith("#") and name.endswith("#")) or name.startswith(".goutputstream-"))


#: Never published from static/: version control, editor litter.
_VERSION_CONTROL = (".git", ".hg", ".svn")
_LITTER_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".crdownload", ".part")
_LITTER_NAMES = frozenset({"4913", ".DS_Store", "Thumbs.db"})  # 4913: vim's test of a folder's permissions
#: Files of secrets for tools (``.env``, ``.env.local``, ``.env.production``): never published.
_SECRETS = re.compile(r"^\.env(\..*)?$")
#: Names Windows reserves for devices, with any extension and in any case: a checkout of
#: the site on Windows fails on them.
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$", re.I)
#: What a link in the site may never lead to, besides .git: the settings (with their
#: ``private:`` part) and the build cache (which holds drafts).
_PRIVATE = ("sitegen.yaml", ".sitegen-cache")


def _in_git(real: Path, root: Path) -> bool:
    """Whether a resolved path is inside a .git folder of the site."""
    return real.is_relative_to(root) and ".git" in real.relative_to(root).parts


def _private(real: Path, root: Path) -> str | None:
    """What private part of the site a resolved path is (or is inside), if any."""
    for name in _PRIVATE:
        if real == root / name or real.is_relative_to(root / name):
            return name
    return None


def _shown(path: Path | str, root: Path) -> str:
    """A path as a message shows it: relative to the site, with bytes that are not
    UTF-8 as escapes (``caf\\xe9.md``), never as text that cannot be printed."""
    path = Path(path)
    text = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def _bound_name(real: Path, root: Path, inside: Path) -> str:
    """What a link leaving ``inside`` left, as a message says it."""
    if inside == root or not real.is_relative_to(root):
        return "the site folder"
    return f"{_shown(inside, root)}/"


def _not_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes of the name, kept as surrogates
        return True
    return False


def _walk(top: Path, root: Path, problems: list[Problem],
          skip: Callable[[str], bool] = _skip_content, bound: Path | None = None,
          wanted: Callable[[str], bool] = lambda name: True) -> list[tuple[str, tuple[int, int, int] | None]]:
    """Every regular file under ``top`` (as paths relative to ``top``, with forward
    slashes), sorted, skipping ``skip`` names and link loops. Symbolic links are
    followed when they stay inside ``bound`` (default: ``root``), out of its .git, its
    settings and its build cache. A name that is not UTF-8 or that Windows reserves,
    and a ``wanted`` name that is not a regular file (a named pipe), are problems."""
    found: list[tuple[str, tuple[int, int, int] | None]] = []
    seen: set[tuple[int, int]] = set()
    inside = bound or root

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
        private = _private(real, root)
        if private is not None:
            problems.append(Problem(
                f"a symbolic link leads to the site's {private}, which is never published",
                path=_shown(here, root), hint="remove the link",
            ))
            return
        if real != inside and inside not in real.parents:
            where = _bound_name(real, root, inside)
            problems.append(Problem(
                f"a symbolic link leads outside {where}; it is not followed",
                path=_shown(here, root),
                hint=f"copy the files into {where} instead of linking to them",
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
            name_problem = _name_problem(entry.name, entry.path, root)
            if name_problem is not None:
                problems.append(name_problem)
                continue
            try:
                is_folder = entry.is_dir()  # a link to a folder counts as a folder
            except OSError:
                is_folder = False
            if is_folder:
                folders.append(entry)
                continue
            # Only links need a look at their target: the folder listing says which are.
            if entry.is_symlink():
                problem = _escaping_link(Path(entry.path), root, inside)
                if problem is not None:
                    problems.append(problem)
                    continue
            try:  # the build cache compares it with the last build's: one stat, taken here
                st = entry.stat()
                stat: tuple[int, int, int] | None = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
            except OSError:
                stat = None
            else:
                if not stat_module.S_ISREG(st.st_mode):
                    # Reading a named pipe waits for a writer that never comes.
                    if wanted(entry.name):
                        problems.append(Problem(
                            "this is not a regular file (a named pipe, a socket or a device); it is not read",
                            path=_shown(entry.path, root),
                            hint="remove it, or put a regular file with this name in its place"))
                    continue
            found.append((prefix + entry.name, stat))
        for entry in folders:
            visit(entry.path, prefix + entry.name + "/")

    visit(str(top), "")
    return found


def _name_problem(name: str, path: str, root: Path) -> Problem | None:
    """A problem with a file or folder's name itself: not UTF-8, or reserved by Windows."""
    if _not_utf8(name):
        return Problem("this name is not UTF-8 text; the file is not read",
                       path=_shown(path, root),
                       hint="rename it with letters your system writes as UTF-8, e.g. cafe.md")
    if _WINDOWS_RESERVED.match(name):
        stem = name.split(".")[0]
        return Problem(f"'{name}' is a name Windows reserves for a device (CON, PRN, AUX, NUL, COM1-9, LPT1-9, "
                       "with any extension): the site cannot be checked out on Windows",
                       path=_shown(path, root),
                       hint=f"rename it, e.g. {stem.lower()}-1{name[len(stem):]}")
    return None


def outside_link(path: Path, root: Path, top: Path) -> Problem | None:
    """A problem when the file ``path``, found in the folder ``top`` (of templates, of
    interface strings), is reached through a symbolic link that leads out of the site, or
    into a hidden file or folder of it (its .git, its build cache, a .env): the files a
    build reads to render follow the rule of content files. A change to the site could
    otherwise have a template include any file of the computer that builds it."""
    problem = _escaping_link(path, root, bound(top, root), effect="sitegen does not read it")
    if problem is None and top.is_relative_to(root):
        real = path.resolve()
        if real != path and any(part.startswith(".") for part in real.relative_to(root).parts):
            return Problem("this symbolic link leads to a hidden file or folder of the site (such as .env); "
                           "sitegen does not read it", path=_shown(path, root), hint="remove the link")
    return problem


def bound(top: Path, root: Path) -> Path:
    """Where the links in the folder ``top`` may lead: anywhere in the site, for a folder
    of the site; into itself, for a folder sitegen names outside it (its built-in themes)."""
    return root if top.is_relative_to(root) else top.resolve()


def _escaping_link(path: Path, root: Path, inside: Path | None = None,
                   effect: str = "it is not published") -> Problem | None:
    """A problem when the symbolic link ``path`` leads out of ``inside`` (default: the
    site), into its .git, its settings or its build cache, or nowhere (a loop)."""
    inside = inside or root
    shown = _shown(path, root)
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a link loop (RuntimeError before Python 3.13)
        return Problem(f"this symbolic link leads to itself (a loop); {effect}",
                       path=shown, hint="remove the link, or point it at a file")
    if _in_git(real, root):
        return Problem("this symbolic link leads into the site's .git folder, which is never published",
                       path=shown, hint="remove the link; the history of your site stays private")
    private = _private(real, root)
    if private is not None:
        return Problem(f"this symbolic link leads to the site's {private}, which is never published",
                       path=shown, hint="remove the link")
    if real != inside and inside not in real.parents:
        where = _bound_name(real, root, inside)
        return Problem(f"this symbolic link points outside {where}; {effect}",
                       path=shown, hint=f"copy the file into {where} instead of linking to it")
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
        for rel, stat in _walk(top, root, problems, wanted=_is_markdown):
            if _is_markdown(rel):
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
    secrets = []
    # Links stay inside the static folder itself (when it is inside the site): a link to
    # ../content or ../templates would publish what was never meant to be.
    bound = top.resolve() if top.resolve().is_relative_to(root) else root
    for rel, _ in _walk(top, root, problems, skip=_skip_static, bound=bound):
        if any(_SECRETS.match(part) for part in rel.split("/")):
            secrets.append(_shown(top / rel, root))
            continue
        files.append(StaticFile(path=top / rel, target=rel))
    if secrets:
        problems.append(Problem(
            f"not published: {', '.join(secrets)} (.env files hold secrets for tools)",
            path=secrets[0], severity="warning",
            hint="keep .env files out of static/; sitegen never publishes them"))
    return files, problems


def _is_markdown(name: str) -> bool:
    return name.lower().endswith((".md", ".markdown"))


def shadowed_static(static_files: list[StaticFile], static_dir: Path, root: Path,
                    made: Mapping[str, str]) -> list[Problem]:
    """A warning for each file of the site's ``static_dir`` that a file sitegen makes
    takes the place of. ``made``: output file -> what makes it (a content file, or a
    description such as "the page of a tag"). The rendered file wins, so the static one
    is not published; the writer's file stays where it is."""
    problems = []
    for file in static_files:
        maker = made.get(file.target)
        if maker is None or not file.path.is_relative_to(static_dir):
            continue
        problems.append(Problem(
            f"not published: {maker} makes {file.target}, which takes the place of this file",
            path=_shown(file.path, root), severity="warning",
            hint="rename or move the static file" + (", or give the page another address (slug: or url:)"
                                                    if maker.startswith("content/") else
                                                    "; sitegen writes this file itself")))
    return problems
