"""The build: the stages of the generator, top to bottom.

``build(root, options)`` reads the settings, finds and parses the content, collects
the site, renders it through the theme and writes it into a staging folder that
replaces the output only when everything succeeded. With a build cache
(``incremental.py``) only what changed is parsed, rendered and moved into place.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Mapping

from .cache import CacheChanged, check_folder as check_cache_folder, key_problems, output_stats
from .collect import collect_pages, with_made_pages
from .config import load_config
from .contact import form_warnings
from .discover import Source, StaticFile, discover_content, discover_static, shadowed_static
from .errors import BuildError, Problem, SitegenError
from .i18n import load_catalogs
from .deps import Parsed
from .incremental import Memo, Plan
from .model import Config, Page, Site
from .parallel import default_jobs
from .pin import pin_warnings
from .references import missing_images
from .themes import Theme, load_theme
from .urls import output_file
from .warm import Warm
from .write import Staging, check_output_folder, remove_stale

if TYPE_CHECKING:
    from .guard import SiteGuard
    from .i18n import Catalogs
    from .parallel import Rendered
    from .render import Renderer

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """What the command line can change for one build."""

    drafts: bool = False
    future: bool = False
    output: Path | None = None
    base_url: str | None = None
    now: datetime | None = None  # for tests: the moment that decides what is "future"
    jobs: int = 0  # processes for parsing and rendering; 0: one per processor, 1: none
    clean: bool = False  # ignore the build cache and redo everything
    defer_cache: bool = False  # write the build cache only at warm.flush() (sitegen serve: after the reload)
    # The content files, as discover_content() would list them, when the caller knows them
    # already (sitegen serve, after an edit of files it had listed): discovery is skipped.
    sources: tuple[Source, ...] | None = None


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a successful build did."""

    output: Path
    pages: int  # HTML pages written
    files: int  # all files written, static ones included
    seconds: float
    warnings: tuple[Problem, ...] = ()
    left_out_future: tuple[Page, ...] = ()
    left_out_drafts: int = 0
    timezone: str = "UTC"
    rendered: int = 0  # render jobs run (the others' files were already up to date)
    explanation: tuple[str, ...] = ()  # why each file was parsed, rendered, copied or removed


def build(root: Path, options: BuildOptions = BuildOptions(), progress: Progress | None = None,
          warm: Warm | None = None) -> BuildReport:
    """Build the site in ``root``. Raises ``SitegenError``/``BuildError`` with every
    problem found; the previous output is then left exactly as it was. ``warm``: what a
    process that builds again and again (``sitegen serve``) keeps from one build for the
    next (see ``warm.py``); without it, the build starts from the cache on disk."""
    # A build makes few reference cycles but holds tens of thousands of pages: the cycle
    # collector walking them again and again cost a third of collect() at 10,000 pages.
    enabled = gc.isenabled()
    gc.disable()
    try:
        try:
            return _build(root, options, progress, warm)
        except CacheChanged:  # when in doubt, redo the work: once more, without the cache
            pass
        try:
            return _build(root, dataclasses.replace(options, clean=True), progress, warm)
        except CacheChanged as exc:
            raise SitegenError(f"the build cache changed while this build used it ({exc})",
                               hint="make sure no other program writes in .sitegen-cache/, "
                                    "or delete that folder, and build again") from None
    finally:
        if enabled:
            gc.enable()


