"""Reward-health alarms over the per-step records of ``metrics.jsonl`` (plain Python, no torch).

Five monitors, each with a documented threshold and window (see docs/train.md):

=================  ==============================================================================
``hacking``        the trained total rises by >= ``hacking_rise`` while an audit term falls by
                   >= ``hacking_fall``, comparing the mean of the first and last halves of the
                   last ``hacking_window`` steps
``failure_spike``  a term's (error + timeout) share of a step > ``failure_rate``, or the share of
                   dropped completions > ``max_dropped_fraction`` (the composite's, else
                   ``failure_rate``); one step
``no_signal``      the share of groups whose total has zero variance, averaged over the last
                   ``no_signal_window`` steps, > ``no_signal_share``
``dominance``      one term's share of the weighted term variance (w_i^2 var_i / sum w_j^2 var_j),
                   averaged over the last ``dominance_window`` steps, > ``dominance_share``
``length_drift``   the mean completion length changes by more than ``length_change`` (relative)
                   between the halves of the last ``length_window`` steps while the total rises
=================  ==============================================================================

An alarm fires on the step its condition becomes true, and again only after it has cleared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any

ALARMS = ("hacking", "failure_spike", "no_signal", "dominance", "length_drift")


@dataclass(frozen=True)
class AlarmSettings:
    """Thresholds and windows (in logged steps) of the alarms; ``off`` lists alarms not to run."""

    hacking_window: int = 4
    hacking_rise: float = 0.05
    hacking_fall: float = 0.05
    failure_rate: float = 0.1
    no_signal_window: int = 3
    no_signal_share: float = 0.8
    dominance_window: int = 3
    dominance_share: float = 0.9
    length_window: int = 4
    length_change: float = 0.5
    off: tuple[str, ...] = ()

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass
class Alarm:
    """One alarm that fired: which, at what step, the measured value against its threshold."""

    step: int
    name: str
    message: str
    value: float
    threshold: float
    window: int
    subject: str | None = None  # the term (or audit term) concerned, if any
    samples: str | None = None  # the file with the offending samples, once written

    def record(self) -> dict[str, Any]:
        return {"event": "alarm", "step": self.step, "alarm": self.name, **{
            k: v for k, v in asdict(self).items() if k not in ("step", "name")}}

    def line(self) -> str:
        return f"step {self.step}: {self.name}: {self.message}"


def _mean(xs: Iterable[float]) -> float:
    xs = list(xs)
    return sum(xs) / len(xs)


def _halves(xs: Sequence[float]) -> tuple[float, float]:
    h = max(1, len(xs) // 2)
    return _mean(xs[:h]), _mean(xs[-h:])


def _count(s: Mapping[str, Any]) -> int:
    return int(sum(s.get(k, 0) or 0 for k in ("value", "none", "error", "timeout"))) or int(
        (s.get("n") or 0) + (s.get("none") or 0) + (s.get("error") or 0) + (s.get("timeout") or 0))


def zero_std_share(rec: Mapping[str, Any]) -> float | None:
    """The share of zero-variance groups of a step (rewardkit's count, else TRL's ``frac_reward_zero_std``)."""
    groups = rec.get("groups") or {}
    if groups.get("count"):
        return float(groups["zero_std"]) / float(groups["count"])
    v = (rec.get("trl") or {}).get("frac_reward_zero_std")
    return float(v) if isinstance(v, (int, float)) else None


def mean_length(rec: Mapping[str, Any]) -> float | None:
    """Mean completion length of a step: characters (rewardkit), else TRL's ``completions/mean_length`` (tokens)."""
    v = rec.get("length")
    if v is None:
        v = (rec.get("trl") or {}).get("completions/mean_length")
    return float(v) if isinstance(v, (int, float)) else None


def variance_shares(rec: Mapping[str, Any], weights: Mapping[str, float]) -> dict[str, float]:
    """Each term's share of ``sum_j w_j^2 var_j`` in a step (empty when the sum is 0)."""
    parts = {}
    for name, s in (rec.get("terms") or {}).items():
        std = s.get("std")
        parts[name] = (weights.get(name, 1.0) * std) ** 2 if std is not None else 0.0
    whole = sum(parts.values())
    return {k: v / whole for k, v in parts.items()} if whole > 0 else {}


