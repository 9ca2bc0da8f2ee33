"""Modules with one job: no library module over about 500 lines, no function over about 80 lines
unless its docstring says why it is long ("Long because ...")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("nasbench", "strategies", "surrogates", "tabular_data")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
REASON = "Long because"


def _modules():
    return sorted(p for pkg in PACKAGES for p in (REPO / pkg).rglob("*.py"))


def long_functions(source: str) -> list[tuple[int, str, int]]:
    """``(line, name, length)`` of every function longer than the limit without a stated reason."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES and REASON not in (ast.get_docstring(node) or ""):
                found.append((node.lineno, node.name, length))
    return found


def test_no_library_module_is_over_the_limit():
    big = [f"{p.relative_to(REPO)}: {n} lines" for p in _modules()
           if (n := p.read_text().count("\n")) > MAX_MODULE_LINES]
    assert not big, f"split these modules (limit {MAX_MODULE_LINES} lines): {big}"


def test_no_function_is_over_the_limit_without_a_reason():
    long = [f"{p.relative_to(REPO)}:{line} {name} ({n} lines)"
            for p in _modules() for line, name, n in long_functions(p.read_text())]
    assert not long, f"split these functions or say '{REASON} ...' in the docstring: {long}"


@pytest.mark.parametrize("doc, flagged", [("Short.", True), ("Long because it is one compiled loop.", False)])
def test_the_checker_flags_a_long_function_unless_it_says_why(doc, flagged):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    source = f'def f():\n    """{doc}"""\n{body}\n'
    assert bool(long_functions(source)) is flagged
