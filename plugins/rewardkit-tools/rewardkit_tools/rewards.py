"""The three trajectory rewards: ``tools.call_format``, ``tools.efficiency`` and ``tools.result_used``."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from rewardkit import DEFER
from rewardkit.utils import ToolCall, response_text

from .calls import is_error, paired, verdicts
from .specs import Declared, declared
from .stated import numbers, uses
from .values import agrees_any, values

Row = Callable[[list[dict[str, Any]], Declared], float | None]


def _format_row(require_call: bool) -> Row:
    def score(trajectory: list[dict[str, Any]], tools: Declared) -> float | None:
        ok = verdicts(trajectory, tools)
        if not ok:
            return 0.0 if require_call else None
        return float(all(ok))  # per completion: extra valid calls do not pad a malformed one

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
    """1 when every tool call of the trajectory names a declared tool with schema-valid JSON arguments and
    the tool accepted it, else 0 (per completion: nine good calls do not make a malformed tenth one 0.9).

    A call written into the text instead of made, and a call whose tool answered with an error, are
    malformed. No call at all: ``None`` (not applicable), or 0 with ``require_call``.
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

def _close(a: float, values: list[float]) -> bool:
    return any(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for b in values)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _echo(call: ToolCall, result: str) -> bool:
    """A result the call's own arguments already hold (``calculate("400")`` -> ``400``): the tool
    computed nothing, the model's own answer was passed through it."""
    args = call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments, default=str, ensure_ascii=False)
    got = numbers(result)
    if got:
        given = numbers(args)
        if all(_close(v, given) for v in got):
            return True
        written = [v.value for v in values(args) if v.plain]  # ".5" or "\u22125" passed through as 0.5, -5
        return all(agrees_any(v.value, written) for v in values(result))
    value = _norm(result)
    return bool(value) and value in _norm(args)


def _results(traj: Any) -> tuple[list[str], list[str]]:
    """``(every result that is not an error, those of them that do not echo their call's arguments)``."""
    answered = [(c, r.content) for c, r in paired(traj) if r is not None and not is_error(r.content)]
    return [r for _, r in answered], [r for c, r in answered if not _echo(c, r)]


_uses = uses


def result_used(*, completions: list[str], prompts: list[str], trajectory: list[Any], answer_only: str) -> list[Any]:
    """1 when the final answer states what a tool returned, else 0; ``None`` without a usable tool result.

    Numbers, compared as values (``2/1`` is not ``1/2``; ``.5``, ``1/2``, ``2/4`` are ``0.5``): the
    answer's last value is one a tool returned, in a unit that agrees with the result's (``5 feet`` is
    not ``5 meters``), not denied or offered as an alternative ("not 84", "84 or 12"), and every other
    number in it comes from a tool result or the prompt. Text results: stated as whole words (a leading
    article optional), not denied, offered as an alternative (``A, B, C, or D``) or listed beside another
    one-letter choice, and without their opposite (``True``/``False``, ``yes``/``no``). An empty answer
    slot (``The answer is  .``) states nothing (:mod:`.stated`). Error results (``{'error': ...}``) never count (only
    those: ``None``); results that echo the call's own arguments (``calculate("400")`` -> ``400``) are
    never paid (only those: 0).
    """
    out: list[Any] = []
    for answer, prompt, traj in zip(completions, prompts, trajectory):
        answered, usable = _results(traj)
        if not answered:
            out.append(None)
            continue
        out.append(float(bool(usable) and _uses(response_text(answer, answer_only), prompt, usable)))
    return out
