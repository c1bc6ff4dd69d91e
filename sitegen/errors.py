"""Errors and problems: values with a location and a way out.

Every stage reports what went wrong as a :class:`Problem` (file, line, message, hint).
A stage that cannot go on raises :class:`SitegenError`; a stage that collects several
problems raises :class:`BuildError` with all of them. Only ``cli.py`` prints them.
"""

from __future__ import annotations

import re
import difflib
from dataclasses import dataclass
from typing import Any, Literal
from collections.abc import Iterable

Severity = Literal["error", "warning"]

#: The most problems a build shows at once; the rest are summarised in one line.
MAX_SHOWN = 50
# Control characters from a user's file would break the one-line message, or drive
# the terminal (escape sequences): they are shown as escapes instead.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth a warning), with where it is and how to fix it."""

    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    severity: Severity = "error"

    @property
    def location(self) -> str:
        """``path:line:column`` as far as known, or an empty string."""
        if not self.path:
            return ""
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self) -> str:
        """The problem as the lines a user reads: ``path:line: message`` and a hint."""
        prefix = "warning: " if self.severity == "warning" else ""
        message = _visible(self.message)
        head = f"{_visible(self.location)}: {prefix}{message}" if self.location else f"{prefix}{message}"
        if self.hint:
            return f"{head}\n  hint: {_visible(self.hint)}"
        return head

    def sort_key(self) -> tuple[str, int, int]:
        """Sort by file, then line, then column; problems without a file come first."""
        return (self.path or "", self.line or 0, self.column or 0)


class SitegenError(Exception):
    """A user's mistake (or an environment problem) that stops a command.

    It carries a location and a hint so the message can name the file and say how to
    fix it. ``cli.py`` turns it into a message and exit status 1, never a traceback.
    """

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        hint: str | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.problem = Problem(message, path=path, line=line, column=column, hint=hint)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """The problems this error stands for (one, for a plain error)."""
        return (self.problem,)

    def __str__(self) -> str:
        return self.problem.format()


class BuildError(SitegenError):
    """Several problems found in one run, reported together."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        ordered = tuple(sorted(problems, key=Problem.sort_key))
        if not ordered:
            raise ValueError("BuildError needs at least one problem")
        super().__init__(ordered[0].message)
        self._problems = ordered

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self._problems

    def __str__(self) -> str:
        return format_problems(self._problems)


def format_problems(problems: Iterable[Problem], limit: int = MAX_SHOWN) -> str:
    """All problems as text, sorted by file, at most ``limit`` of them."""
    ordered = sorted(problems, key=Problem.sort_key)
    shown = [p.format() for p in ordered[:limit]]
    if len(ordered) > limit:
        shown.append(f"... and {len(ordered) - limit} more problems")
    return "\n".join(shown)


def not_utf8(raw: bytes, exc: UnicodeDecodeError, path: str, what: str = "file") -> SitegenError:
    """The error for the file at ``path`` (shown as given) whose bytes ``raw`` failed to
    decode as UTF-8 with ``exc``: the line and the first bad byte."""
    return SitegenError(f"this {what} is not UTF-8 text (byte {exc.start} is 0x{raw[exc.start]:02x})",
                        path=path, line=raw.count(b"\n", 0, exc.start) + 1,
                        hint="re-save the file as UTF-8 in your editor (Save with Encoding: UTF-8)")


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """``" (did you mean 'title'?)"`` for a close match of ``key`` among ``known``, else ``""``."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def shown(value: Any) -> str:
    """A value as a settings message shows it: ``a mapping``, ``a list`` or its repr."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
