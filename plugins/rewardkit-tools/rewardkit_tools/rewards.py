"""The three trajectory rewards: ``tools.call_format``, ``tools.efficiency`` and ``tools.result_used``."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from rewardkit import DEFER
from rewardkit.utils import response_text, tool_results

from .calls import verdicts
from .specs import Declared, declared

Row = Callable[[list[dict[str, Any]], Declared], float | None]


def _format_row(require_call: bool) -> Row:
    def score(trajectory: list[dict[str, Any]], tools: Declared) -> float | None:
        ok = verdicts(trajectory, tools)
        if not ok:
            return 0.0 if require_call else None
        return sum(ok) / len(ok)

    return score


def _efficiency_row(budget: int) -> Row:
    def score(trajectory: list[dict[str, Any]], tools: Declared) -> float | None:
        ok = verdicts(trajectory, tools)
        if not ok:
            return None  # no call made: nothing to be efficient about (pair with a correctness term)
        if not all(ok):
            return 0.0  # a malformed, undeclared or text-only call is a wasted turn
        n = len(ok)
        return 1.0 if n <= budget else max(0.0, 1.0 - (n - budget) / budget)

    return score


def _rows(row: Row, trajectory: list[Any], tools: list[Any], defer: bool) -> list[Any]:
    out: list[Any] = []
    for i, (traj, spec) in enumerate(zip(trajectory, tools)):
        decl = declared(spec, i)
        out.append(DEFER if defer and decl.needs_worker else row(traj, decl))
    return out


def call_format(*, completions: list[str], prompts: list[str], trajectory: list[Any], tools: list[Any],
                require_call: bool) -> list[Any]:
    """Share of the trajectory's tool calls that name a declared tool with schema-valid JSON arguments.

    A call written into the text instead of made counts as a failed call. No call at all: ``None``
    (not applicable), or 0 with ``require_call``.
    """
    return _rows(_format_row(require_call), trajectory, tools, defer=False)


def call_format_fast(*, completions: list[str], prompts: list[str], trajectory: list[Any], tools: list[Any],
                     require_call: bool) -> list[Any]:
    """Inline path: rows whose schemas run regular expressions go to a worker (DEFER)."""
    return _rows(_format_row(require_call), trajectory, tools, defer=True)


def efficiency(*, completions: list[str], prompts: list[str], trajectory: list[Any], tools: list[Any],
               budget: int) -> list[Any]:
    """1 when every call is well-formed and there are at most ``budget`` of them, falling linearly to 0
    at twice the budget; 0 when any call is malformed; ``None`` when no call was made."""
    return _rows(_efficiency_row(budget), trajectory, tools, defer=False)


def efficiency_fast(*, completions: list[str], prompts: list[str], trajectory: list[Any], tools: list[Any],
                    budget: int) -> list[Any]:
    return _rows(_efficiency_row(budget), trajectory, tools, defer=True)


# -- tools.result_used ------------------------------------------------------------------------------

NUMBER = re.compile(r"(?<![\w.])-?\d{1,300}(?:,\d{3}){0,100}(?:\.\d{1,300})?(?:[eE][-+]?\d{1,3})?(?![\w])")
_BLANKS = re.compile(r"\s+")
MAX_RESULT_CHARS = 500


def is_error(content: str) -> bool:
    """A tool message reporting a failure (TRL writes ``{'error': '...'}`` when a tool raises or is unknown)."""
    head = content.lstrip()[:12].lower()
    return head.startswith(("{'error'", '{"error"', "error"))


def numbers(text: str) -> list[float]:
    """The finite numbers written in ``text``, in order (``1,234`` is 1234)."""
    out = []
    for m in NUMBER.finditer(text):
        try:
            value = float(m.group(0).replace(",", ""))
        except ValueError:
            continue
        if math.isfinite(value):
            out.append(value)
    return out


def _close(a: float, values: list[float]) -> bool:
    return any(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for b in values)


def _norm(text: str) -> str:
    return _BLANKS.sub(" ", text).strip().casefold()


def _uses(answer: str, prompt: str, results: list[str]) -> bool:
    returned = [v for r in results for v in numbers(r)]
    if returned:
        said = numbers(answer)
        if not said or not _close(said[-1], returned):
            return False
        allowed = returned + numbers(prompt)
        return all(_close(v, allowed) for v in said)  # no second, unexplained number beside the result
    told = _norm(answer)
    return any(r and len(r) <= MAX_RESULT_CHARS and r in told for r in map(_norm, results))


def result_used(*, completions: list[str], prompts: list[str], trajectory: list[Any], answer_only: str) -> list[Any]:
    """1 when the final answer states what a tool returned, else 0; ``None`` without a usable tool result.

    Numbers: the answer's last number is one a tool returned and every other number in it comes from a
    tool result or the prompt. Text results: the answer contains one (blanks collapsed, any case).
    Error results (``{'error': ...}``) never count.
    """
    out: list[Any] = []
    for answer, prompt, traj in zip(completions, prompts, trajectory):
        results = [r.content for r in tool_results(traj) if not is_error(r.content)]
        if not results:
            out.append(None)
            continue
        out.append(float(_uses(response_text(answer, answer_only), prompt, results)))
    return out
