"""The package's layers import one way only, with no circle (issue 9 §2, issue 16 item 11;
docs/architecture.md).

    core ← rules ← data ← scoring ← detail ← report, forms ← rendering ← api, cli, notebook

A module may import modules of its own layer and of the layers below, never above: validation
needs the notation parser and the rulebook (rules, below data), scoring needs the dataset (data,
below scoring), the report reads what ``detail`` builds. Every import counts: at module level,
inside a function, and under ``if TYPE_CHECKING:`` (a type hint that points up is a dependency
that points up). Within a layer, imports must not go round in a circle either, however long.

The graph is built from the source (``ast``): ``from perfkit.report import charts`` is an edge
to the module ``perfkit.report.charts`` when that is a module, else to the package
``perfkit.report``; ``from perfkit import X`` is an edge to the package ``perfkit`` (the top:
its ``__init__`` sets up the notebook layer in a kernel), unless ``X`` is a subpackage.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "perfkit"
#: layer of each subpackage or top-level module; higher layers may import lower ones
LAYERS = {
    "core": 0,
    "rules": 1,
    "data": 2,
    "scoring": 3,
    "review": 4,
    "detail": 5,
    "report": 6,
    "forms": 6,
    "rendering": 7,
    "api": 8,
    "cli": 8,
    "notebook": 8,
    "__init__": 8,
}
#: files may be read whole: past this many lines, split one along its jobs
MAX_LINES = 800


def _module_name(path: Path) -> str:
    """perfkit/report/blocks.py → perfkit.report.blocks; perfkit/report/__init__.py →
    perfkit.report."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    """The layer of a perfkit module ("perfkit.data.readers" → 2; the package itself: the top)."""
    parts = module.split(".")
    if len(parts) == 1:
        return LAYERS["__init__"]
    assert parts[1] in LAYERS, f"{module} belongs to no layer: add it to LAYERS"
    return LAYERS[parts[1]]


def _target(module: str, name: str | None = None) -> str:
    """The module an import reaches: ``module.name`` when that is a module, else ``module``."""
    if name is not None and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    return module


def imports(module: str) -> list[tuple[int, str]]:
    """(line, imported module) of every perfkit import of ``module``: at module level, inside
    functions and classes, and under ``if TYPE_CHECKING:``."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: str) -> list[tuple[int, str]]:
    """(line, imported module) of every perfkit import in ``source``, a module of ``package``."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "perfkit"
            ]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] == "perfkit":
                found += [(node.lineno, _target(base, a.name)) for a in node.names]
    return found


def graph() -> dict[str, set[str]]:
    """Every perfkit module → the perfkit modules it imports."""
    return {m: {t for _, t in imports(m) if t != m} for m in MODULES}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One circle of ``edges`` as a path (first module repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the path being explored, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def test_every_subpackage_has_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert packages | modules <= set(LAYERS)


def test_imports_run_from_higher_layers_to_lower_ones_only():
    upward = sorted(
        {
            f"{MODULES[m].relative_to(PACKAGE.parent)}:{line} imports {target}"
            f" (layer {_layer(target)} above {_layer(m)})"
            for m in MODULES
            for line, target in imports(m)
            if _layer(target) > _layer(m)
        }
    )
    assert upward == []


def test_no_module_imports_itself_round_a_circle():
    found = cycle(graph())
    assert found is None, "import circle: " + " → ".join(found or [])


def test_the_circle_finder_finds_circles_and_the_graph_holds_every_kind_of_import():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    # an import inside a function and one under TYPE_CHECKING are edges too
    source = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from perfkit.api import x\n"
        "def f():\n    import perfkit.report.charts\n    from perfkit.report import webfont\n"
        "from perfkit import __version__\nfrom . import problems\nfrom .atomic import y\n"
    )
    found = {t for _, t in imports_in(source, "perfkit.core")}
    assert found == {"perfkit.api", "perfkit.report.charts", "perfkit.report.webfont", "perfkit",
                     "perfkit.core.problems", "perfkit.core.atomic"}  # fmt: skip


def test_every_file_can_be_read_whole():
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in MODULES.values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
