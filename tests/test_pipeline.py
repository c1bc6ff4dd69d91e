"""The pipeline is in the code: build.py calls the stages by name, in order, and the
build cache answers beneath them without running any stage itself."""

from __future__ import annotations

import ast
from pathlib import Path

import sitegen

PACKAGE = Path(sitegen.__file__).parent
STAGES = ["discover", "parse", "collect", "render", "guard", "write"]


def _function(module: str, name: str) -> ast.FunctionDef:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    return next(node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name == name)


def test_the_build_calls_the_six_stages_by_name_in_order() -> None:
    calls = [node.func.id for node in ast.walk(_function("build.py", "_build"))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in STAGES]
    lines: dict[str, int] = {}
    for node in ast.walk(_function("build.py", "_build")):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in STAGES:
            lines.setdefault(node.func.id, node.lineno)
    assert sorted(calls) == sorted(STAGES), "each stage is called once"
    assert sorted(lines, key=lines.__getitem__) == STAGES


def test_each_stage_is_a_function_of_build_py_with_a_docstring_naming_its_place() -> None:
    tree = ast.parse((PACKAGE / "build.py").read_text(encoding="utf-8"))
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    for number, name in enumerate(STAGES, start=1):
        docstring = ast.get_docstring(functions[name]) or ""
        assert docstring.startswith(f"{number}. "), name


def test_the_cache_runs_no_stage() -> None:
    """incremental.py (the memo) neither parses, collects, renders, guards nor writes an
    output: it never imports what does."""
    tree = ast.parse((PACKAGE / "incremental.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):  # imports for type annotations only are not work
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                for alias in node.names}
    stage_work = {"parse_sources", "render_jobs", "scan_pages", "collect_pages", "with_made_pages", "Staging",
                  "Renderer", "SiteGuard", "parse_source"}
    assert imported & stage_work == set()
