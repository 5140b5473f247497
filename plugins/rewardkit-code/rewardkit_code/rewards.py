"""The rewards: ``code.tests`` (share of cases passed), ``code.passes`` (all or nothing) and
``code.compiles`` (the extracted program parses)."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Sequence
from typing import Any

from rewardkit import DEFER

from .extract import extract_code
from .runner import RUNNERS, Outcome
from .sandbox import Limits
from .suites import Suite, missing_entry_point, parse_suite, prompt_entry_point


def _score_one(completion: str, prompt: str, tests: Any, params: dict[str, Any], stop: bool) -> float | None:
    suite = parse_suite(tests, params["entry_point"])
    if suite is None:
        return None
    program = extract_code(completion, params["language"], params["source"])
    if program is None:
        return 0.0
    if params["prepend_prompt"]:
        program = prompt + program
    if suite.kind == "check" and not suite.entry_point:  # the row decides what is tested, never the program
        name = prompt_entry_point(prompt)
        if not name:
            raise missing_entry_point()
        suite = Suite("check", code=suite.code, entry_point=name)
    limits = Limits(wall=params["run_timeout"], cpu=max(1, int(params["run_timeout"]) + 1),
                    memory_mb=params["memory_mb"])
    if params["backend"] == "sandboxfusion":
        from .fusion import run_suite

        outcome: Outcome = run_suite(program, suite, limits, language=params["language"], stop_on_failure=stop,
                                     budget=params["max_seconds"], url=params["sandbox_url"])
    else:
        outcome = RUNNERS[params["language"]].run(
            program, suite, limits, stop_on_failure=stop, budget=params["max_seconds"], strict=params["strict"],
            backend=params["backend"], helpers=prompt)
    return 1.0 if stop and outcome.passed == outcome.total else (0.0 if stop else outcome.share)


def check_params(params: dict[str, Any]) -> None:
    """The backend can run here (ValueError naming the parameter): bubblewrap installed for
    ``auto``/``bwrap`` (the message says how to install it), a server URL for ``sandboxfusion``."""
    from . import _view, fusion
    from .sandbox import SandboxError

    backend = params.get("backend", "auto")
    try:
        if backend in ("auto", "bwrap"):
            _view.bwrap_path()
        elif backend == "sandboxfusion":
            fusion.server_url(params.get("sandbox_url", ""))
    except (_view.ViewError, SandboxError) as exc:
        error = ValueError(str(exc))
        error.param = "backend"  # type: ignore[attr-defined]
        raise error from None


def _batch(completions: Sequence[str], prompts: Sequence[str], tests: Sequence[Any], stop: bool,
           **params: Any) -> list[float | None]:
    prompts = list(prompts) if prompts else [""] * len(completions)
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        return [_score_one(c, p or "", t, params, stop) for c, p, t in zip(completions, prompts, tests)]


def tests(*, completions: Sequence[str], prompts: Sequence[str], tests: Sequence[Any],
          **params: Any) -> list[float | None]:
    """Share of test cases the extracted program passes (None when the row has no tests)."""
    return _batch(completions, prompts, tests, False, **params)


def passes(*, completions: Sequence[str], prompts: Sequence[str], tests: Sequence[Any],
           **params: Any) -> list[float | None]:
    """1 when the extracted program passes every test case, else 0 (stops at the first failure)."""
    return _batch(completions, prompts, tests, True, **params)


def compiles(*, completions: Sequence[str], prompts: Sequence[str], language: str, source: str) -> list[float | None]:
    """1 when the extracted program parses (nothing runs), 0 when it does not or there is none."""
    out: list[float | None] = []
    for text in completions:
        program = extract_code(text, language, source)
        out.append(0.0 if program is None else float(_parses(program)))
    return out


#: Programs up to this many characters are parsed inline (well under a millisecond); longer
#: ones go to the worker pool with its deadline.
INLINE_CHARS = 20_000


def compiles_inline(*, completions: Sequence[str], prompts: Sequence[str], language: str,
                    source: str) -> list[Any]:
    """``code.compiles``'s fast path: short programs inline, long ones deferred to workers."""
    out: list[Any] = []
    for text in completions:
        program = extract_code(text, language, source)
        if program is None:
            out.append(0.0)
        elif len(program) > INLINE_CHARS:
            out.append(DEFER)
        else:
            out.append(float(_parses(program)))
    return out


def _parses(program: str) -> bool:
    """The program parses and does something: a statement, or an expression with a call. A bare
    value (``623``, a string, ``x + 1``) is no program: an answer span holding only the final answer
    of a maths question parsed as Python and scored 1 (``rewardkit probe``, padding family)."""
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(_does_something(node) for node in tree.body)


_ACTIONS = (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)


def _does_something(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Expr):
        return True
    return any(isinstance(sub, _ACTIONS) for sub in ast.walk(node))
