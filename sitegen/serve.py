"""Serving: ``sitegen serve`` builds the site, serves it on 127.0.0.1, rebuilds on save
and reloads the open browser tabs.

Not a stage of the build but a loop around it. Every rebuild calls :func:`build`, the
same function as ``sitegen build``, into a preview folder of its own
(``.sitegen-cache/serve/``): the preview is built for a local address and may include
drafts, so it must never be mistaken for the site that gets deployed from ``_site/``.

The pieces, in the order a change goes through them:

- watchdog reports file-system events under the watched folders (content/, static/,
  templates/, i18n/, the active theme) and sitegen.yaml;
- :class:`Debouncer` turns a burst of events (an editor writes, renames and deletes
  several times per save) into one rebuild;
- :class:`Snapshots` compares the watched files before and after, so a burst that
  changed nothing (a file opened, a lock file) rebuilds nothing; it lists again only
  the folders whose entries changed, and looks at (stats) every file;
- :class:`PreviewServer` rebuilds, and bumps a version number that the browser tabs
  wait on through server-sent events at ``/__sitegen/events``;
- the HTTP handler serves the output under the path of ``base_url``, the build's errors
  instead of pages while the site is broken, and the reload script, which is added to
  HTML responses here, at serve time only: it is never written into the output.

The handler answers only requests addressed to this machine by name or address (the
``Host`` header: a web page on another site cannot reach the preview, drafts included,
through DNS rebinding), never joins a path that would leave the preview folder, only
redirects to paths on its own origin, and keeps a bounded number of tabs listening.
"""

from __future__ import annotations

import errno
import html
import ipaddress
import os
import re
import secrets
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from types import MappingProxyType
from typing import Any, BinaryIO, cast
from collections.abc import Callable
from urllib.parse import parse_qs, quote, unquote, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from .build import BuildOptions, BuildReport, build
from .cache import FOLDER as CACHE_FOLDER, spare_folder
from .config import CONFIG_FILE, load_config
from .discover import Source, discover_content, is_litter
from .errors import Problem, SitegenError
from .themes import load_theme
from .warm import Warm
from .write import mirror

#: The preview's output folder, inside the site folder.
PREVIEW_DIR = ".sitegen-cache/serve"
#: Where the browser tabs wait for the next build, and the script that makes them wait.
EVENTS_PATH = "/__sitegen/events"
RELOAD_SCRIPT_PATH = "/__sitegen/livereload.js"
#: Folders of the site whose files the build reads.
WATCHED_DIRS = ("content", "static", "templates", "i18n")
#: How long the files must be quiet before a rebuild, and the longest a burst may delay it.
QUIET_SECONDS = 0.2
LONGEST_SECONDS = 2.0
#: How often an idle event stream sends a comment, to notice tabs that were closed.
PING_SECONDS = 10.0
#: How many browser tabs may wait for reloads at once; more are refused (each holds a thread).
MAX_RELOAD_LISTENERS = 32
#: The host names a preview answers to, whatever address it was bound to.
LOCAL_NAMES = ("127.0.0.1", "localhost", "[::1]")

#: Content types by suffix; anything else is application/octet-stream.
CONTENT_TYPES = MappingProxyType({
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".xsl": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
})
#: Files in the output without a suffix that are text.
TEXT_NAMES = frozenset({"CNAME", ".nojekyll"})

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_HOST = re.compile(r"(\[[0-9a-f:.]+\]|[^:\[\]/@\s]+)(?::(\d{1,5}))?")  # a Host header: name or [IPv6], port


def content_type(name: str) -> str:
    """The Content-Type for a file of the output."""
    if name in TEXT_NAMES:
        return "text/plain; charset=utf-8"
    return CONTENT_TYPES.get(os.path.splitext(name)[1].lower(), "application/octet-stream")


# -- Deciding when to rebuild ------------------------------------------------------

