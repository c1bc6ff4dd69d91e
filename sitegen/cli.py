"""The command line: ``sitegen build`` and friends.

The only module that prints or exits. A :class:`~sitegen.errors.SitegenError` becomes
its messages on stderr and exit status 1; any other exception is a bug in sitegen and
keeps its traceback. ``--debug`` shows a traceback for our errors too.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, NoReturn, TypeVar
from collections.abc import Callable

import click

from . import __version__
from .build import BuildOptions, BuildReport, build
from .config import load_config
from .themes import load_theme
from .errors import Problem, SitegenError, format_problems

if TYPE_CHECKING:  # check, scaffold and serve are loaded by their commands: `build` starts faster
    from .check import CheckReport
    from .serve import Rebuilt

T = TypeVar("T")
PROGRESS_THRESHOLD = 300
#: -h as well as --help, on every command.
CONTEXT = MappingProxyType({"help_option_names": ("-h", "--help")})
_QUIET = "sitegen.quiet"  # in click's ctx.meta, shared by a command and its group

EXIT_STATUSES = """\b
Exit statuses:
  0  success
  1  a mistake in the site, its settings or the command's
     arguments (the message names the file and how to fix
     it), or an error found by 'sitegen check'
  2  the command line itself is wrong (unknown option...)
'sitegen due' answers with its own: 0 something fell due
(publish), 1 nothing fell due, 2 it could not answer.

\b
Colours are off when NO_COLOR is set or the output is not
a terminal; --quiet (before or after the command) keeps
only errors."""


def _set_quiet(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_QUIET] = True


def quiet_option(command: Callable[..., T]) -> Callable[..., T]:
    """``-q/--quiet``: only errors are shown (on the group and on every command)."""
    return click.option("-q", "--quiet", is_flag=True, expose_value=False, is_eager=True, callback=_set_quiet,
                        help="Show only errors.")(command)


def is_quiet() -> bool:
    """Whether --quiet was given to this command or to ``sitegen`` itself."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(_QUIET))


def say(message: str = "", err: bool = False, **style: object) -> None:
    """Print a message that is not an error (nothing with --quiet)."""
    if not is_quiet():
        click.secho(message, err=err, **style)  # type: ignore[arg-type]


def _echo_problems(problems: tuple[Problem, ...] | list[Problem]) -> None:
    if is_quiet():
        problems = [p for p in problems if p.severity == "error"]
    if problems:
        click.secho(format_problems(problems), fg="yellow" if problems[0].severity == "warning" else "red", err=True)


def run_or_exit(debug: bool, action: Callable[[], T], failure: str | None = None) -> T:
    """Run ``action``; turn a SitegenError into messages and exit status 1.

    ``failure`` replaces the closing line said after a failed build."""
    try:
        return action()
    except SitegenError as exc:
        if debug:
            raise
        problems = exc.problems
        _echo_problems(problems)
        errors = sum(1 for p in problems if p.severity == "error")
        if failure is None:
            failure = (f"Build failed: {errors} problem{'s' if errors != 1 else ''}. "
                       "The previous output was left as it was.")
        click.secho(failure, fg="red", err=True)
        sys.exit(1)


def report_build(report: BuildReport, root: Path) -> None:
    """Print a build's warnings, what it left out, and its one-line summary."""
    _echo_problems(list(report.warnings))
    for page in report.left_out_future:
        when = page.date.strftime("%Y-%m-%d %H:%M %Z") if page.date else "?"
        say(f"{page.source}: left out until {when} (dated in the future; --future includes it)", err=True)
    if report.left_out_drafts:
        n = report.left_out_drafts
        say(f"{n} draft{'s' if n != 1 else ''} left out (--drafts includes them)", err=True)
    try:
        shown = report.output.relative_to(Path.cwd())
    except ValueError:
        shown = report.output
    say(f"Built {report.pages} pages ({report.files} files) into {shown}/ in {report.seconds:.2f} s")


@click.group(context_settings=CONTEXT, epilog=EXIT_STATUSES)
@click.version_option(__version__, prog_name="sitegen")
@quiet_option
@click.pass_context
def main(ctx: click.Context) -> None:
    """sitegen: a static site for your true fans, from Markdown interviews and stories."""
    if os.environ.get("NO_COLOR"):  # https://no-color.org: set and not empty
        ctx.color = False


