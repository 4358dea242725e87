"""The package's layers import one way only (issue 9 §2; docs/architecture.md).

    core ← rules ← data ← scoring ← report, forms ← rendering ← api, cli, notebook

A module may import modules of its own layer and of the layers below, never above: validation
needs the notation parser and the rulebook (rules, below data), scoring needs the dataset (data,
below scoring), the report reads what the API builds only for type hints. Imports under
``if TYPE_CHECKING:`` are not imports at run time and are not counted; imports inside functions
are.
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
    "report": 4,
    "forms": 4,
    "rendering": 5,
    "api": 6,
    "cli": 6,
    "notebook": 6,
    "__init__": 6,
}


def _layer(module: str) -> int | None:
    """The layer of a dotted perfkit module name ("perfkit.data.readers" → 2)."""
    parts = module.split(".")
    if parts[0] != "perfkit":
        return None
    if len(parts) > 1 and parts[1] == "__version__":
        return 0  # the package's own version: read by every layer, depends on nothing
    if len(parts) == 1:
        return LAYERS["__init__"]
    return LAYERS.get(parts[1])


def _runtime_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every perfkit import that runs (TYPE_CHECKING blocks left out)."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("perfkit"):
            if node.module == "perfkit":
                found.extend((node.lineno, f"perfkit.{a.name}") for a in node.names)
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.startswith("perfkit"))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_imports_run_from_higher_layers_to_lower_ones_only():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts)
        name = "perfkit" if module == "perfkit.__init__" else module.removesuffix(".__init__")
        own = _layer(name)
        assert own is not None, f"{module} belongs to no layer: add it to LAYERS"
        for line, imported in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            target = _layer(imported)
            if target is not None and target > own:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}")
    assert upward == []


def test_every_subpackage_has_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert packages | modules <= set(LAYERS)
