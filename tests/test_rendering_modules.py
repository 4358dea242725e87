"""The rendering package's modules (issue 16 §11): no import cycle among them — imports inside
functions count, ``if TYPE_CHECKING:`` blocks do not — and none too long to read whole."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "perfkit" / "rendering"
#: a file past this many lines is split along its jobs (the charter's ~800, with room)
MAX_LINES = 800


def _imports(path: Path) -> set[str]:
    """The rendering modules ``path`` imports at run time (anywhere in the file)."""
    names = {p.stem for p in PACKAGE.glob("*.py")}
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "perfkit.rendering":
                found.update(a.name for a in node.names if a.name in names)
            elif node.module.startswith("perfkit.rendering."):
                found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("perfkit.rendering."):
                    found.add(a.name.split(".")[2])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found - {path.stem}


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph`` (module → the modules it imports), or []."""
    state: dict[str, int] = {}
    trail: list[str] = []

    def walk(node: str) -> list[str]:
        state[node] = 1
        trail.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*trail[trail.index(nxt) :], nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        state[node] = 2
        trail.pop()
        return []

    for node in sorted(graph):
        if node not in state and (found := walk(node)):
            return found
    return []


def test_the_rendering_modules_import_one_way_only():
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py")}
    assert graph["pipeline"] >= {"plan", "run", "writing", "cleanup", "manifest"}
    assert _cycle(graph) == []


def test_a_cycle_is_found_when_there_is_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_no_rendering_module_is_too_long_to_read_whole():
    long = {
        p.name: n
        for p in PACKAGE.glob("*.py")
        if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
