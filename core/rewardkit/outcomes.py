"""Outcomes of scoring: a value, not applicable, an error, or a timeout, and batch validation."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple


class Status(str, Enum):
    """What became of one item."""

    VALUE = "value"
    NONE = "none"  # the reward said "not applicable"
    ERROR = "error"  # the reward raised or broke the contract
    TIMEOUT = "timeout"  # the per-item deadline ran out


class Reason(str, Enum):
    """Why an item is an error or a timeout: a stable code for reports and the contract kit."""

    LENGTH = "length"  # the batch was not a sequence of one value per completion
    TYPE = "type"  # a value was not a real number or None (or could not be sent between processes)
    RANGE = "range"  # NaN, infinite, too large for a float, or outside the declared range
    RAISED = "raised"  # the reward raised
    CRASHED = "crashed"  # the worker process running the reward died
    TIMEOUT = "timeout"  # the per-item deadline ran out


class Outcome(NamedTuple):
    """One checked value: its status, the float (for a value), and for an error its message and reason."""

    status: Status
    value: float | None
    message: str | None = None
    reason: Reason | None = None


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
    #: The :class:`Reason` of every error and timeout, by index.
    reasons: dict[int, Reason] = field(default_factory=dict)
    #: What the batch cost, summed by name, as the reward reported it (``rewardkit.utils.report_usage``:
    #: e.g. judge calls, seconds, tokens). Empty when the reward reports nothing.
    usage: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.values)

    def count(self, status: Status) -> int:
        return sum(1 for s in self.statuses if s is status)

    @property
    def counts(self) -> dict[str, int]:
        """Counts by status name: ``{"value": .., "none": .., "error": .., "timeout": ..}``."""
        t = self.tally()
        return {"value": t.value, "none": t.none, "error": t.error, "timeout": t.timeout}

    @property
    def errors(self) -> int:
        return self.count(Status.ERROR)

    @property
    def timeouts(self) -> int:
        return self.count(Status.TIMEOUT)

    def tally(self) -> Tally:
        """Counts, mean and std of this batch (:func:`tally`, the one place they are computed)."""
        return tally(self.values, self.statuses)

    def mean(self) -> float | None:
        return self.tally().mean

    def std(self) -> float | None:
        return self.tally().std


def check_value(reward: str, lo: float, hi: float, value: Any) -> Outcome:
    """Validate one returned value against the contract; never raises.

    Accepted: ``None``, ``bool``, ``int``, ``float`` and 0-d numpy/torch scalars (through
    ``item()``); a finite float inside ``[lo, hi]`` is a value. Anything else is an error with
    reason ``type`` (dicts, strings, objects whose ``__float__``/``item`` raise) or ``range``.
    """
    if value is None:
        return Outcome(Status.NONE, None)
    try:
        number = _as_real(value)
    except Exception as exc:  # noqa: BLE001 - a hostile object's conversion failing is this item's error
        return Outcome(Status.ERROR, None, f"reward {reward!r} returned {_type(value)} that cannot be read as a "
                       f"number ({type(exc).__name__})", Reason.TYPE)
    if number is None:
        return Outcome(Status.ERROR, None, f"reward {reward!r} returned {_type(value)}, expected float or None",
                       Reason.TYPE)
    try:
        x = float(number)
    except OverflowError:
        return Outcome(Status.ERROR, None, f"reward {reward!r} returned an integer too large for a float", Reason.RANGE)
    if math.isnan(x):
        return Outcome(Status.ERROR, None, f"reward {reward!r} returned NaN", Reason.RANGE)
    if math.isinf(x):
        return Outcome(Status.ERROR, None, f"reward {reward!r} returned {x}", Reason.RANGE)
    if x < lo or x > hi:
        return Outcome(Status.ERROR, None, f"reward {reward!r} returned {x}, outside its declared range [{lo}, {hi}]",
                       Reason.RANGE)
    return Outcome(Status.VALUE, x)


def _as_real(value: Any) -> int | float | None:
    """``value`` as a Python int/float, or None when it is not a real scalar."""
    if isinstance(value, bool):
        return int(value)
    if type(value) in (int, float):
        return value
    if isinstance(value, (int, float)):  # subclasses: their own __float__/__int__ may misbehave
        return float(value) if isinstance(value, float) else int(value)
    # numpy / torch scalars expose item(); accept real 0-d scalars only
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        item = value.item()
        if isinstance(item, (bool, int, float)):
            return _as_real(item)
    return None


def _type(value: Any) -> str:
    return type(value).__name__


def check_batch_length(reward: str, raw: Any, n: int) -> tuple[list[Any] | None, str | None]:
    """Return the batch as a list, or an error message if it is not a sequence of length ``n``.

    Mappings (a dict would be read as its keys), sets, strings and bytes are refused; a sequence
    whose ``__len__`` or iteration raises is an error, never an exception. Reason: ``length``.
    """
    wrong = f"reward {reward!r} returned {_type(raw)}, expected a list of {n} values"
    if isinstance(raw, (str, bytes, bytearray, Mapping, Set)):
        return None, wrong
    if not isinstance(raw, Sequence) and not hasattr(raw, "__len__"):
        return None, wrong
    try:
        items = list(raw)
    except Exception as exc:  # noqa: BLE001 - a hostile container's iteration failing is the batch's error
        return None, f"{wrong} (iterating it raised {type(exc).__name__})"
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
        var = self.sq / self.n - m * m
        # sums of squares lose the last digits: equal values must still give exactly 0
        return 0.0 if var <= 1e-12 * max(1.0, m * m) else math.sqrt(var)

    def __add__(self, other: Tally) -> Tally:
        return Tally.from_vector([a + b for a, b in zip(self.vector(), other.vector())])

    def vector(self) -> list[float]:
        """The fields as numbers, in order (for summing across processes)."""
        return [self.count, self.n, self.total, self.sq, self.value, self.none, self.error, self.timeout, self.dropped]

    @classmethod
    def from_vector(cls, v: Sequence[float]) -> Tally:
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
