"""The package's shape: modules in layers that import only downward, no import circle, no
private name used across modules, no module or function past its size limit.

Checked by parsing the source (``ast``), so imports inside functions count too. Run alone
with ``.venv/bin/python -m pytest tests/test_layers.py -q``; a failure names the module, the
import or the name.
"""

from __future__ import annotations

import ast
import pathlib
from collections import defaultdict

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "src" / "mmmkit"

# Lower number = lower layer. A module may import modules of its own layer or below.
LAYERS: dict[str, int] = {
    # foundations: no mmmkit imports beyond this layer
    "errors": 0, "hooks": 0, "_xp": 0, "_threads": 0, "stats": 0, "scaling": 0, "jsonvalues": 0,
    # input data: validation, dates, design matrices
    "rows": 1, "dates": 1, "weeks": 1, "columns": 1, "cells": 1, "informative": 1,
    "validation": 1, "design": 1, "revisions": 1, "priors": 1, "events": 1,
    # transforms and their priors
    "adstock": 2, "saturation": 2, "media_prior": 2, "calibration": 2,
    # graph, media kernel and the numpy posterior engine
    "media_kernel": 3, "media": 3, "graph": 3, "posterior": 3, "simulate": 3,
    "drift": 3, "forecast": 3,
    "specification": 1,
    # inference: sampler control, drafts, diagnostics, files
    "approximate": 4, "inference": 4, "diagnostics": 4, "io": 4, "provenance": 4,
    # the estimator
    "model": 5, "refresh": 5,
    # analyses on the posterior engine
    "response": 6, "budget_problem": 6, "optimize": 6, "scenarios": 6, "evaluation": 6,
    "review": 6,
    "averaging": 6,
    "changes": 6,
    "many": 6, "plan_files": 6, "actuals": 6, "summaries": 6,
    # presentation
    "formatting": 7, "reading": 7, "figures": 7, "plots": 7, "planning_plots": 7,
    "parameter_plots": 7, "report_text": 7, "report_sections": 7, "report": 7,
    "planner_page": 7, "planner": 7,
    "tracking": 7, "run_config": 7,
    "cli": 8,
    "__init__": 8,
}
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80  # code lines, docstring excluded
LONG_REASON = "# long:"  # a longer function states why in a comment starting with this


def _modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(), filename=str(p)) for p in PACKAGE.glob("*.py")}


def _imported(node: ast.AST, modules: set[str]) -> list[tuple[str, list[str]]]:
    """``(module, names)`` imported from mmmkit by one import statement."""
    if isinstance(node, ast.ImportFrom):
        mod = node.module or ""
        if node.level == 1:
            target = mod
        elif mod == "mmmkit":
            target = ""
        elif mod.startswith("mmmkit."):
            target = mod[len("mmmkit."):]
        else:
            return []
        names = [a.name for a in node.names]
        if target == "":  # from mmmkit import scenarios
            return [(n, []) for n in names if n in modules]
        return [(target, names)]
    if isinstance(node, ast.Import):
        return [(a.name[len("mmmkit."):], []) for a in node.names
                if a.name.startswith("mmmkit.")]
    return []


def _graph(trees: dict[str, ast.Module]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for name, tree in trees.items():
        for node in ast.walk(tree):
            for target, _ in _imported(node, set(trees)):
                edges[name].add(target)
    return edges


def test_every_module_has_a_layer():
    missing = sorted(set(_modules()) - set(LAYERS))
    assert not missing, f"give these modules a layer in tests/test_layers.py: {missing}"


def test_imports_point_down():
    trees = _modules()
    wrong = [f"{a} (layer {LAYERS.get(a)}) imports {b} (layer {LAYERS.get(b)})"
             for a, targets in _graph(trees).items() for b in targets
             if LAYERS.get(b, 99) > LAYERS.get(a, -1)]
    assert not wrong, "\n".join(wrong)


def test_no_import_circle():
    edges = _graph(_modules())

    def reaches(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    circular = sorted(m for m in edges if m in reaches(m))
    assert not circular, f"modules on an import circle: {circular}"


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _defined_private(tree: ast.Module) -> set[str]:
    """Private names a module defines: functions, classes, attributes it assigns."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            out.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
    return {n for n in out if _private(n)}


def test_no_private_name_crosses_a_module():
    trees = _modules()
    defined = {name: _defined_private(tree) for name, tree in trees.items()}
    everywhere = set().union(*defined.values())
    wrong = []
    for name, tree in trees.items():
        for node in ast.walk(tree):
            for target, names in _imported(node, set(trees)):
                wrong += [f"{name} imports {target}.{n}" for n in names if _private(n)]
            if (isinstance(node, ast.Attribute) and _private(node.attr)
                    and node.attr not in defined[name] and node.attr in everywhere):
                wrong.append(f"{name} uses {node.attr} (line {node.lineno}), defined in "
                             f"{sorted(m for m, d in defined.items() if node.attr in d)}")
    assert not wrong, "\n".join(sorted(set(wrong)))


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_sizes(path):
    source = path.read_text()
    lines = source.count("\n")
    assert lines <= MAX_MODULE_LINES, f"{path.name} has {lines} lines: split it by concept"
    text = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        length = node.end_lineno - node.lineno + 1
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            length -= first.end_lineno - first.lineno + 1
        body = text[node.lineno - 1:node.end_lineno]
        if length > MAX_FUNCTION_LINES:
            assert any(LONG_REASON in line for line in body), (
                f"{path.name}: {node.name} has {length} code lines; split it or say why in a "
                f"'{LONG_REASON} ...' comment")