@dataclass
class Monitor:
    """Feed it each step's record in order (:meth:`observe`); it returns the alarms that fire."""

    settings: AlarmSettings = field(default_factory=AlarmSettings)
    weights: dict[str, float] = field(default_factory=dict)
    max_dropped_fraction: float | None = None
    history: list[Mapping[str, Any]] = field(default_factory=list)
    fired: list[Alarm] = field(default_factory=list)
    _active: set[str] = field(default_factory=set)

    def observe(self, rec: Mapping[str, Any]) -> list[Alarm]:
        self.history.append(rec)
        step = int(rec.get("step", len(self.history)))
        found: list[Alarm] = []
        for name in ALARMS:
            if name not in self.settings.off:
                found.extend(getattr(self, f"_{name}")(step))
        keys = {f"{a.name}:{a.subject}" for a in found}
        new = [a for a in found if f"{a.name}:{a.subject}" not in self._active]
        self._active = keys
        self.fired.extend(new)
        return new

    def _last(self, window: int) -> list[Mapping[str, Any]] | None:
        return list(self.history[-window:]) if len(self.history) >= window else None

    def _hacking(self, step: int) -> list[Alarm]:
        s = self.settings
        recs = self._last(s.hacking_window)
        if recs is None or any((r.get("total") or {}).get("mean") is None for r in recs):
            return []
        first, last = _halves([r["total"]["mean"] for r in recs])
        rise = last - first
        if rise < s.hacking_rise:
            return []
        out = []
        for name in (recs[-1].get("audit") or {}):
            means = [((r.get("audit") or {}).get(name) or {}).get("mean") for r in recs]
            present = [float(m) for m in means if m is not None]
            if len(present) < len(means):
                continue
            a_first, a_last = _halves(present)
            fall = a_first - a_last
            if fall >= s.hacking_fall:
                out.append(Alarm(step, "hacking", f"total rose {first:.3f} -> {last:.3f} while audit {name!r} fell "
                                 f"{a_first:.3f} -> {a_last:.3f} over {len(recs)} steps", fall, s.hacking_fall,
                                 s.hacking_window, name))
        return out

    def _failure_spike(self, step: int) -> list[Alarm]:
        s, rec = self.settings, self.history[-1]
        out = []
        for group in ("terms", "audit"):
            for name, st in (rec.get(group) or {}).items():
                n = _count(st)
                bad = (st.get("error") or 0) + (st.get("timeout") or 0)
                if n and bad / n > s.failure_rate:
                    out.append(Alarm(step, "failure_spike", f"{name!r}: {bad} of {n} errors/timeouts ({bad / n:.0%}) "
                                     f"> {s.failure_rate:.0%}", bad / n, s.failure_rate, 1, name))
        total = rec.get("total") or {}
        n, dropped = _count(total), total.get("dropped") or 0
        limit = self.max_dropped_fraction if self.max_dropped_fraction is not None else s.failure_rate
        if n and dropped / n > limit:
            out.append(Alarm(step, "failure_spike", f"{dropped} of {n} completions dropped ({dropped / n:.0%}) > "
                             f"{limit:.0%} (max_dropped_fraction)", dropped / n, limit, 1, "dropped"))
        return out

    def _no_signal(self, step: int) -> list[Alarm]:
        s = self.settings
        recs = self._last(s.no_signal_window)
        shares = [zero_std_share(r) for r in recs] if recs else []
        if not recs or any(x is None for x in shares):
            return []
        share = _mean(x for x in shares if x is not None)
        if share <= s.no_signal_share:
            return []
        return [Alarm(step, "no_signal", f"{share:.0%} of groups had zero reward variance over the last "
                      f"{len(recs)} steps (> {s.no_signal_share:.0%}): no learning signal", share,
                      s.no_signal_share, s.no_signal_window)]

    def _dominance(self, step: int) -> list[Alarm]:
        s = self.settings
        recs = self._last(s.dominance_window)
        if not recs or len(recs[-1].get("terms") or {}) < 2:
            return []
        shares = [variance_shares(r, self.weights) for r in recs]
        if any(not x for x in shares):
            return []
        out = []
        for name in shares[-1]:
            share = _mean(x.get(name, 0.0) for x in shares)
            if share > s.dominance_share:
                out.append(Alarm(step, "dominance", f"{name!r} carries {share:.0%} of the total's variance over the "
                                 f"last {len(recs)} steps (> {s.dominance_share:.0%}): the other terms barely count",
                                 share, s.dominance_share, s.dominance_window, name))
        return out

    def _length_drift(self, step: int) -> list[Alarm]:
        s = self.settings
        recs = self._last(s.length_window)
        if not recs:
            return []
        lengths = [mean_length(r) for r in recs]
        totals = [(r.get("total") or {}).get("mean") for r in recs]
        if any(x is None for x in lengths) or any(x is None for x in totals):
            return []
        l_first, l_last = _halves([x for x in lengths if x is not None])
        t_first, t_last = _halves([x for x in totals if x is not None])
        change = (l_last - l_first) / l_first if l_first > 0 else math.inf
        if abs(change) <= s.length_change or t_last <= t_first:
            return []
        return [Alarm(step, "length_drift", f"mean completion length moved {l_first:.1f} -> {l_last:.1f} "
                      f"({change:+.0%}) while the total rose {t_first:.3f} -> {t_last:.3f}", abs(change),
                      s.length_change, s.length_window)]
