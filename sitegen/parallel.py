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
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence, TypeVar

from .deps import Parsed, Reads, TrackedPage, page_digests, reading, record_asset
from .discover import Source
from .errors import Problem, SitegenError
from .model import Config

if TYPE_CHECKING:  # parse.py and render.py load markdown-it, Jinja and Babel: imported when used
    from .guard import Finding, SiteGuard
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


# What forked workers inherit: set in the parent just before the pool starts.
_state: dict[str, Any] = {}


def _map(function: Callable[[range], list[T]], count: int, workers: int) -> Iterator[list[T]]:
    """``function`` over chunks of ``range(count)``, in worker processes when ``workers`` > 1;
    results come in the order chunks finish."""
    if workers <= 1:
        for chunk in _chunks(count, 1):
            yield function(chunk)
        return
    # Objects that exist now are only read by the workers: keep the garbage collector from
    # walking (and so copying) them in every worker.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap_unordered(function, _chunks(count, workers))
    finally:
        gc.unfreeze()


def _share(function: Callable[[range], list[T]], count: int, workers: int) -> Iterator[list[T]]:
    """``function`` over chunks of ``range(count)`` in this process and ``workers`` - 1
    forked ones, each taking the next chunk when it is free. Rendering reads the whole
    collected site, and a forked worker ends up with a copy of most of it (reference
    counts are written to as it reads): this process working too spares one copy."""
    if workers <= 1:
        yield from _map(function, count, 1)
        return
    context = multiprocessing.get_context("fork")
    _state.update(share_next=context.Value("i", 0), share_chunks=_chunks(count, workers), share_function=function)
    gc.freeze()
    try:
        with context.Pool(workers - 1) as pool:
            others = [pool.apply_async(_drain) for _ in range(workers - 1)]
            for chunk in _taken():
                yield function(chunk)
            for other in others:
                yield from other.get()
    finally:
        gc.unfreeze()


def _taken() -> Iterator[range]:
    """The chunks no process has taken yet, one at a time."""
    taken, chunks = _state["share_next"], _state["share_chunks"]
    while True:
        with taken.get_lock():
            index = taken.value
            taken.value = index + 1
        if index >= len(chunks):
            return
        yield chunks[index]


def _drain() -> list[list[Any]]:
    """In a worker: run the shared function over chunks until none is left."""
    function = _state["share_function"]
    return [function(chunk) for chunk in _taken()]


# -- Parsing -------------------------------------------------------------------------

#: The files a page's parse read besides its source, each with its stat then (None: missing).
References = tuple[tuple[str, tuple[int, int] | None], ...]


def _parse_chunk(chunk: range) -> list[tuple[int, Parsed, bytes, References]]:
    from .cache import content_digest, trusted_stat
    from .parse import parse_source
    from .references import sized_pictures

    md = _state.get("md")
    if md is None:
        from .markdown import make_markdown
        md = _state["md"] = make_markdown()
    sources: Sequence[Source] = _state["sources"]
    config: Config = _state["config"]
    static_dir = config.root / "static"
    done = []
    for i in chunk:
        source = sources[i]
        try:
            raw: bytes | None = source.path.read_bytes()
        except OSError:
            raw = None  # parse_source reads it again, and says why it cannot
        page, problems = parse_source(source, config, md, raw)
        digest = content_digest(raw) if raw is not None else b""
        if page is None:
            done.append((i, Parsed(None, tuple(problems)), digest, ()))
        else:
            meta, body = page_digests(page)
            # Stated just after the parse read them: a picture replaced since is never taken
            # for the one read (and one replaced within the time-stamp tick never matches).
            references = tuple((str(path), trusted_stat(path)) for path in sized_pictures(page, static_dir))
            done.append((i, Parsed(TrackedPage.of(page), tuple(problems), meta, body), digest, references))
    return done