@main.command("build")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--drafts", is_flag=True, help="Include pages marked draft: true.")
@click.option("--future", is_flag=True, help="Include entries dated in the future.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: _site, or 'output' in sitegen.yaml).")
@click.option("--base-url", help="Override base_url for this build, e.g. https://user.github.io/repo/.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=False,
              help="Processes for parsing and rendering (default: one per processor; 1: no extra processes).")
@click.option("--clean", is_flag=True, help="Ignore the build cache (.sitegen-cache/) and redo everything.")
@click.option("--explain", is_flag=True, help="Say why each file was parsed, rendered, copied or removed.")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
@quiet_option
def build_command(directory: Path, drafts: bool, future: bool, output: Path | None,
                  base_url: str | None, jobs: int, clean: bool, explain: bool, debug: bool) -> None:
    """Build the site in DIRECTORY (default: here) into _site/."""
    root = directory.resolve()
    if output is not None:
        output = output.absolute()  # not resolved: a link named as the output is refused, not followed
    options = BuildOptions(drafts=drafts, future=future, output=output, base_url=base_url, jobs=jobs, clean=clean)

    def run() -> BuildReport:
        if not sys.stderr.isatty():
            return build(root, options)
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if total < PROGRESS_THRESHOLD:
                return
            if bar is None:
                bar = click.progressbar(length=total, label="Rendering", file=sys.stderr)
                bar.__enter__()
            bar.update(done - bar.pos)

        try:
            return build(root, options, progress)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)

    report = run_or_exit(debug, run)
    if explain:
        for line in report.explanation or ("nothing changed since the last build",):
            say(line)
    report_build(report, root)


def _print_check(report: CheckReport) -> None:
    """The check's findings as text, grouped by page (with --quiet, only the errors)."""
    quiet = is_quiet()
    for page, findings in report.by_page():
        if quiet:
            findings = [f for f in findings if f.severity == "error"]
            if not findings:
                continue
        source = report.sources.get(page)
        click.secho(page or "the whole site", bold=True) if not source else \
            click.secho(f"{page} (from {source})", bold=True)
        for f in findings:
            where = f"{f.path}:{f.line}: " if f.path and f.line else (f"{f.path}: " if f.path else "")
            click.secho(f"  {where}{f.severity}: {f.message}", fg="red" if f.severity == "error" else "yellow")
            if f.hint:
                click.echo(f"    hint: {f.hint}")
    errors, warnings = report.errors, report.warnings
    summary = (f"Checked {report.pages} pages: {errors} error{'s' if errors != 1 else ''}, "
               f"{warnings} warning{'s' if warnings != 1 else ''}.")
    say(summary, fg="red" if errors else ("yellow" if warnings else "green"))


@main.command("check")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-build", is_flag=True, help="Audit the existing output instead of building first.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              help="text for people (default), json for machines.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: _site, or 'output' in sitegen.yaml).")
@click.option("--base-url", help="Override base_url, as for sitegen build.")
@click.option("--drafts", is_flag=True, help="Build and check drafts too.")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
@quiet_option
def check_command(directory: Path, no_build: bool, output_format: str, output: Path | None,
                  base_url: str | None, drafts: bool, debug: bool) -> None:
    """Build the site in DIRECTORY and audit it: links, anchors, assets, alt text,
    counters and trackers, consent, feeds, sitemap. Exit status 1 on any error."""
    root = directory.resolve()
    if output is not None:
        output = output.absolute()  # not resolved: a link named as the output is refused, not followed

    from .check import check_output

    def run() -> CheckReport:
        if not no_build:
            build(root, BuildOptions(drafts=drafts, output=output, base_url=base_url))
        config = load_config(root, base_url=base_url, output=output)
        return check_output(config, load_theme(config))

    if output_format == "json":
        try:
            report = run()
        except SitegenError as exc:
            if debug:
                raise
            click.echo(json.dumps({"ok": False, "build_failed": True, "problems": [
                {"severity": p.severity, "message": p.message, "path": p.path, "line": p.line, "hint": p.hint}
                for p in exc.problems]}, ensure_ascii=False, indent=1))
            sys.exit(1)
        click.echo(report.to_json())
    else:
        report = run_or_exit(debug, run)
        _print_check(report)
    sys.exit(1 if report.errors else 0)


