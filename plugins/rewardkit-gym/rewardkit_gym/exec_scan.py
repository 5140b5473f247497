"""Which reasoning-gym scorers execute text: a static scan of each task's ``score_answer``.

    python -m rewardkit_gym.exec_scan            # one line per task whose scorer reaches a code executor

For every task, the scan parses the source of its dataset class's ``score_answer`` and follows, through
the function's own globals and the class, every call into reasoning-gym's own functions and methods.
A call that resolves to one of :data:`EXECUTORS` (``eval``, ``exec``, ``compile``, ``ast.literal_eval``,
sympy's string parsers ``parse_expr``/``sympify``/``S``/``parse_latex``, or any other sympy callable but a
few that never parse a string) marks the task. What the scan finds must equal
:data:`rewardkit_gym.executes.EXECUTING`: ``gym.score`` refuses those tasks and ``gym.score_sandboxed``
scores them inside bubblewrap, so a reasoning-gym version that adds an ``eval`` to a scorer fails the
tests (``test_exec_scan_matches_the_known_list``) instead of running model text in the host.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import sys
import textwrap
from collections.abc import Callable
from typing import Any

#: Callables that execute (or, for ``literal_eval``, parse with the compiler) the text they are given.
EXECUTORS = {"eval", "exec", "compile", "literal_eval", "parse_expr", "sympify", "S", "parse_latex", "__import__"}
#: sympy callables that never parse a string (names, integers, rationals): not marked.
SYMPY_SAFE = frozenset({"Symbol", "symbols", "Integer", "Rational", "Float", "Dummy"})


def _danger(obj: Any, name: str) -> str | None:
    """The kind of executor ``obj`` (reached as ``name``) is, or None."""
    if obj is None:
        return None
    if obj in (builtins.eval, builtins.exec, builtins.compile, builtins.__import__):
        return obj.__name__
    module = getattr(obj, "__module__", None) or ""
    qual = getattr(obj, "__name__", name)
    if module == "ast" and qual == "literal_eval":
        return "literal_eval"
    if module.split(".")[0] == "sympy" and callable(obj):
        return None if qual in SYMPY_SAFE else f"sympy.{qual}"
    return None


def _resolve(node: ast.expr, env: dict[str, Any], cls: type | None) -> tuple[Any, str]:
    """What a call's function expression names: ``f``, ``mod.f``, ``self.f``, ``cls.f`` (else ``None``)."""
    if isinstance(node, ast.Name):
        if node.id in env:
            return env[node.id], node.id
        return getattr(builtins, node.id, None), node.id
    if isinstance(node, ast.Attribute):
        base = node.value
        if isinstance(base, ast.Name) and base.id in ("self", "cls") and cls is not None:
            return inspect.getattr_static(cls, node.attr, None), node.attr
        owner, _ = _resolve(base, env, cls)
        if owner is not None:
            return getattr(owner, node.attr, None), node.attr
        return None, node.attr
    return None, ""


def _ours(obj: Any) -> bool:
    fn = getattr(obj, "__func__", obj)
    return inspect.isfunction(fn) and (fn.__module__ or "").startswith("reasoning_gym")


def scan_function(fn: Callable[..., Any], cls: type | None = None, seen: set[Any] | None = None) -> set[str]:
    """Executors ``fn`` reaches through reasoning-gym's own functions (``{"eval", "sympy.parse_expr", ...}``)."""
    seen = set() if seen is None else seen
    fn = getattr(fn, "__func__", fn)
    if fn in seen or not inspect.isfunction(fn):
        return set()
    seen.add(fn)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return {"unreadable"}
    env = dict(fn.__globals__)
    if fn.__closure__:
        env.update({n: c.cell_contents for n, c in zip(fn.__code__.co_freevars, fn.__closure__)})
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in EXECUTORS and node.id in ("eval", "exec", "__import__"):
            found.add(node.id)  # passed around by name, not only called
        if not isinstance(node, ast.Call):
            continue
        obj, name = _resolve(node.func, env, cls)
        kind = _danger(getattr(obj, "__func__", obj), name)
        if kind:
            found.add(kind)
        elif _ours(obj):
            owner = cls if isinstance(node.func, ast.Attribute) and _is_self(node.func.value) else None
            found |= scan_function(obj, owner, seen)
        elif inspect.isclass(obj) and (obj.__module__ or "").startswith("reasoning_gym"):
            for method in ("__init__", "__post_init__", "__new__"):  # a class called: its constructor runs
                if _ours(inspect.getattr_static(obj, method, None)):
                    found |= scan_function(inspect.getattr_static(obj, method), obj, seen)
    return found


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def scan_task(task: str) -> set[str]:
    """Executors the scorer of reasoning-gym's ``task`` reaches (empty: it executes nothing)."""
    from reasoning_gym.factory import DATASETS

    cls = DATASETS[task][0]
    return scan_function(cls.score_answer, cls)


def scan_all() -> dict[str, set[str]]:
    """``task -> executors`` for every task whose scorer reaches one."""
    from .source import tasks

    return {t: found for t in tasks() if (found := scan_task(t))}


def main() -> None:
    for task, found in sorted(scan_all().items()):
        print(f"{task}: {', '.join(sorted(found))}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
