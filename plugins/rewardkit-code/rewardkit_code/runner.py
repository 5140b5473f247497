"""Runners: how a program in one language runs against a suite (one small interface).

A runner turns ``(program, suite)`` into an :class:`Outcome`. Add a language by writing a
class with ``language`` and ``run`` and adding it to :data:`RUNNERS`; a compiled language
compiles once in the sandbox, then runs the binary per case (stdin/stdout suites only).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .sandbox import Limits, Run, get_sandbox
from .suites import Suite, same_output


@dataclass(frozen=True)
class Outcome:
    """Cases passed out of the cases run, and why the first failure failed.

    ``cases``: ``(passed, counted)`` asserts per test string of function tests; the share is
    then the mean over test strings of passed/counted (a string that stopped early counts the
    asserts it never reached as failed, so stopping never scores more than answering).
    """

    passed: int
    total: int
    reason: str = ""
    cases: tuple[tuple[int, int], ...] = ()

    @property
    def share(self) -> float:
        if self.cases:
            return sum(p / t for p, t in self.cases) / len(self.cases)
        return self.passed / self.total if self.total else 0.0


class Runner(Protocol):
    """What a language plugs in."""

    language: str

    def run(self, program: str, suite: Suite, limits: Limits, *, stop_on_failure: bool,
            budget: float, strict: bool, backend: str = "auto", helpers: str = "") -> Outcome:
        """Run ``program`` against every case of ``suite`` (each case a fresh sandboxed process).
        ``helpers``: Python source whose definitions the tests may use (a human-eval prompt)."""
        ...


def _why(run: Run) -> str:
    if run.timeout:
        return "timeout"
    if run.truncated:
        return "output over the cap"
    if run.signal is not None:
        return f"killed by signal {run.signal}"
    tail = run.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    return f"exit {run.exit}: {tail[0][:200]}"


class PythonRunner:
    """CPython in the zygote sandbox: ``stdio`` and ``function`` modes of the harness."""

    language = "python"

    def run(self, program: str, suite: Suite, limits: Limits, *, stop_on_failure: bool,
            budget: float, strict: bool, backend: str = "auto", helpers: str = "") -> Outcome:
        if suite.kind == "stdio":
            return self._stdio(program, suite, limits, stop_on_failure, budget, backend)
        if strict:
            return self._judged(program, suite, limits, backend, helpers)
        return self._function(program, suite, limits, strict, backend)

    def _judged(self, program: str, suite: Suite, limits: Limits, backend: str, helpers: str) -> Outcome:
        """Function tests judged out of the program's process (the judge alone reads the tests
        and writes the report; the program only answers calls with plain data)."""
        cases = [suite.code] if suite.kind == "check" else [suite.setup + "\n" + c for c in suite.cases]
        payload = {"kind": suite.kind, "tests": suite.code, "cases": cases, "entry_point": suite.entry_point,
                   "helpers": helpers, "wall": limits.wall}
        run = get_sandbox().run(program, mode="serve", tests=json.dumps(payload).encode(), limits=limits,
                                backend=backend)
        counted = _read_report(run.report, len(cases))
        if counted is None:
            return Outcome(0, len(cases), "no valid report: " + _why(run), tuple((0, 1) for _ in cases))
        report, pairs = counted
        return Outcome(sum(p for p, _ in pairs), sum(t for _, t in pairs), report.get("error") or "", pairs)

    def _stdio(self, program: str, suite: Suite, limits: Limits, stop: bool, budget: float,
               backend: str) -> Outcome:
        sandbox = get_sandbox()
        return stdio_cases(suite, stop, budget, lambda stdin: sandbox.run(
            program, mode="stdio", stdin=stdin, limits=limits, backend=backend))

    def _function(self, program: str, suite: Suite, limits: Limits, strict: bool, backend: str) -> Outcome:
        nonce = secrets.token_hex(16)
        payload = {
            "nonce": nonce, "kind": suite.kind, "tests": suite.code, "entry_point": suite.entry_point,
            "strict": strict, "cases": [suite.setup + "\n" + c for c in suite.cases],
        }
        run = get_sandbox().run(program, mode="function", tests=json.dumps(payload).encode(), limits=limits,
                                backend=backend)
        try:
            report = json.loads(run.report.decode("utf-8"))
        except ValueError:
            report = None
        if not isinstance(report, dict) or report.get("nonce") != nonce:
            total = max(1, len(suite.cases))
            return Outcome(0, total, "no valid report: " + _why(run) if not run.ok or not run.report
                           else "no valid report (forged or garbled)")
        passed, total = int(report["passed"]), int(report["total"])
        if total == 0:
            return Outcome(0, 1, "no assertion ran")
        return Outcome(min(passed, total), total, report.get("error") or "")


def _read_report(data: bytes, n: int) -> tuple[dict, tuple[tuple[int, int], ...]] | None:
    """The judge's report: one ``[passed, counted]`` pair per case, else None."""
    try:
        report = json.loads(data.decode("utf-8"))
    except ValueError:
        return None
    pairs = report.get("cases") if isinstance(report, dict) else None
    if not isinstance(pairs, list) or len(pairs) != n:
        return None
    out = []
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 2 and all(type(x) is int for x in pair)
                and 0 <= pair[0] <= pair[1] and pair[1] >= 1):
            return None
        out.append((pair[0], pair[1]))
    return report, tuple(out)


