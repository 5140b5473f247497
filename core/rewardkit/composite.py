"""Composite rewards: weighted terms with non-negative shaping and optional gating."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .errors import CompositeError, ParameterError, RewardkitError
from .outcomes import Scores, Status
from .reward import Reward, reward as build_reward
from .suggest import close_matches

SHAPINGS = ("unit", "clip", "none")
ERROR_POLICIES = ("none", "zero")
TERM_KEYS = ("name", "weight", "shaping", "gate", "gate_min", "params", "alias", "timeout", "columns")


def shape(value: float | None, shaping: str, lo: float, hi: float) -> float | None:
    """Map a raw value onto the term's scale: ``unit`` -> [0, 1], ``clip`` -> max(0, x), ``none`` -> x."""
    if value is None:
        return None
    if shaping == "unit":
        return min(1.0, max(0.0, (value - lo) / (hi - lo)))
    if shaping == "clip":
        return max(0.0, value)
    return value


@dataclass
class Term:
    """One weighted, shaped term of a composite; ``gate`` names another term that must reach ``gate_min``."""

    reward: Reward
    weight: float = 1.0
    shaping: str = "unit"
    gate: str | None = None
    gate_min: float = 1.0
    alias: str | None = None

    @property
    def name(self) -> str:
        return self.alias or self.reward.name

    @property
    def nonnegative(self) -> bool:
        if self.weight < 0:
            return False
        return self.shaping != "none" or self.reward.spec.lo >= 0


@dataclass
class TermStats:
    mean: float | None
    std: float | None
    none: int
    error: int
    timeout: int


@dataclass
class CompositeScores:
    """Raw scores per term, shaped-and-gated values per term, and the weighted total."""

    total: list[float | None]
    raw: dict[str, Scores]
    shaped: dict[str, list[float | None]]
    weights: dict[str, float] = field(default_factory=dict)

    def stats(self) -> dict[str, TermStats]:
        """Mean and std of each shaped term and of the total, with None/error/timeout counts."""
        out: dict[str, TermStats] = {}
        for name, values in self.shaped.items():
            raw = self.raw[name]
            out[name] = TermStats(
                *_mean_std(values),
                none=sum(1 for v in values if v is None) - raw.errors - raw.timeouts,
                error=raw.errors,
                timeout=raw.timeouts,
            )
        total_none = sum(1 for v in self.total if v is None)
        out["total"] = TermStats(*_mean_std(self.total), none=total_none, error=0, timeout=0)
        return out