def parse_sources(sources: Sequence[Source], config: Config, jobs: int,
                  keep: Callable[[int, Parsed], Parsed] | None = None) -> list[tuple[Parsed, bytes, References]]:
    """Parse ``sources`` with up to ``jobs`` processes; results in the order of ``sources``:
    each parse result, with the digest of the bytes it was parsed from (empty when the file
    cannot be read) and the other files the parse read (the pictures whose size it gave),
    each with its stat. ``keep`` sees each result as it arrives and returns what to keep of it."""
    if not sources:
        return []
    from .markdown import make_markdown
    from .parse import parse_source  # noqa: F401 - loaded once here, not in each worker

    results: list[tuple[Parsed, bytes, References] | None] = [None] * len(sources)
    _state.update(sources=sources, config=config, md=make_markdown())
    try:
        for done in _map(_parse_chunk, len(sources), _workers(jobs, len(sources))):
            for i, parsed, digest, references in done:
                results[i] = (parsed if keep is None else keep(i, parsed), digest, references)
    finally:
        _state.clear()
    return results  # type: ignore[return-value]


# -- Rendering -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Rendered:
    """What one render job did: the files it wrote, what it read, what went wrong."""

    outputs: tuple[str, ...]
    bodies: tuple[str, ...] = ()  # sources whose body it read
    metas: tuple[str, ...] = ()  # sources whose metadata it read
    assets: tuple[str, ...] = ()  # static files it linked with a version
    files: tuple[tuple[str, bool], ...] = ()  # files it looked for (path in the site), and whether found
    missing: tuple[tuple[str, str], ...] = ()  # interface strings it found missing
    problems: tuple[Problem, ...] = ()
    findings: tuple[tuple[str, list[Finding], str | None], ...] = ()  # the privacy guard's, per HTML file


def _render_chunk(chunk: range) -> list[tuple[int, Rendered]]:
    from .safety import protect_external_links

    renderer: Renderer = _state["renderer"]
    jobs: Sequence[Job] = _state["jobs"]
    todo: Sequence[int] = _state["todo"]
    staging: Staging = _state["staging"]
    guard: SiteGuard | None = _state.get("guard")
    base_url = renderer.config.urls.base_url
    done = []
    for position in chunk:
        index = todo[position]
        reads = Reads()
        known = len(renderer.catalogs.missing)
        findings = []
        written = []
        try:
            with reading(reads):
                files = list(jobs[index][1]())
            for file in files:
                if file.path.endswith(".html"):  # a net under raw HTML and added templates
                    file = replace(file, data=protect_external_links(file.data.decode("utf-8"), base_url).encode("utf-8"))
                    if guard is not None:
                        found = guard.guard.scan_html(file.data.decode("utf-8", errors="replace"))
                        if found:
                            findings.append((file.path, found, file.source))
                staging.write(file)
                written.append(file.path)
        except SitegenError as exc:
            done.append((index, Rendered((), problems=tuple(exc.problems))))
            continue
        missing = tuple(renderer.catalogs.missing)[known:]
        done.append((index, Rendered(tuple(written), tuple(sorted(reads.bodies)), tuple(sorted(reads.metas)),
                                     tuple(sorted(reads.assets)), tuple(sorted(reads.files.items())), missing,
                                     findings=tuple(findings))))
    return done


def _recorded_asset(asset: Callable[[str], str]) -> Callable[[str], str]:
    def linked(site_path: str) -> str:
        record_asset(site_path)
        return asset(site_path)
    return linked


def render_jobs(renderer: Renderer, jobs: Sequence[Job], todo: Sequence[int], staging: Staging, workers: int,
                progress: Callable[[int], None] | None = None, guard: SiteGuard | None = None) -> dict[int, Rendered]:
    """Run the jobs at positions ``todo`` of ``jobs``, writing their files into ``staging``,
    with up to ``workers`` processes; ``guard`` scans every HTML file (its findings are
    returned, for the caller to record in page order). Returns what each job did, by position."""
    if not getattr(renderer.env.globals["asset"], "records", False):
        linked = _recorded_asset(renderer.asset)
        linked.records = True  # type: ignore[attr-defined]
        renderer.env.globals["asset"] = linked
    results: dict[int, Rendered] = {}
    _state.update(renderer=renderer, jobs=jobs, todo=todo, staging=staging, guard=guard)
    try:
        for done in _share(_render_chunk, len(todo), _workers(workers, len(todo))):
            for index, rendered in done:
                results[index] = rendered
            if progress is not None:
                progress(len(done))
    finally:
        _state.clear()
    return results