class Debouncer:
    """Turns a burst of events into one moment to act.

    A burst is over once no event came for ``quiet`` seconds, or ``longest`` seconds
    after its first event (so a file written continuously still gets rebuilt).
    """

    def __init__(self, quiet: float = QUIET_SECONDS, longest: float = LONGEST_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.quiet = quiet
        self.longest = longest
        self.clock = clock
        self._cond = threading.Condition()
        self._first: float | None = None
        self._last: float | None = None

    def poke(self, now: float | None = None) -> None:
        """Record an event."""
        with self._cond:
            now = self.clock() if now is None else now
            if self._first is None:
                self._first = now
            self._last = now
            self._cond.notify_all()

    def due_in(self, now: float) -> float | None:
        """Seconds until the current burst is over (0: now); None when nothing happened."""
        if self._first is None or self._last is None:
            return None
        deadline = min(self._last + self.quiet, self._first + self.longest)
        return max(0.0, deadline - now)

    def wait(self, stop: threading.Event) -> bool:
        """Block until a burst is over (True) or ``stop`` is set (False)."""
        with self._cond:
            while not stop.is_set():
                remaining = self.due_in(self.clock())
                if remaining is None:
                    self._cond.wait(0.5)
                elif remaining <= 0:
                    self._first = self._last = None
                    return True
                else:
                    self._cond.wait(remaining)
            return False

    def wake(self) -> None:
        """Wake a waiting thread (to notice that it must stop)."""
        with self._cond:
            self._cond.notify_all()


Snapshot = dict[str, tuple[int, int, int, int]]
#: Folders that snapshots never look into.
_UNWATCHED_FOLDERS = frozenset((".git", "__pycache__"))
#: A folder's listing is kept for the next snapshot only if its time stamps were at least this
#: much older than the clock when it was listed: a file system's clock ticks coarsely (up to
#: 2 s on FAT), and an entry added within the tick of the last change leaves them as they were.
SETTLE_NS = 3_000_000_000


@dataclass(frozen=True, slots=True)
class _Listing:
    """What a folder held when it was listed, and its time stamps then."""

    key: tuple[int, int, int, int]  # device, inode, mtime_ns, ctime_ns
    files: tuple[str, ...]  # paths of the entries that are not folders, litter left out
    folders: tuple[str, ...]  # paths of the subfolders to look into
    links: tuple[str, ...] = ()  # paths of the links to folders
    linked_files: tuple[str, ...] = ()  # paths of the files (in ``files``) that are links


class Snapshots:
    """Takes snapshots (see :func:`snapshot`), keeping each folder's listing between them.

    Adding, removing or renaming an entry updates its folder's time stamps, so a folder
    whose time stamps and inode are as they were is not listed again; every file is still
    looked at, since an edit changes only the file. Two guards against a stale listing:
    a listing is kept only once its folder's time stamps are :data:`SETTLE_NS` old, and
    :meth:`forget` drops the listing of a folder in which the watcher saw an entry come or
    go (for file systems that leave a folder's time stamps alone).
    """

    def __init__(self, clock: Callable[[], int] = time.time_ns, root: Path | None = None) -> None:
        self.clock = clock
        # With the site's folder: links to folders inside it are looked into, as discovery
        # follows them (each folder once); ``outside`` then names the folders and files
        # reached through a link that lie outside ``paths``, for the watcher to watch too.
        self.root = root.resolve() if root is not None else None
        self.outside: set[Path] = set()
        # The folders of the files that single files among ``paths`` link to (sitegen.yaml
        # kept elsewhere), outside the site: watched too, without what is below them.
        self.outside_files: set[Path] = set()
        self._listings: dict[str, _Listing] = {}
        self._forgotten: set[str] = set()
        self._lock = threading.Lock()

    def forget(self, folder: str) -> None:
        """List ``folder`` again at the next snapshot. Safe to call from any thread."""
        with self._lock:
            self._forgotten.add(folder)

    def take(self, paths: tuple[Path, ...]) -> Snapshot:
        """Every file under ``paths`` (folders or single files) with its modification
        time, size, inode and change time (which no tool sets back: a save within the same
        time-stamp tick, of the same size, still differs); editors' litter is left out."""
        with self._lock:
            forgotten, self._forgotten = self._forgotten, set()
        settled_before = self.clock() - SETTLE_NS  # read before any listing is made
        known, kept = self._listings, {}
        found: Snapshot = {}
        stat = os.stat
        visited: set[tuple[int, int]] = set()
        links: list[str] = []
        linked_tops: list[str] = []
        for top in paths:
            name = str(top)
            try:
                st = stat(name)
            except OSError:
                continue
            if S_ISREG(st.st_mode):
                found[name] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
                if self.root is not None and os.path.islink(name):
                    linked_tops.append(name)
                continue
            if not S_ISDIR(st.st_mode):
                continue
            pending: list[tuple[str, os.stat_result | None]] = [(name, st)]
            while pending:
                folder, folder_st = pending.pop()
                if folder_st is None:
                    try:
                        folder_st = stat(folder)
                    except OSError:
                        continue
                if (folder_st.st_dev, folder_st.st_ino) in visited:
                    continue  # reached again through a link
                visited.add((folder_st.st_dev, folder_st.st_ino))
                key = (folder_st.st_dev, folder_st.st_ino, folder_st.st_mtime_ns, folder_st.st_ctime_ns)
                listing = known.get(folder)
                if listing is None or listing.key != key or folder in forgotten:
                    listing = _list_folder(folder, key)
                    if listing is None:
                        continue
                if max(folder_st.st_mtime_ns, folder_st.st_ctime_ns) < settled_before:
                    kept[folder] = listing
                for path in listing.files:
                    try:
                        st = stat(path)
                    except OSError:  # gone, or a link to nothing: it is not there
                        continue
                    if not S_ISDIR(st.st_mode):  # a link to a folder that appeared since the listing
                        found[path] = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
                pending.extend((sub, None) for sub in listing.folders)
                if self.root is not None:
                    pending.extend((link, None) for link in listing.links if self._inside(link))
                    links += listing.links
                    links += listing.linked_files
        self._listings = kept
        if self.root is not None:
            self.outside = self._reached_outside(paths, links)
            self.outside_files = {folder for folder in (Path(link).resolve().parent for link in linked_tops)
                                  if folder != self.root}
        return found

    def _inside(self, link: str) -> bool:
        """Whether what a link leads to is in the site, below its folder and out of its
        .git and build cache (where discovery follows links)."""
        assert self.root is not None
        try:
            target = Path(link).resolve()
        except (OSError, RuntimeError):
            return False
        parts = target.relative_to(self.root).parts if target.is_relative_to(self.root) else ()
        return bool(parts) and parts[0] not in (".git", CACHE_FOLDER)

    def _reached_outside(self, paths: tuple[Path, ...], links: list[str]) -> set[Path]:
        """The folders that links lead to (a file's link: its folder), outside ``paths``:
        an edit there changes the site, and only a watch there sees it."""
        tops = [p.resolve() for p in paths]
        targets = {Path(link).resolve() for link in links if self._inside(link)}
        folders = {t if t.is_dir() else t.parent for t in targets}
        return {f for f in folders if f != self.root and not any(f.is_relative_to(top) for top in tops)}


def _list_folder(folder: str, key: tuple[int, int, int, int]) -> _Listing | None:
    """A folder's files, subfolders and links to folders (apart); None if it cannot be read."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        return None
    files: list[str] = []
    folders: list[str] = []
    links: list[str] = []
    linked_files: list[str] = []
    for entry in entries:
        name = entry.name
        try:
            is_folder = entry.is_dir()
        except OSError:
            is_folder = False
        if not is_folder:
            if not is_litter(name):
                files.append(entry.path)
                if entry.is_symlink():  # (known from the listing: no look at the file)
                    linked_files.append(entry.path)
        elif name not in _UNWATCHED_FOLDERS:
            try:
                is_link = entry.is_symlink()
            except OSError:
                is_link = False
            (links if is_link else folders).append(entry.path)
    return _Listing(key, tuple(files), tuple(folders), tuple(links), tuple(linked_files))


def snapshot(paths: tuple[Path, ...]) -> Snapshot:
    """Every file under ``paths`` (folders or single files) with its modification
    time, size and inode: two snapshots differ when a file was edited, added, renamed
    or deleted. Editors' litter is left out, and so are .git and __pycache__ folders
    and links to folders (a preview's :class:`Snapshots` follows those that stay in the
    site). :class:`Snapshots` takes them faster, one after another."""
    return Snapshots().take(paths)


def changed_files(before: Snapshot, after: Snapshot, root: Path) -> tuple[str, ...]:
    """The files added, changed or removed between two snapshots, relative to ``root``."""
    if before == after:
        return ()
    names = [p for p, seen in after.items() if before.get(p) != seen]
    names.extend(p for p in before if p not in after)
    shown = []
    for name in sorted(names):
        path = Path(name)
        shown.append(path.relative_to(root).as_posix() if path.is_relative_to(root) else name)
    return tuple(shown)


# -- State shared by the rebuild thread and the HTTP handlers ----------------------

@dataclass(frozen=True, slots=True)
class Rebuilt:
    """What one (re)build of the preview did, for the command line to report."""

    report: BuildReport | None  # None when the build failed
    problems: tuple[Problem, ...] = ()  # why it failed
    changed: tuple[str, ...] = ()  # the files whose change caused it; empty for the first build
    crash: str | None = None  # the traceback of a bug in sitegen, if that is why it failed


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What ``sitegen serve`` can be told."""

    host: str = "127.0.0.1"
    port: int = 8000
    drafts: bool = False
    future: bool = False
    quiet: float = QUIET_SECONDS


class _State:
    """The last build's outcome and a version that changes with every build."""

    def __init__(self, output: Path) -> None:
        self.cond = threading.Condition()
        self.boot = secrets.token_hex(4)
        self.count = 0
        self.output = output
        self.base_path = "/"
        self.problems: tuple[Problem, ...] = ()
        self.crash: str | None = None
        self.stopping = False
        self.listeners = 0  # tabs waiting on the event stream

    def listen(self) -> bool:
        """Count one more waiting tab, unless MAX_RELOAD_LISTENERS already wait."""
        with self.cond:
            if self.listeners >= MAX_RELOAD_LISTENERS:
                return False
            self.listeners += 1
            return True

    def leave(self) -> None:
        """A waiting tab went away."""
        with self.cond:
            self.listeners -= 1

    @property
    def version(self) -> str:
        return f"{self.boot}-{self.count}"

    def publish(self, base_path: str, problems: tuple[Problem, ...], crash: str | None) -> None:
        """Record a build (after its output is in place) and wake the waiting tabs."""
        with self.cond:
            self.base_path = base_path
            self.problems = problems
            self.crash = crash
            self.count += 1
            self.cond.notify_all()

    def wait_for_change(self, seen: str, timeout: float) -> str | None:
        """The version once it differs from ``seen`` (or after ``timeout``); None when stopping."""
        with self.cond:
            self.cond.wait_for(lambda: self.stopping or self.version != seen, timeout)
            return None if self.stopping else self.version

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()


# -- The server --------------------------------------------------------------------

class _Watcher(FileSystemEventHandler):
    """Pokes the debouncer for events that may change the site."""

    def __init__(self, root: Path, debouncer: Debouncer,
                 forget: Callable[[str], None] = lambda folder: None) -> None:
        self.root = root
        self.debouncer = debouncer
        self.forget = forget  # told the folders in which an entry came or went

    def relevant(self, path: str) -> bool:
        p = Path(path)
        if is_litter(p.name):
            return False
        if p.parent == self.root:  # the site folder itself is watched only for these
            # (and for the build cache, which holds the preview: deleted, it is built again)
            return p.name in (CONFIG_FILE, "themes", CACHE_FOLDER) or p.name in WATCHED_DIRS
        return True

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in ("created", "modified", "deleted", "moved", "closed"):
            return  # "opened" and "closed_no_write" come from reading, the build's own included
        paths = [os.fsdecode(event.src_path)]
        if getattr(event, "dest_path", ""):
            paths.append(os.fsdecode(event.dest_path))
        if event.event_type in ("created", "deleted", "moved"):
            for path in paths:  # the folder holding it, and the thing itself if it is a folder
                self.forget(os.path.dirname(path))
                self.forget(path)
        if any(self.relevant(p) for p in paths):
            self.debouncer.poke()


class PreviewServer:
    """Builds a site into its preview folder, serves it, and rebuilds on changes.

    ``start()`` binds the port and builds once (a failed build is served as an error
    page); ``run()`` serves until Ctrl-C or ``stop()``. ``on_rebuild`` is called after
    every build, from the thread that did it.
    """

    #: The file-system watcher; PollingObserver replaces it where the system's events fail.
    observer_class: Callable[[], Any] = Observer

    def __init__(self, root: Path, options: ServeOptions, on_rebuild: Callable[[Rebuilt], None],
                 on_notice: Callable[[str], None] = lambda text: None) -> None:
        self.root = root.resolve()
        self.options = options
        self.on_rebuild = on_rebuild
        self.on_notice = on_notice
        self.output = self.root / PREVIEW_DIR
        # What the preview keeps from one build for the next (see warm.py): only its builds use it.
        self.warm = Warm()
        self.state = _State(self.output)
        self.debouncer = Debouncer(quiet=options.quiet)
        self.stop_event = threading.Event()
        self.observer: Any = None
        self.httpd: ThreadingHTTPServer | None = None
        self._watches: dict[Path, tuple[Any, int]] = {}
        self._theme_dirs: tuple[Path, ...] = ()
        self._snapshots = Snapshots(root=self.root)
        self._snapshot: Snapshot = {}
        # The content files of the last discovery, by path (see _content_sources).
        self._sources: dict[str, Source] | None = None
        self._built = False  # whether the last build succeeded (see _mirror_spare)
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()
        self._stop_lock = threading.Lock()
        self.origin = ""
        self.url = ""

    # -- starting and stopping -------------------------------------------------------
    def start(self) -> str:
        """Bind the address, build once, start watching. Returns the site's local URL."""
        if not (self.root / CONFIG_FILE).is_file():
            load_config(self.root)  # raises the usual "no sitegen.yaml" error, with its hint
        self.httpd = _bind(self.options.host, self.options.port, self._handler_class())
        port = self.httpd.server_address[1]
        host = self.options.host
        if host in ("0.0.0.0", "", "::"):
            host = "localhost"  # the address to open here; other machines use this one's
        self.origin = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        self._theme_dirs = self._current_theme_dirs()
        self._snapshot = self._snapshots.take(self._watched_paths())
        # Watch before the first build, so a file saved while it runs is rebuilt right after.
        self.observer = self.observer_class()
        self.observer.start()
        self._sync_watches()
        self._rebuild(())
        self._thread = threading.Thread(target=self._loop, name="sitegen-rebuild", daemon=True)
        self._thread.start()
        self.url = self.origin + self.state.base_path
        return self.url

    def run(self) -> None:
        """Serve until Ctrl-C (KeyboardInterrupt) or ``stop()``; then stop cleanly."""
        assert self.httpd is not None, "start() first"
        self._serving.set()
        try:
            self.httpd.serve_forever(poll_interval=0.25)
        except KeyboardInterrupt:
            pass
        finally:
            self._serving.clear()
            self.stop()

    def stop(self) -> None:
        """Stop watching, rebuilding and serving. Safe to call more than once."""
        with self._stop_lock:
            if self.stop_event.is_set():
                return
            self.stop_event.set()
        self.state.stop()
        self.debouncer.wake()
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=5)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)  # let a build that is under way finish its swap
        self.warm.flush()
        if self.httpd is not None:
            if self._serving.is_set():  # called from another thread while run() serves
                self.httpd.shutdown()
            self.httpd.server_close()

    # -- building ----------------------------------------------------------------------
    def _base_path(self) -> str:
        try:
            return load_config(self.root).urls.base_path
        except SitegenError:
            return self.state.base_path  # keep serving where we were until the settings are fixed

    def _rebuild(self, changed: tuple[str, ...]) -> None:
        base_path = self._base_path()
        try:
            sources = self._content_sources(changed)
            options = BuildOptions(drafts=self.options.drafts, future=self.options.future, output=self.output,
                                   base_url=self.origin + base_path, defer_cache=True, sources=sources)
            report = build(self.root, options, warm=self.warm)
        except SitegenError as exc:
            outcome = Rebuilt(report=None, problems=exc.problems, changed=changed)
        except Exception:
            outcome = Rebuilt(report=None, changed=changed, crash=traceback.format_exc())
        else:
            outcome = Rebuilt(report=report, changed=changed)
        # The output is in place before the version changes, so a tab never reloads into a stale page.
        self.state.publish(base_path, outcome.problems, outcome.crash)
        self.on_rebuild(outcome)
        self.warm.flush()  # the build cache is written once the tabs were told to reload
        self._built = outcome.report is not None

    def _mirror_spare(self) -> None:
        """After a build that made a fresh output (the first, new settings), make the kept
        spare its copy while nothing is being edited, so that the next edit links only
        the files it changes (see ``write.mirror``)."""
        if self._built and self.warm.spare is None:
            self.warm.spare = mirror(self.output, spare_folder(self.root, self.output))

    def _content_sources(self, changed: tuple[str, ...]) -> tuple[Source, ...] | None:
        """The content files for the next build, as ``discover_content`` would list them now.

        After an edit of files the last discovery listed, that are still plain files, its
        list with their new sizes and time stamps: no entry of content/ came or went, so
        nothing else can differ (a file or folder added, removed or renamed, or a link,
        means discovering again). Kept only while the snapshot lists every file at the
        path discovery found it, so none was reached through a link to a folder, whose
        files the snapshot does not watch. None when discovery reports a problem: the
        build discovers again and reports it."""
        known = self._sources
        if known is not None and changed:
            for rel in changed:
                if not rel.startswith("content/"):
                    continue
                path = str(self.root / rel)
                source = known.get(path)
                try:
                    st = os.lstat(path)
                except OSError:
                    st = None
                if source is None or st is None or not S_ISREG(st.st_mode):  # (lstat: a link is not a plain file)
                    known = None
                    break
                known[path] = source.with_stat((st.st_size, st.st_mtime_ns, st.st_ctime_ns))
        if known is None:
            self._sources = None
            found, problems = discover_content(self.root)
            if problems:
                return None
            known = {source.location: source for source in found}
            if all(path in self._snapshot for path in known):
                self._sources = known
        return tuple(known.values())

    def _loop(self) -> None:
        while True:
            self._mirror_spare()
            if not self.debouncer.wait(self.stop_event):
                break
            self._sync_watches()
            after = self._snapshots.take(self._watched_paths())
            changed = changed_files(self._snapshot, after, self.root)
            if not changed and self.output.is_dir():  # (a deleted preview is built again)
                continue
            self._snapshot = after
            self._rebuild(changed)
            self._theme_dirs = self._current_theme_dirs()
            self._sync_watches()

    # -- watching ----------------------------------------------------------------------
    def _current_theme_dirs(self) -> tuple[Path, ...]:
        try:
            return tuple(f.resolve() for f in load_theme(load_config(self.root)).folders)
        except SitegenError:
            return self._theme_dirs

    def _watched_paths(self) -> tuple[Path, ...]:
        # themes/ whole: a theme made after sitegen.yaml names it (the build said "no such
        # theme") is picked up as it appears.
        folders = [self.root / name for name in (*WATCHED_DIRS, "themes")]
        return (self.root / CONFIG_FILE, *folders, *self._theme_dirs)

    def _sync_watches(self) -> None:
        """Watch the folders that exist now; re-watch one that was deleted and made again."""
        if self.observer is None:
            return
        handler = _Watcher(self.root, self.debouncer, self._snapshots.forget)
        wanted: dict[Path, bool] = {self.root: False}
        for folder in sorted(self._snapshots.outside_files):
            if folder.is_dir():
                wanted[folder] = False
        for path in (*self._watched_paths()[1:], *sorted(self._snapshots.outside)):
            if path.is_dir():
                wanted[path] = True
        for path, (watch, inode) in list(self._watches.items()):
            current = _inode(path)
            if path not in wanted or current != inode:
                try:
                    self.observer.unschedule(watch)
                except (KeyError, ValueError):
                    pass  # its folder was deleted, and the watch with it
                del self._watches[path]
        for path, recursive in wanted.items():
            if path not in self._watches:
                try:
                    watch = self.observer.schedule(handler, str(path), recursive=recursive)
                except OSError as exc:
                    if not path.is_dir():
                        continue  # deleted meanwhile; the next sync tries again
                    if isinstance(self.observer, PollingObserver):
                        raise
                    self._poll_instead(exc)
                    return self._sync_watches()
                self._watches[path] = (watch, _inode(path))

    def _poll_instead(self, exc: OSError) -> None:
        """The system refused to watch a folder (too many watches or instances in use):
        look at the files every second instead of going silently blind."""
        self.observer.stop()
        self.observer.join(timeout=5)
        self._watches.clear()
        self.observer = PollingObserver(timeout=1)
        self.observer.start()
        self.on_notice(f"cannot watch for changes with the system's file events ({exc.strerror or exc}); "
                       "looking at the files every second instead")

    # -- HTTP ----------------------------------------------------------------------------
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(_Handler):
            preview = server

        return Handler


