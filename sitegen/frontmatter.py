"""Front matter: split the ``---`` block from a Markdown file and load its YAML.

YAML is read with the C loader when PyYAML has it. Timestamps are *not* resolved by
YAML: ``date: 2026-13-02`` stays a string so ``parse.py`` can report it with the
file, line and a hint instead of a bare ``ValueError``. Every mapping key's line is
recorded (``person.consent`` -> 5), and every list item's (``tiers[0].name``), so
later stages can point at the right line.

Hostile YAML is refused with a message instead of crashing or hanging the build:
nesting deeper than :data:`MAX_DEPTH` (which would overflow the C parser's stack),
values that contain themselves through an alias, and aliases that expand to more
than :data:`MAX_VALUES` values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from .errors import SitegenError

if TYPE_CHECKING:  # the C loader where libyaml is there; they share their interface
    _BaseLoader = yaml.SafeLoader
else:
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """The safe loader without implicit timestamps (dates are validated by sitegen)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_FENCE = "---"

#: The deepest nesting of lists and mappings accepted in YAML. Far more than any
#: settings need, and far below what would exhaust the C parser's stack.
MAX_DEPTH = 100
#: The most values a YAML document may hold once its aliases (``*name``) are followed.
MAX_VALUES = 100_000
_OPENERS = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken,
            yaml.BlockSequenceStartToken, yaml.BlockMappingStartToken)
_CLOSERS = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """A Markdown file split in two: its metadata and its body."""

    meta: dict[str, Any]
    lines: dict[str, int]  # dotted key -> 1-based line in the file
    body: str
    body_line: int  # the file line where the body starts (1-based)


def load_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, dict[str, int]]:
    """Load YAML ``text`` that starts at file line ``first_line``.

    Returns the data and the line of every mapping key (dotted for nested keys).
    Raises :class:`SitegenError` naming ``path`` and the line of a syntax error.
    """
    _check_depth(text, path, first_line)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark is not None else first_line
        column = mark.column + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise SitegenError(
            f"invalid YAML: {problem}", path=path, line=line, column=column, hint=_yaml_hint(text, exc)
        ) from None
    except yaml.YAMLError as exc:  # a reader error: a character YAML refuses
        raise SitegenError(f"invalid YAML: {exc}", path=path, line=first_line,
                           hint="remove control characters from the front matter") from None
    finally:
        loader.dispose()
    if "*" in text or len(text) >= MAX_VALUES // 4:
        # Only an alias can make a value contain itself or stand for many; without one,
        # a text this short holds far fewer than MAX_VALUES values.
        _check_shape(data, path, first_line)
    lines: dict[str, int] = {}
    if node is not None:
        _record_lines(node, "", first_line, lines, path)
    return data, lines


def _check_depth(text: str, path: str, first_line: int) -> None:
    """Refuse YAML nested deeper than :data:`MAX_DEPTH` before the parser sees it.

    The C parser recurses once per level, so a few thousand ``[`` would crash the
    interpreter itself. Only text with enough structure to be that deep is scanned,
    and the scan stops at the first level too many.

    The C scanner reads ahead and, in recent libyaml, refuses deep nesting itself with
    its own error; the text is then counted again with PyYAML's Python scanner, which
    has no such limit, so the answer is sitegen's whatever PyYAML raised.
    """
    if sum(text.count(ch) for ch in "[{-:?") <= MAX_DEPTH:
        return
    try:
        _scan_depth(_Loader(text), path, first_line)
    except yaml.YAMLError:
        try:
            _scan_depth(yaml.SafeLoader(text), path, first_line)
        except yaml.YAMLError:
            return  # a syntax error: the real parse reports it with its line


