"""Outcomes of scoring: a value, not applicable, an error, or a timeout, and batch validation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Sequence


class Status(str, Enum):
    """What became of one item."""

    VALUE = "value"
    NONE = "none"  # the reward said "not applicable"
    ERROR = "error"  # the reward raised or broke the contract
    TIMEOUT = "timeout"  # the per-item deadline ran out


@dataclass
class Scores:
    """The typed result of scoring a batch with one reward.

    ``values[i]`` is a float for a value and ``None`` for every other status; ``statuses``
    says which, and ``messages`` holds the reason for each error or timeout by index.
    """

    reward: str
    signature: str
    values: list[float | None]
    statuses: list[Status]
    messages: dict[int, str] = field(default_factory=dict)
    seconds: float = 0.0
    #: Per-item seconds: a batch's time shared equally among its items for inline rewards, each
    #: item's own round trip through a worker for ``cpu`` rewards. Empty when not measured.
    item_seconds: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.values)

    def count(self, status: Status) -> int:
        return sum(1 for s in self.statuses if s is status)

    @property
    def counts(self) -> dict[str, int]:
        """Counts by status name: ``{"value": .., "none": .., "error": .., "timeout": ..}``."""
        out = {s.value: 0 for s in Status}
        for s in self.statuses:
            out[s.value] += 1
        return out

    @property
    def errors(self) -> int:
        return self.count(Status.ERROR)

    @property
    def timeouts(self) -> int:
        return self.count(Status.TIMEOUT)

    def mean(self) -> float | None:
        vals = [v for v in self.values if v is not None]
        return sum(vals) / len(vals) if vals else None

    def std(self) -> float | None:
        vals = [v for v in self.values if v is not None]
        if not vals:
            return None
        m = sum(vals) / len(vals)
        return math.sqrt(sum((v - m) ** 2 for v in vals) / len(vals))


def check_value(reward: str, lo: float, hi: float, value: Any) -> tuple[Status, float | None, str | None]:
    """Validate one returned value against the contract; never raises."""
    if value is None:
        return Status.NONE, None, None
    if isinstance(value, bool):
        value = float(value)
    if not isinstance(value, (int, float)):
        # numpy / torch scalars expose __float__ and item(); accept real scalars only
        if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
            value = value.item()
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return Status.ERROR, None, f"reward {reward!r} returned {type(value).__name__}, expected float or None"
    value = float(value)
    if math.isnan(value):
        return Status.ERROR, None, f"reward {reward!r} returned NaN"
    if math.isinf(value):
        return Status.ERROR, None, f"reward {reward!r} returned {value}"
    if value < lo or value > hi:
        return Status.ERROR, None, f"reward {reward!r} returned {value}, outside its declared range [{lo}, {hi}]"
    return Status.VALUE, value, None


def check_batch_length(reward: str, raw: Any, n: int) -> tuple[list[Any] | None, str | None]:
    """Return the batch as a list, or an error message if it is not a sequence of length ``n``."""
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence) and not hasattr(raw, "__len__"):
        return None, f"reward {reward!r} returned {type(raw).__name__}, expected a list of {n} values"
    try:
        items = list(raw)
    except TypeError:
        return None, f"reward {reward!r} returned {type(raw).__name__}, expected a list of {n} values"
    if len(items) != n:
        return None, f"reward {reward!r} returned {len(items)} values for {n} completions"
    return items, None


@dataclass(frozen=True)
class Tally:
    """Counts by status and the mean/std of the values, the one place these are computed.

    ``count`` items; ``value``/``none``/``error``/``timeout`` count their statuses (they sum to
    ``count``); ``n`` values entered the mean (under ``on_error="zero"`` an error's 0.0 does);
    ``dropped`` items were left out because their whole row was unscorable. ``total`` and
    ``sq`` are the sum and sum of squares of the values, so tallies add up across batches.
    """

    count: int = 0
    n: int = 0
    total: float = 0.0
    sq: float = 0.0
    value: int = 0
    none: int = 0
    error: int = 0
    timeout: int = 0
    dropped: int = 0

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def std(self) -> float | None:
        """Population standard deviation (as numpy's default), or None without values."""
        if not self.n:
            return None
        m = self.total / self.n
        return math.sqrt(max(0.0, self.sq / self.n - m * m))

    def __add__(self, other: "Tally") -> "Tally":
        return Tally.from_vector([a + b for a, b in zip(self.vector(), other.vector())])

    def vector(self) -> list[float]:
        """The fields as numbers, in order (for summing across processes)."""
        return [self.count, self.n, self.total, self.sq, self.value, self.none, self.error, self.timeout, self.dropped]

    @classmethod
    def from_vector(cls, v: Sequence[float]) -> "Tally":
        ints = [int(round(x)) for x in v]
        return cls(ints[0], ints[1], float(v[2]), float(v[3]), *ints[4:9])

    def summary(self) -> dict[str, Any]:
        """``{mean, std, n, none, error, timeout, dropped}``: what logs and reports show."""
        return {"mean": self.mean, "std": self.std, "n": self.n, "value": self.value, "none": self.none,
                "error": self.error, "timeout": self.timeout, "dropped": self.dropped}


def tally(values: Sequence[float | None], statuses: Sequence[Status | str] | None = None,
          dropped: Sequence[bool] | None = None) -> Tally:
    """Tally one column of scores: counts from ``statuses``, mean/std from the non-None ``values``.

    Without ``statuses`` a value counts as ``value`` and ``None`` as ``none``. ``dropped[i]``
    marks an item left out because its row was unscorable (counted apart, its status kept).
    """
    n_items = len(values)
    if statuses is not None and len(statuses) != n_items:
        raise ValueError(f"tally: {n_items} values but {len(statuses)} statuses")
    if dropped is not None and len(dropped) != n_items:
        raise ValueError(f"tally: {n_items} values but {len(dropped)} dropped flags")
    counts = {s: 0 for s in Status}
    n, total, sq = 0, 0.0, 0.0
    for i, v in enumerate(values):
        st = Status(statuses[i]) if statuses is not None else (Status.NONE if v is None else Status.VALUE)
        counts[st] += 1
        if v is not None:
            n, total, sq = n + 1, total + v, sq + v * v
    return Tally(n_items, n, total, sq, counts[Status.VALUE], counts[Status.NONE], counts[Status.ERROR],
                 counts[Status.TIMEOUT], sum(1 for d in dropped or () if d))
