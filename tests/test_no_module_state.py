"""No module of sitegen keeps mutable state at module level.

State kept in a module outlives the build that made it: it carries one build's facts
into the next (a stale page), and into the worker processes forked from it. What a
long-running ``sitegen serve`` keeps warm belongs in one object it hands to ``build``.

Two checks per module: the values its top level binds are immutable (constants made
immutable: tuples, frozensets, MappingProxyType, compiled patterns, functions, classes,
loggers, frozen dataclasses); and no function rebinds a module's global (``global x``,
or ``othermodule.x = ...``).
"""

from __future__ import annotations

import __future__
import ast
import dataclasses
import datetime
import decimal
import enum
import functools
import importlib
import logging
import operator
import pkgutil
import re
import types
from pathlib import Path, PurePath
from typing import Any

import click
import pytest

import sitegen

PACKAGE = Path(sitegen.__file__).parent
MODULES = sorted(m.name for m in pkgutil.iter_modules([str(PACKAGE)]) if m.name != "__main__")

#: Memoized functions (functools.lru_cache) whose results depend on nothing but their
#: arguments, which are small values, not the contents of a site's files: they cannot
#: make a later build differ from a clean one. A new one must be added here, with why.
PURE_MEMOS: dict[str, str] = {
    "urllib.parse.urlsplit": "the standard library's own memo of URL parsing",
    "sitegen.slugs.slugify": "a slug is a function of its text",
    "sitegen.parse._is_word": "whether one character is a word character",
    "sitegen.people.question_key": "a function of a question's text",
    "sitegen.l10n.locale_for": "Babel's locale for a language code",
    "sitegen.l10n.format_date": "a function of a date, a language and a pattern",
    "sitegen.l10n.language_name": "a function of a language code",
    "sitegen.l10n.text_direction": "a function of a language code",
    "sitegen.write._renameat2": "the C library's function, looked up once",
    "sitegen.urls._percent_table": "the translation table of a set of safe characters",
    "sitegen.urls._percent_word": "a word's percent-encoding is a function of the word",
    "sitegen.cache._key_at": "the user's cache key, from outside every site (docs/cache.md)",
}

#: Modules that still keep state, and why; each is expected to fail (strictly: once it is
#: fixed, its entry must go).
KNOWN_STATE: dict[str, str] = {
}

_IMMUTABLE = (str, bytes, int, float, complex, bool, type(None), range, type(Ellipsis), re.Pattern,
              datetime.date, datetime.time, datetime.timedelta, datetime.tzinfo, decimal.Decimal,
              PurePath, enum.Enum, types.CodeType, logging.Logger, logging.LoggerAdapter,
              operator.attrgetter, operator.itemgetter, operator.methodcaller,
              types.GenericAlias, types.UnionType, __future__._Feature)
_CODE = (types.FunctionType, types.BuiltinFunctionType, types.MethodWrapperType,
         types.WrapperDescriptorType, types.MethodDescriptorType, types.MemberDescriptorType,
         types.GetSetDescriptorType, types.ClassMethodDescriptorType, types.ModuleType, type)


def mutable(value: Any, depth: int = 0) -> str | None:
    """Why ``value`` is mutable state, or None when it cannot change."""
    if depth > 6:
        return None
    if isinstance(value, functools._lru_cache_wrapper):
        wrapped = value.__wrapped__
        name = f"{wrapped.__module__}.{wrapped.__qualname__}"
        return None if name in PURE_MEMOS else f"a memo ({name}; add it to PURE_MEMOS if it is pure)"
    if isinstance(value, _IMMUTABLE + _CODE) or type(value).__module__ == "typing":
        return None
    if isinstance(value, (tuple, frozenset)):
        return next((why for item in value if (why := mutable(item, depth + 1))), None)
    if isinstance(value, types.MappingProxyType):
        return next((why for item in value.items() if (why := mutable(item, depth + 1))), None)
    if isinstance(value, functools.partial):
        return mutable((value.func, value.args, tuple(value.keywords.items())), depth + 1)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not type(value).__dataclass_params__.frozen:  # type: ignore[attr-defined]
            return f"an instance of {type(value).__name__}, a dataclass that is not frozen"
        return mutable(tuple(getattr(value, f.name) for f in dataclasses.fields(value)), depth + 1)
    if isinstance(value, click.Command):
        return None  # the command line's definition (cli.py), made once by click's decorators
    return f"a {type(value).__name__}"


def top_level_names(tree: ast.Module) -> list[str]:
    """The names a module's own top level binds (imports are checked where they come from)."""
    names = []
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        for target in targets:
            names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return names


def state_of(name: str) -> list[str]:
    """What module ``sitegen.<name>`` keeps that could change, one line each."""
    module = importlib.import_module(f"sitegen.{name}")
    tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    found = []
    for attr in dict.fromkeys(top_level_names(tree)):
        if attr.startswith("__") and attr.endswith("__"):
            continue
        why = mutable(getattr(module, attr))
        if why:
            found.append(f"{name}.{attr}: {why}")
    found += rebound_globals(name, tree)
    return found


def rebound_globals(name: str, tree: ast.Module) -> list[str]:
    """Functions that rebind a module's global: ``global x``, or ``cache.x = ...`` for a
    module of sitegen imported as ``cache``."""
    modules = {alias.asname or alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and node.level == 1 and not node.module for alias in node.names}
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Global):
                found += [f"{name}.{function.name}() rebinds the global {g}" for g in node.names]
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                            and target.value.id in modules:
                        found.append(f"{name}.{function.name}() sets {target.value.id}.{target.attr}")
    return found


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_STATE[name], strict=True))
    if name in KNOWN_STATE else name for name in MODULES])
def test_no_module_level_mutable_state(name: str) -> None:
    assert state_of(name) == []


def test_the_check_finds_state() -> None:
    """The check itself: each kind of state it is meant to find, it finds."""
    assert mutable({}) and mutable([]) and mutable(set()) and mutable(bytearray())
    assert mutable((1, [2])) and mutable(types.MappingProxyType({"a": {}}))

    @dataclasses.dataclass
    class Loose:
        x: int = 0

    @dataclasses.dataclass(frozen=True)
    class Frozen:
        x: tuple[int, ...] = ()

    class Plain:
        pass

    assert mutable(Loose()) and mutable(Plain()) and not mutable(Frozen())
    assert mutable(functools.lru_cache(lambda text: text))
    assert not mutable((1, "a", frozenset({b"x"}), re.compile("a"), types.MappingProxyType({"a": (1,)})))
    tree = ast.parse("from . import cache\nx = {}\ndef f():\n    global x\n    cache.y = 1\n")
    assert top_level_names(tree) == ["x", "f"]
    assert rebound_globals("m", tree) == ["m.f() rebinds the global x", "m.f() sets cache.y"]


def test_every_module_is_checked() -> None:
    assert {"build", "cache", "compiled", "render", "serve"} <= set(MODULES)
    assert set(KNOWN_STATE) <= set(MODULES)
