"""The three trajectory rewards: ``tools.call_format``, ``tools.efficiency`` and ``tools.result_used``."""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Callable
from typing import Any

from rewardkit import DEFER
from rewardkit.utils import ToolCall, response_text

from .calls import is_error, paired, verdicts
from .specs import Declared, declared

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

NUMBER = re.compile(r"(?<![\w.])-?\d{1,300}(?:,\d{3}){0,100}(?:\.\d{1,300})?(?:[eE][-+]?\d{1,3})?(?![\w])")
_BLANKS = re.compile(r"\s+")
MAX_RESULT_CHARS = 500
#: Words that deny or hedge the value they govern ("not 42", "isn't false", "never 7").
NEGATION = re.compile(r"\b(?:not|no|never|cannot|neither|nor|none|without)\b|n't\b", re.IGNORECASE)
#: Words that offer alternatives ("True or False", "either 84 or 85").
DISJUNCTION = re.compile(r"\b(?:or|either|maybe|perhaps|possibly)\b", re.IGNORECASE)
#: A clause ends at . ; ! ? a newline, or a comma followed by a blank (not the comma of 1,234).
CLAUSE_END = re.compile(r"[;!?\n]|\.(?!\d)|,(?=\s)")
#: Values that have an opposite: stating both is stating neither.
OPPOSITES = {"true": "false", "false": "true", "yes": "no", "no": "yes"}


def numbers(text: str) -> list[float]:
    """The finite numbers written in ``text``, in order (``1,234`` is 1234)."""
    return [v for _, v in _numbers(text)]


def _numbers(text: str) -> list[tuple[re.Match[str], float]]:
    out = []
    for m in NUMBER.finditer(text):
        try:
            value = float(m.group(0).replace(",", ""))
        except ValueError:
            continue
        if math.isfinite(value):
            out.append((m, value))
    return out


def _close(a: float, values: list[float]) -> bool:
    return any(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for b in values)


def _norm(text: str) -> str:
    return _BLANKS.sub(" ", text).strip().casefold()


class Hedges:
    """Where ``text``'s clauses end and its negations and disjunctions stand, found once (linear), so that
    asking about many spans stays O(log n) each: a 1 MB answer repeating the value is no quadratic scan."""

    def __init__(self, text: str) -> None:
        self.ends = [m.start() for m in CLAUSE_END.finditer(text)]
        self.negations = [m.start() for m in NEGATION.finditer(text)]
        self.disjunctions = [m.start() for m in DISJUNCTION.finditer(text)]

    def __call__(self, start: int, end: int) -> bool:
        """Whether the value at ``text[start:end]`` is denied ("not 42") or offered as one of several
        ("True or False", "either 84 or 85") within its clause."""
        k = bisect.bisect_left(self.ends, start)
        left = self.ends[k - 1] if k else 0
        j = bisect.bisect_left(self.ends, end)
        right = self.ends[j] if j < len(self.ends) else math.inf
        return (_any_in(self.negations, left, start) or _any_in(self.disjunctions, left, start)
                or _any_in(self.disjunctions, end, right))


def _any_in(positions: list[int], lo: float, hi: float) -> bool:
    i = bisect.bisect_left(positions, lo)
    return i < len(positions) and positions[i] < hi


def hedged(text: str, start: int, end: int) -> bool:
    """Whether the value at ``text[start:end]`` is denied or offered as one of several in its clause."""
    return Hedges(text)(start, end)


def _states_number(answer: str, prompt: str, returned: list[float]) -> bool:
    said = _numbers(answer)
    if not said or not _close(said[-1][1], returned):
        return False
    last = said[-1][0]
    if hedged(answer, last.start(), last.end()):
        return False
    allowed = returned + numbers(prompt)
    return all(_close(v, allowed) for _, v in said)  # no second, unexplained number beside the result


def _states_text(answer: str, result: str) -> bool:
    """The answer states the text result: as whole words, not denied or offered as an alternative, and
    without the result's opposite (``true``/``false``, ``yes``/``no``)."""
    told = _norm(answer)
    value = _norm(result).rstrip(".!")
    if not value or len(value) > MAX_RESULT_CHARS:
        return False
    found = list(re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", told))
    hedges = Hedges(told)
    if not found or any(hedges(m.start(), m.end()) for m in found):
        return False
    opposite = OPPOSITES.get(value)
    return not (opposite and re.search(rf"(?<!\w){opposite}(?!\w)", told))


def _echo(call: ToolCall, result: str) -> bool:
    """A result the call's own arguments already hold (``calculate("400")`` -> ``400``): the tool
    computed nothing, the model's own answer was passed through it."""
    args = call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments, default=str)
    got = numbers(result)
    if got:
        given = numbers(args)
        return all(_close(v, given) for v in got)
    value = _norm(result)
    return bool(value) and value in _norm(args)


def _results(traj: Any) -> tuple[list[str], list[str]]:
    """``(every result that is not an error, those of them that do not echo their call's arguments)``."""
    answered = [(c, r.content) for c, r in paired(traj) if r is not None and not is_error(r.content)]
    return [r for _, r in answered], [r for c, r in answered if not _echo(c, r)]


def _uses(answer: str, prompt: str, results: list[str]) -> bool:
    returned = [v for r in results for v in numbers(r)]
    if returned:
        return _states_number(answer, prompt, returned)
    return any(_states_text(answer, r) for r in results)


def result_used(*, completions: list[str], prompts: list[str], trajectory: list[Any], answer_only: str) -> list[Any]:
    """1 when the final answer states what a tool returned, else 0; ``None`` without a usable tool result.

    Numbers: the answer's last number is one a tool returned, not denied or offered as an alternative
    ("not 84", "84 or 12"), and every other number in it comes from a tool result or the prompt. Text
    results: stated as whole words, not denied or offered as an alternative, and without their
    opposite (``True``/``False``, ``yes``/``no``). Error results (``{'error': ...}``) never count (only
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