def _scan_depth(scanner: Any, path: str, first_line: int) -> None:
    """Count the nesting of ``scanner``'s tokens; raise at the first level too many."""
    depth = 0
    try:
        while True:
            token = scanner.get_token()
            if token is None or isinstance(token, yaml.StreamEndToken):
                return
            if isinstance(token, _OPENERS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise SitegenError(
                        f"the YAML is nested more than {MAX_DEPTH} levels deep",
                        path=path, line=token.start_mark.line + first_line,
                        hint="settings need only a few levels of lists and mappings; "
                             "check the brackets and indentation",
                    )
            elif isinstance(token, _CLOSERS):
                depth -= 1
    finally:
        scanner.dispose()


def _check_shape(data: Any, path: str, first_line: int) -> None:
    """Refuse data that refers to itself or explodes through aliases (``*name``).

    Later stages and templates walk front-matter values; a value that contains itself
    would never end, and a few aliases can stand for billions of values.
    """
    seen = 0
    stack: list[tuple[Any, frozenset[int]]] = [(data, frozenset())]
    while stack:
        value, ancestors = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise SitegenError(f"the YAML holds more than {MAX_VALUES} values once its aliases are expanded",
                               path=path, line=first_line,
                               hint="write the values out instead of repeating them with &anchors and *aliases")
        if isinstance(value, (list, dict)):
            if id(value) in ancestors:
                raise SitegenError("the YAML contains itself through an alias (*name)",
                                   path=path, line=first_line,
                                   hint="an &anchor cannot be used inside its own value; write the value out")
            inner = ancestors | {id(value)}
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((child, inner) for child in children)


def _record_lines(node: yaml.Node, prefix: str, first_line: int, lines: dict[str, int], path: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + first_line
                if key_node.value in seen and key_node.value != "<<":
                    # YAML keeps the last value without a word: the writer edits one and sees the other.
                    raise SitegenError(
                        f"'{prefix}{key_node.value}' is set twice (lines {seen[key_node.value]} and {line}): "
                        "only the last one would count",
                        path=path, line=line, hint="remove one of the two lines, or merge them into one")
                seen[key_node.value] = line
                key = f"{prefix}{key_node.value}"
                lines.setdefault(key, line)
                _record_lines(value_node, key + ".", first_line, lines, path)
    elif isinstance(node, yaml.SequenceNode) and prefix:  # list items: tiers[0], tiers[0].name
        for index, item in enumerate(node.value):
            key = f"{prefix[:-1]}[{index}]"
            lines.setdefault(key, item.start_mark.line + first_line)
            _record_lines(item, key + ".", first_line, lines, path)


def _yaml_hint(text: str, exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or "").lower()
    mark = exc.problem_mark
    line = text.split("\n")[mark.line] if mark is not None and mark.line < text.count("\n") + 1 else ""
    if "tab" in problem or "\t" in line:
        return "indent YAML with spaces, not tabs"
    if "mapping values are not allowed" in problem:
        return 'a value that contains ": " must be in quotes, e.g. title: "Bread: a co-op"'
    if "found character '@'" in problem or "found character '`'" in problem:
        return "a value that starts with @ or ` must be in quotes"
    if "expected <block end>" in problem or "did not find expected" in problem:
        return "check the indentation and the quotes on this line and the one above"
    return "check this line's syntax: 'key: value', spaces for indentation, quotes around values with ':' or '#'"


def split_front_matter(text: str, path: str) -> FrontMatter:
    """Split ``text`` (BOM and CRLF already removed) into front matter and body.

    A file without a leading ``---`` line has no front matter. A ``---`` block that is
    never closed is an error at line 1.
    """
    if not (text.startswith(_FENCE + "\n") or text == _FENCE or text.startswith(_FENCE + " ")):
        return FrontMatter(meta={}, lines={}, body=text, body_line=1)
    # Only the lines up to the closing fence are looked at: the body is taken whole.
    start = text.find("\n") + 1  # where line 2 starts (0: there is no line 2)
    if text[:start or len(text)].strip() != _FENCE:
        return FrontMatter(meta={}, lines={}, body=text, body_line=1)
    end = None  # the closing fence's line number, counted from 0 like the lines of text
    line_start, number = start, 1
    while line_start:
        line_end = text.find("\n", line_start)
        line = text[line_start:] if line_end == -1 else text[line_start:line_end]
        if line.rstrip() in (_FENCE, "..."):
            end = number
            break
        line_start, number = line_end + 1, number + 1
    if end is None:
        raise SitegenError(
            "the front matter opened by '---' on line 1 is never closed",
            path=path,
            line=1,
            hint="add a line with just '---' after the last front-matter setting",
        )
    yaml_text = text[start:line_start - 1] if end > 1 else ""
    data, key_lines = load_yaml(yaml_text, path, first_line=2)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SitegenError(
            f"the front matter must be a set of 'key: value' settings, not {_describe(data)}",
            path=path,
            line=2,
            hint="write one setting per line, e.g. 'title: My interview'",
        )
    body = text[line_end + 1:] if line_end != -1 else ""
    return FrontMatter(meta=data, lines=key_lines, body=body, body_line=end + 2)


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a line of text"
    return f"a {type(value).__name__}"
