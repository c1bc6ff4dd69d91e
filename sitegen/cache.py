"""The build cache: what the last build made, so that the next one redoes only what changed.

Lives in ``.sitegen-cache/`` in the site folder (git-ignored). Its files are written
atomically (a temporary file renamed over the old one), each starting with a format
line and a MAC of the rest: HMAC-SHA256 under a key kept outside the site (see
``cache_key``), over what the file is for and its bytes. A file is unpickled only after
its MAC checks out, and then only into the cache's own values (``_LOADABLE``), so a file
planted in the site folder (by a change to the site, say) never runs code, even with a
key that leaked: like one that is unreadable, corrupt, of another format or made by
another version of sitegen's code, it is ignored and replaced, never trusted.

What it remembers, and how a build uses it (see ``build.py``):

* for each content file: its size and time stamp, a digest of its bytes, and the parsed
  page with digests of its metadata and body (pages in 64 shard files beside the index,
  each page's HTML in a file of its own named by a digest keyed like the MACs, read only
  for the pages whose body a build uses: ``read_body``). Unchanged files are not parsed
  again; when no file changed at all, none is read.
* for each render job (``Renderer.jobs()``): what it read last time (``deps.py``): the
  page bodies (with their digests), the pages whose metadata it read, the static files
  it linked and the files it looked for. A job is skipped when none of those changed,
  nor the settings (sitegen's code, ``sitegen.yaml``, templates, interface strings) or
  the site's skeleton (which page is where, every list's order), and its files in the
  output are as it left them.
* each static file's version (``Renderer._version``) with the file's stat, so that a
  build reads a static file for its version only when the file changed.
* every file of the output with its size and time stamp, and every folder with its time
  stamp, so that a file changed or deleted by hand is made again and a stray one
  removed: the output always equals what a clean build makes. Only folders whose time
  stamp changed are listed again (a file added to a folder within the file system's
  time-stamp tick after a build could go unseen until that folder changes again).
"""

from __future__ import annotations

import copyreg
import dataclasses
import errno
import functools
import hashlib
import hmac
import io
import importlib.resources
import importlib.util
import os
import pickle
import re
import stat
import sys
import time
import unicodedata
import zlib
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo
from collections.abc import Callable, Iterable

from . import __version__
from .deps import LazyPages, Parsed, body_of, flat_reducer, plain_page
from .discover import StaticFile, bound
from .errors import Problem, SitegenError
from .model import Heading, Page
from .themes import Theme
from .warm import Warm
from .write import another_build_runs, folder_stamp, not_a_folder

FOLDER = ".sitegen-cache"
#: Bump when the records below (or the files' layout) change shape.
FORMAT = 14
_MAGIC = b"sitegen build cache %d\n" % FORMAT
_LIBRARIES = ("jinja2", "markdown_it", "mdit_py_plugins", "babel", "yaml")
KEY_BYTES = 32
_MAC_BYTES = 32  # HMAC-SHA256

#: An output file's: size, mtime in nanoseconds. Not its inode or ctime: a deploy restores the
#: output from an archive (new inodes, the time stamps kept), and must find it intact.
Stat = tuple[int, int]
#: A file the build reads (content, static, a picture): size, mtime and ctime in nanoseconds.
#: No tool sets a ctime back: a file replaced by one of the same size with its time stamp
#: restored (cp -p, rsync -t, tar) still differs.
FileStat = tuple[int, int, int]


@dataclass(slots=True)
class SourceRecord:
    """A content file as last parsed (the page itself is in a shard, see ``load_shard``)."""

    kind: str
    stat: FileStat
    content: bytes  # digest of its bytes
    meta_digest: bytes
    body_digest: bytes
    problems: tuple[Problem, ...]  # its warnings, shown again by builds that skip parsing
    references: tuple[tuple[str, FileStat | None], ...] = ()  # files its parse read besides it (pictures), as then


@dataclass(slots=True)
class JobRecord:
    """A render job as last run: its files, and what it read with the digest it had."""

    outputs: tuple[str, ...]
    bodies: tuple[tuple[str, bytes], ...]  # (source, body digest)
    metas: tuple[str, ...]  # content files whose metadata it read (as sources[...] had it)
    assets: tuple[tuple[str, str], ...]  # (site path, versioned link)
    missing: tuple[tuple[str, str], ...]  # interface strings it found missing
    files: tuple[tuple[str, bool], ...] = ()  # files it looked for (path in the site, found), e.g. captions
    every_page: bool = False  # it read all of every page (bodies and metas are then empty)


