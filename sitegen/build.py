"""The build: the stages of the generator, top to bottom.

``build(root, options)`` reads the settings, finds and parses the content, collects
the site, renders it through the theme and writes it into a staging folder that
replaces the output only when everything succeeded. With a build cache
(``incremental.py``) only what changed is parsed, rendered and moved into place.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Mapping

from .cache import key_problems
from .collect import collect_pages
from .config import load_config
from .contact import form_warnings
from .discover import Source, StaticFile, discover_content, discover_static, shadowed_static
from .errors import BuildError, Problem
from .i18n import load_catalogs
from .incremental import Incremental
from .model import Page, Site
from .parallel import default_jobs
from .pin import pin_warnings
from .references import missing_images
from .themes import load_theme
from .urls import output_file
from .warm import Warm
from .write import check_output_folder, remove_stale

if TYPE_CHECKING:
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
        return _build(root, options, progress, warm)
    finally:
        if enabled:
            gc.enable()


def _build(root: Path, options: BuildOptions, progress: Progress | None, warm: Warm | None) -> BuildReport:
    started = time.perf_counter()
    config = load_config(root, base_url=options.base_url, output=options.output)
    check_output_folder(config.output, config.root)
    try:  # what killed builds left beside the output, also when this build has nothing to do
        remove_stale(config.output)
    except OSError:
        pass  # a build that writes reports the folder's trouble
    theme = load_theme(config)
    deploy_notes = tuple(pin_warnings(config.root))  # the sitegen the hub publishes with is another

    workers = options.jobs or default_jobs()
    # The cache decides what is redone; --clean (or a damaged cache) redoes everything.
    # A cache write put off (defer_cache) is made by the caller's next warm.flush().
    deferred = options.defer_cache and warm is not None
    warm = warm if warm is not None else Warm()
    work = Incremental(config, theme, (options.drafts, options.future), clean=options.clean, warm=warm,
                       again=options.defer_cache)

    problems: list[Problem]
    if options.sources is not None:
        sources, problems = list(options.sources), []
    else:
        sources, problems = discover_content(config.root)
    static_problems: list[Problem] = []
    static_files = _static_files(theme.static_dirs, config.root, static_problems)
    now = options.now or datetime.now(UTC)
    if not any(p.severity == "error" for p in problems + static_problems):
        unchanged = work.up_to_date(sources, static_files, now)
        if unchanged is not None:  # no input changed and the output is intact: nothing to do
            return BuildReport(output=config.output, pages=unchanged.html_pages, files=unchanged.files,
                               seconds=time.perf_counter() - started, warnings=unchanged.warnings + deploy_notes,
                               left_out_future=unchanged.left_out_future,
                               left_out_drafts=unchanged.left_out_drafts, timezone=config.timezone)

    parsed = work.parse(sources, workers)  # only new and changed files, across processes
    pages = [p.page for p in parsed if p.page is not None]
    problems += [problem for p in parsed for problem in p.problems]
    problems += form_warnings(config.contact)
    problems += key_problems()  # a cache key that cannot be read or made: no cache, one warning
    problems += static_problems
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
    site, made_warnings = work.collect(pages, options.drafts, options.future, now, catalogs)
    problems += made_warnings
    problems += missing_images(site, static_files)
    renderer = Renderer(site, theme, catalogs, work.compiled_templates())
    # The guard reads the rendered output (content, raw HTML and every template alike), so
    # it runs after rendering; a counter or tracker must never reach the output, so it runs
    # before anything is moved into place, and reports every page's findings at once.
    guard = SiteGuard(config, theme, warm)
    outcome = work.write(site, renderer, static_files, workers, guard, progress)
    problems += shadowed_static(static_files, config.root / "static", config.root,
                                _made_files(site, work.new.jobs))

    warnings = [p for p in problems if p.severity == "warning"]
    renderer.catalogs.missing.clear()  # the strings every page found missing, in page order
    renderer.catalogs.missing.update(dict.fromkeys(outcome.missing))
    warnings += _missing_strings(renderer)
    work.save(tuple(warnings), defer=deferred)
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
        explanation=tuple(work.explanation),
    )


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