class CppRunner:
    """C++ (g++ on PATH): compile once per completion in the sandbox, then run the binary per
    stdin/stdout case. With bubblewrap (the default) the build is a sandbox run whose tmpfs holds
    the source and the binary; the binary comes back on its stdout (capped) and each case runs it
    from a fresh tmpfs: nothing of the build touches the host's disk."""

    language = "cpp"
    compiler = ("g++", "-O2", "-std=c++17", "-o", "prog", "main.cpp")
    #: compiling needs more room than running: g++ spawns cc1plus, as and ld
    compile_limits = Limits(wall=20.0, cpu=20, memory_mb=4096, file_mb=128, nproc=64, output_bytes=64 << 20)

    def run(self, program: str, suite: Suite, limits: Limits, *, stop_on_failure: bool,
            budget: float, strict: bool, backend: str = "auto", helpers: str = "") -> Outcome:
        if suite.kind != "stdio":
            raise ValueError(f"tests: the cpp runner runs stdin/stdout tests only, not {suite.kind!r} tests")
        sandbox = get_sandbox()
        if backend in ("auto", "bwrap"):
            return self._in_memory(program, suite, limits, stop_on_failure, budget, backend)
        keep = secrets.token_hex(8)
        try:
            built = sandbox.run(program, command=list(self.compiler), source="main.cpp", keep=keep,
                                limits=self.compile_limits, backend=backend)
            if not built.ok:
                return Outcome(0, len(suite.cases), "does not compile: " + _why(built))
            return stdio_cases(suite, stop_on_failure, budget, lambda stdin: sandbox.run(
                "", command=["./prog"], stdin=stdin, keep=keep, limits=limits, backend=backend))
        finally:
            sandbox.discard(keep)

    def _in_memory(self, program: str, suite: Suite, limits: Limits, stop: bool, budget: float,
                   backend: str) -> Outcome:
        sandbox = get_sandbox()
        build = " ".join(self.compiler) + " >&2 && cat prog"
        built = sandbox.run(program, command=["/bin/sh", "-c", build], source="main.cpp",
                            limits=self.compile_limits, backend=backend)
        if not built.ok or not built.stdout:
            return Outcome(0, len(suite.cases), "does not compile: " + _why(built))
        binary = built.stdout
        return stdio_cases(suite, stop, budget, lambda stdin: sandbox.run(
            "", command=["./prog"], stdin=stdin, files={"prog": binary}, executable=("prog",), limits=limits,
            backend=backend))


def stdio_cases(suite: Suite, stop: bool, budget: float, run_case: Callable[[bytes], Run]) -> Outcome:
    """Run every stdin/stdout case through ``run_case`` and compare outputs (outside the program)."""
    passed, reason = 0, ""
    end = time.monotonic() + budget
    for i, (stdin, want) in enumerate(suite.cases):
        if time.monotonic() >= end:
            reason = reason or f"time budget of {budget:g}s spent after {i} cases"
            break
        run = run_case(stdin.encode())
        if run.ok and same_output(run.stdout.decode("utf-8", "replace"), want):
            passed += 1
            continue
        reason = reason or f"case {i}: " + (_why(run) if not run.ok else "wrong output")
        if stop:
            break
    return Outcome(passed, len(suite.cases), reason)


RUNNERS: dict[str, Runner] = {"python": PythonRunner(), "cpp": CppRunner()}
