"""Per-turn rewards: one value per assistant turn of a trajectory, reduced to the scalar a trainer needs.

A reward may declare a per-turn mode at registration (``register(fn, ..., turns=fn_turns)``):
``fn_turns`` takes the same keywords as ``fn`` and returns, per completion, a list with one value per
assistant message of its trajectory (``None`` for a turn it does not judge). The host validates that
shape and every value (:func:`score_turns`): a list of the wrong length, a value outside the declared
range, NaN or a non-number makes that completion an error outcome naming the completion and the turn.

A composite term asks for it with ``turns = "last" | "mean" | "discounted"`` (and ``discount``, default
0.9); :func:`reduce_turns` turns the judged turns' values into the term's scalar, which is shaped,
gated, weighted and logged like any other term, so TRL, ``rewardkit serve`` and bench see one number:

* ``last``: the value of the last judged turn;
* ``mean``: the mean over the judged turns;
* ``discounted``: ``sum(discount ** k * v_k)`` over the judged turns, ``k`` the assistant turn's index
  (0 for the first): early turns weigh most. Its range is the declared one scaled by ``1 / (1 - discount)``
  (the most any number of turns can add up to), so ``unit`` shaping still maps it onto [0, 1].

No judged turn gives ``None`` (not applicable), as a scalar reward's ``None``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import ParameterError
from .outcomes import Reason, Scores, Status, check_batch_length, check_value
from .reward import Reward
from .trajectory import TRAJECTORY, trajectories

#: The documented reductions of per-turn values into one value per completion.
REDUCTIONS = ("last", "mean", "discounted")
DEFAULT_DISCOUNT = 0.9

__all__ = ["REDUCTIONS", "PerTurnReward", "TurnScores", "assistant_turns", "per_turn", "reduce_turns",
           "score_turns", "turn_stats"]


@dataclass
class TurnScores:
    """Per completion: one value per assistant turn (``turns[i]``; ``None`` when the completion failed)."""

    reward: str
    signature: str
    turns: list[list[float | None] | None]
    statuses: list[Status]
    messages: dict[int, str] = field(default_factory=dict)
    reasons: dict[int, Reason] = field(default_factory=dict)
    seconds: float = 0.0


def assistant_turns(trajectory: Sequence[dict[str, Any]]) -> int:
    """How many assistant messages a (validated) trajectory has: the length a per-turn result must have."""
    return sum(1 for m in trajectory if m.get("role") == "assistant")


def _check_turns(reward: Reward, value: Any, expected: int, i: int) -> tuple[list[float | None] | None, str, Reason]:
    """``(values, "", reason)`` or ``(None, message, reason)`` for one completion's per-turn result."""
    where = f"reward {reward.name!r} (per turn), completion {i}"
    if not isinstance(value, (list, tuple)):
        return None, f"{where}: expected a list with one value per assistant turn, got {type(value).__name__}", Reason.TYPE
    if len(value) != expected:
        return None, f"{where}: {len(value)} values for {expected} assistant turns", Reason.LENGTH
    out: list[float | None] = []
    for k, v in enumerate(value):
        checked = check_value(reward.name, reward.spec.lo, reward.spec.hi, v)
        if checked.status is Status.ERROR:
            return None, f"{where}, turn {k}: {checked.message}", checked.reason or Reason.TYPE
        out.append(checked.value)
    return out, "", Reason.TYPE


def _raw_inline(reward: Reward, fn: Any, texts: list[str], prompts: list[str], cols: dict[str, list[Any]]) -> list[Any]:
    """The per-turn function on the whole batch; on a raise, item by item (a raising item is its own error)."""
    try:
        raw = reward._call(fn, list(range(len(texts))), texts, prompts, cols)
        items, _ = check_batch_length(reward.name, raw, len(texts))
        if items is not None:
            return list(items)
    except Exception:  # noqa: BLE001 - isolate the failing items below
        pass
    out: list[Any] = []
    for i in range(len(texts)):
        try:
            one = reward._call(fn, [i], texts, prompts, cols)
            items, message = check_batch_length(reward.name, one, 1)
            out.append(items[0] if items is not None else _Failed(Reason.LENGTH, message or "bad batch"))
        except Exception as exc:  # noqa: BLE001 - the item's error outcome
            out.append(_Failed(Reason.RAISED, f"reward {reward.name!r} (per turn) raised {type(exc).__name__}: {exc}"[:500]))
    return out