def _build(root: Path, options: BuildOptions, progress: Progress | None, warm: Warm | None) -> BuildReport:
    started = time.perf_counter()
    config = load_config(root, base_url=options.base_url, output=options.output)
    check_output_folder(config.output, config.root)  # before any work: a folder sitegen may not replace
    check_cache_folder(config.root, config.output)  # nor a cache folder it may not write in
    try:  # what killed builds left beside the output, also when this build has nothing to do
        remove_stale(config.output)
    except OSError:
        pass  # a build that writes reports the folder's trouble
    theme = load_theme(config)
    workers = options.jobs or default_jobs()
    now = options.now or datetime.now(UTC)
    # The build cache, beneath the stages: it answers whether a result of the last build
    # can be used again, and remembers this build's. --clean (or a damaged cache) redoes
    # everything; a cache write put off (defer_cache) is made by the caller's next warm.flush().
    deferred = options.defer_cache and warm is not None
    warm = warm if warm is not None else Warm()
    # The sitegen the hub publishes with is another: said once by a process (sitegen serve
    # rebuilds again and again).
    deploy_notes = tuple(note for note in pin_warnings(config.root) if warm.first_time(note))
    memo = Memo(config, theme, (options.drafts, options.future), clean=options.clean, warm=warm)

    found = discover(config, theme, options.sources)
    if not found.errors:
        unchanged = memo.up_to_date(found.sources, found.static_files, found.problems, now)
        if unchanged is not None:  # no input changed and the output is intact: nothing to do
            return BuildReport(output=config.output, pages=unchanged.html_pages, files=unchanged.files,
                               seconds=time.perf_counter() - started, warnings=unchanged.warnings + deploy_notes,
                               left_out_future=unchanged.left_out_future,
                               left_out_drafts=unchanged.left_out_drafts, timezone=config.timezone)

    parsed = parse(found.sources, config, memo, workers)
    pages = [p.page for p in parsed if p.page is not None]
    problems = found.problems + [problem for p in parsed for problem in p.problems]
    problems += form_warnings(config.contact)
    problems += key_problems()  # a cache key that cannot be read or made: no cache, one warning
    errors = [p for p in problems if p.severity == "error"]
    if errors:  # report every broken file at once, before rendering anything
        try:  # URL collisions among the pages that did parse belong in the same report
            collect_pages(pages, config, drafts=options.drafts, future=options.future, now=now)
        except BuildError as exc:
            errors += exc.problems
        raise BuildError(errors)

    # Here: a build with nothing to do never loads Jinja and Babel, or compiles the guard's rules.
    from .guard import SiteGuard
    from .render import Renderer

    catalogs = load_catalogs(theme.i18n_dirs + (config.root / "i18n",), config.root)
    site, made_warnings = collect(pages, config, options, now, catalogs, memo)
    problems += made_warnings
    problems += missing_images(site, found.static_files)

    renderer = Renderer(site, theme, catalogs, memo.compiled_templates(), memo.template_plans(),
                        (file.target for file in found.static_files), memo.static_versions())
    plan = memo.plan(renderer, found.static_files, now)
    rendered: dict[int, Rendered] = {}
    if plan.busy:
        staging = Staging(config.output)
        try:
            staging.copy_static(plan.copy, config.root)  # first: a rendered page wins over a static file
            rendered = render(renderer, plan, staging, workers, progress)
            guard(SiteGuard(config, theme, warm), staging, rendered, found.static_files, workers)
            write(staging, plan, rendered, memo)
        except BaseException:
            staging.discard()
            raise
    else:
        memo.output_kept(plan)
    outcome = memo.record(plan, rendered)
    problems += shadowed_static(found.static_files, config.root / "static", config.root,
                                _made_files(site, memo.new.jobs))

    warnings = [p for p in problems if p.severity == "warning"]
    renderer.catalogs.missing.clear()  # the strings every page found missing, in page order
    renderer.catalogs.missing.update(dict.fromkeys(outcome.missing))
    warnings += _missing_strings(renderer)
    memo.save(tuple(warnings), defer=deferred)
    return BuildReport(
        output=config.output,
        pages=outcome.html_pages,
        files=outcome.files,
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings) + deploy_notes,
        left_out_future=site.left_out_future,
        left_out_drafts=site.left_out_drafts,
        timezone=config.timezone,
        rendered=outcome.rendered,
        explanation=tuple(memo.explanation),
    )


# -- The stages -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Found:
    """What discovery found: the content files, the static files (the theme's, then the
    site's), and a problem for each file that cannot be used."""

    sources: list[Source]
    static_files: list[StaticFile]
    problems: list[Problem]

    @property
    def errors(self) -> bool:
        """Whether a problem is an error."""
        return any(p.severity == "error" for p in self.problems)


def discover(config: Config, theme: Theme, listed: tuple[Source, ...] | None = None) -> Found:
    """1. The site's files. ``listed``: the content files, when the caller knows them
    (``sitegen serve`` after an edit of files it had listed)."""
    problems: list[Problem]
    if listed is not None:
        sources, problems = list(listed), []
    else:
        sources, problems = discover_content(config.root)
    static_files = _static_files(theme.static_dirs, config.root, problems)
    return Found(sources, static_files, problems)


def parse(sources: list[Source], config: Config, memo: Memo, workers: int) -> list[Parsed]:
    """2. Each content file's page (or its problems), in the order of ``sources``: the
    last build's where nothing it was made from changed, the others parsed across
    ``workers`` processes."""
    results, todo = memo.parsed_before(sources)
    from .parallel import parse_sources

    fresh = [sources[i] for i in todo]
    made = parse_sources(fresh, config, workers, lambda j, parsed: memo.keep(fresh[j].rel, parsed))
    return memo.parsed_now(sources, results, todo, made)


def collect(pages: list[Page], config: Config, options: BuildOptions, now: datetime, catalogs: Catalogs,
            memo: Memo) -> tuple[Site, list[Problem]]:
    """3. The finished site: what is published where, its lists and groups, and the pages
    sitegen makes (see ``collect.py``). A preview uses its last site again when the
    pages' metadata did not change."""
    site = memo.kept_site(pages, options.drafts, options.future, now)
    if site is None:
        site = collect_pages(pages, config, drafts=options.drafts, future=options.future, now=now)
        memo.keep_site(site)
    return with_made_pages(site, catalogs)


