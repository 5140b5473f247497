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
    def target(self, req: ScoreRequest, policy: Policy | None = None) -> Target:
        """The reward or composite ``req`` names, within ``policy`` (default: the server's)."""
        policy = policy or self.policy
        if req.reward is not None and req.composite is not None:
            raise RequestError("reward", "give either 'reward' or 'composite', not both")
        if req.reward is None and req.composite is None:
            if self.default is None:
                raise RequestError("reward", "no 'reward' or 'composite' given and the server has no default")
            return self.default
        req = _within_policy(req, policy)
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

    @staticmethod
    def terms(target: Target) -> int:
        return len(target.terms) if isinstance(target, Composite) else 1

    @staticmethod
    def check_work(settings: Any, items: int, terms: int | None) -> None:
        """One request's work is bounded: items, terms per composite, items x terms (413 past them)."""
        from .limits import LimitError

        if items > settings.max_items:
            raise LimitError(413, "items per request",
                             f"{items} items per request exceeds the limit of {settings.max_items} (--max-items)")
        if terms is None:
            return
        if terms > settings.max_terms:
            raise LimitError(413, "terms per composite", f"{terms} terms exceed the limit of {settings.max_terms} "
                             "per composite (--max-terms)")
        if items * terms > settings.max_term_items:
            raise LimitError(413, "items x terms", f"{items} items x {terms} terms = {items * terms} scorings exceed "
                             f"the limit of {settings.max_term_items} per request (--max-term-items); send fewer items")

    def default_target(self, endpoint: str) -> Target:
        if self.default is None:
            raise RequestError("reward", f"{endpoint} needs a server started with -r REWARD or --config")
        return self.default

    def score_default(self, completions: list[str], prompts: list[str] | None, columns: dict[str, list[Any]],
                      label_field: str) -> Any:
        """Score with the server's default; a missing label column is named as the protocol names it."""
        target = self.default_target("this endpoint")
        try:
            return self.score(target, completions, prompts, columns)
        except RequestError as exc:
            if exc.field == f"columns.{self.label_column}":
                raise RequestError(label_field, f"{exc} (sent as {label_field!r}; see --label-column)") from None
            raise

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


def _within_policy(req: ScoreRequest, policy: Policy) -> ScoreRequest:
    """The request with the operator's policy applied (PolicyError when it asks too much). Host options
    written among the parameters (``params.timeout``, ``params.columns``) are taken out first, so the
    policy sees every one of them."""
    if req.reward is not None:
        params, options = _split(req.params, req.timeout, req.column_map, "")
        params, timeout = policy.apply(req.reward, params, options.get("timeout"))
        return req.model_copy(update={"params": params, "timeout": timeout, "column_map": options.get("columns")})
    _check_weights(req.composite or [])
    terms = []
    for i, table in enumerate(req.composite or []):
        name = table.get("name") if isinstance(table, dict) else None
        if not isinstance(name, str):
            raise RequestError(f"composite[{i}].name", "each composite term needs a reward 'name'")
        params = table.get("params") or {}
        if not isinstance(params, dict):
            raise RequestError(f"composite[{i}].params", "params must be a table of parameter = value")
        params, options = _split(params, table.get("timeout"), table.get("columns"), f"composite[{i}].")
        params, timeout = policy.apply(name, params, options.get("timeout"), where=f"composite[{i}].")
        term = {k: v for k, v in table.items() if k not in ("params", "timeout", "columns")}
        term["params"] = params
        if timeout is not None:
            term["timeout"] = timeout
        if "columns" in options:
            term["columns"] = options["columns"]
        terms.append(term)
    return req.model_copy(update={"composite": terms})


