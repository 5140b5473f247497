"""What runs inside a sandboxed child, after the zygote forked it (standard library only).

``stdio`` mode executes the program as ``__main__`` with the test input on stdin; the parent
compares its stdout (the expected output never enters this process). ``serve`` mode (function
tests, the default) executes the program, then answers the calls of the judge, a separate
process (:mod:`_judge`), with the plain data its functions return (:mod:`_wire`): the tests,
their comparisons and the report never enter this process.

``function`` mode (``strict=False``, trusts the program) is :mod:`_inproc`. This module imports
only what a stdin/stdout run needs (a fresh interpreter per run pays for every import).
"""

from __future__ import annotations

import builtins
import os
import sys
import types

# A private copy of the builtins for the harness's own functions: a program that patches
# builtins.type, isinstance, exec... cannot change what the harness calls.
__builtins__ = dict(builtins.__dict__)  # type: ignore[assignment]

TESTS_FD = 3
REPORT_FD = 4

_SPAWN_EVENTS = frozenset({
    "os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn", "os.system", "subprocess.Popen",
})


def _audit_serve(event: str, args: tuple) -> None:
    """Function tests: no new process (the seccomp filter refuses them too, where there is one)."""
    if event in _SPAWN_EVENTS:
        raise RuntimeError(f"{event} is disabled in function tests")


def serve_program(program: str) -> int:
    """Run ``program``, then answer the judge: calls on fd 3, plain return values on fd 4."""
    import _wire

    send, recv, encode, decode, WireError = _wire.send, _wire.recv, _wire.encode, _wire.decode, _wire.WireError
    _hide_harness()
    sys.addaudithook(_audit_serve)
    namespace: dict = {"__name__": "solution", "__builtins__": builtins}
    try:
        exec(compile(program, "solution.py", "exec"), namespace)
        hello: dict = {"ready": True}
    except BaseException as exc:  # noqa: BLE001 - whatever the program raised fails every case
        hello = {"error": f"{type(exc).__name__}: {_short(exc)}"}
    send(REPORT_FD, hello)
    if "error" in hello:
        return 0
    while True:
        try:
            request = recv(TESTS_FD)
        except (EOFError, OSError, WireError):
            return 0
        try:
            fn = _callee(namespace, request["op"], request["name"])
            value = fn(*decode(request["args"]), **decode(request["kwargs"]))
            reply: dict = {"ok": encode(value)}
        except WireError as exc:
            reply = {"raised": "NotPlainData", "message": f"returned {exc}"}
        except BaseException as exc:  # noqa: BLE001 - the judge decides what a raise means
            reply = {"raised": type(exc).__name__, "message": _short(exc)}
        try:
            send(REPORT_FD, reply)
        except WireError as exc:
            send(REPORT_FD, {"raised": "NotPlainData", "message": str(exc)})


def _callee(namespace: dict, op: str, name: str):  # type: ignore[no-untyped-def]
    fn = namespace.get(name)
    if fn is None and op == "method" and "Solution" in namespace:
        fn = getattr(namespace["Solution"](), name)
    if fn is None:
        raise NameError(f"the program defines no {name!r}")
    return fn

def _hide_harness() -> None:
    """Make the harness module unreachable by name: the program gets a fresh ``__main__``."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.modules.pop("_harness", None)
    sys.modules.pop("_inproc", None)
    sys.modules.pop("_wire", None)
    sys.modules["__main__"] = types.ModuleType("__main__")
    sys.path[:] = [p for p in sys.path if p != here]

def run_stdio(program: str) -> int:
    """Run ``program`` as ``__main__`` on stdin/stdout; the exit status is the program's."""
    import traceback
    import types

    module = types.ModuleType("__main__")
    module.__file__ = "solution.py"
    sys.modules["__main__"] = module
    namespace = module.__dict__
    status = 0
    try:
        exec(compile(program, "solution.py", "exec"), namespace)
    except SystemExit as exc:
        code = exc.code
        status = code if isinstance(code, int) else (0 if code is None else 1)
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - reported on stderr, like the interpreter would
        traceback.print_exc()
        status = 1
    try:
        sys.stdout.flush()
    except BaseException:  # noqa: BLE001 - the reader closed the pipe (output over the cap)
        status = status or 1
    return status & 0xFF


def _short(exc: BaseException, limit: int = 200) -> str:
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001
        text = "<unprintable>"
    return text if len(text) <= limit else text[:limit] + "..."