@dataclass(frozen=True)
class _Failed:
    reason: Reason
    message: str


_KINDS = {"raised": Reason.RAISED, "crashed": Reason.CRASHED, "type": Reason.TYPE, "timeout": Reason.TIMEOUT}


def _raw_pool(reward: Reward, fn: Any, texts: list[str], prompts: list[str], cols: dict[str, list[Any]]) -> list[Any]:
    """A ``cpu`` reward's per-turn function in the worker pool, each item under the reward's deadline."""
    from .isolation import get_pool

    items = [(texts[i], prompts[i], {k: v[i] for k, v in cols.items()}) for i in range(len(texts))]
    results = get_pool().map(fn, reward.params, items, reward.timeout, key=reward.signature + "#turns")
    out: list[Any] = []
    for kind, payload in results:
        if kind != "ok":
            out.append(_Failed(_KINDS.get(kind, Reason.CRASHED), f"reward {reward.name!r} (per turn): {payload}"))
            continue
        batch, message = check_batch_length(reward.name, payload, 1)
        out.append(batch[0] if batch is not None else _Failed(Reason.LENGTH, message or "bad batch"))
    return out


def score_turns(reward: Reward, completions: Sequence[Any], *, prompts: Sequence[Any] | None = None,
                **columns: Any) -> TurnScores:
    """Score each assistant turn of each completion with ``reward``'s per-turn mode (validated)."""
    fn = reward.spec.turns
    if fn is None:
        raise ParameterError(reward.name, "turns", "this reward has no per-turn mode (rewardkit rewards --json "
                                                   "shows per_turn: true for those that do)")
    start = time.perf_counter()
    texts, prompt_texts, cols = reward._inputs(completions, prompts, columns)
    trajs = cols.get(TRAJECTORY) or trajectories(completions)
    raw = _raw_pool(reward, fn, texts, prompt_texts, cols) if reward.spec.cost == "cpu" and texts else \
        _raw_inline(reward, fn, texts, prompt_texts, cols) if texts else []
    turns: list[list[float | None] | None] = []
    statuses: list[Status] = []
    messages: dict[int, str] = {}
    reasons: dict[int, Reason] = {}
    for i, (value, traj) in enumerate(zip(raw, trajs)):
        if isinstance(value, _Failed):
            checked, message, reason = None, value.message, value.reason
        else:
            checked, message, reason = _check_turns(reward, value, assistant_turns(traj), i)
        turns.append(checked)
        if checked is None:
            statuses.append(Status.TIMEOUT if reason is Reason.TIMEOUT else Status.ERROR)
            messages[i], reasons[i] = message, reason
        else:
            statuses.append(Status.VALUE if any(v is not None for v in checked) else Status.NONE)
    with reward._totals_lock:
        reward.totals["items"] += len(statuses)
        for s in statuses:
            reward.totals[s.value] += 1
    return TurnScores(reward.name, reward.signature, turns, statuses, messages, reasons, time.perf_counter() - start)


def reduce_turns(values: Sequence[float | None], how: str, discount: float = DEFAULT_DISCOUNT) -> float | None:
    """One value from per-turn values (``None`` = not judged): ``last``, ``mean`` or ``discounted``.

    >>> reduce_turns([None, 1.0, 0.0], "last"), reduce_turns([None, 1.0, 0.0], "mean")
    (0.0, 0.5)
    >>> round(reduce_turns([1.0, None, 1.0], "discounted", 0.5), 3)
    1.25
    """
    judged = [(k, v) for k, v in enumerate(values) if v is not None]
    if not judged:
        return None
    if how == "last":
        return judged[-1][1]
    if how == "mean":
        return sum(v for _, v in judged) / len(judged)
    if how == "discounted":
        return sum(discount ** k * v for k, v in judged)
    raise ValueError(f"turns: expected one of {list(REDUCTIONS)}, got {how!r}")


