"""Parallel parsing and rendering: the work of ``parse.py`` and ``render.py`` spread over
worker processes.

Workers are forked, so they start with the parent's settings, theme and (for
rendering) the whole collected site already in memory: nothing big is pickled. The
parent sends positions in a list (of sources, of render jobs) and gets back small
values: a parsed page and its digests, or the names of the files a job wrote (workers
write their files themselves, so the parent never becomes the bottleneck). With one
job, or where processes cannot be forked, the same functions run in this process, so
the output is the same byte for byte.
"""

from __future__ import annotations

import gc
import multiprocessing
from multiprocessing import connection
import os
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from .deps import Parsed, Reads, page_digests
from .discover import Source
from .errors import Problem, SitegenError
from .model import Config

if TYPE_CHECKING:  # parse.py and render.py load markdown-it, Jinja and Babel: imported when used
    from .cache import FileStat
    from markdown_it import MarkdownIt

    from .guard import Finding, Guard
    from .render import Job, Renderer
    from .write import Staging

T = TypeVar("T")
#: Below this many units of work, starting processes costs more than it saves.
MIN_PARALLEL = 40


def default_jobs() -> int:
    """The number of processors this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _workers(wanted: int, units: int) -> int:
    if wanted <= 1 or units < MIN_PARALLEL or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(wanted, units)


def _chunks(count: int, workers: int) -> list[range]:
    # Small enough that both processes finish together, large enough to amortise messages.
    size = max(1, min(64, count // (workers * 8) or 1))
    return [range(start, min(count, start + size)) for start in range(0, count, size)]


def _map(function: Callable[[range], list[T]], count: int, workers: int) -> Iterator[list[T]]:
    """``function`` over chunks of ``range(count)``, in worker processes when ``workers`` > 1;
    results come in the order chunks finish."""
    if workers <= 1:
        for chunk in _chunks(count, 1):
            yield function(chunk)
        return
    yield from _forked(function, _chunks(count, workers), workers, share=False)


def _share(function: Callable[[range], list[T]], count: int, workers: int) -> Iterator[list[T]]:
    """``function`` over chunks of ``range(count)`` in this process and ``workers`` - 1
    forked ones, each taking the next chunk when it is free. Rendering reads the whole
    collected site, and a forked worker ends up with a copy of most of it (reference
    counts are written to as it reads): this process working too spares one copy."""
    if workers <= 1:
        yield from _map(function, count, 1)
        return
    yield from _forked(function, _chunks(count, workers), workers - 1, share=True)


def _forked(function: Callable[[range], list[T]], chunks: list[range], processes: int,
            share: bool) -> Iterator[list[T]]:
    """``function`` over ``chunks`` in ``processes`` forked workers (and this process too,
    with ``share``). The work reaches each worker as the arguments of its fork: a forked
    process starts with them in memory, nothing is pickled, and no module holds them."""
    context = multiprocessing.get_context("fork")
    taken = context.Value("i", 0)
    results = context.SimpleQueue()
    # Objects that exist now are only read by the workers: keep the garbage collector from
    # walking (and so copying) them in every worker.
    gc.freeze()
    workers = [context.Process(target=_work, args=(function, chunks, taken, results, not share), daemon=True)
               for _ in range(processes)]
    finished = 0
    try:
        for worker in workers:
            worker.start()
        if share:
            for chunk in _taken(taken, chunks):
                yield function(chunk)
        reader = results._reader  # type: ignore[attr-defined]  # (waited on with the workers)
        while finished < processes:
            if results.empty():
                if any(w.exitcode for w in workers):
                    # A worker killed (by a signal, or out of memory): what it had taken will never
                    # come, and waiting longer would wait forever. (One that ended well sent all it
                    # made, though the parent may see its end before its last message.)
                    raise SitegenError("a worker process stopped before it finished its part of the build",
                                       hint="build again; if it happens again, the computer may be short of "
                                            "memory: build with --jobs 1")
                connection.wait([reader, *(w.sentinel for w in workers if w.exitcode is None)])
                continue
            kind, value = results.get()
            if kind == "done":
                finished += 1
            elif kind == "error":
                raise value
            else:
                yield from value
    finally:
        for worker in workers:
            if finished < processes and worker.is_alive():
                worker.terminate()  # this process stopped early (an error): theirs is not needed
            worker.join()
        results.close()
        gc.unfreeze()


def _work(function: Callable[[range], list[T]], chunks: list[range], taken: Any, results: Any, each: bool) -> None:
    """In a worker: run ``function`` over the chunks no process has taken, and send back
    the results, each as it is made or (``each`` False) all at the end, then "done"."""
    try:
        if each:
            for chunk in _taken(taken, chunks):
                results.put(("chunks", [function(chunk)]))
        else:
            results.put(("chunks", [function(chunk) for chunk in _taken(taken, chunks)]))
        results.put(("done", None))
    except BaseException as exc:
        try:
            results.put(("error", exc))
        except Exception:
            results.put(("error", RuntimeError(f"a worker process failed: {exc!r}")))


def _taken(taken: Any, chunks: list[range]) -> Iterator[range]:
    """The chunks no process has taken yet, one at a time (``taken``: a shared counter)."""
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value = index + 1
        if index >= len(chunks):
            return
        yield chunks[index]


# -- Parsing -------------------------------------------------------------------------

#: The files a page's parse read besides its source, each with its stat then (None: missing).
References = tuple[tuple[str, tuple[int, int, int] | None], ...]


class Fresh(NamedTuple):
    """A content file parsed now, and what it was parsed from."""

    parsed: Parsed
    content: bytes  # the digest of the bytes parsed (empty when the file cannot be read)
    stat: FileStat | None  # the file's stat, taken before its bytes were read (see _parse_chunk)
    references: References  # the pictures whose size the parse gave


def _parse_chunk(sources: Sequence[Source], config: Config, md: MarkdownIt,
                 chunk: range) -> list[tuple[int, Fresh]]:
    from .cache import content_digest, trusted, trusted_stat
    from .parse import parse_source
    from .references import sized_pictures

    static_dir = config.root / "static"
    done: list[tuple[int, Fresh]] = []
    for i in chunk:
        source = sources[i]
        # Stated before it is read: a file saved after this (while the build runs) differs
        # from what the next build finds, and is parsed again then.
        stat = trusted_stat(source.path)
        try:
            raw: bytes | None = source.path.read_bytes()
        except OSError:
            raw = None  # parse_source reads it again, and says why it cannot
        read: dict[str, FileStat | None] = {}
        page, problems = parse_source(source, config, md, raw, read)
        digest = content_digest(raw) if raw is not None else b""
        if page is None:
            done.append((i, Fresh(Parsed(None, tuple(problems)), digest, stat, ())))
        else:
            meta, body = page_digests(page)
            # Each picture as the parse read it (the file it opened): one replaced since is never
            # taken for it (and one replaced within the time-stamp tick never matches).
            references = tuple((str(path), trusted(read[str(path)]) if str(path) in read else trusted_stat(path))
                               for path in sized_pictures(page, static_dir))
            done.append((i, Fresh(Parsed(page, tuple(problems), meta, body), digest, stat, references)))
    return done


def parse_sources(sources: Sequence[Source], config: Config, jobs: int,
                  keep: Callable[[int, Parsed], Parsed] | None = None) -> list[Fresh]:
    """Parse ``sources`` with up to ``jobs`` processes; what was parsed from each, in the
    order of ``sources``. ``keep`` sees each parse result as it arrives and returns what
    to keep of it."""
    if not sources:
        return []
    from .markdown import make_markdown
    from .parse import parse_source  # noqa: F401 - loaded once here, not in each worker

    results: list[Fresh | None] = [None] * len(sources)
    work = partial(_parse_chunk, sources, config, make_markdown())
    for done in _map(work, len(sources), _workers(jobs, len(sources))):
        for i, fresh in done:
            results[i] = fresh if keep is None else fresh._replace(parsed=keep(i, fresh.parsed))
    return results  # type: ignore[return-value]


# -- Rendering -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Rendered:
    """What one render job did: the files it wrote, what it read, what went wrong."""

    outputs: tuple[str, ...]
    bodies: tuple[str, ...] = ()  # sources whose body it read
    metas: tuple[str, ...] = ()  # sources whose metadata it read
    assets: tuple[tuple[str, str], ...] = ()  # static files it linked, with the versioned link it used
    files: tuple[tuple[str, bool], ...] = ()  # files it looked for (path in the site), and whether found
    missing: tuple[tuple[str, str], ...] = ()  # interface strings it found missing
    problems: tuple[Problem, ...] = ()
    pages: tuple[tuple[str, str | None], ...] = ()  # the HTML files it wrote, with the content file of each
    every_page: bool = False  # it shows all of every page (bodies and metas then say no more)


def _render_chunk(renderer: Renderer, jobs: Sequence[Job], todo: Sequence[int], staging: Staging,
                  chunk: range) -> list[tuple[int, Rendered]]:
    from .safety import protect_external_links

    base_url = renderer.config.urls.base_url
    done = []
    for position in chunk:
        index = todo[position]
        reads = Reads()  # what the job declares it shows, as it renders (see shows.py)
        known = len(renderer.catalogs.missing)
        pages = []
        written = []
        try:
            renderer.showing = reads
            try:
                files = list(jobs[index][1]())
            finally:
                renderer.showing = None
            for file in files:
                if file.path.endswith(".html"):  # a net under raw HTML and added templates
                    protected = protect_external_links(file.data.decode("utf-8"), base_url)
                    file = replace(file, data=protected.encode("utf-8"))
                    pages.append((file.path, file.source))
                staging.write(file)
                written.append(file.path)
        except SitegenError as exc:
            done.append((index, Rendered((), problems=tuple(exc.problems))))
            continue
        missing = tuple(renderer.catalogs.missing)[known:]
        done.append((index, Rendered(tuple(written), tuple(sorted(reads.bodies)), tuple(sorted(reads.metas)),
                                     tuple(sorted(reads.assets.items())), tuple(sorted(reads.files.items())), missing,
                                     pages=tuple(pages), every_page=reads.every_page)))
    return done


def render_jobs(renderer: Renderer, jobs: Sequence[Job], todo: Sequence[int], staging: Staging, workers: int,
                progress: Callable[[int], None] | None = None) -> dict[int, Rendered]:
    """Run the jobs at positions ``todo`` of ``jobs``, writing their files into ``staging``,
    with up to ``workers`` processes. Returns what each job did, by position."""
    results: dict[int, Rendered] = {}
    work = partial(_render_chunk, renderer, jobs, todo, staging)
    for done in _share(work, len(todo), _workers(workers, len(todo))):
        for index, rendered in done:
            results[index] = rendered
        if progress is not None:
            progress(len(done))
    return results


# -- Guarding --------------------------------------------------------------------------

def _scan_chunk(guard: Guard, folder: Path, pages: Sequence[tuple[str, str | None]],
                chunk: range) -> list[tuple[int, list[Finding]]]:
    done = []
    for i in chunk:
        data = (folder / pages[i][0]).read_bytes()
        found = guard.scan_html(data.decode("utf-8", errors="replace"))
        if found:
            done.append((i, found))
    return done


def scan_pages(guard: Guard, folder: Path, pages: Sequence[tuple[str, str | None]],
               workers: int) -> list[list[Finding]]:
    """The guard's findings in each HTML file ``pages`` names (its path in ``folder``),
    scanned with up to ``workers`` processes; in the order of ``pages``."""
    findings: list[list[Finding]] = [[] for _ in pages]
    work = partial(_scan_chunk, guard, folder, pages)
    for done in _map(work, len(pages), _workers(workers, len(pages))):
        for i, found in done:
            findings[i] = found
    return findings
