"""Incremental building: between discovery and writing, decide what must be redone, do
only that (across processes), and record what was done for the next build.

A build with a usable cache (``cache.py``) parses only new and changed content files,
re-renders only the jobs whose inputs changed (``deps.py`` says what those are), and
swaps in a next output made of the new files and links to the unchanged ones; when no
input changed at all it reads no page and writes nothing. A build without a usable
cache (the first, ``--clean``, a damaged cache, new settings or templates, a missing
output folder) renders everything into a fresh folder and swaps it in. Both leave
exactly the files a clean build makes, and the previous output untouched when anything
fails.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Sequence

from . import cache, deps
from .cache import CacheData, CacheError, JobRecord, SourceRecord, Summary
from .deps import Parsed, combine
from .discover import Source, StaticFile
from .errors import Problem
from .collect import substitute
from .model import Config, Page, Site
from .themes import Theme
from .write import MARKER, SpareState

if TYPE_CHECKING:  # parallel.py brings markdown-it, Jinja and Babel: a build with nothing to do needs none
    from .parallel import Fresh, Rendered
    from .render import Job, Renderer
    from .shows import ShowPlan
    from .warm import Warm


@dataclass(slots=True)
class Outcome:
    """What the writing step did."""

    html_pages: int
    files: int
    rendered: int  # jobs run this time
    missing: list[tuple[str, str]] = field(default_factory=list)  # interface strings, in page order


class Memo:
    """One build's use of the cache: created at the start, saved at the end."""

    def __init__(self, config: Config, theme: Theme, options: tuple[object, ...], clean: bool,
                 warm: Warm) -> None:
        self.config = config
        self.warm = warm  # what this process kept from its last build (see warm.py)
        self.lazy_pages = warm.lazy_pages  # the pages of this build are of its class
        self.root = config.root
        self.store = cache.store_for(config.root, config.output)  # where this build's cache lives
        code = cache.code_digest()
        self.old: CacheData | None
        if clean:
            self.old, self.why_full = None, "--clean"
        else:
            self.old, self.why_full = cache.load(self.store, code, warm)
        # Paths inside the site are kept relative to it: a hub cloned or copied elsewhere
        # (each deploy's fresh checkout) keeps its cache.
        self.new = CacheData(code=code, output=cache.portable(config.output, self.root))
        # (with the rules of the site's time zone: dates are read and shown in it, and the
        # system's time-zone data changes when a country moves its clocks)
        settings = repr(dataclasses.replace(config, root=Path("."), output=Path(self.new.output)))
        settings += f";zone={cache.zone_digest(config.timezone)}"
        self.new.parse_context = combine((settings,))
        self.new.settings = cache.settings_digest(self.root, theme, settings, options)
        self.explanation: list[str] = []
        self.parsed: dict[str, Parsed] = {}  # every source's parse result, by path
        self.pages = cache.PageStore(self.store, warm, self.explain)  # the parsed pages it keeps
        self.changed = False  # whether the cache must be written again
        self.reparsed: list[str] = []  # the sources parsed this time (the others' pages are the last build's)
        self._collect_key: tuple[object, ...] = ()
        self._old_records: dict[str, SourceRecord] = {}  # the last build's, when its parse results are usable
        if self.old is not None and self.old.output != self.new.output:
            self.old, self.why_full = None, "the output folder changed"
        self.full = self.old is None
        if self.old is not None and not config.output.is_dir():
            self.full, self.why_full = True, "the output folder is missing"
        if self.old is not None and self.old.settings != self.new.settings:
            self.full, self.why_full = True, "settings, templates or interface strings changed"
        # `sitegen serve` builds into its own folder inside the cache folder, which nobody
        # edits: when this process made it (and wrote the index since), it is not listed
        # again file by file before each rebuild.
        self.own_index = self.old is not None and cache.in_memory(self.store, self.old, warm)
        self.trust_output = self.own_index and self.store != self.root
        self._discovered: tuple[Problem, ...] = ()  # what discovery warned about (see up_to_date)
        self._statics: dict[str, StaticFile] = {}  # the static files, by target (see plan)
        self._static_stats: dict[str, cache.FileStat] = {}  # each one's stat, by path

    def compiled_templates(self) -> Path | None:
        """The folder for this sitegen's compiled templates (those of other versions are
        removed: their code could differ for the same template text); None if it cannot
        be made."""
        try:
            folder = cache.make_folder(self.store)
            mine = folder / f"templates-{self.new.code.hex()[:16]}"
            for old in folder.glob("templates-*"):
                if old != mine:
                    shutil.rmtree(old, ignore_errors=True)
            if self.old is None and self.why_full == "--clean":
                shutil.rmtree(mine, ignore_errors=True)
            cache.own_folder(mine)  # (never a link: the compiled code is never written through one)
        except OSError:
            return None
        return mine

    def template_plans(self) -> dict[tuple[str, frozenset[str]], ShowPlan]:
        """What each template shows, as the last build of this process read it when the
        templates and settings are the same (else a new, empty memo)."""
        kept = self.warm.plans
        if kept is not None and kept[0] == self.new.settings:
            return kept[1]
        plans: dict[tuple[str, frozenset[str]], ShowPlan] = {}
        self.warm.plans = (self.new.settings, plans)
        return plans

    def static_versions(self) -> dict[str, tuple[cache.FileStat, str]]:
        """Each static file's version known to this process or to the last build, by path,
        with the file's stat when it was read; the renderer uses one again only while the
        file has that stat, and adds those it works out (see ``Renderer._version``)."""
        for rel, known in self.old.versions.items() if self.old is not None else ():
            self.warm.versions.setdefault(str(self.root / rel), known)
        return self.warm.versions

    def explain(self, what: str, why: str) -> None:
        """Note why something is done again (``--explain`` prints these)."""
        self.explanation.append(f"{what}: {why}")

    # -- Nothing to do ---------------------------------------------------------------
    def up_to_date(self, sources: Sequence[Source], static_files: list[StaticFile], discovered: Sequence[Problem],
                   now: datetime) -> Summary | None:
        """The last build's summary when no input changed since it and its output is
        intact (then nothing is parsed, rendered or written); else None. ``discovered``:
        what discovery warned about (files it leaves out), which must be the same too."""
        old = self.old
        self._discovered = tuple(discovered)
        if old is None or self.full or old.parse_context != self.new.parse_context:
            return None
        if old.summary.discovered != self._discovered:
            return None  # a file discovery leaves out (and warns about) came or went
        if old.summary.next_due is not None and now >= old.summary.next_due:
            return None  # an entry dated in the future is now due
        if old.summary.newest is not None and now < old.summary.newest:
            return None  # a clock set back (or a test's "now"): an entry published is in the future again
        if len(sources) != len(old.sources):
            return None
        for source in sources:
            record = old.sources.get(source.rel)
            if record is None or record.kind != source.kind:
                return None
            if record.stat[1] == -1 or record.stat != (source.stat or cache.stat_of(source.path)):
                # Saved again, or just before the last build: unchanged if its bytes are.
                if _file_digest(source) != record.content:
                    return None
            if record.references and not _unchanged(record.references):
                return None  # a picture it shows was replaced
        statics = cache.static_map(static_files)
        if statics.keys() != old.static.keys() | old.shadowed.keys():
            return None  # a static file came or went (one a page takes the place of too: it is warned about)
        for target, file in statics.items():
            known = old.static.get(target)
            if known is None:
                if old.shadowed[target] != cache.portable(file.path, self.root):
                    return None
            elif (known[0] != cache.portable(file.path, self.root) or known[1][1] == -1
                  or known[1] != cache.stat_of(file.path)):
                return None
        if cache.output_stats(self.config.output, old.files, old.folders)[0] != old.files:
            return None
        return old.summary

    # -- Parsing -----------------------------------------------------------------------
    def parsed_before(self, sources: Sequence[Source]) -> tuple[list[Parsed | None], list[int]]:
        """Each source's parse result from the last build, when its bytes, the settings it
        is parsed with and the pictures it shows are unchanged (else None, explained); and
        the positions of the sources to parse."""
        if self.old is not None:
            try:
                cache.jobs_of(self.old)
            except CacheError as exc:
                self.old, self.why_full, self.full = None, str(exc), True
        old_records = self.old.sources if self.old is not None and \
            self.old.parse_context == self.new.parse_context else {}
        old_pages = self._old_pages() if old_records else {}
        if not old_pages:
            old_records = {}
        results: list[Parsed | None] = [None] * len(sources)
        todo: list[int] = []
        new_sources = self.new.sources
        for i, source in enumerate(sources):  # (runs for every file on every rebuild: kept lean)
            rel = source.rel
            record, parsed = old_records.get(rel), old_pages.get(rel)
            stat = source.stat or cache.stat_of(source.path)
            if record is not None and record.references and not _unchanged(record.references):
                self.explain(source.rel, "parsed again (a picture it shows changed, came or went)")
            elif record is not None and parsed is not None and stat is not None and record.kind == source.kind:
                if record.stat == stat:
                    results[i] = parsed
                    new_sources[rel] = record
                    continue
                now_stat = cache.trusted_stat(source.path)  # before its bytes are read (see _parse_chunk)
                digest = _file_digest(source)
                if digest == record.content:
                    results[i] = parsed
                    self.new.sources[source.rel] = SourceRecord(
                        source.kind, now_stat or stat, digest,
                        record.meta_digest, record.body_digest, record.problems, record.references)
                    self.changed = True  # a new time stamp to remember
                    continue
                self.explain(source.rel, "parsed again (its text changed)")
            elif record is None:
                self.explain(source.rel, "parsed (new file)" if old_records else
                             f"parsed ({self.why_full if self.old is None else 'no usable parse in the cache'})")
            elif parsed is None:
                self.explain(source.rel, "parsed again (its page in the build cache was damaged)")
            else:
                self.explain(source.rel, "parsed again (it moved to another section)")
            todo.append(i)
        self.reparsed = [sources[i].rel for i in todo]
        self._old_records = old_records
        self.pages.open()
        return results, todo

    def keep(self, rel: str, parsed: Parsed) -> Parsed:
        """What to keep in memory of a page just parsed: without its body once that is
        written to the cache (see ``cache.PageStore``)."""
        return self.pages.keep(rel, parsed)

    def parsed_now(self, sources: Sequence[Source], results: list[Parsed | None], todo: list[int],
                   fresh: list[Fresh]) -> list[Parsed]:
        """Remember the sources parsed now (``fresh``, at positions ``todo``); every
        source's parse result."""
        old_records = self._old_records
        for i, (parsed, content, stat, references) in zip(todo, fresh, strict=True):
            results[i] = parsed
            source = sources[i]
            self.pages.changed(source.rel)
            if parsed.page is not None and stat is not None:
                self.new.sources[source.rel] = SourceRecord(source.kind, stat, content, parsed.meta_digest,
                                                            parsed.body_digest, parsed.problems, references)
        for rel in set(old_records) - set(self.new.sources):  # deleted, or broken now
            self.pages.changed(rel)
        self.parsed = {s.rel: r for s, r in zip(sources, results, strict=True) if r is not None and r.page is not None}
        self.pages.close(self.parsed)
        self.lazy_pages.load_body = self.pages.body
        return [self.parsed.get(s.rel, r) for s, r in zip(sources, results, strict=True)]  # type: ignore[misc]

    def _old_pages(self) -> dict[str, Parsed]:
        """The parsed pages of the last build, or {} (and a full build) when a shard is damaged.
        They come without their bodies: the page store reads one when it is used."""
        assert self.old is not None
        try:
            return self.pages.load(self.old.shards)
        except CacheError as exc:
            self.full, self.why_full = True, str(exc)
            self.old = dataclasses.replace(self.old, jobs={}, jobs_pickle=b"")  # not in place: it may be kept in memory
            return {}

    def kept_site(self, pages: list[Page], drafts: bool, future: bool, now: datetime) -> Site | None:
        """This process's last collected site (see ``collect.py``), when it is this
        build's too; else None, and ``keep_site`` is to be given the site collected now.

        Collecting depends only on the pages' metadata (it reads no body: a test holds it
        to that), on which entries are in the future and on the settings; when none changed
        since this process's last build (`sitegen serve`, after an edit of a page's
        text), its site is used again, with each page's body fields (text, word count,
        heading lines) brought up to date."""
        parsed = self.parsed
        dates = [_DATE.__get__(p) for p in pages]  # (its slot: the parent reads for no job)
        # The site's folders too: the parse context is the same for a copy of the site elsewhere,
        # and a collected site holds its config (paths included).
        key = ((self.new.parse_context, str(self.config.root), str(self.config.output)), drafts, future,
               [(p.source, parsed[p.source].meta_digest) for p in pages],
               [p.source for p, date in zip(pages, dates, strict=True) if date is not None and date > now])
        self._collect_key = key
        memo, self.warm.collected = self.warm.collected, None  # taken: a build that fails leaves none behind
        # Only pages parsed again can differ from the last build's when the cache it compared
        # with is the one this process wrote; else collect again.
        if memo is None or memo.key != key or not self.own_index:
            return None
        by_source = memo.by_source()
        fresh = {id(page): _with_body(page, parsed[rel].page)  # type: ignore[arg-type]
                 for rel in self.reparsed for page in by_source.get(rel, ())}
        if fresh:
            site = substitute(memo.site, fresh)
            memo = _Collected(key, site, (*site.entries, *site.pages, *site.left_out_future), memo.structure)
        self.warm.collected = self.collected = memo
        return memo.site

    def keep_site(self, site: Site) -> None:
        """Remember the site collected now (``kept_site`` said there was none to use)."""
        memo = _Collected(self._collect_key, site, (*site.entries, *site.pages, *site.left_out_future))
        self.warm.collected = self.collected = memo

    # -- Rendering and writing -----------------------------------------------------------
    def plan(self, renderer: Renderer, static_files: list[StaticFile], now: datetime) -> Plan:
        """Which render jobs must run and which static files be copied, each explained:
        a file not made again was checked by the guard when it was made, with the same
        settings and templates (or it would be made again)."""
        site = renderer.site
        # The static files as they are now, stated before anything reads them (a style sheet
        # is read for its version link): one saved after this is copied again next time.
        self._statics = cache.static_map(static_files)
        stats = {target: cache.trusted_stat(file.path) or (0, 0, 0) for target, file in self._statics.items()}
        self._static_stats = {str(file.path): stats[target] for target, file in self._statics.items()}
        # What every file depends on: which page is where, what each list holds (the site as
        # the renderer has it: with a contact or membership page made from the settings).
        # The metadata of the pages a job shows is declared by the job: a title edit
        # renders the pages that show the title, not every page.
        self.new.structure = self.collected.structure or deps.skeleton(site)
        self.collected.structure = self.new.structure  # the same for every build that reuses it
        jobs = _unique(list(renderer.jobs()))
        if self.full or self.old is None:
            actual, folders = {}, {}
        elif self.trust_output:
            actual, folders = dict(self.old.files), dict(self.old.folders)
        else:
            actual, folders = cache.output_stats(self.config.output, self.old.files, self.old.folders)
        todo = self._stale_jobs(jobs, renderer, actual)
        old_jobs = self.old.jobs if self.old is not None else {}
        produced = {out for record in self.new.jobs.values() for out in record.outputs}  # the jobs kept
        for i in todo:  # and those to run: their files last time, and their first file
            produced.add(jobs[i][0])
            produced.update(old_jobs[jobs[i][0]].outputs if jobs[i][0] in old_jobs else ())
        statics = {t: f for t, f in self._statics.items() if t not in produced}
        copy = self._stale_static(statics, actual, stats)
        if self.full:
            copy = list(statics.values())
            self.warm.spare = None  # (the spare is about to become another output)
        stray = bool(set(actual) - produced - set(statics) - {MARKER})
        self.changed = self.changed or self.full or bool(todo or copy or stray)
        # The output changes when an entry's date passes: one left out as future appears, and
        # one published with --future gives its consent (see people.decide_consent).
        every = (*site.entries, *site.pages, *site.left_out_future)
        self.new.summary = Summary(0, 0, site.left_out_future, site.left_out_drafts,
                                   min((d for d in _dates(every) if d > now), default=None),
                                   max(_dates((*site.entries, *site.pages)), default=None))
        return Plan(jobs, todo, statics, copy, self.full, self.full or bool(todo or copy or stray), actual, folders)

    def output_made(self, listed: tuple[dict[str, cache.Stat], dict[str, int]]) -> None:
        """Note the output a full build swapped in: its files and folders (see ``cache.output_stats``)."""
        self.warm.spare = None  # (the spare became another output)
        self.new.files, self.new.folders = listed

    def output_kept(self, plan: Plan) -> None:
        """Note that the output was left as it was (nothing to render, copy or remove)."""
        self.new.files, self.new.folders = dict(plan.actual), plan.folders

    def carried(self, plan: Plan, rendered: dict[int, Rendered]) -> tuple[dict[str, cache.Stat], list[str]]:
        """For an incremental build: the files of the old output the next one keeps (as
        the old output has them), and those it drops (each explained)."""
        old = self.old
        assert old is not None
        keep = {out for record in self.new.jobs.values() for out in record.outputs}
        keep |= {out for r in rendered.values() for out in r.outputs} | set(plan.statics) | {MARKER}
        stray = [path for path in plan.actual if path not in keep]
        for path in stray:
            self.explain(path, "removed (no longer part of the site)")
        return {path: stat for path, stat in plan.actual.items() if path in keep}, stray

    def take_spare_state(self) -> SpareState | None:
        """What the last swap of this process left (see ``Staging.merge``), when it can be
        trusted: only this process writes the preview's output and its spare. Taken: a
        build that fails may leave the spare half made."""
        known, self.warm.spare = self.warm.spare, None
        return known if self.trust_output else None

    def output_merged(self, plan: Plan, carried: dict[str, cache.Stat], stray: list[str],
                      moved: dict[str, cache.Stat], made: dict[str, int], left: SpareState | None) -> None:
        """Note the output an incremental build swapped in."""
        if self.trust_output:
            self.warm.spare = left
        carried.update(moved)
        self.new.files = carried
        self.new.folders = made or cache.touched_folders(plan.folders, [*moved, *stray])

    @property
    def spare(self) -> Path:
        """Where the output a build replaces is kept (see ``cache.spare_folder``)."""
        return cache.spare_folder(self.config.root, self.config.output)

    def _meta(self, rel: str) -> bytes:
        parsed = self.parsed.get(rel)
        return parsed.meta_digest if parsed is not None else b""

    def _body(self, rel: str) -> bytes | None:
        parsed = self.parsed.get(rel)
        return parsed.body_digest if parsed is not None else None

    def _stale_jobs(self, jobs: list[Job], renderer: Renderer, actual: dict[str, cache.Stat]) -> list[int]:
        """Positions of the jobs that must run, each explained; records the others as kept."""
        if self.full:
            for name, _ in jobs:
                self.explain(name, f"rendered ({self.why_full})")
            return list(range(len(jobs)))
        assert self.old is not None
        same_structure = self.old.structure == self.new.structure
        body = self._body
        links: dict[str, str] = {}  # each asset's link, asked of the renderer once

        def link(asset: str) -> str:
            found = links.get(asset)
            if found is None:
                found = links[asset] = renderer.recorded(asset)
            return found

        there: dict[str, bool] = {}  # whether each file a job looked for is there, asked once

        def is_file(rel: str) -> bool:
            found = there.get(rel)
            if found is None:
                found = there[rel] = (self.root / rel).is_file()
            return found

        old_jobs, old_files, kept = self.old.jobs, self.old.files, self.new.jobs
        check_files = not self.trust_output  # else the output is as the last build left it
        # A job of the last build read each page's metadata as that build had it (a job it
        # kept read the same, or it would have run again): the pages whose metadata
        # changed since are all a job's record needs to be compared with. Only a page
        # parsed again can have changed (the others are the last build's), or one gone.
        old_sources = self.old.sources
        changed_meta = {rel for rel in self.reparsed
                        if rel in old_sources and self._meta(rel) != old_sources[rel].meta_digest}
        changed_meta.update(old_sources.keys() - self.parsed.keys())
        # A job that shows every page is kept only when no page changed (by the same reasoning).
        changed_page = bool(changed_meta) or any(rel in old_sources and body(rel) != old_sources[rel].body_digest
                                                 for rel in self.reparsed)

        def why_stale(record: JobRecord) -> str | None:
            if record.every_page and changed_page:
                return "rendered again (it shows every page, and a page changed)"
            for rel, digest in record.bodies:  # plain loops: this may run for every file of the site
                if body(rel) != digest:
                    changed = [rel for rel, digest in record.bodies if body(rel) != digest]
                    return f"rendered again ({', '.join(changed[:3])}{' ...' if len(changed) > 3 else ''} changed)"
            if changed_meta and not changed_meta.isdisjoint(record.metas):
                changed = [rel for rel in record.metas if rel in changed_meta]
                return (f"rendered again (the front matter or headings of {', '.join(changed[:3])}"
                        f"{' ...' if len(changed) > 3 else ''} changed)")
            for asset, known in record.assets:
                if link(asset) != known:
                    return f"rendered again (static file {asset} changed)"
            for rel, found in record.files:
                if found != is_file(rel):
                    return f"rendered again ({rel} {'is gone' if found else 'is there now'})"
            if check_files:
                for out in record.outputs:
                    if actual.get(out) != old_files.get(out):
                        return "rendered again (its output file was changed or deleted by hand)"
            return None

        todo = []
        for i, (name, _) in enumerate(jobs):
            record = old_jobs.get(name)
            why: str | None
            if record is None:
                why = "rendered (new)"
            elif not same_structure:
                why = ("rendered again (a page was added, removed, left out, moved or reordered, "
                       "or its tags, person or questions changed)")
            else:
                why = why_stale(record)
            if why is None and record is not None:
                kept[name] = record
            else:
                self.explain(name, why or "rendered")
                todo.append(i)
        return todo

    def _stale_static(self, statics: dict[str, StaticFile], actual: dict[str, cache.Stat],
                      stats: dict[str, cache.FileStat]) -> list[StaticFile]:
        """The static files to copy again (``stats``: each one's, taken before any was read)."""
        copy = []
        old = self.old.static if self.old is not None else {}
        for target, file in statics.items():
            record = (cache.portable(file.path, self.root), stats[target])
            self.new.static[target] = record
            if self.full:
                continue
            assert self.old is not None
            before = old.get(target)
            if before != record or before[1][1] == -1 or actual.get(target) != self.old.files.get(target):
                self.explain(target, "copied (static file new or changed, "
                                     "or changed too recently to trust its time stamp)")
                copy.append(file)
        return copy

    def record(self, plan: Plan, results: dict[int, Rendered]) -> Outcome:
        """Remember what each job run now read and wrote, for the next build, and count
        the files of the output."""
        jobs, todo = plan.jobs, plan.todo
        # Each content file's path as one string object, which the index then stores once;
        # what is not a content file (a page made from the settings) never changes on its own.
        known = {rel: rel for rel in self.new.sources}
        for i in todo:
            r = results[i]
            for out in r.outputs:  # a rendered file wins over a static file of the same name
                self.new.static.pop(out, None)
            every = r.every_page  # (then it shows every body and metadata: none is listed)
            self.new.jobs[jobs[i][0]] = JobRecord(
                outputs=r.outputs,
                bodies=() if every else tuple((known[rel], self._body(rel) or b"") for rel in r.bodies if rel in known),
                metas=() if every else tuple(known.get(rel, rel) for rel in r.metas if rel in known),
                assets=r.assets,  # the links its pages hold (a file saved since has another)
                missing=r.missing,
                files=r.files,
                every_page=every,
            )
        # The static files a rendered file takes the place of (a build that finds nothing
        # changed must still find these as they were: each is warned about).
        self.new.shadowed = {target: cache.portable(file.path, self.root) for target, file in self._statics.items()
                             if target not in self.new.static}
        if self.old is not None and self.old.shadowed != self.new.shadowed:
            self.changed = True
        records = self.new.jobs
        html = files = 0
        with_missing: set[str] = set()  # the jobs that found interface strings missing
        for name, _ in jobs:
            record = records[name]
            files += len(record.outputs)
            html += _html_files(record)
            if record.missing:
                with_missing.add(name)
        missing: dict[tuple[str, str], None] = {}
        if with_missing:  # in page order
            for name, _ in jobs:
                if name in with_missing:
                    for key in records[name].missing:
                        missing.setdefault(key, None)
        self.new.summary.html_pages, self.new.summary.files = html, files + len(self.new.static)
        return Outcome(html_pages=html, files=files + len(self.new.static), rendered=len(todo), missing=list(missing))

    def save(self, warnings: tuple[Problem, ...], defer: bool = False) -> None:
        """Remember this build, and the ``warnings`` it reported, for the next one (unless
        it changed nothing); with ``defer``, when ``cache.flush`` is called."""
        self.new.summary.warnings, self.new.summary.discovered = warnings, self._discovered
        if self.old is not None and self.old.summary.warnings != warnings:
            self.changed = True
        if self.old is not None:
            self.new.shards = self.pages.shards(self.old.shards)
        # The versions worked out in this process, of the static files as they are now (the
        # others are forgotten: files deleted, or saved since, in a preview that runs for hours).
        versions = self.warm.versions
        for path in [path for path, known in versions.items() if self._static_stats.get(path) != known[0]]:
            del versions[path]
        self.new.versions = {cache.portable(Path(path), self.root): known for path, known in versions.items()}
        if self.old is not None and self.old.versions != self.new.versions:
            self.changed = True
        if self.pages.unwritable or not (self.changed or self.pages.stashes or self.old is None
                                         or self.new.sources.keys() != self.old.sources.keys()):
            return
        try:
            cache.save(self.store, self.new, self.pages.stashes, self.pages.bodies, self.warm, defer)
        except OSError as exc:  # the output is made; the next build just redoes more
            self.explain(cache.FOLDER, f"the build cache cannot be written ({exc.strerror})")


