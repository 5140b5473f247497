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
