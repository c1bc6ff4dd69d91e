"""What a render job shows: the pages (their metadata, their bodies), the static files and
the files looked for that its output depends on, declared before it renders.

A job hands its templates values (the page, the entries of a list, the edition as
``site``); :func:`template_shows` reads a template and every template it extends,
includes or imports, and lists what it reads of those values as *paths*: ``page.title``,
``site.related.get(page.url)``, ``entries`` with ``title`` read on each. :func:`declare`
follows the paths through the job's actual values to the pages they reach: those pages'
metadata (or bodies) are what the job shows. The skeleton (``deps.skeleton``) covers
the rest: where each page is published, what each list holds, in which order.

The reading is conservative, so a hub's own templates are as safe as the theme's: what it
cannot follow (a template named at run time, a value passed where it cannot see, a page
printed or compared whole) counts as everything it can reach, and a template it cannot
follow at all shows every page of the site. The tests hold a read tracer as the oracle:
what a job read is within what it declared.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

import jinja2
from jinja2 import nodes

from .cache import CacheError
from .deps import BODY_FIELDS, PLACE_FIELDS, Reads
from . import model
from .model import Page, Site

#: A path from a value handed to a template: its root, then steps. A root is a name
#: (``"page"``), a constant (``("=", value)``), a sum (``("+", (left, right))``) or a
#: helper's result (``("@", name, args)``);
#: a step reads an attribute (``(".", name)``), calls a method (``("()", name, args)``),
#: looks up an item (``("[]", key)``), slices (``("[:]", bounds)``), applies a filter
#: (``("|", name, args, keyword args)``) or takes each item (``("*", None)``: a loop's
#: variable) or a part of each (``("*", i)``: the ``b`` of ``for a, b in pairs``).
#: Arguments and keys are sets of paths.
Path = tuple[Any, ...]
Value = frozenset[Path]

_PLACE = frozenset(PLACE_FIELDS) | {"is_entry"}  # is_entry reads the kind
_BODY = frozenset(BODY_FIELDS) | {"reading_minutes"}
_PAGE_ATTRS = frozenset(f.name for f in fields(Page)) | {"is_entry", "questions", "reading_minutes"}
#: Methods a path may call to follow a template's reads (none changes anything).
_METHODS = frozenset({"get", "items", "values", "keys", "page", "profile", "edition", "versions", "editions"})
#: Filters that hand on (some of) their input without reading its items' fields; those
#: naming an attribute read it.
_PASSING = frozenset({"first", "last", "list", "sort", "reverse", "unique", "batch", "slice", "select", "reject",
                      "selectattr", "rejectattr", "map", "groupby", "sum", "min", "max", "attr", "dictsort",
                      "items", "default", "d"})
_COUNTING = frozenset({"length", "count"})
_HOLDERS = ("Page", "Site", "Tag", "Profile", "QuestionGroup", "Answer")


def _holding_pages() -> frozenset[str]:
    """The attributes of sitegen's values that may hold pages (``site.entries``,
    ``tag.entries``, ``answer.interview``...): a value reached by any other attribute
    holds none."""
    names = {"editions", "entries", "group"}  # properties, and an answer part's group
    for cls in vars(model).values():
        if isinstance(cls, type) and cls.__module__ == model.__name__:
            hints = getattr(cls, "__annotations__", {})
            names.update(name for name, hint in hints.items() if any(h in str(hint) for h in _HOLDERS))
    return frozenset(names)


_HOLDS_PAGES = _holding_pages()
#: Properties of sitegen's values (not pages) that read the pages they hold: reading
#: ``profile.entries`` sorts them by date and title, even to count them.
_READING = frozenset(name for cls in vars(model).values()
                     if isinstance(cls, type) and cls.__module__ == model.__name__ and cls is not Page
                     for name, member in vars(cls).items() if isinstance(member, property) and name in _HOLDS_PAGES)
_CONSTANTS = (str, int, float, bool, type(None))
_COMBINATIONS = 10_000  # calls a path may stand for before the reading gives up
_LONGEST = 12  # steps a path may have before the reading gives up (a template walking a chain)


@dataclass(frozen=True, slots=True)
class Shows:
    """What a template (with all it extends, includes and imports) reads of its values:
    the attributes read at each path (on the value there, or on its items), the paths used
    whole (printed, compared, handed to a function that is not a known helper), the
    static files it links (None: it names one at run time) and whether it could not be
    followed at all (it then shows everything)."""

    reads: Mapping[Path, frozenset[str]]
    whole: frozenset[Path]
    calls: frozenset[Path]  # helper results, each a root: ("@", name, args)
    assets: frozenset[str] | None
    everything: bool = False


EVERYTHING = Shows(MappingProxyType({}), frozenset(), frozenset(), None, True)


@dataclass(frozen=True, slots=True)
class ShowPlan:
    """The paths of a :class:`Shows` that can reach a page, worked out once per template
    (see :func:`plan`): the calls of helpers that declare what they show, the paths whose
    pages' metadata or body is read (and the properties read that read pages), and the
    paths used whole."""

    calls: tuple[tuple[str, tuple[Value, ...]], ...]
    reads: tuple[tuple[Path, bool, bool, frozenset[str]], ...]
    whole: tuple[Path, ...]
    assets: frozenset[str] | None  # the static files it links (None: any of them)
    everything: bool = False


def plan(shows: Shows, helpers: Iterable[str], plain: frozenset[str]) -> ShowPlan:
    """What of ``shows`` a job must follow through its values: ``helpers`` declare what
    they show; ``plain`` names the helpers whose results, and the values handed to
    templates that, hold no page (text, links, the settings)."""
    if shows.everything:
        return ShowPlan((), (), (), None, True)
    declaring = frozenset(helpers)

    def holds_none(path: Path) -> bool:  # a field of a page (read already), a constant, a plain result
        root = path[0]
        if root == UNKNOWN[0]:
            return False  # (not one of sitegen's values: any attribute may hold a page)
        if root == OPAQUE[0] or root in plain:
            return True
        if not isinstance(root, str) and (root[0] == "=" or (root[0] == "@" and root[1] in plain)):
            return True
        end = len(path)  # the items, parts and slices of a value that holds no page hold none
        while end > 1 and path[end - 1][0] in ("*", "[]", "[:]"):
            end -= 1
        last = path[end - 1]
        return end > 1 and last[0] == "." and last[1] not in _HOLDS_PAGES \
            and not any(step[0] == "|" for step in path[1:end])  # (a filter's result is not sitegen's)

    calls = []
    whole = {path for path in shows.whole if not holds_none(path)}
    for path in shows.calls:
        name, args = path[0][1], path[0][2]
        if name in declaring:
            calls.append((name, args))
        else:  # a helper that declares nothing may read all it is handed
            whole.update(p for arg in args for p in arg if not holds_none(p))
    reads = tuple((path, not attrs <= _PLACE | _BODY, not attrs.isdisjoint(_BODY), attrs & _READING)
                  for path, attrs in shows.reads.items()
                  if not (attrs <= _PLACE and attrs.isdisjoint(_READING)) and not holds_none(path)
                  and not (attrs.isdisjoint(_PAGE_ATTRS) and attrs.isdisjoint(_READING)))
    return ShowPlan(tuple(calls), reads, tuple(whole), shows.assets)


class _CannotFollow(Exception):
    """The template does something the reading does not follow."""


#: The root of values the reading cannot know (a call block's arguments): any page read
#: through it could be any page.
UNKNOWN: Path = ("?",)
#: A value that holds no page but that the reading does not follow: a string or number
#: made as the page renders, a list written in the template (its items are shown
#: whole). Handed to a method or a helper, it makes the result unknown.
OPAQUE: Path = ("#",)
_OPAQUE = frozenset({OPAQUE})
_BUDGET = 200_000  # statements and expressions read before giving up (a template nested too deep)


class _Reader:
    """Reads a template as it renders: extended templates with their blocks, included
    ones where they are included (seeing the names set around them), macros where they
    are called (with their arguments bound)."""

    def __init__(self, env: jinja2.Environment, context_names: frozenset[str], helpers: frozenset[str],
                 trees: dict[str, nodes.Template]) -> None:
        self.env = env
        self.context = context_names
        self.helpers = helpers
        self.trees = trees
        self.scopes: list[dict[str, frozenset[Path]]] = [{}]
        # Macros by name, in step with scopes; every definition of a name is read where it is called.
        self.macros: list[dict[str, list[nodes.Macro]]] = [{}]
        self.namespaces: dict[str, dict[str, list[nodes.Macro]]] = {}  # {% import ... as name %}
        self.active: list[object] = []  # the templates and macros being read (a recursion is not followed)
        self.blocks: dict[str, list[nodes.Block]] = {}
        self.reads: dict[Path, set[str]] = {}
        self.whole: set[Path] = set()
        self.calls: set[Path] = set()
        self.assets: set[str] | None = set()
        self.budget = _BUDGET

    def shows(self, name: str) -> Shows:
        self.render(name)
        return Shows({p: frozenset(a) for p, a in self.reads.items()}, frozenset(self.whole),
                     frozenset(self.calls), None if self.assets is None else frozenset(self.assets))

    # -- templates ----------------------------------------------------------------------
    def tree(self, name: str) -> nodes.Template:
        found = self.trees.get(name)
        if found is None:
            source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
            found = self.trees[name] = self.env.parse(source, name)
        return found

    def render(self, name: str) -> None:
        """Read template ``name`` as rendering it (or including it) does."""
        if name in self.active:
            raise _CannotFollow("a template that includes itself")
        self.active.append(name)
        chain = [self.tree(name)]
        while True:
            parents = [n for n in chain[-1].body if isinstance(n, nodes.Extends)]
            if len(parents) != len(list(chain[-1].find_all(nodes.Extends))):
                raise _CannotFollow("a template that extends another only sometimes")
            if not parents:
                break
            if len(parents) > 1 or len(_template_names(parents[0].template)) != 1:
                raise _CannotFollow("a template that extends one of several")
            parent = self.tree(_template_names(parents[0].template)[0])
            if parent in chain:
                raise _CannotFollow("templates that extend each other")
            chain.append(parent)
        outer_blocks = self.blocks
        self.blocks = {}
        for tree in chain:
            for block in tree.find_all(nodes.Block):
                self.blocks.setdefault(block.name, []).append(block)
        self.enter()
        for tree in chain:
            self.define_macros(tree)
        for child in chain[:-1]:  # what a child does outside its blocks (sets, imports) still runs
            self.body(n for n in child.body if not isinstance(n, (nodes.Block, nodes.Extends)))
        self.body(chain[-1].body)
        for versions in list(self.blocks.values()):  # blocks only self.<name>() renders
            for version in versions:
                self.stmt(version)
        self.leave()
        self.blocks = outer_blocks
        self.active.pop()

    def define_macros(self, tree: nodes.Template) -> None:
        for macro in tree.find_all(nodes.Macro):
            self.define(self.macros[-1], macro.name, [macro])

    def define(self, table: dict[str, list[nodes.Macro]], name: str, macros: list[nodes.Macro]) -> None:
        known = table.setdefault(name, [])
        known.extend(m for m in macros if m not in known)

    def imported(self, template: nodes.Node) -> dict[str, list[nodes.Macro]]:
        """The macros of the template(s) an import names; what its top level does runs on import."""
        found: dict[str, list[nodes.Macro]] = {}
        for name in _template_names(template):
            self.render(name)
            for macro in self.tree(name).find_all(nodes.Macro):
                self.define(found, macro.name, [macro])
        return found

    # -- names ----------------------------------------------------------------------------
    def enter(self) -> None:
        self.scopes.append({})
        self.macros.append({})

    def leave(self) -> None:
        self.scopes.pop()
        self.macros.pop()

    def bind(self, name: str, value: frozenset[Path], shadow: bool = False) -> None:
        """Set ``name`` in the current scope, kept with what it held before (a branch that
        sets it may not run), unless it ``shadow``s it (a loop's variable, an argument)."""
        scope = self.scopes[-1]
        if name not in scope and not shadow:
            before = self.lookup(name)
            if before is None and (name in self.context or name in self.helpers):
                before = frozenset({(name,)})
            scope[name] = before or frozenset()
        scope[name] = scope.get(name, frozenset()) | value

    def lookup(self, name: str) -> frozenset[Path] | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def macro(self, func: nodes.Node) -> list[nodes.Macro] | None:
        if isinstance(func, nodes.Name) and self.lookup(func.name) is None:
            for table in reversed(self.macros):
                if func.name in table:
                    return table[func.name]
        if isinstance(func, nodes.Getattr) and isinstance(func.node, nodes.Name) and func.node.name in self.namespaces:
            return self.namespaces[func.node.name].get(func.attr)  # (None: a variable of it)
        return None

    # -- recording ------------------------------------------------------------------------
    def note(self, value: Iterable[Path], attr: str) -> None:
        for path in value:
            self.reads.setdefault(path, set()).add(attr)

    def use_whole(self, value: Iterable[Path]) -> None:
        self.whole.update(value)

    def spend(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise _CannotFollow("too much to read")

    # -- statements -----------------------------------------------------------------------
    def body(self, statements: Iterable[nodes.Node]) -> None:
        for node in statements:
            self.stmt(node)

    def scoped(self, statements: Iterable[nodes.Node], enter: bool = True) -> None:
        """Read ``statements`` in a scope of their own (entered already unless ``enter``)."""
        if enter:
            self.enter()
        self.body(statements)
        self.leave()

    def stmt(self, node: nodes.Node) -> None:
        self.spend()
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    self.use_whole(self.expr(child))  # printed: made a string of
        elif isinstance(node, nodes.For):
            sequence = self.expr(node.iter)
            items = self.extend(sequence, ("*", None))
            self.enter()
            self.bind_target(node.target, sequence, shadow=True, in_loop=True)
            self.bind("loop", frozenset({("loop", items)}), shadow=True)
            if node.test is not None:
                self.expr(node.test)
            self.scoped(node.body, enter=False)
            self.body(node.else_)
        elif isinstance(node, nodes.If):
            self.expr(node.test)
            self.body(node.body)
            for branch in node.elif_:
                self.stmt(branch)
            self.body(node.else_)
        elif isinstance(node, nodes.Assign):
            self.bind_target(node.target, self.expr(node.node))
        elif isinstance(node, nodes.AssignBlock):
            if node.filter is not None:
                self.expr(node.filter)
            self.body(node.body)
        elif isinstance(node, nodes.With):
            values = [self.expr(value) for value in node.values]
            self.enter()
            for target, value in zip(node.targets, values, strict=True):
                self.bind_target(target, value, shadow=True)
            self.scoped(node.body, enter=False)
        elif isinstance(node, nodes.Macro):
            self.define(self.macros[-1], node.name, [node])  # read where it is called
        elif isinstance(node, nodes.CallBlock):
            self.enter()  # the block's arguments are what the macro passes to caller()
            for arg in node.args:
                self.bind(arg.name, frozenset({UNKNOWN}), shadow=True)
            self.scoped(node.body, enter=False)
            self.expr(node.call)
        elif isinstance(node, nodes.FilterBlock):
            self.expr(node.filter)
            self.body(node.body)
        elif isinstance(node, nodes.ExprStmt):
            self.expr(node.node)
        elif isinstance(node, nodes.Block):
            for version in self.blocks.pop(node.name, [node]):  # every version: super() reaches them
                self.scoped(version.body)
            self.blocks.pop(node.name, None)
        elif isinstance(node, (nodes.Scope, nodes.ScopedEvalContextModifier)):
            self.body(node.body)
        elif isinstance(node, nodes.Include):
            for name in _template_names(node.template):
                try:
                    self.render(name)
                except jinja2.TemplateNotFound:
                    if not node.ignore_missing:
                        raise
        elif isinstance(node, nodes.Import):  # its macros are followed; its variables cannot be known
            self.bind(node.target, frozenset({UNKNOWN}), shadow=True)
            self.namespaces[node.target] = self.imported(node.template)
        elif isinstance(node, nodes.FromImport):
            found = self.imported(node.template)
            for entry in node.names:
                original, alias = entry if isinstance(entry, tuple) else (entry, entry)
                if original in found:
                    self.define(self.macros[-1], alias, found[original])
                else:
                    self.bind(alias, frozenset({UNKNOWN}))  # an imported variable
        elif isinstance(node, (nodes.Extends, nodes.Continue, nodes.Break, nodes.TemplateData)):
            pass
        else:
            raise _CannotFollow(type(node).__name__)

    def bind_target(self, target: nodes.Node, value: frozenset[Path], shadow: bool = False,
                    in_loop: bool = False) -> None:
        if isinstance(target, nodes.Name):
            self.bind(target.name, self.extend(value, ("*", None)) if in_loop else value, shadow)
        elif isinstance(target, nodes.NSRef):  # set where the namespace is: it outlives the loop
            scope = next((s for s in reversed(self.scopes) if target.name in s), self.scopes[0])
            key = f"{target.name}.{target.attr}"
            scope[key] = scope.get(key, frozenset()) | value
        elif isinstance(target, (nodes.Tuple, nodes.List)):
            # for a, b in pairs: a is the first part of each item; set a, b = pair: of the value
            for i, item in enumerate(target.items):
                part = self.extend(value, ("*", i) if in_loop else ("[]", frozenset({(("=", i),)})))
                self.bind_target(item, part, shadow)
        else:
            raise _CannotFollow(type(target).__name__)

    # -- expressions ----------------------------------------------------------------------
    def expr(self, node: nodes.Node) -> Value:
        self.spend()
        if isinstance(node, nodes.Name):
            found = self.lookup(node.name)
            if found is not None:
                return frozenset(p for p in found if p[0] != "loop")
            if node.name in self.context or node.name in self.helpers:
                return frozenset({(node.name,)})
            return _OPAQUE  # (undefined: what a default filter replaces)
        if isinstance(node, nodes.Const):
            return frozenset({(("=", node.value),)}) if isinstance(node.value, _CONSTANTS) else _OPAQUE
        if isinstance(node, nodes.TemplateData):
            return _OPAQUE
        if isinstance(node, nodes.Getattr):
            if isinstance(node.node, nodes.Name):
                loop = self.lookup(node.node.name)
                if node.node.name == "loop" and loop is not None:  # the loop's items, before and after
                    items = frozenset().union(*(p[1] for p in loop if p[0] == "loop"))
                    return items if node.attr in ("previtem", "nextitem") else _OPAQUE
                ns = self.lookup(f"{node.node.name}.{node.attr}")
                if ns is not None:
                    return ns
            return self.attr(self.expr(node.node), node.attr)
        if isinstance(node, nodes.Getitem):
            value = self.expr(node.node)
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                return self.attr(value, node.arg.value)
            if isinstance(node.arg, nodes.Slice):  # entries[:shown]: followed as the same slice
                bounds = tuple(None if part is None else self.expr(part)
                               for part in (node.arg.start, node.arg.stop, node.arg.step))
                return self.extend(value, ("[:]", bounds))
            key = self.expr(node.arg)
            return self.extend(value, ("[]", key))
        if isinstance(node, nodes.Call):
            return self.call(node)
        if isinstance(node, nodes.Filter):
            return self.filter(node)
        if isinstance(node, nodes.Test):
            value = self.expr(node.node)
            for arg in (*node.args, *(k.value for k in node.kwargs)):
                self.use_whole(self.expr(arg))
            if node.name not in ("defined", "undefined", "none", "true", "false", "string", "number",
                                 "mapping", "sequence", "iterable", "callable", "sameas", "boolean",
                                 "integer", "float"):
                self.use_whole(value)
            return _OPAQUE
        if isinstance(node, nodes.CondExpr):
            self.expr(node.test)
            return self.expr(node.expr1) | (self.expr(node.expr2) if node.expr2 is not None else _OPAQUE)
        if isinstance(node, (nodes.And, nodes.Or)):  # one or the other
            return self.expr(node.left) | self.expr(node.right)
        if isinstance(node, nodes.Add):  # followed as the sum of the job's values (lists joined)
            return frozenset({(("+", (self.expr(node.left), self.expr(node.right))),)})
        if isinstance(node, nodes.BinExpr):
            self.use_whole(self.expr(node.left) | self.expr(node.right))
            return _OPAQUE
        if isinstance(node, nodes.Not):
            self.expr(node.node)
            return _OPAQUE
        if isinstance(node, nodes.UnaryExpr):
            self.use_whole(self.expr(node.node))
            return _OPAQUE
        if isinstance(node, nodes.Concat):
            for part in node.nodes:
                self.use_whole(self.expr(part))
            return _OPAQUE
        if isinstance(node, nodes.Compare):
            self.use_whole(self.expr(node.expr))
            for op in node.ops:
                self.use_whole(self.expr(op.expr))
            return _OPAQUE
        if isinstance(node, (nodes.Tuple, nodes.List)):
            if all(isinstance(item, nodes.Const) and isinstance(item.value, _CONSTANTS) for item in node.items):
                return frozenset({(("=", tuple(item.value for item in node.items)),)})  # type: ignore[attr-defined]
            for item in node.items:  # a list written in the template: not followed, its items shown whole
                self.use_whole(self.expr(item))
            return _OPAQUE
        if isinstance(node, nodes.Dict):
            for pair in node.items:
                self.use_whole(self.expr(pair.key) | self.expr(pair.value))
            return _OPAQUE
        if isinstance(node, (nodes.MarkSafe, nodes.MarkSafeIfAutoescape)):
            return self.expr(node.expr)
        raise _CannotFollow(type(node).__name__)

    def attr(self, value: Value, name: str) -> Value:
        self.note(value, name)
        return self.extend(value, (".", name))

    def extend(self, value: Value, step: tuple[Any, ...]) -> Value:
        made = set()
        for path in value:
            if len(path) >= _LONGEST:
                raise _CannotFollow("a path too long to follow")
            made.add((*path, step))
        return frozenset(made)

    def args(self, node: nodes.Call | nodes.Filter) -> list[Value]:
        for dynamic in (node.dyn_args, node.dyn_kwargs):
            if dynamic is not None:
                self.use_whole(self.expr(dynamic))
        return [self.expr(arg) for arg in node.args]

    def call(self, node: nodes.Call) -> Value:
        args = self.args(node)
        kwargs = {k.key: self.expr(k.value) for k in node.kwargs}
        func = node.node
        if isinstance(func, nodes.Name) and func.name == "asset" and self.lookup("asset") is None:
            first = node.args[0] if node.args else None
            if isinstance(first, nodes.Const) and isinstance(first.value, str) and self.assets is not None:
                self.assets.add(first.value)
            else:
                self.assets = None
            return _OPAQUE
        macros = self.macro(func)
        if macros is not None:
            for macro in macros:
                self.call_macro(macro, args, kwargs)
            return _OPAQUE
        if isinstance(func, nodes.Name) and func.name in self.helpers and self.lookup(func.name) is None:
            if kwargs:
                self.use_whole(frozenset().union(*kwargs.values()))
            path = (("@", func.name, tuple(args)),)
            self.calls.add(path)
            return frozenset({path})
        if isinstance(func, nodes.Getattr) and func.attr in _METHODS:
            value = self.expr(func.node)
            self.note(value, func.attr)
            return self.extend(value, ("()", func.attr, tuple(args)))
        # Anything else (a method of a value, a Jinja function, caller()): it may read all it is given.
        self.expr(func)
        self.use_whole(frozenset().union(*args, *kwargs.values()))
        if isinstance(func, nodes.Getattr):
            self.use_whole(self.expr(func.node))
        return _OPAQUE

    def call_macro(self, macro: nodes.Macro, args: list[Value], kwargs: dict[str, Value]) -> None:
        if macro in self.active:  # a macro calling itself: what it is handed may be read whole
            self.use_whole(frozenset().union(*args, *kwargs.values()))
            return
        self.active.append(macro)
        names = [arg.name for arg in macro.args]
        self.enter()
        for i, name in enumerate(names):
            default_at = i - (len(names) - len(macro.defaults))
            value = args[i] if i < len(args) else kwargs.get(name, _OPAQUE)
            if default_at >= 0:
                value = value | self.expr(macro.defaults[default_at])
            self.bind(name, value, shadow=True)
        extra = frozenset().union(*args[len(names):], *(v for k, v in kwargs.items() if k not in names))
        self.bind("varargs", extra, shadow=True)
        self.bind("kwargs", extra, shadow=True)
        self.use_whole(extra)
        self.body(macro.body)
        self.leave()
        self.active.pop()

    def filter(self, node: nodes.Filter) -> Value:
        value = self.expr(node.node) if node.node is not None else frozenset()
        args = self.args(node)
        kwargs: dict[str, nodes.Expr] = {str(k.key): k.value for k in node.kwargs}
        keywords = {key: self.expr(extra) for key, extra in kwargs.items()}
        if node.name in _COUNTING:
            return _OPAQUE
        if node.name not in _PASSING:
            self.use_whole(value)
            self.use_whole(frozenset().union(*args, *keywords.values()))
            return _OPAQUE
        given = value
        named: list[nodes.Node | None] = [kwargs.get("attribute")]
        if node.name in ("selectattr", "rejectattr", "groupby", "attr") and node.args:
            named.append(node.args[0])
        if node.name in ("map", "select", "reject") and node.args:  # map('upper'): a filter on each
            self.use_whole(value)
        for item in named:
            if item is None:
                continue
            if isinstance(item, nodes.Const) and isinstance(item.value, str):
                for part in item.value.split("."):
                    self.note(value, part)
                    value = value | self.extend(value, (".", part))
            else:
                self.use_whole(value)
        if node.name in ("default", "d"):  # the value, or the default
            return value | frozenset().union(*args)
        # Followed as the filter: its result is worked out from the job's values (sorted,
        # picked, grouped as the template has them).
        return self.extend(given, ("|", node.name, tuple(args), tuple(sorted(keywords.items(), key=lambda kv: kv[0]))))


def _template_names(node: nodes.Node) -> list[str]:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (nodes.Tuple, nodes.List)) and all(
            isinstance(item, nodes.Const) and isinstance(item.value, str) for item in node.items):
        return [item.value for item in node.items]  # type: ignore[attr-defined]
    raise _CannotFollow("a template named at run time")


def template_shows(env: jinja2.Environment, name: str, context_names: Iterable[str],
                   trees: dict[str, nodes.Template] | None = None) -> Shows:
    """What template ``name`` reads of the values named ``context_names`` and of the
    environment's globals (see :class:`Shows`). A template that cannot be followed, or
    read, shows everything (rendering it then reports what is wrong). ``trees``: the
    templates parsed already, by name (filled as it reads)."""
    reader = _Reader(env, frozenset(context_names) | {"site", "config"}, frozenset(env.globals),
                     {} if trees is None else trees)
    try:
        return reader.shows(name)
    except (_CannotFollow, jinja2.TemplateError, UnicodeDecodeError, OSError):
        return EVERYTHING


# -- Following the paths through a job's values ---------------------------------------------
#: Each helper's own declaration: what it shows of the values it is given (see render.py).
HelperShows = Callable[[Reads, list[Any]], None]


class Declaring:
    """Follows one job's paths through its values (see the module's docstring)."""

    def __init__(self, site: Site, context: Mapping[str, Any], env: jinja2.Environment,
                 helpers: Mapping[str, HelperShows], plain: frozenset[str], reads: Reads) -> None:
        """``helpers``: what each helper that declares it shows; ``plain``: the helpers
        whose results hold no page (strings, numbers)."""
        self.site = site
        self.context = context
        self.env = env
        self.globals = env.globals
        self.jinja_context: jinja2.runtime.Context | None = None  # for the filters that take one
        self.helpers = helpers
        self.plain = plain
        self.out = reads
        self.known: dict[Path, list[Any] | None] = {}

    def values(self, path: Path) -> list[Any] | None:
        """The values at ``path`` (None when they cannot be known)."""
        if path in self.known:
            return self.known[path]
        self.known[path] = None  # (a path that leads back to itself cannot be known)
        found = self._values(path)
        self.known[path] = found
        return found

    def _values(self, path: Path) -> list[Any] | None:
        if len(path) == 1:
            root = path[0]
            if root in (UNKNOWN[0], OPAQUE[0]):
                return None
            if isinstance(root, str):
                if root in self.context:
                    return [self.context[root]]
                return [self.globals[root]] if root in self.globals else []
            if root[0] == "=":
                return [root[1]]
            if root[0] == "+":
                return self.sums(root[1])
            return self.helper_result(root[1], root[2])
        before = self.values(path[:-1])
        if before is None:
            return None
        step = path[-1]
        found: list[Any] = []
        if step[0] == ".":
            for value in _items(before):
                got = _attribute(value, step[1])
                if got is not _MISSING:
                    found.append(got)
            return found
        if step[0] == "()":
            combos = self.arguments(step[2])
            if combos is None:
                return None
            for value in _items(before):
                method = getattr(value, step[1], None)
                if method is not None and callable(method):
                    found += _results(method, combos)
            return found
        if step[0] == "[:]":
            return self.sliced(before, step[1])
        if step[0] == "|":
            return self.filtered(before, step[1], step[2], step[3])
        if step[0] == "*":  # each item (or a part of each: the values may be the items already)
            for value in _items(before):
                if isinstance(value, Mapping):
                    value = list(value)  # (a loop over a mapping has its keys)
                if isinstance(value, (list, tuple, set, frozenset)):
                    for item in value:
                        if step[1] is None:
                            found.append(item)
                            continue
                        try:
                            found.append(item[step[1]])
                        except (TypeError, LookupError):
                            continue
            return found
        keys = self.arguments((step[1],))
        if keys is None:
            return None
        for value in _items(before):
            for (key,) in keys:
                try:
                    found.append(value[key])
                except (KeyError, IndexError, TypeError):
                    got = _attribute(value, key) if isinstance(key, str) else _MISSING  # as Jinja does
                    if got is not _MISSING:
                        found.append(got)
        return found

    def filtered(self, before: list[Any], name: str, args: tuple[Value, ...],
                 keywords: tuple[tuple[str, Value], ...]) -> list[Any] | None:
        """The filter ``name`` applied to each value, as the template applies it."""
        combos = self.arguments(args + tuple(value for _, value in keywords))
        if combos is None:
            return None
        if self.jinja_context is None:  # (the job's values, as a template rendering it has them)
            self.jinja_context = jinja2.runtime.new_context(self.env, None, {}, dict(self.context),
                                                            globals=self.env.make_globals(None))
        context, names = self.jinja_context, tuple(key for key, _ in keywords)

        def call(value: Any, *combo: Any) -> Any:
            given = dict(zip(names, combo[len(args):], strict=True))
            result = self.env.call_filter(name, value, combo[:len(args)], given, context=context)
            return list(result) if isinstance(result, Iterator) else result
        return _results(call, [(value, *combo) for value in before for combo in combos])

    def sums(self, operands: tuple[Value, ...]) -> list[Any] | None:
        """``left + right`` for the values of each (lists joined, numbers added)."""
        combos = self.arguments(operands)
        return None if combos is None else _results(operator.add, combos)

    def sliced(self, before: list[Any], bounds: tuple[Value | None, ...]) -> list[Any]:
        """The sequences in ``before``, sliced as the template does (whole where a bound
        cannot be known: more than it shows)."""
        known: list[int | None] = []
        for bound in bounds:
            values = [] if bound is None else self.arguments((bound,))
            if values is None or len(values) > 1 or (values and not isinstance(values[0][0], (int, type(None)))):
                return before
            known.append(values[0][0] if values else None)
        return [value[slice(*known)] if type(value) in (list, tuple) else value for value in before]

    def argument(self, arg: Value) -> list[Any] | None:
        """The values an argument may have (None when they cannot be known)."""
        if not arg:
            return None
        values: list[Any] = []
        for path in arg:
            if not isinstance(path[0], str) and path[0][0] == "@" and path[0][1] in self.plain:
                return None  # a string, or a number, made as the page renders
            got = self.values(path)
            if got is None:
                return None
            values.extend(got)
        return values

    def arguments(self, args: tuple[Value, ...]) -> list[tuple[Any, ...]] | None:
        """Every combination of the arguments' values (None when one cannot be known)."""
        options = []
        for arg in args:
            values = self.argument(arg)
            if values is None:
                return None
            options.append(values)
        combos = list(itertools.islice(itertools.product(*options), _COMBINATIONS + 1))
        return None if len(combos) > _COMBINATIONS else combos

    def helper_result(self, name: str, args: tuple[Value, ...]) -> list[Any] | None:
        combos = self.arguments(args)
        if combos is None:
            return None
        helper: Any = self.globals.get(name)
        return _results(helper, combos) if callable(helper) else []

    def declare(self, plan: ShowPlan) -> None:
        """Add what the job shows (its templates' ``plan``) to its reads."""
        if plan.everything:
            self.everything()
            return
        for name, args in plan.calls:
            combos = self.arguments(args)
            if combos is None:
                self.everything()
                return
            own = self.helpers[name]
            for combo in combos:
                own(self.out, list(combo))
        for path, meta, body, reading in plan.reads:
            values = self.values(path)
            if values is None:
                self.everything()
                return
            for name in reading:
                for value in _items(values):
                    if isinstance(getattr(type(value), name, None), property):
                        self.out.metas.update(p.source for p in _pages([getattr(value, name)]))
            for page in _pages(values):
                if meta:
                    self.out.metas.add(page.source)
                if body:
                    self.out.bodies.add(page.source)
        for path in plan.whole:
            values = self.values(path)
            if values is None:
                self.everything()
                return
            for value in values:
                self.show_whole(value)

    def show_whole(self, value: Any) -> None:
        """Everything of every page reachable from ``value``."""
        if isinstance(value, _SCALARS) or value is None:
            return
        for page in reachable_pages(value):
            self.out.metas.add(page.source)
            self.out.bodies.add(page.source)

    def everything(self) -> None:
        """All of every page of the site: said once (``every_page``), not page by page,
        so that a hub of thousands of pages whose template cannot be followed keeps one
        mark for each of its jobs. (What the helpers would look for for each page is
        declared beside it, by ``Renderer.show_template``, as one digest.)"""
        self.out.every_page = True


def _results(function: Callable[..., Any], combos: Iterable[tuple[Any, ...]]) -> list[Any]:
    """``function`` called with each combination of arguments; a call that raises gives
    nothing (the template fails the same way when it renders)."""
    found = []
    for args in combos:
        try:
            found.append(function(*args))
        except CacheError:  # a page's body the cache no longer holds: the build starts again
            raise
        except Exception:
            continue
    return found


_MISSING = ("no such attribute",)  # (compared by identity)
_SCALARS = (str, bytes, int, float, bool)


def _attribute(value: Any, name: str) -> Any:
    """``value.name`` as Jinja reads it: the attribute, else the item."""
    try:
        return getattr(value, name)
    except AttributeError:
        pass
    try:
        return value[name]
    except (TypeError, LookupError, AttributeError):
        return _MISSING


def _items(values: Iterable[Any]) -> Iterator[Any]:
    """The values, with plain lists and tuples opened (a loop reads their items)."""
    for value in values:
        if type(value) in (list, tuple):
            yield value
            yield from _items(value)
        else:
            yield value


def _pages(values: Iterable[Any]) -> Iterator[Page]:
    for value in _items(values):
        if isinstance(value, Page):
            yield value


def reachable_pages(value: Any) -> Iterator[Page]:
    """Every page inside ``value``: itself, or in its fields, items and mappings."""
    seen: set[int] = set()
    todo = [value]
    while todo:
        current = todo.pop()
        if id(current) in seen or isinstance(current, _SCALARS) or current is None:
            continue
        seen.add(id(current))
        if isinstance(current, Page):
            yield current
        elif isinstance(current, Mapping):
            todo.extend(current.values())
        elif isinstance(current, (list, tuple, set, frozenset)):
            todo.extend(current)
        elif hasattr(current, "__dataclass_fields__"):
            todo.extend(getattr(current, f) for f in current.__dataclass_fields__)