def _dates(pages: Sequence[Page]) -> list[datetime]:
    """The dates of ``pages`` that have one (read from their slots: the parent reads for no job)."""
    return [d for d in map(_DATE.__get__, pages) if d is not None]


@dataclass(slots=True)
class Plan:
    """The memo's answer for one build: what the render and write stages must do."""

    jobs: list[Job]  # every render job, in output order
    todo: list[int]  # the positions of those to run
    statics: dict[str, StaticFile]  # the static files of the output (those no job writes), by target
    copy: list[StaticFile]  # those to copy (all of them, for a fresh output)
    fresh: bool  # a fresh output (else the next one is made from the old one)
    busy: bool  # anything to render, copy or remove (else the output stays as it is)
    actual: dict[str, cache.Stat]  # the old output's files, as they are
    folders: dict[str, int]  # and its folders' time stamps


def _html_files(record: JobRecord) -> int:
    count = 0
    for out in record.outputs:
        if out.endswith(".html"):
            count += 1
    return count


@dataclass(slots=True)
class _Collected:
    """A site as collected by this process's last build, and what decided it."""

    key: tuple[object, ...]
    site: Site
    pages: tuple[Page, ...]  # its pages, whose body fields a later build brings up to date
    structure: bytes = b""  # the digest that decides whether every file is rendered again (see plan)
    _by_source: dict[str, list[Page]] | None = None

    def by_source(self) -> dict[str, list[Page]]:
        """Its pages by source file."""
        if self._by_source is None:
            self._by_source = {}
            for page in self.pages:
                self._by_source.setdefault(page.source, []).append(page)
        return self._by_source


