"""Composite rewards: weighted terms with non-negative shaping and optional gating."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import CompositeError, ParameterError, RewardkitError
from .options import DEFAULT_ON_ERROR, check_on_error, host_options
from .options import ERROR_POLICIES as ERROR_POLICIES  # re-exported: defined in rewardkit.options
from .outcomes import Scores, Status, Tally, tally
from .reward import Reward
from .reward import reward as build_reward
from .suggest import close_matches

SHAPINGS = ("unit", "clip", "none")
TERM_KEYS = ("name", "weight", "shaping", "gate", "gate_min", "params", "alias", "timeout", "columns", "on_error",
             "turns", "discount")
FAILED = (Status.ERROR, Status.TIMEOUT)

#: Kept for compatibility: the per-term statistics are :class:`~rewardkit.outcomes.Tally` objects.
TermStats = Tally


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
    #: This term's error policy; None uses the composite's ``on_error``.
    on_error: str | None = None

    @property
    def name(self) -> str:
        return self.alias or self.reward.name

    def config(self) -> dict[str, Any]:
        """This term as a config table (what :meth:`Composite.from_config` reads back)."""
        table: dict[str, Any] = {"name": self.reward.name, "weight": self.weight, "shaping": self.shaping,
                                 "params": dict(self.reward.params)}
        if self.gate is not None:
            table.update(gate=self.gate, gate_min=self.gate_min)
        if self.alias is not None:
            table["alias"] = self.alias
        if self.on_error is not None:
            table["on_error"] = self.on_error
        if self.reward.timeout != self.reward.spec.timeout:
            table["timeout"] = self.reward.timeout
        if self.reward.column_map:
            table["columns"] = dict(self.reward.column_map)
        table.update(getattr(self.reward, "term_options", {}))  # a per-turn term's reduction (rewardkit.turns)
        return table

    @property
    def nonnegative(self) -> bool:
        if self.weight < 0:
            return False
        return self.shaping != "none" or self.reward.spec.lo >= 0


@dataclass
class CompositeScores:
    """Raw scores per term, shaped-and-gated values per term, and the weighted total.

    ``statuses[term][i]`` is the outcome behind ``shaped[term][i]`` (an error or timeout keeps its
    status even when scored 0; a gate or "not applicable" gives ``none``). ``dropped[i]`` is True
    when a ``drop`` term failed on completion ``i``: its total and every shaped value are None.
    ``dropped_by[term]`` marks the rows that term's failure dropped.
    """

    total: list[float | None]
    raw: dict[str, Scores]
    shaped: dict[str, list[float | None]]
    weights: dict[str, float] = field(default_factory=dict)
    statuses: dict[str, list[Status]] = field(default_factory=dict)
    dropped: list[bool] = field(default_factory=list)
    dropped_by: dict[str, list[bool]] = field(default_factory=dict)

    @property
    def total_statuses(self) -> list[Status]:
        """The total's outcome per row: ``error``/``timeout`` when dropped (error wins), else value/none."""
        out = []
        for i, v in enumerate(self.total):
            if self.dropped and self.dropped[i]:
                failed = [self.raw[t].statuses[i] for t, by in self.dropped_by.items() if by[i]]
                out.append(Status.ERROR if Status.ERROR in failed else Status.TIMEOUT)
            else:
                out.append(Status.NONE if v is None else Status.VALUE)
        return out

    def stats(self) -> dict[str, Tally]:
        """A :class:`~rewardkit.outcomes.Tally` of each shaped term and of the total (key ``"total"``)."""
        out = {name: tally(values, self.statuses.get(name) or self.raw[name].statuses, self.dropped_by.get(name))
               for name, values in self.shaped.items()}
        out["total"] = tally(self.total, self.total_statuses, self.dropped or None)
        return out


