"""Build rewards and composites from requests and score them through the one host path.

Nothing here scores by itself: it calls :meth:`rewardkit.Reward.score` and
:meth:`rewardkit.Composite.score`, so validation, deadlines, the worker pool and the failure
policy are exactly those of in-process use.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from typing import Any

from ..composite import Composite, CompositeScores
from ..errors import MissingColumnError, ParameterError, RewardkitError
from ..outcomes import Scores
from ..reward import Reward
from ..reward import reward as build_reward
from .deadline import INLINE_CHARS, guard_target
from .policy import Policy
from .schemas import OpenRLHFRequest, ScoreRequest

Target = Reward | Composite
#: Built rewards and composites kept for reuse (their workers load the reward once).
CACHE_SIZE = 256


class RequestError(RewardkitError):
    """The request names something the host rejects; ``field`` says where (HTTP 400)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class Scorer:
    """Builds (and caches) the reward or composite a request names, then scores it."""

    def __init__(self, default: Target | None = None, label_column: str = "answer", fill: float = 0.0,
                 policy: Policy | None = None, inline_chars: int = INLINE_CHARS) -> None:
        self.policy = policy or Policy()
        self.inline_chars = inline_chars
        self.default = guard_target(default, inline_chars) if default is not None else None
        self.label_column = label_column
        self.fill = fill
        self._cache: OrderedDict[str, Target] = OrderedDict()
        self._lock = threading.Lock()

    # -- building -------------------------------------------------------------------------
    def target(self, req: ScoreRequest) -> Target:
        if req.reward is not None and req.composite is not None:
            raise RequestError("reward", "give either 'reward' or 'composite', not both")
        if req.reward is None and req.composite is None:
            if self.default is None:
                raise RequestError("reward", "no 'reward' or 'composite' given and the server has no default")
            return self.default
        req = self._within_policy(req)
        key = json.dumps(req.model_dump(include={"reward", "params", "timeout", "column_map", "composite",
                                                 "on_error", "allow_negative"}), sort_keys=True, default=repr)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        built = guard_target(self._build(req), self.inline_chars)
        with self._lock:
            self._cache[key] = built
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return built

    def _within_policy(self, req: ScoreRequest) -> ScoreRequest:
        """The request with the operator's policy applied (PolicyError when it asks too much)."""
        if req.reward is not None:
            params, timeout = self.policy.apply(req.reward, req.params, req.timeout)
            return req.model_copy(update={"params": params, "timeout": timeout})
        _check_weights(req.composite or [])
        terms = []
        for i, table in enumerate(req.composite or []):
            name = table.get("name") if isinstance(table, dict) else None
            if not isinstance(name, str):
                raise RequestError(f"composite[{i}].name", "each composite term needs a reward 'name'")
            params = table.get("params") or {}
            if not isinstance(params, dict):
                raise RequestError(f"composite[{i}].params", "params must be a table of parameter = value")
            timeout = table.get("timeout")
            if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
                raise RequestError(f"composite[{i}].timeout", f"timeout must be a number of seconds, got {timeout!r}")
            params, timeout = self.policy.apply(name, params, timeout, where=f"composite[{i}].")
            terms.append({**table, "params": params, **({"timeout": timeout} if timeout is not None else {})})
        return req.model_copy(update={"composite": terms})

    def _build(self, req: ScoreRequest) -> Target:
        if req.reward is not None:
            try:
                return build_reward(req.reward, timeout=req.timeout, columns=req.column_map, **req.params)
            except ParameterError as exc:
                where = f"params.{exc.param}" if exc.param in req.params else {"columns": "column_map"}.get(exc.param, exc.param)
                raise RequestError(where, str(exc)) from None
            except RewardkitError as exc:
                raise RequestError("reward", str(exc)) from None
        kwargs: dict[str, Any] = {k: v for k, v in (("on_error", req.on_error), ("allow_negative", req.allow_negative))
                                  if v is not None}
        try:
            return Composite.from_config(req.composite or [], where="composite", **kwargs)
        except RewardkitError as exc:
            raise RequestError("composite", str(exc)) from None

    # -- scoring --------------------------------------------------------------------------
    def score(self, target: Target, completions: list[Any], prompts: list[Any] | None,
              columns: dict[str, list[Any]]) -> Scores | CompositeScores:
        """Score through the host path; input errors become :class:`RequestError`."""
        try:
            return target.score(completions, prompts=prompts, **columns)
        except MissingColumnError as exc:
            raise RequestError(f"columns.{exc.column}", str(exc)) from None
        except (TypeError, ValueError) as exc:
            raise RequestError("completions", str(exc)) from None


