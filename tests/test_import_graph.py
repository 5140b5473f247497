"""The house stays without circles: no import cycle among core's modules, function-level imports included.

A module imports another when any ``import`` or ``from ... import`` anywhere in it (module level or
inside a function) names it; ``from pkg import name`` counts as importing ``pkg.name`` when that is a
module, else ``pkg``. A cycle found here names its modules and the edges that tie them.
"""

from __future__ import annotations

import ast
from pathlib import Path

from graph_cycles import cycles  # tests/support: the one cycle finder (test_public_surface uses it too)

CORE = Path(__file__).resolve().parents[1] / "core" / "rewardkit"


def _modules(root: Path) -> dict[str, Path]:
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([root.name, *parts])] = path
    return out


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here[: len(here) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # a name inside a module: climb to the module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path = CORE) -> dict[str, set[str]]:
    known = _modules(root)
    return {name: _imports(name, path, known) for name, path in known.items()}


def _describe(graph: dict[str, set[str]], comp: list[str]) -> str:
    members = set(comp)
    edges = [f"  {m} -> {', '.join(sorted(graph[m] & members))}" for m in comp]
    return f"cycle of {len(comp)}:\n" + "\n".join(edges)


def test_the_checker_finds_a_function_level_cycle(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import x\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n")
    (pkg / "c.py").write_text("import pkg.a\n")
    assert cycles(import_graph(pkg)) == [["pkg.a", "pkg.b"]]


def test_no_import_cycle_in_core():
    graph = import_graph()
    assert "rewardkit.terms" in graph and "rewardkit.train.config" in graph
    found = cycles(graph)
    assert not found, "import cycles in core/rewardkit:\n" + "\n".join(_describe(graph, c) for c in found)


def test_option_checks_import_no_other_rewardkit_module():
    """``rewardkit.options`` and ``rewardkit.messages`` sit at the bottom: only ``rewardkit.errors`` below them."""
    graph = import_graph()
    assert graph["rewardkit.options"] <= {"rewardkit.errors"}
    assert graph["rewardkit.messages"] <= {"rewardkit.errors"}


def test_no_function_in_core_over_100_lines():
    """Functions stay short enough to read (the server's routes live in their own modules)."""
    long = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 100:
                    long.append(f"{path.relative_to(CORE)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, "functions over 100 lines: " + "; ".join(long)