def _shown_path(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix() or "."
    except ValueError:
        return str(path)


@main.command("init")
@click.argument("directory", default=".", type=click.Path(path_type=Path))
@click.option("--title", help="The hub's name (default: from the folder's name).")
@click.option("--base-url", help="Where the site will live, e.g. https://user.github.io/repo/.")
@click.option("--force", is_flag=True, help="Replace sample files that already exist.")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
@quiet_option
def init_command(directory: Path, title: str | None, base_url: str | None, force: bool, debug: bool) -> None:
    """Start a new hub in DIRECTORY (default: here): settings, sample content and a
    GitHub Pages workflow. Existing files are never overwritten without --force."""
    from .scaffold import init_hub

    result = run_or_exit(debug, lambda: init_hub(directory, title=title, base_url=base_url, force=force),
                         failure="Nothing was written.")
    for rel in result.created:
        say(f"  created   {rel}")
    for rel in result.replaced:
        say(f"  replaced  {rel}")
    for rel in result.extended:
        say(f"  extended  {rel} (added the output and cache folders)")
    for rel in result.kept:
        say(f"  kept      {rel} (yours; sitegen's version is not written)")
    if result.pin is not None:
        say(f"Pinned {result.pin.line} in requirements.txt: {result.pin.why}.")
    where = _shown_path(directory)
    steps = [] if where == "." else [f"cd {where}"]
    steps += ["sitegen serve --drafts        (a live preview while you edit)",
              'sitegen new interview "Its title" --person "Their name"',
              "sitegen build                 (the site, into _site/)"]
    say(f"\nA new hub is ready in {where}/. Next:\n" + "".join(f"  {s}\n" for s in steps)
        + "To publish it on GitHub Pages, see README.md in the hub.")


@main.command("pin")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
@quiet_option
def pin_command(directory: Path, debug: bool) -> None:
    """Make the hub in DIRECTORY (default: here) publish with this sitegen: rewrite the
    line of requirements.txt that installs sitegen (nothing else of the file), and,
    when this sitegen came from neither the package index nor a public git URL, ship
    its wheel in .sitegen/wheels/. Run it after upgrading sitegen, then commit."""
    from .pin import REQUIREMENTS, refresh

    done = run_or_exit(debug, lambda: refresh(directory.resolve()), failure="The pin was not changed.")
    for rel in done.removed:
        say(f"  removed   {rel} (the wheel of the sitegen pinned before)")
    if done.changed:
        say(f"{REQUIREMENTS}: now installs {done.pin.line} ({done.pin.why}); it installed "
            f"{done.before or 'no sitegen'} before. Commit {REQUIREMENTS}"
            + (" and .sitegen/" if done.pin.wheel or done.removed else "") + " to publish with it.")
    else:
        say(f"{REQUIREMENTS}: already installs {done.pin.line} ({done.pin.why})"
            + ("; its wheel was written again" if done.pin.wheel else "") + ".")


@main.command("due", epilog="""\b
Exit statuses:
  0  something fell due since the last deploy (or nothing is
     deployed yet): publish
  1  nothing fell due: there is nothing to publish
  2  it could not answer (a mistake in the settings, a wrong
     option): the message says why

\b
SITEGEN_NOW=2026-10-02T09:05 sets "now" (ISO 8601; without an
offset, in the site's time zone). It is meant for tests.""")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--base-url", help="The live site's address (the Pages workflow passes the one configure-pages gives).")
@click.option("--deployed", metavar="URL|FILE",
              help="The deployed sitemap to compare with (default: sitemap.xml under the base URL).")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
@quiet_option
def due_command(directory: Path, base_url: str | None, deployed: str | None, debug: bool) -> None:
    """Has any entry of the hub in DIRECTORY (default: here) fallen due since the last
    deploy? An entry is due when its date has come (in the site's time zone), it is
    not a draft, and the live site's sitemap does not list it yet. The scheduled Pages
    workflow publishes only then."""
    from .due import what_is_due

    try:
        report = what_is_due(directory.resolve(), base_url=base_url, deployed=deployed)
    except SitegenError as exc:
        if debug:
            raise
        _echo_problems(exc.problems)
        click.secho("sitegen due could not answer.", fg="red", err=True)
        sys.exit(2)
    zone = report.now.tzinfo if report.now is not None else None

    def shown(moment: object) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if hasattr(moment, "astimezone") else "?"

    for entry in report.due:
        say(f"due: {entry.source} ({shown(entry.date)}) is not on the live site yet")
    upcoming = f" The next entry falls due at {shown(report.next_due)}." if report.next_due else ""
    if report.nothing_deployed:
        say(f"Publish: there is no deployed sitemap to compare with: {report.nothing_deployed}.{upcoming}")
    elif report.due:
        n = len(report.due)
        say(f"Publish: {n} entr{'ies' if n != 1 else 'y'} fell due since the last deploy.{upcoming}")
    else:
        say(f"Nothing fell due since the last deploy ({report.deployed}).{upcoming}")
    sys.exit(0 if report.anything_due else 1)


@main.command("new")
@click.argument("kind", type=click.Choice(["interview", "story", "page"]))
@click.argument("title")
@click.option("--person", help="Who the interview (or story) is with.")
@click.option("--lang", help="The page's language, if not the site's (e.g. es).")
@click.option("--date", "when", help="The date, e.g. 2026-10-02 or '2026-10-02 18:30' (default: now).")
@click.option("--slug", help="The file name (default: made from the title).")
@click.option("-s", "--site", "site", default=".", type=click.Path(file_okay=False, path_type=Path),
              help="The hub's folder (default: here).")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
@quiet_option
def new_command(kind: str, title: str, person: str | None, lang: str | None, when: str | None,
                slug: str | None, site: Path, debug: bool) -> None:
    """Write a new draft KIND (interview, story or page) called TITLE, and print its path."""
    from .scaffold import new_content

    path = run_or_exit(debug, lambda: new_content(site.resolve(), kind, title, person=person, lang=lang,  # type: ignore[arg-type]
                                                   when=when, slug=slug), failure="Nothing was written.")
    click.echo(_shown_path(path))  # the answer, kept with --quiet: $EDITOR "$(sitegen new -q ...)"
    say("It is a draft: preview it with 'sitegen serve --drafts'; remove 'draft: true' to publish it.", err=True)


@main.command("serve")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="The port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Anything but 127.0.0.1/localhost shows the preview to your network.")
@click.option("--drafts", is_flag=True, help="Include pages marked draft: true.")
@click.option("--future", is_flag=True, help="Include entries dated in the future.")
@click.option("--open", "open_browser", is_flag=True, help="Open the site in your web browser.")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
@quiet_option
def serve_command(directory: Path, port: int, host: str, drafts: bool, future: bool, open_browser: bool,
                  debug: bool) -> None:
    """Build the site in DIRECTORY (default: here), serve it on 127.0.0.1, rebuild it
    when a file changes and reload the open browser tabs. Ctrl-C stops it."""
    from .serve import PreviewServer, ServeOptions, is_local

    root = directory.resolve()

    def reported(outcome: Rebuilt) -> None:
        if outcome.changed:
            more = len(outcome.changed) - 5
            shown = ", ".join(outcome.changed[:5]) + (f" and {more} more" if more > 0 else "")
            say(f"Changed: {shown}", err=True)
        if outcome.report is not None:
            report_build(outcome.report, root)
            return
        _echo_problems(outcome.problems)
        if outcome.crash:
            click.secho(outcome.crash, fg="red", err=True)
        count = len(outcome.problems) + (1 if outcome.crash else 0)
        click.secho(f"Build failed: {count} problem{'s' if count != 1 else ''}, shown in the browser too. "
                    "Still serving: save a fix and the page comes back.", fg="red", err=True)

    def notice(text: str) -> None:
        say(f"Note: {text}", fg="yellow", err=True)

    server = PreviewServer(root, ServeOptions(host=host, port=port, drafts=drafts, future=future), reported, notice)
    if not is_local(host):
        say(f"Warning: serving on {host}, so other machines on your network can see this preview "
                    "(drafts included, if you asked for them). Use --host 127.0.0.1 to keep it to yourself.",
                    fg="yellow", err=True)

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # A terminated server stops as cleanly as one given Ctrl-C.
    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        try:
            url = run_or_exit(debug, server.start, failure="Not serving.")
        except KeyboardInterrupt:  # Ctrl-C during the first build
            server.stop()
            say("Stopped.")
            return
        click.echo(f"Serving {url} (Ctrl-C to stop)")  # the answer, kept with --quiet (a port of 0: any)
        if open_browser:
            click.launch(url)
        server.run()
        say("Stopped.")
    finally:
        signal.signal(signal.SIGTERM, previous)


def program() -> NoReturn:
    """The ``sitegen`` command: :func:`main`, then leave at once.

    A build holds tens of thousands of objects, which the interpreter would free one
    by one on its way out (about 0.3 s after a one-page edit of a 10,000-page site).
    Every file was written and closed by then; the output streams are flushed here.
    """
    try:
        main()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1  # a closed or broken pipe: the output did not all arrive
    os._exit(code)
