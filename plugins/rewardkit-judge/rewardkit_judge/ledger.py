"""Usage counted once per question, through the host's re-scoring of a batch with an invalid item.

When one item of a batch has no verdict, the reward raises and the host scores every item of that
batch again, one at a time. Without care, each question would be counted twice (once in the failed
batch, once alone) and, without the disk cache, asked twice. So a judge reward runs inside
:func:`batch`: what it reports is held back until the call ends; a call that ends normally, or that
scores a single item, reports it; a failed call of several items reports nothing and leaves the
answers it computed to the single-item calls that follow (:func:`take`), which count them then.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

#: Answers computed in a failed batch and not yet counted, at most this many (oldest dropped first).
PENDING_MAX = 4096

_pending: OrderedDict[str, Any] = OrderedDict()
_lock = threading.Lock()


@dataclass
class _Batch:
    size: int
    amounts: dict[str, float] = field(default_factory=dict)
    fresh: dict[str, Any] = field(default_factory=dict)  # cache key -> answer the model computed in this call


_current: ContextVar[_Batch | None] = ContextVar("rewardkit_judge_batch", default=None)


@contextmanager
def batch(size: int) -> Iterator[None]:
    """Hold this reward call's usage back until it ends (see the module's docstring)."""
    state = _Batch(size)
    token = _current.set(state)
    try:
        yield
    except Exception:
        if size > 1:  # the host re-scores each item alone: they count what this call computed
            with _lock:
                for key, answer in state.fresh.items():
                    _pending[key] = answer
                    _pending.move_to_end(key)
                while len(_pending) > PENDING_MAX:
                    _pending.popitem(last=False)
        else:
            _report(state.amounts)
        raise
    else:
        _report(state.amounts)
    finally:
        _current.reset(token)


def report(**amounts: float) -> None:
    """Add to this call's usage (held back inside :func:`batch`, else reported at once)."""
    state = _current.get()
    if state is None:
        _report(amounts)
        return
    for name, value in amounts.items():
        state.amounts[name] = state.amounts.get(name, 0.0) + float(value)


def computed(key: str, answer: Any) -> None:
    """Note an answer the model computed in this call (handed on if the call fails)."""
    state = _current.get()
    if state is not None:
        state.fresh[key] = answer


def take(key: str) -> Any | None:
    """An answer computed by a failed batch and not counted yet (then it is this call's), else None."""
    with _lock:
        return _pending.pop(key, None)


def _report(amounts: dict[str, float]) -> None:
    """Add to the host's usage for this batch (a no-op on hosts without the usage channel)."""
    if not amounts:
        return
    try:
        from rewardkit.utils import report_usage
    except ImportError:  # an older host
        return
    report_usage(**amounts)
