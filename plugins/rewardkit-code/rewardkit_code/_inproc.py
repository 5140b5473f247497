"""``function`` mode (``strict=False`` only: tests that compare the program's own objects): the tests
run in the program's process, which reports ``passed/total`` tagged with a per-run nonce on fd 4; it
trusts the program (docs/code.md). An audit hook hides the runner's frames and memory from the
program (``sys._getframe``, ``tb_frame``/``gi_frame``, ``gc`` referrers, ``settrace``, ``ctypes``,
``signal``), asserts compare only plain built-in data (an object equal to everything fails), and the
tests run with a pristine copy of the builtins. Standard library only; split from :mod:`_harness`
so that a stdin/stdout or judged run does not import ``ast`` and ``json``.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import sys

from _harness import REPORT_FD, TESTS_FD, _hide_harness, _short

__builtins__ = dict(builtins.__dict__)  # type: ignore[assignment]

_BLOCKED_EVENTS = frozenset({
    "sys._current_frames", "sys.settrace", "sys.setprofile", "gc.get_objects", "gc.get_referrers",
    "gc.get_referents", "ctypes.dlopen", "ctypes.dlsym", "ctypes.cdata", "sys.addaudithook",
    # a forked copy of the harness could report a pass of its own (several guesses, one report
    # collected first): function tests run in this one process, which never forks
    "os.fork", "os.forkpty",
})
_FRAME_ATTRS = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"})
_BLOCKED_MODULES = frozenset(
    {"signal", "_signal", "ctypes", "_ctypes", "faulthandler", "_testcapi", "_xxsubinterpreters"}
)

# bound now: a program may patch os.path later
_REALPATH, _FSDECODE = os.path.realpath, os.fsdecode


def _audit(event: str, args: tuple) -> None:
    if event == "sys._getframe":
        raise ValueError("sys._getframe is disabled in the sandbox")
    if event == "object.__getattr__" and len(args) > 1 and args[1] in _FRAME_ATTRS:
        raise AttributeError(f"{args[1]} is disabled in the sandbox")
    if event == "import" and args and args[0] in _BLOCKED_MODULES:
        raise ImportError(f"module {args[0]!r} is disabled in the sandbox")
    if event == "open" and args and _is_process_memory(args[0]):
        raise PermissionError(f"{args[0]!r}: process memory is not readable in the sandbox")
    if event in _BLOCKED_EVENTS:
        raise RuntimeError(f"{event} is disabled in the sandbox")


def _is_process_memory(path: object) -> bool:
    """``/proc/<pid>/mem`` under any spelling (``/proc/self/mem``, task dirs, relative paths)."""
    if isinstance(path, int):
        return False
    try:
        real = _REALPATH(_FSDECODE(path))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return real.startswith("/proc/") and real.rsplit("/", 1)[-1] in ("mem", "pagemap")


def _plain_types() -> tuple[frozenset, tuple]:
    """Built-in (immutable, C-level) types whose comparison a program cannot override."""
    import collections
    import datetime
    import decimal

    scalars = frozenset({int, float, complex, bool, str, bytes, type(None), range, decimal.Decimal,
                         datetime.date, datetime.datetime, datetime.time, datetime.timedelta})
    containers = (list, tuple, dict, set, frozenset, collections.deque, collections.OrderedDict,
                  collections.defaultdict)
    return scalars, containers


_SCALARS, _CONTAINERS = _plain_types()


def _is_plain(value: object, depth: int = 0) -> bool:
    kind = type(value)
    if kind in _SCALARS:
        return True
    if depth > 50 or kind not in _CONTAINERS:
        return False
    if isinstance(value, dict):
        return all(_is_plain(k, depth + 1) and _is_plain(v, depth + 1) for k, v in value.items())
    return all(_is_plain(v, depth + 1) for v in value)  # type: ignore[attr-defined]


class _NotPlain(AssertionError):
    pass


def _check_plain(value: object) -> object:
    if not _is_plain(value):
        raise _NotPlain(f"a {type(value).__name__} is not plain built-in data (strict comparison)")
    return value


class _StrictAsserts(ast.NodeTransformer):
    """``assert T`` -> ``__rk_assert(T')`` where every comparison in T' checks plain operands."""

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        test = self.visit(node.test)
        call = ast.Call(ast.Name("__rk_assert", ast.Load()), [test], [])
        return ast.copy_location(ast.Expr(call), node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        wrap: list[ast.expr] = [
            ast.Call(ast.Name("__rk_plain", ast.Load()), [e], []) for e in [node.left, *node.comparators]
        ]
        return ast.copy_location(ast.Compare(wrap[0], node.ops, wrap[1:]), node)


class _CountedAsserts(ast.NodeTransformer):
    """``assert T`` -> ``__rk_assert(T)`` (counted, non-strict)."""

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        call = ast.Call(ast.Name("__rk_assert", ast.Load()), [self.visit(node.test)], [])
        return ast.copy_location(ast.Expr(call), node)


def _wrap_callable(fn):  # type: ignore[no-untyped-def]
    def candidate(*args, **kwargs):  # type: ignore[no-untyped-def]
        return _check_plain(fn(*args, **kwargs))

    return candidate


def _call_named(namespace: dict, name: str, args: list):  # type: ignore[no-untyped-def]
    """Call ``name`` of the program: a function, else a method of a ``Solution`` instance (APPS)."""
    fn = namespace.get(name)
    if fn is None and "Solution" in namespace:
        fn = getattr(namespace["Solution"](), name)
    if fn is None:
        raise NameError(f"the program defines no {name!r}")
    return fn(*args)


def _apps_equal(out: object, want: object, strict: bool) -> bool:
    """APPS call-based comparison: tuples read as lists; ``[x]`` also accepts ``x``."""
    if strict:
        _check_plain(out)
    if isinstance(out, tuple):
        out = list(out)
    if out == want:
        return True
    return isinstance(want, list) and len(want) == 1 and out == want[0]


def run_function(program: str) -> int:
    """Run ``program`` then the tests read from fd 3; report on fd 4. Returns the exit status.

    Everything the tests need is read, compiled and bound before the program runs; then the
    harness module is hidden (``sys.modules``, ``__main__``) and the audit hook installed.
    """
    write, read, close, dumps = os.write, os.read, os.close, json.dumps
    pristine = dict(builtins.__dict__)
    chunks = []
    while True:
        block = read(TESTS_FD, 1 << 20)
        if not block:
            break
        chunks.append(block)
    close(TESTS_FD)
    spec = json.loads(b"".join(chunks).decode("utf-8"))
    del chunks
    nonce, kind, entry = spec["nonce"], spec["kind"], spec.get("entry_point") or ""
    strict = bool(spec.get("strict", True))
    state = {"passed": 0, "total": 0}
    helpers = _helpers(strict, state)
    sources = [spec["tests"]] if kind == "check" else (spec.get("cases") or [spec["tests"]])
    compiled = [_try_compile(_StrictAsserts() if strict else _CountedAsserts(), src) for src in sources]
    del spec, sources
    _hide_harness()
    sys.addaudithook(_audit)
    namespace: dict = {"__name__": "solution", "__builtins__": builtins}
    error = None
    try:
        exec(compile(program, "solution.py", "exec"), namespace)
        helpers["__rk_call"] = lambda name, args: _call_named(namespace, name, args)
        error = _run_tests(kind, entry, strict, compiled, namespace, pristine, helpers, state)
    except BaseException as exc:  # noqa: BLE001 - whatever the program raised is a failure
        error = f"{type(exc).__name__}: {_short(exc)}"
        state["total"] += 1
    report = dumps({"nonce": nonce, "passed": state["passed"], "total": state["total"], "error": error})
    write(REPORT_FD, report.encode("utf-8"))
    return 0


def _helpers(strict: bool, state: dict) -> dict:
    """The names the rewritten asserts call, bound before the program runs."""

    def record(value: object) -> None:
        if strict and type(value) is not bool:
            _check_plain(value)
        state["total"] += 1
        if value:
            state["passed"] += 1

    return {
        "__rk_assert": record,
        "__rk_plain": _check_plain if strict else (lambda v: v),
        "__rk_json": json.loads,
        "__rk_apps": lambda out, want: _apps_equal(out, want, strict),
    }

def _try_compile(transformer: ast.NodeTransformer, source: str):  # type: ignore[no-untyped-def]
    try:
        return _compile_tests(transformer, source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return exc


def _run_tests(kind, entry, strict, compiled, namespace, pristine, helpers, state):  # type: ignore[no-untyped-def]
    """Execute the tests; each executed assert counts. Returns an error message or None."""
    env = dict(namespace)
    env.update(helpers)
    env["__builtins__"] = dict(pristine)
    env["__name__"] = "tests"
    if kind == "check":
        if isinstance(compiled[0], BaseException):
            state["total"] += 1
            return f"the test code does not compile: {compiled[0]}"
        if entry not in namespace:
            state["total"] += 1
            return f"entry point {entry!r} is not defined by the program"
        exec(compiled[0], env)
        candidate = namespace[entry]
        env["check"](_wrap_callable(candidate) if strict else candidate)
        return None
    # assert-style: each case (one source string) runs on its own; a crash fails only that case
    error = None
    for code in compiled:
        before = state["total"]
        try:
            if isinstance(code, BaseException):
                raise code
            exec(code, env)
        except BaseException as exc:  # noqa: BLE001 - a failing case, counted
            if not isinstance(exc, AssertionError) or state["total"] == before:
                state["total"] += 1
            error = error or f"{type(exc).__name__}: {_short(exc)}"
    return error


def _compile_tests(transformer: ast.NodeTransformer, source: str):  # type: ignore[no-untyped-def]
    tree = ast.fix_missing_locations(transformer.visit(ast.parse(source, "tests.py")))
    return compile(tree, "tests.py", "exec")