def _mean_std(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None
    m = sum(vals) / len(vals)
    return m, math.sqrt(sum((v - m) ** 2 for v in vals) / len(vals))


class Composite:
    """A list of terms whose shaped values are gated, weighted and summed.

    With non-negative weights and non-negative shaping the total is ``>= 0``; building a
    composite that breaks that guarantee raises :class:`CompositeError` unless
    ``allow_negative=True``. ``on_error`` says what a term's error or timeout contributes:
    ``"none"`` (default: not applicable, the term is left out) or ``"zero"``.
    """

    def __init__(self, terms: Sequence[Term], *, allow_negative: bool = False, on_error: str = "none"):
        if not terms:
            raise CompositeError("a composite reward needs at least one term")
        if on_error not in ERROR_POLICIES:
            raise CompositeError(f"on_error must be one of {list(ERROR_POLICIES)}, got {on_error!r}")
        self.terms = list(terms)
        self.on_error = on_error
        self.allow_negative = allow_negative
        names = [t.name for t in self.terms]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise CompositeError(f"term {dupes[0]!r} appears twice; give one of them an 'alias'")
        by_name = {t.name: t for t in self.terms}
        for t in self.terms:
            where = f"term {t.name!r}"
            if not isinstance(t.weight, (int, float)) or isinstance(t.weight, bool) or not math.isfinite(t.weight):
                raise CompositeError(f"{where}: weight must be a finite number, got {t.weight!r}")
            if t.shaping not in SHAPINGS:
                raise CompositeError(f"{where}: shaping must be one of {list(SHAPINGS)}, got {t.shaping!r}")
            if t.shaping == "unit" and not (math.isfinite(t.reward.spec.lo) and math.isfinite(t.reward.spec.hi)):
                raise CompositeError(f"{where}: 'unit' shaping needs a finite declared range, got {t.reward.spec.range}")
            if t.gate is not None:
                if t.gate not in by_name:
                    raise CompositeError(f"{where}: gate {t.gate!r} is not a term{close_matches(t.gate, by_name)}")
                if t.gate == t.name or by_name[t.gate].gate is not None:
                    raise CompositeError(f"{where}: gate {t.gate!r} must be another, ungated term")
        broken = [t for t in self.terms if not t.nonnegative]
        if broken and not allow_negative:
            t = broken[0]
            why = (
                f"its weight {t.weight} is negative"
                if t.weight < 0
                else f"its shaping is 'none' and its range {t.reward.spec.range} goes below 0"
            )
            raise CompositeError(
                f"term {t.name!r} can make the total reward negative: {why}. Use non-negative weights with "
                "'unit' or 'clip' shaping, or set allow_negative = true if you mean it"
            )

    @property
    def nonnegative(self) -> bool:
        """True when the total is guaranteed ``>= 0``."""
        return all(t.nonnegative for t in self.terms)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.terms]

    @property
    def signatures(self) -> dict[str, str]:
        return {t.name: t.reward.signature for t in self.terms}

    @property
    def columns(self) -> list[str]:
        """Every data column some term needs, in first-seen order."""
        return list(dict.fromkeys(c for t in self.terms for c in t.reward.columns))

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"term": t.name, "reward": t.reward.name, "signature": t.reward.signature, "weight": t.weight,
             "shaping": t.shaping, "gate": t.gate, "gate_min": t.gate_min if t.gate else None}
            for t in self.terms
        ]

    def score(self, completions: Sequence[Any], *, prompts: Sequence[Any] | None = None, **columns: Any) -> CompositeScores:
        raw = {t.name: t.reward.score(completions, prompts=prompts, **columns) for t in self.terms}
        return self.combine(raw)

    def combine(self, raw: Mapping[str, Scores]) -> CompositeScores:
        """Shape, gate and weight per-term scores that were already computed."""
        n = len(next(iter(raw.values())))
        shaped: dict[str, list[float | None]] = {}
        for t in self.terms:
            s = raw[t.name]
            spec = t.reward.spec
            vals: list[float | None] = []
            for v, st in zip(s.values, s.statuses):
                if st in (Status.ERROR, Status.TIMEOUT) and self.on_error == "zero":
                    vals.append(0.0)
                else:
                    vals.append(shape(v, t.shaping, spec.lo, spec.hi))
            shaped[t.name] = vals
        for t in self.terms:
            if t.gate is None:
                continue
            gate_raw = raw[t.gate].values
            shaped[t.name] = [
                None if g is None or v is None else (v if g >= t.gate_min else 0.0)
                for v, g in zip(shaped[t.name], gate_raw)
            ]
        total: list[float | None] = []
        for i in range(n):
            parts = [t.weight * shaped[t.name][i] for t in self.terms if shaped[t.name][i] is not None]
            total.append(sum(parts) if parts else None)
        return CompositeScores(total, dict(raw), shaped, {t.name: float(t.weight) for t in self.terms})

    def __call__(self, completions: Sequence[Any], *, prompts: Sequence[Any] | None = None, **columns: Any) -> list[float | None]:
        return self.score(completions, prompts=prompts, **columns).total

    @classmethod
    def from_config(
        cls, terms: Sequence[Mapping[str, Any]], *, allow_negative: bool = False, on_error: str = "none",
        where: str = "reward",
    ) -> "Composite":
        """Build from config tables ``{name, weight, shaping, gate, gate_min, params, alias, timeout, columns}``.

        Every error names the offending key, e.g. ``reward[1].weight``.
        """
        built: list[Term] = []
        if not isinstance(terms, Sequence) or isinstance(terms, (str, bytes)):
            raise CompositeError(f"{where}: expected a list of reward tables")
        for i, table in enumerate(terms):
            key = f"{where}[{i}]"
            if not isinstance(table, Mapping):
                raise CompositeError(f"{key}: expected a table, got {type(table).__name__}")
            unknown = [k for k in table if k not in TERM_KEYS]
            if unknown:
                raise CompositeError(f"{key}.{unknown[0]}: unknown key{close_matches(unknown[0], TERM_KEYS)}")
            if "name" not in table:
                raise CompositeError(f"{key}.name: missing (the reward to use, e.g. 'format.tags')")
            params = table.get("params", {}) or {}
            if not isinstance(params, Mapping):
                raise CompositeError(f"{key}.params: expected a table of parameters")
            try:
                r = build_reward(str(table["name"]), timeout=table.get("timeout"), columns=table.get("columns"),
                                 **dict(params))
            except ParameterError as exc:  # the host's own options name their key
                where_key = f"{key}.{exc.param}" if exc.param in ("timeout", "columns") else key
                raise CompositeError(f"{where_key}: {exc}") from None
            except RewardkitError as exc:
                raise CompositeError(f"{key}: {exc}") from None
            weight = table.get("weight", 1.0)
            if not isinstance(weight, (int, float)) or isinstance(weight, bool):
                raise CompositeError(f"{key}.weight: expected a number, got {weight!r}")
            gate_min = table.get("gate_min", 1.0)
            if not isinstance(gate_min, (int, float)) or isinstance(gate_min, bool):
                raise CompositeError(f"{key}.gate_min: expected a number, got {gate_min!r}")
            built.append(Term(r, float(weight), str(table.get("shaping", "unit")), table.get("gate"),
                              float(gate_min), table.get("alias")))
        try:
            return cls(built, allow_negative=allow_negative, on_error=on_error)
        except CompositeError as exc:
            raise CompositeError(f"{where}: {exc}") from None
