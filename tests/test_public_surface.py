"""The public surface plugins build on, and the import graph: no plugin reaches into host internals, no cycles.

Built-in plugins are the examples third parties copy, so they import only ``rewardkit``,
``rewardkit.utils`` and ``rewardkit.testing``; whatever else a plugin needs is published in
``rewardkit.utils`` (``read_rows``, ``column``, ``default_workers``, ``pick_dtype``, ...).
Function-level imports count: they hide cycles (``bench.baseline`` <-> ``bench.report``,
``rewardkit_ifeval.checkers`` <-> ``ifbench`` were two).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from graph_cycles import cycles  # tests/support: the one cycle finder

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core" / "rewardkit"
PLUGIN_PACKAGES = sorted(p for p in (ROOT / "plugins").glob("rewardkit-*/rewardkit_*") if p.is_dir())
PUBLIC = {"rewardkit", "rewardkit.utils", "rewardkit.testing"}


def _modules(root: Path, package: str) -> dict[str, Path]:
    out = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if "templates" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([package, *parts])] = path
    return out


def _imports(module: str, path: Path, *, top_level_only: bool = False) -> list[tuple[str, list[str], int]]:
    """``(target module, imported names, line)`` of every import in ``path`` (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                target = ".".join(base[: len(base) - (node.level - 1)] + ([node.module] if node.module else []))
            found.append((target, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((a.name, [], node.lineno) for a in node.names)
    return found


def _graph(root: Path, package: str, *, top_level_only: bool) -> dict[str, set[str]]:
    """Module -> modules it imports, among the package's modules (packages' ``__init__`` left out)."""
    mods = {m: p for m, p in _modules(root, package).items() if p.name != "__init__.py"}
    graph: dict[str, set[str]] = {}
    for mod, path in mods.items():
        deps: set[str] = set()
        for target, names, _ in _imports(mod, path, top_level_only=top_level_only):
            deps.update(c for c in [target, *(f"{target}.{n}" for n in names)] if c in mods and c != mod)
        graph[mod] = deps
    return graph


@pytest.mark.parametrize("package", PLUGIN_PACKAGES, ids=lambda p: p.name)
def test_a_built_in_plugin_imports_only_the_public_modules(package):
    bad = []
    for mod, path in _modules(package, package.name).items():
        for target, names, line in _imports(mod, path):
            modules = [target] if target != "rewardkit" else [target, *(f"rewardkit.{n}" for n in names)]
            for m in modules:
                if (m == "rewardkit" or m.startswith("rewardkit.")) and m not in PUBLIC and not _public_name(m):
                    bad.append(f"{path.relative_to(ROOT)}:{line}: imports {m}")
    assert not bad, "plugins may import only rewardkit, rewardkit.utils and rewardkit.testing:\n" + "\n".join(bad)


def _public_name(module: str) -> bool:
    """``from rewardkit import Param`` names an attribute, not a module: public when in ``rewardkit.__all__``."""
    import rewardkit

    name = module.removeprefix("rewardkit.")
    return "." not in name and name in rewardkit.__all__


def test_the_rule_catches_an_internal_import(tmp_path):
    pkg = tmp_path / "rewardkit_x"
    pkg.mkdir()
    (pkg / "a.py").write_text("def f():\n    from rewardkit.data import read_rows\n    from rewardkit.utils import column\n")
    found = [(t, line) for t, _, line in _imports("rewardkit_x.a", pkg / "a.py")]
    assert found == [("rewardkit.data", 2), ("rewardkit.utils", 3)]


@pytest.mark.parametrize("root,package", [(CORE, "rewardkit"), *((p, p.name) for p in PLUGIN_PACKAGES)],
                         ids=lambda x: getattr(x, "name", x))
def test_no_module_level_import_cycles(root, package):
    assert cycles(_graph(root, package, top_level_only=True)) == []


@pytest.mark.parametrize("root,package", [(CORE / "bench", "rewardkit.bench"), *((p, p.name) for p in PLUGIN_PACKAGES)],
                         ids=lambda x: getattr(x, "name", x))
def test_no_hidden_cycles_through_function_level_imports(root, package):
    assert cycles(_graph(root, package, top_level_only=False)) == []


def test_plugins_find_what_they_need_in_utils():
    from rewardkit import utils

    for name in ("read_rows", "column", "default_workers", "pick_dtype", "map_in_workers", "resolve_model"):
        assert name in utils.__all__ and callable(getattr(utils, name))