class Composite:
    """A list of terms whose shaped values are gated, weighted and summed.

    With non-negative weights and non-negative shaping the total is ``>= 0``; building a
    composite that breaks that guarantee raises :class:`CompositeError` unless
    ``allow_negative=True``. ``on_error`` is the default policy for a term's error or timeout
    (a term's own ``on_error`` wins): ``"drop"`` (default: the completion is unscorable, its
    total is None), ``"skip"`` (only this term is left out) or ``"zero"`` (it scores 0).
    ``max_dropped_fraction`` is the share of dropped completions per step above which training
    raises the failure-spike alarm. A composite pickles as its config and is rebuilt on unpickling.
    """

    def __init__(self, terms: Sequence[Term], *, allow_negative: bool = False, on_error: str = DEFAULT_ON_ERROR,
                 max_dropped_fraction: float | None = None):
        if not terms:
            raise CompositeError("a composite reward needs at least one term")
        self.on_error = check_on_error(on_error)
        if max_dropped_fraction is not None and not (
                isinstance(max_dropped_fraction, (int, float)) and not isinstance(max_dropped_fraction, bool)
                and 0.0 <= max_dropped_fraction <= 1.0):
            raise CompositeError(f"max_dropped_fraction: expected a number in [0, 1], got {max_dropped_fraction!r}")
        self.max_dropped_fraction = None if max_dropped_fraction is None else float(max_dropped_fraction)
        self.terms = list(terms)
        self.allow_negative = allow_negative
        for t in self.terms:
            if t.on_error is not None:
                t.on_error = check_on_error(t.on_error, f"term {t.name!r}: on_error")
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
                raise CompositeError(
                    f"{where}: 'unit' shaping needs a finite declared range, got {t.reward.spec.range}")
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

    def policy(self, term: Term) -> str:
        """The error policy in force for ``term``."""
        return term.on_error or self.on_error

    def options(self) -> dict[str, Any]:
        """The composite-level keyword arguments of :meth:`from_config`."""
        return {"allow_negative": self.allow_negative, "on_error": self.on_error,
                "max_dropped_fraction": self.max_dropped_fraction}

    def config(self) -> list[dict[str, Any]]:
        """The terms as config tables; ``Composite.from_config(c.config(), **c.options())`` rebuilds it."""
        return [t.config() for t in self.terms]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.config(), self.options(), self.signatures))

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
             "shaping": t.shaping, "gate": t.gate, "gate_min": t.gate_min if t.gate else None,
             "on_error": self.policy(t)}
            for t in self.terms
        ]

    def score(self, completions: Sequence[Any], *, prompts: Sequence[Any] | None = None,
              **columns: Any) -> CompositeScores:
        raw = {t.name: t.reward.score(completions, prompts=prompts, **columns) for t in self.terms}
        return self.combine(raw)

    def combine(self, raw: Mapping[str, Scores]) -> CompositeScores:
        """Shape, gate and weight per-term scores that were already computed, applying each term's policy."""
        n = len(next(iter(raw.values())))
        dropped_by = {t.name: [self.policy(t) == "drop" and st in FAILED for st in raw[t.name].statuses]
                      for t in self.terms}
        dropped = [any(by[i] for by in dropped_by.values()) for i in range(n)]
        shaped: dict[str, list[float | None]] = {}
        # a gate term that failed under "zero" scores 0, so its gate is closed (not "not applicable")
        gate_values = {t.name: [-math.inf if self.policy(t) == "zero" and st in FAILED else v
                                for v, st in zip(raw[t.name].values, raw[t.name].statuses)] for t in self.terms}
        for t in self.terms:
            s, spec, zero = raw[t.name], t.reward.spec, self.policy(t) == "zero"
            shaped[t.name] = [0.0 if zero and st in FAILED else shape(v, t.shaping, spec.lo, spec.hi)
                              for v, st in zip(s.values, s.statuses)]
        for t in self.terms:
            if t.gate is not None:
                shaped[t.name] = [_gated(v, g, t.gate_min) for v, g in zip(shaped[t.name], gate_values[t.gate])]
        statuses: dict[str, list[Status]] = {}
        for t in self.terms:
            vals, sts = shaped[t.name], raw[t.name].statuses
            shaped[t.name] = [None if dropped[i] else vals[i] for i in range(n)]
            statuses[t.name] = [st if st in FAILED or dropped[i] or vals[i] is not None else Status.NONE
                                for i, st in enumerate(sts)]
        total: list[float | None] = []
        for i in range(n):
            parts = [t.weight * v for t in self.terms if (v := shaped[t.name][i]) is not None]
            total.append(sum(parts) if parts else None)
        return CompositeScores(total, dict(raw), shaped, {t.name: float(t.weight) for t in self.terms},
                               statuses, dropped, dropped_by)

    def __call__(self, completions: Sequence[Any], *, prompts: Sequence[Any] | None = None,
                 **columns: Any) -> list[float | None]:
        return self.score(completions, prompts=prompts, **columns).total

    @classmethod
    def from_config(
        cls, terms: Sequence[Mapping[str, Any]], *, allow_negative: bool = False, on_error: str = DEFAULT_ON_ERROR,
        max_dropped_fraction: float | None = None, where: str = "reward",
    ) -> Composite:
        """Build from config tables ``{name, weight, shaping, gate, gate_min, params, alias, timeout, columns,
        on_error}``: the one entry point for training, bench and serving.

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
                own, options = host_options(params, timeout=table.get("timeout"), columns=table.get("columns"),
                                            where=str(table["name"]))
                r = build_reward(str(table["name"]), **options, **own)
                if table.get("turns") is not None or "discount" in table:  # scored per turn (rewardkit.turns)
                    from .turns import per_turn

                    r = per_turn(r, table.get("turns"), table.get("discount"))
            except ParameterError as exc:  # the host's own options name their key
                where_key = f"{key}.{exc.param}" if exc.param in ("timeout", "columns", "turns", "discount") else key
                raise CompositeError(f"{where_key}: {exc}") from None
            except RewardkitError as exc:
                raise CompositeError(f"{key}: {exc}") from None
            weight = table.get("weight", 1.0)
            if not isinstance(weight, (int, float)) or isinstance(weight, bool):
                raise CompositeError(f"{key}.weight: expected a number, got {weight!r}")
            gate_min = table.get("gate_min", 1.0)
            if not isinstance(gate_min, (int, float)) or isinstance(gate_min, bool) or not math.isfinite(gate_min):
                raise CompositeError(f"{key}.gate_min: expected a finite number, got {gate_min!r}")
            term_policy = table.get("on_error")
            if term_policy is not None:
                term_policy = check_on_error(term_policy, f"{key}.on_error")
            built.append(Term(r, float(weight), str(table.get("shaping", "unit")), table.get("gate"),
                              float(gate_min), table.get("alias"), term_policy))
        try:
            return cls(built, allow_negative=allow_negative, on_error=on_error,
                       max_dropped_fraction=max_dropped_fraction)
        except CompositeError as exc:
            raise CompositeError(f"{where}: {exc}") from None


def _gated(value: float | None, gate: float | None, gate_min: float) -> float | None:
    """A gated term's value: None when either is not applicable, 0 when the gate is below ``gate_min``."""
    if value is None or gate is None:
        return None
    return value if gate >= gate_min else 0.0


def _rebuild(tables: list[dict[str, Any]], options: dict[str, Any], signatures: dict[str, str]) -> Composite:
    """Unpickle a composite: build it again from its config and check every reward's signature."""
    comp = Composite.from_config(tables, **options)
    for name, sig in signatures.items():
        if comp.signatures.get(name) != sig:
            raise CompositeError(
                f"term {name!r}: this process builds {comp.signatures.get(name)!r}, but the pickled composite "
                f"was built with {sig!r} (install the same plugin version on both sides)"
            )
    return comp