_DATE = Page.__dict__["date"]
_SLOTS = tuple(Page.__dict__[f.name] for f in dataclasses.fields(Page))
#: The fields of a page that can change while its metadata digest stays the same.
_BODY_SLOTS = frozenset(Page.__dict__[name] for name in (*deps.BODY_FIELDS, "headings"))


def _with_body(page: Page, fresh: Page) -> Page:
    """A new page: ``page`` (as collected) with the body fields of ``fresh`` (its source
    parsed again: its text, word count and the lines of its headings)."""
    made = object.__new__(type(page))
    for slot in _SLOTS:
        slot.__set__(made, slot.__get__(fresh if slot in _BODY_SLOTS else page, Page))
    return made


def _unchanged(references: tuple[tuple[str, cache.FileStat | None], ...]) -> bool:
    """Whether the files a parse read besides its source are as it read them (a file
    changed within the time-stamp tick of that parse never is)."""
    for path, stat in references:
        if cache.stat_of(Path(path)) != stat or (stat is not None and stat[1] == -1):
            return False
    return True


def _file_digest(source: Source) -> bytes:
    try:
        return cache.content_digest(source.path.read_bytes())
    except OSError:
        return b""


def _unique(jobs: list[Job]) -> list[Job]:
    """Jobs with distinct names (a name taken twice gets a suffix), in the same order."""
    if len({name for name, _ in jobs}) == len(jobs):
        return jobs  # the usual case
    seen: set[str] = set()
    unique = []
    for name, job in jobs:
        n, candidate = 1, name
        while candidate in seen:
            n += 1
            candidate = f"{name}#{n}"
        seen.add(candidate)
        unique.append((candidate, job))
    return unique