def render(renderer: Renderer, plan: Plan, staging: Staging, workers: int,
           progress: Progress | None) -> dict[int, Rendered]:
    """4. The files of the jobs the plan runs, written into ``staging``, across ``workers``
    processes; what each job did, by position. Every problem of every job is reported at once."""
    from .parallel import render_jobs

    done = 0

    def step(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, len(plan.todo))

    rendered = render_jobs(renderer, plan.jobs, plan.todo, staging, workers, step)
    problems: dict[tuple[str | None, int | None, str], Problem] = {}
    for i in sorted(rendered):
        for problem in rendered[i].problems:
            problems.setdefault((problem.path, problem.line, problem.message), problem)
    if problems:
        raise BuildError(problems.values())
    return rendered


def guard(site_guard: SiteGuard, staging: Staging, rendered: dict[int, Rendered], static_files: list[StaticFile],
          workers: int) -> None:
    """5. Nothing that counts readers or tracks them reaches the output: every HTML file
    just rendered (content, raw HTML and templates alike) and every style sheet is read,
    before anything is moved into place; every finding of every file is reported at once.
    (Files not rendered again were read when they were made, with the same settings and
    templates, or they would have been made again.)"""
    from .parallel import scan_pages

    pages = [page for i in sorted(rendered) for page in rendered[i].pages]  # in page order
    for (page, source), findings in zip(pages, scan_pages(site_guard.guard, staging.folder, pages, workers),
                                        strict=True):
        site_guard.add(page, findings, source)
    for static in static_files:
        if static.target.endswith(".css"):
            site_guard.scan_css(static.target, static.path)
    problems = site_guard.problems()
    if problems:
        raise BuildError(problems)


def write(staging: Staging, plan: Plan, rendered: dict[int, Rendered], memo: Memo) -> None:
    """6. The output: the staging folder swapped in (a fresh output), or the next output
    made from the old one's unchanged files and the files staged, and swapped in. A
    build killed at any moment leaves the old site or the new one, whole."""
    if plan.fresh:
        files = set(plan.statics).union(*(r.outputs for r in rendered.values()))
        # Listed before it goes live (a rename keeps every file's stat): a file changed by hand
        # once it is live differs from the list. Moved into a mount point, listed once there.
        staging.mark(files)
        listed = None if staging.in_place else output_stats(staging.folder)
        staging.commit(files, marked=True, keep=memo.spare)
        memo.output_made(listed or output_stats(staging.output))
        return
    carried, stray = memo.carried(plan, rendered)
    known = memo.take_spare_state()
    moved, made = staging.merge(carried, stray, spare=memo.spare, known=known,
                                live_folders=plan.folders.keys() if memo.trust_output else None)
    memo.output_merged(plan, carried, stray, moved, made, staging.left)


def _static_files(theme_dirs: tuple[Path, ...], root: Path, problems: list[Problem]) -> list[StaticFile]:
    """Theme static files, then the site's: later ones overwrite earlier ones."""
    files: list[StaticFile] = []
    for folder in theme_dirs:
        # A site's own theme (themes/<name>/) must stay inside the site, like static/.
        inside = folder.resolve().is_relative_to(root.resolve())
        found, theme_problems = discover_static(folder, root if inside else folder.parent)
        problems += theme_problems
        files += found
    found, static_problems = discover_static(root / "static", root)
    problems += static_problems
    return files + found


def _made_files(site: Site, jobs: Mapping[str, Any]) -> dict[str, str]:
    """Every file the build wrote, and what made it: a content file, or sitegen."""
    sources = {output_file(page.url): page.source for page in (*site.entries, *site.pages)}
    return {out: sources.get(out, "sitegen") for record in jobs.values() for out in record.outputs}


def _missing_strings(renderer: Renderer) -> list[Problem]:
    """One warning per language of the site whose interface strings are incomplete:
    those strings are shown in English."""
    site, catalogs = renderer.site, renderer.catalogs
    used = [site.config.language, *site.config.languages, *(p.lang for p in (*site.entries, *site.pages))]
    used += [lang for lang, _ in catalogs.missing]
    problems = []
    for lang in dict.fromkeys(used):
        keys = catalogs.missing_keys(lang)
        if not keys:
            continue
        hint = (f"add them to i18n/{lang}.yaml in your site (copy their English text from the theme's "
                f"i18n/en.yaml and translate it)")
        if not catalogs.has_language(lang):
            problems.append(Problem(f"no interface strings in '{lang}': the theme's {len(keys)} strings are shown "
                                    "in English", severity="warning", hint=hint))
        else:
            problems.append(Problem(f"interface strings missing in '{lang}', shown in English: {', '.join(keys)}",
                                    severity="warning", hint=hint))
    return problems