def _split(params: dict[str, Any], timeout: Any, columns: Any, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(reward parameters, host options)``; a timeout must be a positive finite number of seconds."""
    from ..options import host_options

    try:
        own, options = host_options(params, timeout=timeout, columns=columns, where=where.rstrip(".") or "request")
    except ParameterError as exc:
        raise RequestError(f"{where}params.{exc.param}", str(exc)) from None
    t = options.get("timeout")
    if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t <= 0):
        raise RequestError(f"{where}timeout", f"timeout must be a positive number of seconds, got {t!r}")
    c = options.get("columns")
    if c is not None and (not isinstance(c, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                             for k, v in c.items())):
        raise RequestError(f"{where}columns", "columns must map the reward's column names to the request's")
    return own, options


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
#: Characters of the prompt's end that must open a left-truncated query for its response to be found.
PROMPT_TAIL = 32


def openrlhf_inputs(req: OpenRLHFRequest, label_column: str, strip: tuple[str, ...] = ()
                    ) -> tuple[list[str], list[str], dict[str, list[Any]], dict[int, str]]:
    """Completions (``query`` without its prompt and trailing ``strip`` tokens), prompts, labels, and the
    items refused because the response could not be told apart from the prompt (index -> why).

    OpenRLHF cuts long prompts from the left, so a query may start inside its prompt: the
    response then starts after the longest end of the prompt that opens the query (at least
    :data:`PROMPT_TAIL` characters of it, or all of a shorter prompt). Without such a match the
    item is refused (an error outcome, counted), never scored with the prompt's text in it.
    """
    prompts = req.prompts if req.prompts is not None else [""] * len(req.query)
    completions: list[str] = []
    refused: dict[int, str] = {}
    for i, (q, p) in enumerate(zip(req.query, prompts)):
        response = _response_part(q, p)
        if response is None:
            refused[i] = ("the query does not contain the end of its prompt (truncated past it, or a different "
                          "prompt); refused rather than scoring prompt text as the answer")
            response = ""
        completions.append(_strip_end(response, strip))
    columns = {label_column: list(req.labels)} if req.labels is not None else {}
    return completions, prompts, columns, refused


def _response_part(query: str, prompt: str) -> str | None:
    """``query`` after its prompt, also when the prompt was cut from the left; None when not found."""
    if not prompt or query.startswith(prompt):
        return query[len(prompt):]
    kept = _overlap(prompt, query)  # the longest end of the prompt that opens the query (linear time)
    if kept < min(len(prompt), PROMPT_TAIL):
        return None
    return query[kept:]


def _overlap(prompt: str, query: str) -> int:
    """Length of the longest suffix of ``prompt`` that is a prefix of ``query`` (KMP prefix function)."""
    seq: list[str | None] = [*query[: len(prompt)], None, *prompt]
    pi = [0] * len(seq)
    for i in range(1, len(seq)):
        k = pi[i - 1]
        while k and seq[i] != seq[k]:
            k = pi[k - 1]
        if seq[i] == seq[k] and seq[i] is not None:
            k += 1
        pi[i] = k
    return pi[-1]


def _strip_end(text: str, tokens: tuple[str, ...]) -> str:
    """Remove trailing special tokens (e.g. ``<|im_end|>``, padding) that OpenRLHF's decode keeps."""
    changed = bool(tokens)
    while changed:
        changed = False
        for token in tokens:
            if token and text.endswith(token):
                text, changed = text[: -len(token)], True
    return text


def openrlhf_response(target: Target, result: Scores | CompositeScores, fill: float,
                       refused: dict[int, str] | None = None) -> dict[str, Any]:
    """``{"rewards", "scores", "extra_logs"}``; unscorable (and refused) items get ``fill`` and are counted."""
    if isinstance(result, Scores):
        totals: list[float | None] = list(result.values)
        per_term = {result.reward: list(result.values)}
        statuses = [s.value for s in result.statuses]
    else:
        totals = list(result.total)
        per_term = {k: list(v) for k, v in result.shaped.items()}
        statuses = [st.value for st in result.total_statuses]
    for i in refused or {}:
        totals[i], statuses[i] = None, "error"
        for vals in per_term.values():
            vals[i] = None
    rewards = [fill if v is None else float(v) for v in totals]
    extra: dict[str, list[float]] = {name: [fill if v is None else float(v) for v in vals]
                                     for name, vals in per_term.items()}
    for status in ("none", "error", "timeout"):
        extra[f"rewardkit/{status}"] = [1.0 if s == status else 0.0 for s in statuses]
    extra["rewardkit/prompt_not_found"] = [1.0 if i in (refused or {}) else 0.0 for i in range(len(rewards))]
    return {"rewards": rewards, "scores": rewards, "extra_logs": extra}