def _inode(path: Path) -> int:
    try:
        return path.stat().st_ino
    except OSError:
        return -1


def _bind(host: str, port: int, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class Server(ThreadingHTTPServer):
        address_family = family
        daemon_threads = True

    try:
        return Server((host, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise SitegenError(f"port {port} on {host} is already in use",
                               hint=f"another program (or another sitegen serve) uses it: try --port {port + 1}, "
                               "or --port 0 for any free port") from None
        raise SitegenError(f"cannot serve on {host}:{port}: {exc.strerror or exc}",
                           hint="use --host 127.0.0.1 (the default) or an address of this machine") from None


def is_local(host: str) -> bool:
    """True when ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_allowed(header: str | None, port: int, bound: str, machine: tuple[str, ...] = ()) -> bool:
    """Whether a request's ``Host`` header names this preview: 127.0.0.1, localhost or
    [::1] (or the address serve was bound to) with the serving port. Bound to every
    address (0.0.0.0, ::), any IP address with the port is accepted too (DNS rebinding
    needs a host name, never an address), and the ``machine``'s own names."""
    match = _HOST.fullmatch((header or "").strip().lower())
    if match is None or (match.group(2) or "80") != str(port):
        return False
    host = match.group(1)
    names = {*LOCAL_NAMES, f"[{bound}]" if ":" in bound else bound.lower()}
    if host in names:
        return True
    if bound in ("0.0.0.0", "", "::"):
        if host in machine:
            return True
        try:
            ipaddress.ip_address(host[1:-1] if host.startswith("[") and host.endswith("]") else host)
        except ValueError:
            return False
        return True
    return False


def _machine_names() -> tuple[str, ...]:
    """This machine's own name, as a phone on the same network may reach it."""
    name = socket.gethostname().lower()
    return (name, f"{name}.local") if name else ()


def same_origin(location: str) -> str:
    """``location`` as a path on this server: ``//host/...`` (or ``/\\host``) would send a
    browser to another host, so leading slashes and backslashes become one slash."""
    return "/" + location.lstrip("/\\")


def is_traversal(raw_path: str) -> bool:
    """True when a request path tries to leave the served folder: ``..`` segments,
    backslashes or NUL bytes, also when percent-encoded (once or more)."""
    path = raw_path
    for _ in range(4):
        if "\\" in path or "\x00" in path or ".." in path.split("/"):
            return True
        decoded = unquote(path)
        if decoded == path:
            return False
        path = decoded
    return True  # encoded more deeply than any real link is


def reload_script(version: str) -> str:
    """The tag added to HTML responses in serve mode only. The script is a file of its
    own on the same origin, so a page's Content-Security-Policy (``script-src 'self'``,
    no inline scripts) lets it run."""
    return f'<script src="{RELOAD_SCRIPT_PATH}?v={quote(version)}" data-sitegen-serve></script>'


#: What the tag above loads: it waits for the next build and reloads the tab.
RELOAD_SCRIPT = b"""\
/* Added by sitegen serve, never by sitegen build: reloads this tab after each rebuild. */
(function () {
  var me = document.currentScript;
  var version = me ? new URL(me.src).searchParams.get("v") || "" : "";
  var events = new EventSource("/__sitegen/events?v=" + encodeURIComponent(version));
  events.addEventListener("reload", function () {
    events.close();
    location.reload();
  });
})();
"""


def inject(page: bytes, version: str) -> bytes:
    """``page`` with the reload script before its last ``</body>`` (or at the end)."""
    script = reload_script(version).encode("utf-8")
    at = page.lower().rfind(b"</body>")
    if at == -1:
        return page + script
    return page[:at] + script + page[at:]


def error_page(problems: tuple[Problem, ...], crash: str | None, version: str) -> bytes:
    """The page shown instead of the site while its build is broken."""
    items = []
    for p in problems:
        location = f'<p class="where">{html.escape(p.location)}</p>' if p.location else ""
        hint = f'<p class="hint">hint: {html.escape(p.hint)}</p>' if p.hint else ""
        items.append(f"<li>{location}<p class=\"message\">{html.escape(p.message)}</p>{hint}</li>")
    if crash:
        items.append("<li><p class=\"message\">sitegen itself failed (a bug: please report it with this text)</p>"
                     f"<pre>{html.escape(crash)}</pre></li>")
    count = len(problems) + (1 if crash else 0)
    title = f"The build failed: {count} problem{'s' if count != 1 else ''}"
    body = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{html.escape(title)}</title><style>"
        "body{font:1rem/1.5 system-ui,sans-serif;margin:2rem auto;max-width:48rem;padding:0 1rem;"
        "color:#222;background:#fff}"
        "h1{font-size:1.4rem;color:#9b1c1c}ol{padding-left:1.2rem}li{margin:0 0 1.2rem}"
        ".where{font-family:ui-monospace,monospace;font-weight:bold;margin:0}.message{margin:.2rem 0}"
        ".hint{margin:0;color:#555}pre{overflow:auto;background:#f4f4f4;padding:.5rem}"
        "@media (prefers-color-scheme:dark){body{color:#eee;background:#181818}h1{color:#f08080}"
        ".hint{color:#bbb}pre{background:#262626}}"
        "</style></head><body><main>"
        f"<h1>{html.escape(title)}</h1><ol class=\"problems\">{''.join(items)}</ol>"
        "<p>Fix the file and save it: this page turns back into your site by itself. "
        "The server keeps running.</p></main></body></html>"
    )
    return inject(body.encode("utf-8"), version)


class _Handler(BaseHTTPRequestHandler):
    """Serves the preview folder under the site's base path, plus the event stream."""

    preview: PreviewServer
    server_version = "sitegen-serve"
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows builds, not every request."""

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    # -- answers -------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str, head: bool, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")  # a reload always gets the newest build
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if not head:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the tab was closed while we answered: nothing to tell anyone

    def _redirect(self, location: str, head: bool, status: int = HTTPStatus.FOUND) -> None:
        location = same_origin(location)
        text = f"Moved to {location}\n".encode()
        self._send(status, text, "text/plain; charset=utf-8", head, {"Location": location})

    def _respond(self, head: bool) -> None:
        hosts = self.headers.get_all("Host") or []
        port = cast(ThreadingHTTPServer, self.server).server_port
        if len(hosts) != 1 or not host_allowed(hosts[0], port, self.preview.options.host, _machine_names()):
            return self._send(HTTPStatus.MISDIRECTED_REQUEST,
                              f"Refused: this preview answers only at http://127.0.0.1:{port}/ "
                              f"or http://localhost:{port}/.\n".encode(), "text/plain; charset=utf-8", head)
        parts = urlsplit(self.path)
        if parts.path == EVENTS_PATH:
            return self._events(parse_qs(parts.query).get("v", [""])[0])
        if parts.path == RELOAD_SCRIPT_PATH:
            return self._send(HTTPStatus.OK, RELOAD_SCRIPT, "text/javascript; charset=utf-8", head)
        if is_traversal(parts.path):
            return self._send(HTTPStatus.FORBIDDEN, b"Refused: this path leads outside the site.\n",
                              "text/plain; charset=utf-8", head)
        state = self.preview.state
        path = unquote(parts.path)
        base = unquote(state.base_path)
        if not path.startswith(base):
            if path in ("", "/") or path + "/" == base:
                return self._redirect(quote(base), head)
            return self._not_found(head)
        rel = path[len(base):]
        if rel.startswith("/") or "//" in rel:  # an empty segment: joined, "/etc" would be the system's
            return self._not_found(head)
        if state.problems or state.crash:
            if rel == "" or rel.endswith(("/", ".html")) or "." not in rel.rsplit("/", 1)[-1]:
                return self._send(HTTPStatus.INTERNAL_SERVER_ERROR,
                                  error_page(state.problems, state.crash, state.version),
                                  "text/html; charset=utf-8", head)
        output = state.output
        target = output / rel if rel else output
        try:  # a name too long for the file system, a loop of links...: nothing is there
            if target.is_dir():
                if rel and not rel.endswith("/"):
                    query = f"?{parts.query}" if parts.query else ""
                    return self._redirect(quote(path + "/") + query, head, HTTPStatus.MOVED_PERMANENTLY)
                target = target / "index.html"
            inside = target.resolve().is_relative_to(output.resolve()) and target.is_file()
        except (OSError, RuntimeError, ValueError):
            inside = False
        if not inside:
            return self._not_found(head)
        self._file(HTTPStatus.OK, target, head)

    def _file(self, status: int, target: Path, head: bool) -> None:
        ctype = content_type(target.name)
        try:
            if ctype.startswith("text/html"):
                return self._send(status, inject(target.read_bytes(), self.preview.state.version), ctype, head)
            with target.open("rb") as handle:
                self._stream(status, handle, ctype, head)
        except OSError:  # swapped away by a rebuild between the check and the read
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, b"Rebuilding; reload in a moment.\n",
                       "text/plain; charset=utf-8", head, {"Retry-After": "1"})

    def _stream(self, status: int, handle: BinaryIO, ctype: str, head: bool) -> None:
        """Send a file as it is, or the one byte range asked for (browsers seek in videos so)."""
        size = os.fstat(handle.fileno()).st_size
        start, end = 0, size - 1
        headers = {"Accept-Ranges": "bytes"}
        asked = _RANGE.fullmatch((self.headers.get("Range") or "").strip()) if status == HTTPStatus.OK else None
        if asked and (asked.group(1) or asked.group(2)):
            if asked.group(1):
                start = int(asked.group(1))
                end = min(int(asked.group(2)), size - 1) if asked.group(2) else size - 1
            else:  # "bytes=-500": the last 500 bytes
                start = max(0, size - int(asked.group(2)))
            if start > end or start >= size:
                return self._send(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", ctype, head,
                                  {"Content-Range": f"bytes */{size}"})
            status = HTTPStatus.PARTIAL_CONTENT
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        length = max(0, end - start + 1)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if head:
            return
        handle.seek(start)
        try:
            while length > 0:
                chunk = handle.read(min(length, 1 << 16))
                if not chunk:
                    break
                self.wfile.write(chunk)
                length -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the tab stopped listening (a video seeks elsewhere): nothing to tell anyone

    def _not_found(self, head: bool) -> None:
        page = self.preview.state.output / "404.html"
        if page.is_file():
            return self._file(HTTPStatus.NOT_FOUND, page, head)
        self._send(HTTPStatus.NOT_FOUND, inject(b"<!doctype html><title>Not found</title><p>Not found.</p>",
                                                self.preview.state.version),
                   "text/html; charset=utf-8", head)

    def _events(self, seen: str) -> None:
        """Server-sent events: ``reload`` whenever the version differs from the tab's."""
        state = self.preview.state
        if not state.listen():
            return self._send(HTTPStatus.SERVICE_UNAVAILABLE,
                              f"Refused: {MAX_RELOAD_LISTENERS} tabs already wait for reloads; close some.\n"
                              .encode(), "text/plain; charset=utf-8", False, {"Retry-After": "10"})
        try:
            self._listen(state, seen)
        finally:
            state.leave()

    def _listen(self, state: _State, seen: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = seen or state.version
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            while True:
                version = state.wait_for_change(seen, PING_SECONDS)
                if version is None:
                    return
                if version != seen:
                    self.wfile.write(f"event: reload\ndata: {version}\n\n".encode())
                    seen = version
                else:
                    self.wfile.write(b": still here\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return  # the tab went away
