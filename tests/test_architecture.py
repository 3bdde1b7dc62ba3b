"""The shape of the code (issue: "The house in one direction"): read from the source, so a change that bends it
fails here instead of in review.

- One direction: ruby_site <- deals <- calendar_sync <- transcripts; a module imports only its own app and the
  apps below it.
- No project import inside a function body (the usual way to dodge a cycle); AppConfig.ready() is the exception,
  because connecting receivers there is how Django wants it.
- No import cycle between product modules.
- No product module over 400 lines (migrations aside).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"ruby_site": 0, "deals": 1, "calendar_sync": 2, "transcripts": 3}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path):
    """(line, imported module, inside a function or class body?) for every project import in the file."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in LAYERS:
                yield node.lineno, name, node.col_offset > 0


def _module_of(name: str) -> str | None:
    """The product module an imported dotted name refers to (a module, or a name inside one)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def test_imports_run_in_one_direction():
    upward = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for module, path in MODULES.items()
        for line, name, _inner in _imports(path)
        if LAYERS[name.split(".")[0]] > LAYERS[module.split(".")[0]]
    ]
    assert upward == []


def test_no_project_import_inside_a_function_body():
    inner = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in MODULES.values()
        if path.name != "apps.py"
        for line, name, is_inner in _imports(path)
        if is_inner
    ]
    assert inner == []


def test_no_import_cycle_between_product_modules():
    graph = {
        module: {
            target
            for _line, name, is_inner in _imports(path)
            if not is_inner and (target := _module_of(name)) and target != module
        }
        for module, path in MODULES.items()
    }
    # A package's __init__ importing its submodules is not a cycle of meaning; drop parent->child edges.
    for module, targets in graph.items():
        graph[module] = {t for t in targets if not t.startswith(module + ".")}
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*stack[stack.index(nxt) :], nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert cycles == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_product_module_is_at_most_400_lines(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines"