@dataclass(slots=True)
class Summary:
    """What the last build reported, for a build that finds nothing to do."""

    html_pages: int = 0
    files: int = 0
    left_out_future: tuple[Page, ...] = ()
    left_out_drafts: int = 0
    next_due: datetime | None = None  # the first date after the build's of any entry (its output changes then)
    newest: datetime | None = None  # the date of the newest entry published (a build before it differs)
    warnings: tuple[Problem, ...] = ()
    discovered: tuple[Problem, ...] = ()  # what discovery warned about, among those (files it leaves out)


@dataclass(slots=True)
class CacheData:
    """Everything the cache's index holds."""

    code: bytes  # sitegen's code and libraries: another version means another cache
    output: str = ""
    settings: bytes = b""  # see settings_digest()
    parse_context: bytes = b""  # what parsing depends on besides the file: settings, code
    structure: bytes = b""  # the site's skeleton (deps.skeleton) and the bodies collecting read
    sources: dict[str, SourceRecord] = field(default_factory=dict)
    shards: dict[int, bytes] = field(default_factory=dict)  # shard -> token of its file
    jobs: dict[str, JobRecord] = field(default_factory=dict)  # read through jobs_of()
    jobs_pickle: bytes = b""  # the jobs as written (sealed), unpickled only when a build needs them
    static: dict[str, tuple[str, FileStat]] = field(default_factory=dict)  # target -> (source, stat)
    shadowed: dict[str, str] = field(default_factory=dict)  # target -> source: static files a rendered file replaces
    files: dict[str, Stat] = field(default_factory=dict)  # every output file as written
    folders: dict[str, int] = field(default_factory=dict)  # every output folder's stamp (write.folder_stamp)
    versions: dict[str, tuple[FileStat, str]] = field(default_factory=dict)  # static files' (Renderer._version)
    summary: Summary = field(default_factory=Summary)


# The index holds a record per content file and per output file: store them as flat tuples.
for _cls in (SourceRecord, JobRecord):
    copyreg.pickle(_cls, flat_reducer(_cls))