def _check_weights(terms: list[Any]) -> None:
    """Weights whose total overflows a float would make every total inf: refused here (400)."""
    weights = [t.get("weight", 1.0) for t in terms if isinstance(t, dict)]
    numbers = [abs(float(w)) for w in weights if isinstance(w, (int, float)) and not isinstance(w, bool)]
    if not math.isfinite(sum(numbers)):
        raise RequestError("composite", "the composite's weights overflow a float when added; use weights "
                                        "of a sane size (the total is their weighted sum)")


def target_name(target: Target) -> str | None:
    return target.name if isinstance(target, Reward) else None


def score_response(target: Target, result: Scores | CompositeScores) -> dict[str, Any]:
    """The ``/v1/score`` body: per item value, status, message (and terms for a composite)."""
    if isinstance(result, Scores):
        items = [{"value": v, "status": s.value, "message": result.messages.get(i)}
                 for i, (v, s) in enumerate(zip(result.values, result.statuses))]
        return {"reward": result.reward, "signature": result.signature, "items": items,
                "counts": result.counts, "seconds": result.seconds}
    assert isinstance(target, Composite)
    statuses = result.total_statuses
    items = [_composite_item(result, i, statuses[i].value) for i in range(len(result.total))]
    counts = {s: 0 for s in ("value", "none", "error", "timeout")}
    for item in items:
        counts[str(item["status"])] += 1
    return {"composite": target.describe(), "items": items, "counts": counts,
            "terms": {name: s.counts for name, s in result.raw.items()},
            "seconds": sum(s.seconds for s in result.raw.values())}


def _composite_item(result: CompositeScores, i: int, status: str) -> dict[str, Any]:
    """One item: the total, its status (the composite's own rule), and every term."""
    terms = {}
    for name, raw in result.raw.items():
        term_status = (result.statuses.get(name) or raw.statuses)[i]
        terms[name] = {"value": result.shaped[name][i], "raw": raw.values[i], "status": term_status.value,
                       "message": raw.messages.get(i)}
    message = "; ".join(f"{n}: {t['message']}" for n, t in terms.items() if t["message"]) or None
    dropped = bool(result.dropped and result.dropped[i])
    return {"value": result.total[i], "status": status, "message": message, "dropped": dropped, "terms": terms}


def outcome_counts(target: Target, result: Scores | CompositeScores) -> dict[str, dict[str, int]]:
    """Counts by status for each reward the request ran (for /metrics)."""
    if isinstance(result, Scores):
        return {result.reward: result.counts}
    assert isinstance(target, Composite)
    return {t.reward.name: result.raw[t.name].counts for t in target.terms}


# -- OpenRLHF --------------------------------------------------------------------------------
def openrlhf_inputs(req: OpenRLHFRequest, label_column: str, strip: tuple[str, ...] = ()
                    ) -> tuple[list[str], list[str], dict[str, list[Any]]]:
    """Completions (``query`` without its prompt prefix and trailing ``strip`` tokens), prompts, labels."""
    prompts = req.prompts if req.prompts is not None else [""] * len(req.query)
    completions = [_strip_end(q[len(p):] if p and q.startswith(p) else q, strip) for q, p in zip(req.query, prompts)]
    columns = {label_column: list(req.labels)} if req.labels is not None else {}
    return completions, prompts, columns


def _strip_end(text: str, tokens: tuple[str, ...]) -> str:
    """Remove trailing special tokens (e.g. ``<|im_end|>``, padding) that OpenRLHF's decode keeps."""
    changed = bool(tokens)
    while changed:
        changed = False
        for token in tokens:
            if token and text.endswith(token):
                text, changed = text[: -len(token)], True
    return text


def openrlhf_response(target: Target, result: Scores | CompositeScores, fill: float) -> dict[str, Any]:
    """``{"rewards", "scores", "extra_logs"}``; unscorable items get ``fill`` and are counted."""
    if isinstance(result, Scores):
        totals: list[float | None] = list(result.values)
        per_term = {result.reward: list(result.values)}
        statuses = [s.value for s in result.statuses]
    else:
        totals = list(result.total)
        per_term = dict(result.shaped)
        statuses = [st.value for st in result.total_statuses]
    rewards = [fill if v is None else float(v) for v in totals]
    extra: dict[str, list[float]] = {name: [fill if v is None else float(v) for v in vals]
                                     for name, vals in per_term.items()}
    for status in ("none", "error", "timeout"):
        extra[f"rewardkit/{status}"] = [1.0 if s == status else 0.0 for s in statuses]
    return {"rewards": rewards, "scores": rewards, "extra_logs": extra}
