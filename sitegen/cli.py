"""The command line: ``sitegen build`` and friends.

The only module that prints or exits. A :class:`~sitegen.errors.SitegenError` becomes
its messages on stderr and exit status 1; any other exception is a bug in sitegen and
keeps its traceback. ``--debug`` shows a traceback for our errors too.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, TypeVar

import click

from . import __version__
from .build import BuildOptions, BuildReport, build
from .errors import Problem, SitegenError, format_problems

T = TypeVar("T")
PROGRESS_THRESHOLD = 300


def _echo_problems(problems: tuple[Problem, ...] | list[Problem]) -> None:
    if problems:
        click.secho(format_problems(problems), fg="yellow" if problems[0].severity == "warning" else "red", err=True)


def run_or_exit(debug: bool, action: Callable[[], T]) -> T:
    """Run ``action``; turn a SitegenError into messages and exit status 1."""
    try:
        return action()
    except SitegenError as exc:
        if debug:
            raise
        problems = exc.problems
        _echo_problems(problems)
        errors = sum(1 for p in problems if p.severity == "error")
        click.secho(f"Build failed: {errors} problem{'s' if errors != 1 else ''}. "
                    "The previous output was left as it was.", fg="red", err=True)
        sys.exit(1)


def report_build(report: BuildReport, root: Path) -> None:
    """Print a build's warnings, what it left out, and its one-line summary."""
    _echo_problems(list(report.warnings))
    for page in report.left_out_future:
        when = page.date.strftime("%Y-%m-%d %H:%M %Z") if page.date else "?"
        click.echo(f"{page.source}: left out until {when} (dated in the future; --future includes it)", err=True)
    if report.left_out_drafts:
        n = report.left_out_drafts
        click.echo(f"{n} draft{'s' if n != 1 else ''} left out (--drafts includes them)", err=True)
    try:
        shown = report.output.relative_to(Path.cwd())
    except ValueError:
        shown = report.output
    click.echo(f"Built {report.pages} pages ({report.files} files) into {shown}/ in {report.seconds:.2f} s")


@click.group()
@click.version_option(__version__, prog_name="sitegen")
def main() -> None:
    """sitegen: a static site for your true fans, from Markdown interviews and stories."""


@main.command("build")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--drafts", is_flag=True, help="Include pages marked draft: true.")
@click.option("--future", is_flag=True, help="Include entries dated in the future.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: _site, or 'output' in sitegen.yaml).")
@click.option("--base-url", help="Override base_url for this build, e.g. https://user.github.io/repo/.")
@click.option("--debug", is_flag=True, help="Show a traceback for errors.")
def build_command(directory: Path, drafts: bool, future: bool, output: Path | None,
                  base_url: str | None, debug: bool) -> None:
    """Build the site in DIRECTORY (default: here) into _site/."""
    root = directory.resolve()
    if output is not None:
        output = output.resolve()
    options = BuildOptions(drafts=drafts, future=future, output=output, base_url=base_url)

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
    report_build(report, root)