def code_digest() -> bytes:
    """A digest of sitegen's own code, of the versions of the libraries it renders with and
    of Python's (its Unicode tables make slugs and word counts)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{__version__};{sys.version};{unicodedata.unidata_version};".encode())
    for name in _LIBRARIES:  # where each is installed and its first file's bytes (which name its version):
        # not its time stamp, which every fresh install (each deploy's runner) changes
        spec = importlib.util.find_spec(name)  # finds without importing
        origin = spec.origin if spec is not None and spec.origin else "?"
        h.update(f"{name}={origin}:".encode() + (_file_hash(Path(origin)) if origin != "?" else b"") + b";")
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.digest()


def stat_of(path: Path) -> FileStat | None:
    """Size, modification and change time of a file, or None when it is missing."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _tree_files(top: Path, inside: Path, skip: Iterable[str] = ()) -> list[str]:
    """Every file under ``top`` (relative path), sorted, as a template loader finds them:
    through links to folders too (each folder once), leaving out the folders named in
    ``skip`` at the top only, and what a link leads to out of ``inside`` (never read: see
    ``discover.outside_link``)."""
    found: list[str] = []
    skipped = set(skip)
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(top, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames[:] = []
            continue
        if not _within(dirpath, inside):
            dirnames[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:  # a link back up the tree
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not (dirpath == str(top) and d in skipped))
        found.extend(os.path.relpath(os.path.join(dirpath, name), top).replace(os.sep, "/") for name in filenames
                     if _within(os.path.join(dirpath, name), inside))
    found.sort()
    return found


def _within(path: str, inside: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(inside)


def settings_digest(root: Path, theme: Theme, config_repr: str, options: tuple[Any, ...]) -> bytes:
    """A digest of everything besides content and static files that every page depends on:
    the settings, the command-line options, and the bytes of every file of the site's and
    the theme's templates, interface strings and data, and of the files beside sitegen.yaml
    (by content, not time stamp: these files are few and small, and an edit made within
    the file system's time-stamp resolution must not go unnoticed)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(pickle.dumps((config_repr, options), protocol=5))
    # The site's own folders whole; of each theme, all but its static files.
    folders: list[tuple[Path, tuple[str, ...]]] = [(root / name, ()) for name in ("templates", "i18n", "data")]
    folders += [(folder, ("static", "__pycache__")) for folder in theme.folders]
    for folder, skip in folders:
        h.update(portable(folder, root).encode() + b"\0")
        if folder.is_dir():
            for rel in _tree_files(folder, bound(folder, root), skip):
                h.update(rel.encode() + b"\0" + _file_hash(folder / rel))
    for name in sorted(os.listdir(root)):  # sitegen.yaml and any other settings file beside it
        path = root / name
        if path.is_file() and _within(str(path), root):
            h.update(name.encode() + b"\0" + _file_hash(path))
    return h.digest()


def zone_digest(name: str) -> str:
    """A digest of the rules of the time zone ``name``, from where ``zoneinfo`` reads them
    (the system's time-zone data, else the tzdata package); "?" when not found."""
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / name
        if path.is_file():
            return _file_hash(path).hex()
    try:
        rules = importlib.resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).read_bytes()
    except (ModuleNotFoundError, OSError, ValueError):
        return "?"
    return hashlib.blake2b(rules, digest_size=16).hexdigest()


def portable(path: Path, root: Path) -> str:
    """``path`` as the cache records it: relative to the site's folder when inside it, so
    that a site copied or cloned elsewhere keeps its cache."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _file_hash(path: Path) -> bytes:
    try:
        return hashlib.blake2b(path.read_bytes(), digest_size=16).digest()
    except OSError:
        return b"?"


def trusted_stat(path: Path) -> FileStat | None:
    """A file's stat to remember, or a stat that will never match again when the file was
    modified in the last two seconds: another edit within the same time-stamp tick would
    leave size and time unchanged, so such a file is compared by content next time."""
    return trusted(stat_of(path))


def trusted(stat: FileStat | None) -> FileStat | None:
    """``stat`` to remember (see ``trusted_stat``)."""
    if stat is not None and time.time_ns() - stat[1] < 2_000_000_000:
        return stat[0], -1, -1
    return stat


def output_stats(output: Path, known: dict[str, Stat] | None = None,
                 folders: dict[str, int] | None = None) -> tuple[dict[str, Stat], dict[str, int]]:
    """Every file in the output folder with its size and time stamp, and every folder
    with its time stamp and inode (``write.folder_stamp``).

    With what the last build recorded (``known`` files, ``folders``), a folder whose
    stamp is unchanged has the same entries as then (adding, removing or renaming an
    entry changes its time stamp; a copy put in its place has another inode), so its
    files are looked at one by one instead of listed (-1 marks a folder to list in any
    case). Otherwise, and for new folders, it is listed."""
    found: dict[str, Stat] = {}
    seen: dict[str, int] = {}
    if not output.is_dir():
        return found, seen
    base = str(output)
    files_in: dict[str, list[str]] = {}
    folders_in: dict[str, list[str]] = {}
    if folders:
        for rel in known or ():
            parent, _, name = rel.rpartition("/")
            files_in.setdefault(parent, []).append(name)
        for rel in folders:
            if rel:
                parent, _, name = rel.rpartition("/")
                folders_in.setdefault(parent, []).append(name)
    stat = os.stat

    def visit(rel: str) -> None:
        path = f"{base}/{rel}" if rel else base
        prefix = f"{rel}/" if rel else ""
        try:
            st = stat(path, follow_symlinks=not rel)  # the output folder itself may be a link
        except OSError:
            return
        seen[rel] = stamp = folder_stamp(st)
        if folders and folders.get(rel) == stamp:
            for name in files_in.get(rel, ()):
                try:
                    st = stat(f"{path}/{name}", follow_symlinks=False)
                except OSError:
                    continue
                found[prefix + name] = (st.st_size, st.st_mtime_ns)
            for name in folders_in.get(rel, ()):
                visit(prefix + name)
            return
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    visit(prefix + entry.name)
                else:
                    st = entry.stat(follow_symlinks=False)
                    found[prefix + entry.name] = (st.st_size, st.st_mtime_ns)

    visit("")
    return found, seen


def touched_folders(folders: dict[str, int], paths: Iterable[str]) -> dict[str, int]:
    """``folders`` with every folder above ``paths`` (files added or removed) marked to
    be listed next time (-1)."""
    marked = dict(folders)
    for path in paths:
        parent = path
        while parent:
            parent = parent.rpartition("/")[0]
            marked[parent] = -1
    return marked


# -- The key ---------------------------------------------------------------------------
# Pickle and marshal run code from the bytes they load. The cache folder is in the site,
# where anyone who can change the site can put a file; the key is not: only files this
# user's sitegen wrote carry a MAC that checks out, and only those are ever loaded.


class CacheKeyError(Exception):
    """The cache key cannot be read or made (the message says why): the build goes on
    without a cache."""


def key_file() -> Path:
    """Where the cache key lives: ``$XDG_CACHE_HOME/sitegen/cache-key``, by default
    ``~/.cache/sitegen/cache-key``; outside every site."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG rule: a relative path is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sitegen" / "cache-key"


def cache_key() -> bytes:
    """This user's cache key, made (32 random bytes, readable by the user only) on first
    use; raises CacheKeyError when it can be neither read nor made."""
    return _key_at(str(key_file()))


@functools.lru_cache(maxsize=4)  # only keys read successfully: an error is not cached
def _key_at(where: str) -> bytes:
    path = Path(where)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise CacheKeyError(f"{where} cannot be read ({exc.strerror})") from None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        # Made under a name of its own, then linked into place: another build starting at
        # the same moment finds either no key or a whole one, and both use the same.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, os.urandom(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        return _read_key(path)
    except OSError as exc:
        raise CacheKeyError(f"{where} cannot be made ({exc.strerror})") from None


def _read_key(path: Path) -> bytes:
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise CacheKeyError(f"{path} may be changed by other users of this computer "
                                "(make it readable and writable by you only: chmod 600)")
        key = f.read(KEY_BYTES + 1)
    if len(key) != KEY_BYTES:
        raise CacheKeyError(f"{path} is not a sitegen cache key (delete it: sitegen makes a new one)")
    return key


def key_problems() -> list[Problem]:
    """A warning when builds cannot use a cache because its key is unusable, else nothing."""
    try:
        cache_key()
    except CacheKeyError as exc:
        return [Problem(f"building without a cache: its key {exc}", severity="warning",
                        hint="until the key is fixed every build redoes everything; a key that is not "
                             "sitegen's may be deleted (a new one is made), or XDG_CACHE_HOME may name "
                             "a folder you can write in (see docs/cache.md)")]
    return []


def _mac(key: bytes, role: str, payload: bytes | memoryview) -> bytes:
    """The MAC of a cache file's payload, bound to what the file is for (``role``): a
    file whose MAC checks out cannot stand in for another one."""
    h = hmac.new(key, _MAGIC + role.encode("utf-8") + b"\0", "sha256")
    h.update(payload)
    return h.digest()


def seal(role: str, payload: bytes) -> bytes:
    """``payload`` with the format line and its MAC in front, to be kept in the cache."""
    return _MAGIC + _mac(cache_key(), role, payload) + payload


def unseal(role: str, raw: bytes) -> bytes:
    """The payload of ``raw`` (made by ``seal`` for the same ``role``) once its MAC checks
    out; raises CacheError otherwise, before anything in it is looked at."""
    if not raw.startswith(_MAGIC):
        if raw.startswith(b"sitegen build cache "):
            raise CacheError("the build cache is from another version of sitegen")
        raise CacheError("the build cache is damaged")
    start = len(_MAGIC) + _MAC_BYTES
    try:
        key = cache_key()
    except CacheKeyError as exc:
        raise CacheError(f"the build cache cannot be used: its key {exc}") from None
    if len(raw) < start or not hmac.compare_digest(raw[len(_MAGIC):start], _mac(key, role, memoryview(raw)[start:])):
        raise CacheError("the build cache is damaged (or was made with another key)")
    return raw[start:]  # (bytes: pickle loads from them twice as fast as from a memoryview)


# -- The files ------------------------------------------------------------------------
# index.pickle holds everything but the parsed pages, which are spread over SHARDS files
# by a hash of their path: a build with nothing to do reads only the index, and a one-page
# edit rewrites one shard. Each file starts with a format line and a MAC (see ``seal``); the
# index names the token of every shard it goes with, so a mix of old and new files is detected.

INDEX = "index.pickle"
SHARDS = 64
_JOBS = "jobs"  # the role of the packed job records inside the index


def shard_of(rel: str) -> int:
    """The shard that holds the parsed page of the source at ``rel``."""
    return zlib.crc32(rel.encode("utf-8")) % SHARDS


def store_for(root: Path, output: Path) -> Path:
    """The folder whose ``.sitegen-cache/`` holds the cache of a build of the site in
    ``root`` into ``output``: the site's own, or, for an output inside the cache folder
    (``sitegen serve`` builds into ``.sitegen-cache/serve/``), one beside that output, so
    that previews and builds for publishing keep a cache each instead of taking turns."""
    folder = root / FOLDER
    if output.resolve().is_relative_to(folder.resolve()):
        return output.with_name(output.name + "-state")
    return root


def spare_folder(root: Path, output: Path) -> Path:
    """Where the output a build of the site in ``root`` into ``output`` replaced is kept,
    for the next incremental build to make its output from (see ``Staging.merge``)."""
    return store_for(root, output) / FOLDER / "output-spare"


def cache_file(root: Path) -> Path:
    """Where the index of the cache of the site in ``root`` lives."""
    return root / FOLDER / INDEX


def _shard_file(root: Path, shard: int) -> Path:
    return root / FOLDER / f"pages-{shard:02x}.pickle"


def check_folder(root: Path, output: Path) -> None:
    """Refuse, before any work, a build cache folder (of a build of the site in ``root``
    into ``output``) that is a link or a file, or lies under one: a change to the site can
    add a link named ``.sitegen-cache``, and the cache would then be written, and the
    files of old builds removed, wherever it points."""
    found = not_a_folder(root, store_for(root, output) / FOLDER)
    if found is not None:
        shown = found[0].relative_to(root).as_posix()
        raise SitegenError(f"refusing to use the build cache: {shown} is {found[1]}, and sitegen never "
                           "writes its cache through a link or into a file",
                           hint=f"remove it (rm {shown}); the next build makes the folder and redoes everything")


def read_file(path: Path) -> bytes:
    """The bytes of a file of the cache, never read through a link nor from anything but a
    plain file (a link planted in the cache could name /dev/zero, or a file elsewhere);
    raises OSError otherwise."""
    with open(_open_plain(path), "rb") as f:
        return f.read()


#: How a cache file is opened: not through a link, without waiting (for a named pipe), in
#: binary (on Windows; there, and elsewhere without them, flags a system lacks are left out).
_PLAIN = os.O_RDONLY | sum(getattr(os, flag, 0) for flag in ("O_NOFOLLOW", "O_NONBLOCK", "O_CLOEXEC", "O_BINARY"))


def _open_plain(path: Path) -> int:
    """A descriptor of ``path`` open for reading, if it is a plain file (not a link)."""
    if os.path.islink(path):  # (said plainly; O_NOFOLLOW below closes the race)
        raise OSError(errno.ELOOP, "a link, not a plain file", str(path))
    fd = os.open(path, _PLAIN)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a plain file", str(path))
    return fd


def write_file(path: Path, data: bytes) -> None:
    """Write a file of the cache atomically (a reader sees the old file or the new one,
    never half), under a temporary name made anew: never written through a link."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        with open(temporary, "xb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _read(path: Path, role: str, lazy: LazyPages | None = None) -> Any:
    """The object in a cache file; raises CacheError when it is missing, damaged, of
    another format or not made with this user's key. Its pages are of ``lazy``'s
    class (plain pages without one)."""
    try:
        raw = read_file(path)
    except FileNotFoundError:
        raise CacheError("no build cache yet") from None
    except OSError as exc:
        raise CacheError(f"the build cache cannot be read ({exc.strerror})") from None
    payload = unseal(role, raw)  # first: pickle runs code from the bytes it loads
    try:
        return _Unpickler(io.BytesIO(payload), lazy).load()
    except Exception:
        raise CacheError("the build cache is damaged") from None


def _heading(values: tuple[Any, ...]) -> Heading:
    return tuple.__new__(Heading, values)


def _zone(key: str) -> ZoneInfo:
    return ZoneInfo(key)


#: How the cache's own pickler stores a heading and a time zone: by functions of its own,
#: which its unpickler allows (pickle's default for both reaches them through getattr).
_DISPATCH = MappingProxyType({**copyreg.dispatch_table,
                              Heading: lambda heading: (_heading, (tuple(heading),)),
                              ZoneInfo: lambda zone: (_zone, (zone.key,))})

#: Everything a cache file may name: the records, the pages and the values they hold,
#: nothing else. So even a file whose MAC checks out (a key that leaked) can make only
#: these values: no function that runs a command, imports a module or reaches another
#: object's attributes can be named.
_LOADABLE = frozenset({
    ("sitegen.cache", "CacheData"), ("sitegen.cache", "SourceRecord"), ("sitegen.cache", "JobRecord"),
    ("sitegen.cache", "Summary"), ("sitegen.cache", "_heading"), ("sitegen.cache", "_zone"),
    ("sitegen.deps", "Parsed"), ("sitegen.deps", "plain_page"), ("sitegen.errors", "Problem"),
    ("sitegen.model", "Person"), ("sitegen.model", "Link"), ("sitegen.model", "Heading"),
    ("sitegen.contact", "Channel"),
    ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta"),
    ("datetime", "timezone"), ("builtins", "set"), ("builtins", "frozenset"), ("decimal", "Decimal"),
})


def _dumps(value: Any) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(value)
    return buffer.getvalue()


class _Unpickler(pickle.Unpickler):
    """Reads a cache file's values: only those of ``_LOADABLE``, each page of one ``LazyPages``'
    class (plain pages without one)."""

    def __init__(self, file: BinaryIO, lazy: LazyPages | None) -> None:
        super().__init__(file)
        self.lazy = lazy

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _LOADABLE:
            raise pickle.UnpicklingError(f"{module}.{name} is not a value of the build cache")
        if self.lazy is not None and (module, name) == (plain_page.__module__, plain_page.__name__):
            return self.lazy.page_from
        return super().find_class(module, name)


def _write(path: Path, role: str, value: Any) -> None:
    write_file(path, seal(role, _dumps(value)))


class CacheError(Exception):
    """The cache cannot be used (the message says why); the build then redoes everything."""


class CacheChanged(CacheError):
    """A file of the cache changed while a build used it (a kept page's text no longer
    reads back as it was written): the build starts again without the cache."""


def load(root: Path, code: bytes, warm: Warm) -> tuple[CacheData | None, str]:
    """The cache's index for the site in ``root`` if it is whole and was made by this
    code; otherwise None and why it cannot be used. ``warm``: what this process kept."""
    warm.flush()
    path = cache_file(root)
    kept = warm.index.get(str(path))
    if kept is not None and kept[0] == _identity(path) and kept[1].code == code:
        return kept[1], ""  # `sitegen serve`: written by this process's last build (never changed in memory)
    try:
        data = _read(path, INDEX)
    except CacheError as exc:
        return None, str(exc)
    if not isinstance(data, CacheData):
        return None, "the build cache is damaged"
    if data.code != code:
        return None, "sitegen, its libraries or Python changed since the last build"
    return data, ""


def load_shard(root: Path, shard: int, token: bytes, warm: Warm) -> dict[str, Parsed]:
    """The parsed pages of one shard, checked against the index's token. Their
    ``body_html`` is None: :func:`read_body` reads one when it is needed."""
    path = _shard_file(root, shard)
    kept = warm.shards.get(str(path))
    if kept is not None and kept[0] == token and kept[1] == _identity(path):
        return kept[2]  # `sitegen serve`: read (or written) by this process's last build
    value = _read(path, path.name, warm.lazy_pages)
    if not (isinstance(value, tuple) and len(value) == 2 and value[0] == token and isinstance(value[1], dict)):
        raise CacheError("the build cache is damaged")
    warm.shards[str(path)] = (token, _identity(path), value[1])
    return value[1]


def jobs_of(data: CacheData) -> dict[str, JobRecord]:
    """The render jobs an index records (unpickled on first use, once their MAC checks out;
    raises CacheError when damaged)."""
    if data.jobs_pickle:
        payload = unseal(_JOBS, data.jobs_pickle)
        try:
            jobs = _Unpickler(io.BytesIO(payload), None).load()
        except Exception:
            raise CacheError("the build cache is damaged") from None
        if not isinstance(jobs, dict):
            raise CacheError("the build cache is damaged")
        data.jobs, data.jobs_pickle = jobs, b""
    return data.jobs


def in_memory(root: Path, data: CacheData, warm: Warm) -> bool:
    """Whether ``data`` is the index this process wrote last for the site in ``root``,
    and its file is unchanged since (so the output it lists was made by this process)."""
    kept = warm.index.get(str(cache_file(root)))
    return kept is not None and kept[1] is data and kept[0] == _identity(cache_file(root))


def _identity(path: Path) -> tuple[int, int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0, 0)
    return st.st_ino, st.st_size, st.st_mtime_ns


# -- Page bodies -----------------------------------------------------------------------
# A page's body (its HTML: most of its bytes) is kept in a file of its own in bodies/,
# named by a digest of its bytes keyed with the cache key (``body_name``): written once and
# never changed, named by the sealed shards of every build whose pages have it, and never
# taken for another (a file planted or damaged there does not match its name). The pages
# are kept without their bodies; a body is read back where a job that shows it runs.

BODIES = "bodies"


def body_name(raw: bytes) -> str:
    """The name of the file that keeps the page body ``raw`` (UTF-8); raises
    CacheKeyError without a usable key."""
    return hmac.digest(cache_key(), b"body\0" + raw, "sha256")[:16].hex()


def write_body(root: Path, body: str) -> str:
    """Keep ``body`` in the cache of the site in ``root`` (anew, should a file of its
    name be damaged); its name."""
    raw = body.encode("utf-8")
    name = body_name(raw)
    write_file(root / FOLDER / BODIES / name, raw)
    return name


def read_body(root: Path, name: str) -> str:
    """The page body kept under ``name`` in the cache of the site in ``root``; raises
    CacheError when it is missing, damaged or not written by this user's sitegen."""
    try:
        raw = read_file(root / FOLDER / BODIES / name)
        whole = hmac.compare_digest(body_name(raw), name)
    except (OSError, CacheKeyError):
        raise CacheError("the build cache is damaged (a page body is missing)") from None
    if not whole:
        raise CacheError("the build cache is damaged (a page body does not match)")
    return raw.decode("utf-8")


class PageStore:
    """One build's use of the parsed pages of the cache: the last build's, loaded without
    their bodies, and those parsed now, whose bodies are written to the cache as they come
    (so a build never holds every body at once, and the workers forked to render do not
    start with them). ``body`` reads a body back where it is used; ``close`` gathers the
    shards that changed, for ``save`` to write."""

    def __init__(self, root: Path, warm: Warm, explain: Callable[[str, str], None]) -> None:
        self.root = root
        self.warm = warm
        self.explain = explain  # told why the cache cannot be written
        self.unwritable = ""  # why the cache cannot be written, if it cannot
        self.writing = False  # whether bodies are written to the cache (see open)
        self.stashes: dict[int, dict[str, Parsed]] = {}  # the shards to write, with their pages (see close)
        self.bodies: set[str] = set()  # the bodies the pages of this build have, by name (see close)
        self._old: dict[int, dict[str, Parsed]] = {}  # the last build's shards
        self._new: dict[str, str] = {}  # the bodies written by this build, by source
        self._dirty: set[int] = set()
        self.reused = False  # whether this build's pages are those of the last build's shards

    def load(self, shards: dict[int, bytes]) -> dict[str, Parsed]:
        """The last build's pages, by source; raises CacheError when a shard is damaged."""
        for shard, token in shards.items():
            self._old[shard] = load_shard(self.root, shard, token, self.warm)
        self.reused = bool(self._old)
        return {rel: page for pages in self._old.values() for rel, page in pages.items()}

    def open(self) -> None:
        """Start writing (after removing what failed or killed builds left); without a
        usable cache key, the pages keep their bodies."""
        try:
            cache_key()
            own_folder(make_folder(self.root) / BODIES)  # first: stale stashes are removed from it
            remove_stale_stashes(self.root, self.warm)
        except CacheKeyError:
            return
        except OSError as exc:
            self._cannot_write(exc)
            return
        self.writing = True

    def _cannot_write(self, exc: OSError) -> None:
        """Go on without a cache (a site folder we may not write in, a full disk): the
        bodies written stay readable."""
        self.unwritable = f"the build cache cannot be written ({exc.strerror})"
        self.explain(FOLDER, self.unwritable)
        self.writing = False

    def keep(self, rel: str, parsed: Parsed) -> Parsed:
        """What to keep in memory of the page of ``rel`` just parsed: without its body
        once that is written."""
        lazy = self.warm.lazy_pages
        if parsed.page is None:
            return parsed
        if self.writing:
            text = body_of(parsed.page)
            assert text is not None  # (a page just parsed holds its body)
            try:
                name = self._new[rel] = write_body(self.root, text)
            except OSError as exc:
                self._cannot_write(exc)
            else:
                return Parsed(lazy.adopt(parsed.page, body=False), parsed.problems, parsed.meta_digest,
                              parsed.body_digest, name)
        return dataclasses.replace(parsed, page=lazy.adopt(parsed.page))

    def changed(self, rel: str) -> None:
        """The page of ``rel`` was parsed again, added or removed: its shard is written anew."""
        self._dirty.add(shard_of(rel))

    def close(self, parsed: dict[str, Parsed]) -> None:
        """Gather the shards that changed, with all their pages, and the bodies of every
        page; ``parsed``: every page of this build (all of them are written when the last
        build's shards were not used)."""
        if not self.writing:
            return
        dirty = self._dirty if self.reused else range(SHARDS)
        self.stashes = {shard: {} for shard in dirty}
        kept = [rel for shard in self._dirty for rel in self._old.get(shard, ())] if self.reused else parsed
        for rel in (*kept, *self._new):
            page = parsed.get(rel)
            if page is not None:
                self.stashes[shard_of(rel)][rel] = page
        self.bodies = {page.body_at for page in parsed.values() if page.body_at is not None}

    def shards(self, old: dict[int, bytes]) -> dict[int, bytes]:
        """The shards the index is to name: those of the last build when they were used
        (``save`` replaces the ones written now)."""
        return dict(old) if self.reused else {}

    def body(self, rel: str) -> str:
        """The body of a page kept without it; raises CacheChanged when it no longer reads back."""
        name = self._new.get(rel) or self._old[shard_of(rel)][rel].body_at  # (a KeyError for a page not kept)
        assert name is not None
        try:
            return read_body(self.root, name)
        except CacheError as exc:
            raise CacheChanged(str(exc)) from None


def remove_stale_stashes(root: Path, warm: Warm) -> None:
    """Remove the temporary files of builds that failed or were killed (this process's
    earlier builds, or processes that no longer run): the cache files, page bodies
    included, that a build was killed while writing."""
    warm.flush()  # this process's own, put off, are still to be put in place
    for folder in (root / FOLDER, root / FOLDER / BODIES):
        for path in folder.glob(".*.*.tmp"):
            if another_build_runs(path.name.split(".")[-2]):
                continue  # another build's, still running
            if path.is_symlink() or not path.is_dir():  # (never a folder of that name)
                path.unlink(missing_ok=True)


def make_folder(root: Path) -> Path:
    """The cache folder of the site in ``root``, made (with a .gitignore) if missing."""
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not os.path.lexists(ignore):
        ignore.write_text("# sitegen's build cache: safe to delete, never commit it\n*\n", encoding="utf-8")
    return folder


def own_folder(path: Path) -> Path:
    """``path``, a folder inside the cache folder, made a real folder of its own: a link
    or a file in its place (which a change to the site can plant) is damage, removed and
    never followed, so that nothing is written or removed wherever it leads."""
    if path.is_symlink() or (os.path.lexists(path) and not path.is_dir()):
        path.unlink()
    path.mkdir(exist_ok=True)
    return path


def save(root: Path, data: CacheData, stashes: dict[int, dict[str, Parsed]], bodies: set[str], warm: Warm,
         defer: bool = False) -> None:
    """Write the shards stashed (with new tokens), then the index that names them, then
    remove the bodies no page has any longer (``bodies``: those the pages have); ``warm``
    keeps what was written. With ``defer``, only when ``warm.flush`` is called (by the
    caller, or by the next build with ``warm``, which calls it first): `sitegen serve` has
    the browser reload before the cache is written."""
    if defer:
        warm.pending.append(lambda: _save(root, data, stashes, bodies, warm))
        return
    warm.flush()
    _save(root, data, stashes, bodies, warm)


def _save(root: Path, data: CacheData, stashes: dict[int, dict[str, Parsed]], bodies: set[str],
          warm: Warm) -> None:
    try:
        cache_key()
    except CacheKeyError:  # no cache without a key (the build warned, see key_problems)
        return
    make_folder(root)
    for shard, pages in stashes.items():
        token = os.urandom(8)
        path = _shard_file(root, shard)
        _write(path, path.name, (token, pages))
        warm.shards[str(path)] = (token, _identity(path), pages)
        data.shards[shard] = token
    path = cache_file(root)
    warm.index.pop(str(path), None)
    # The jobs (the largest part) are pickled apart: a build with nothing to do never reads them.
    jobs = seal(_JOBS, _dumps(jobs_of(data)))
    _write(path, INDEX, dataclasses.replace(data, jobs={}, jobs_pickle=jobs))
    warm.index[str(path)] = (_identity(path), data)
    if stashes:  # (else the pages, and so their bodies, are those of the last build)
        with os.scandir(root / FOLDER / BODIES) as entries:
            for entry in entries:
                if entry.name not in bodies and _BODY_NAME.fullmatch(entry.name):
                    os.unlink(entry.path)
        for old in (root / FOLDER).glob("bodies-??.bin"):  # (where bodies were kept before format 14)
            old.unlink()


_BODY_NAME = re.compile(r"[0-9a-f]{32}")


def content_digest(data: bytes) -> bytes:
    """The digest of a content file's bytes."""
    return hashlib.blake2b(data, digest_size=16).digest()


def static_map(files: Iterable[StaticFile]) -> dict[str, StaticFile]:
    """Static files by target; a later file with the same target wins, as when copying."""
    return {f.target: f for f in files}