class PerTurnReward(Reward):
    """A reward scored per turn and reduced to one value per completion: usable wherever a Reward is
    (composites, TRL, serve, bench). Its signature names the reduction."""

    def __init__(self, base: Reward, how: str, discount: float = DEFAULT_DISCOUNT):
        if how not in REDUCTIONS:
            raise ParameterError(base.name, "turns", f"expected one of {list(REDUCTIONS)}, got {how!r}")
        if not (isinstance(discount, (int, float)) and not isinstance(discount, bool) and 0 < discount < 1):
            raise ParameterError(base.name, "discount", f"expected a number strictly between 0 and 1, got {discount!r}")
        if base.spec.turns is None:
            raise ParameterError(base.name, "turns", "this reward has no per-turn mode")
        spec = base.spec
        if how == "discounted":
            scale = 1.0 / (1.0 - discount)
            spec = replace(spec, range=(min(spec.lo, spec.lo * scale), max(spec.hi, spec.hi * scale)))
        super().__init__(spec, base.params, base.timeout, base.column_map)
        self.base, self.how, self.discount = base, how, float(discount)
        self.term_options: dict[str, Any] = {"turns": how, **({"discount": self.discount} if how == "discounted" else {})}
        self.signature = f"{base.signature}[turns={how}" + (f",discount={self.discount:g}]" if how == "discounted" else "]")

    def score(self, completions: Sequence[Any], *, prompts: Sequence[Any] | None = None, **columns: Any) -> Scores:
        ts = score_turns(self.base, completions, prompts=prompts, **columns)
        values = [None if t is None else reduce_turns(t, self.how, self.discount) for t in ts.turns]
        statuses = [st if st in (Status.ERROR, Status.TIMEOUT) else Status.VALUE if v is not None else Status.NONE
                    for v, st in zip(values, ts.statuses)]
        n = len(values)
        with self._totals_lock:
            self.totals["items"] += n
            for s in statuses:
                self.totals[s.value] += 1
        return Scores(self.name, self.signature, values, statuses, dict(ts.messages), ts.seconds,
                      [ts.seconds / n] * n if n else [], dict(ts.reasons))


def per_turn(reward: Reward, how: str | None, discount: float | None = None) -> PerTurnReward:
    """``reward`` scored per turn and reduced with ``how`` (``last``, ``mean``, ``discounted``)."""
    if how is None:
        raise ParameterError(reward.name, "turns", f"'discount' needs turns = \"discounted\" (one of {list(REDUCTIONS)})")
    return PerTurnReward(reward, how, DEFAULT_DISCOUNT if discount is None else discount)


def turn_stats(ts: TurnScores) -> dict[str, Any]:
    """Per-turn figures: for each assistant-turn index, how many completions have that turn, how many of
    them the reward judged, and the mean of the judged values; plus the outcome counts."""
    by_turn: list[list[float | None]] = []
    for values in ts.turns:
        for k, v in enumerate(values or []):
            while len(by_turn) <= k:
                by_turn.append([])
            by_turn[k].append(v)
    rows = []
    for k, vals in enumerate(by_turn):
        judged = [v for v in vals if v is not None]
        rows.append({"turn": k, "completions": len(vals), "judged": len(judged),
                     "mean": sum(judged) / len(judged) if judged else None})
    counts = {s.value: sum(1 for x in ts.statuses if x is s) for s in Status}
    judged_all = [v for t in ts.turns for v in (t or []) if v is not None]
    return {"reward": ts.reward, "signature": ts.signature, "turns": rows, "counts": counts,
            "judged_turns": len(judged_all), "mean": sum(judged_all) / len(judged_all) if judged_all else None,
            "max_turns": len(by_turn)}
