"""Every reward the server runs has a deadline, ``fast`` ones included.

A ``fast`` reward runs inline (in the request's thread) only on items up to ``inline_chars``
characters (completion, prompt and columns together), and on at most ``INLINE_BATCH_FACTOR``
times that many characters per call in all; larger items, and the items past that budget, go
to the worker pool,
where the per-item deadline kills what overruns. A ``fast`` reward whose function cannot
travel to a worker (not picklable) refuses larger items with an error outcome instead. A
``cpu`` reward's own fast path is guarded the same way. ``model`` rewards run batched in the
serving thread, in chunks of :data:`MODEL_CHUNK` items.

Every inline call is cut into chunks (:data:`INLINE_CHUNK` items), and the request's stop
event (:func:`rewardkit.isolation.cancelled`: the client went away, or the request's deadline
passed) is checked before each chunk, so no request runs on long after it was stopped: what is
left goes to the worker pool, which settles it at once as a timeout (or, where it cannot go
there, fails with the reason).
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Callable
from typing import Any

from ..composite import Composite
from ..reward import Reward
from ..spec import DEFER

#: Default size (characters per item) up to which a ``fast`` reward runs inline.
INLINE_CHARS = 8192
#: Characters of one call that may run inline in all: this many times the per-item limit.
INLINE_BATCH_FACTOR = 32
#: Items per inline call (the stop event is checked between calls).
INLINE_CHUNK = 8
#: Items per call of a ``model`` reward in the server.
MODEL_CHUNK = 32


class Stopped(Exception):
    """The request was stopped (client gone, deadline passed) before this work ran."""


def _stopped() -> str | None:
    from ..isolation import cancelled

    return cancelled()


def chunked(fn: Callable[..., Any], idx: list[int], size: int, completions: list[str], prompts: list[str],
            cols: dict[str, list[Any]], params: dict[str, Any]) -> tuple[list[Any], list[int]]:
    """``fn`` on ``idx`` in chunks of ``size``, checking the stop event before each; returns the values of
    the items it ran and the items left when the request was stopped."""
    values: list[Any] = []
    for start in range(0, len(idx), size):
        if _stopped():
            return values, idx[start:]
        part = idx[start:start + size]
        out = fn(completions=[completions[i] for i in part], prompts=[prompts[i] for i in part],
                 **{k: [v[i] for i in part] for k, v in cols.items()}, **params)
        if len(idx) <= size:
            return out, []  # one call: the host checks the batch as it would without the guard
        if not isinstance(out, (list, tuple)) or len(out) != len(part):
            raise ValueError(f"returned {type(out).__name__} of the wrong length for {len(part)} items")
        values.extend(out)
    return values, []


def item_chars(completion: str, prompt: str, columns: dict[str, Any]) -> int:
    return len(completion) + len(prompt) + sum(len(v) if isinstance(v, str) else len(repr(v)) for v in columns.values())


class SizeGuard:
    """Calls ``fn`` on the items up to ``limit`` characters; the others are DEFERred (or refused)."""

    def __init__(self, fn: Callable[..., Any], limit: int, refuse: bool = False) -> None:
        self.fn, self.limit, self.refuse = fn, limit, refuse
        self.__name__ = getattr(fn, "__name__", "reward")

    def __call__(self, *, completions: list[str], prompts: list[str], **kwargs: Any) -> list[Any]:
        cols = {k: v for k, v in kwargs.items() if isinstance(v, list) and len(v) == len(completions)}
        params = {k: v for k, v in kwargs.items() if k not in cols}
        sizes = [item_chars(completions[i], prompts[i], {k: v[i] for k, v in cols.items()})
                 for i in range(len(completions))]
        small = [i for i, size in enumerate(sizes) if size <= self.limit]
        if not self.refuse:
            small = _within(small, sizes, self.limit * INLINE_BATCH_FACTOR)
        if self.refuse and len(small) < len(completions):
            if len(completions) == 1:  # the host retries a raising batch item by item
                raise ValueError(f"item of more than {self.limit} characters: this reward cannot run in a worker "
                                 "with a deadline, so the server refuses it (--inline-chars)")
            raise _Oversize()
        out: list[Any] = [DEFER] * len(completions)
        if not small:
            return out
        values, left = chunked(self.fn, small, INLINE_CHUNK, completions, prompts, cols, params)
        if left and self.refuse:
            raise Stopped(_stopped() or "stopped")
        if not left and len(small) == len(completions):
            return values  # the host checks the batch as it would without the guard
        if not isinstance(values, (list, tuple)) or len(values) != len(small) - len(left):
            raise ValueError(f"returned {type(values).__name__} of the wrong length for {len(small)} items")
        for i, value in zip(small, values):
            out[i] = value
        return out


class ModelGuard:
    """A ``model`` reward's function called in chunks, checking the request's stop event between them."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.__name__ = getattr(fn, "__name__", "reward")

    def __call__(self, *, completions: list[str], prompts: list[str], **kwargs: Any) -> Any:
        cols = {k: v for k, v in kwargs.items() if isinstance(v, list) and len(v) == len(completions)}
        params = {k: v for k, v in kwargs.items() if k not in cols}
        values, left = chunked(self.fn, list(range(len(completions))), MODEL_CHUNK, completions, prompts, cols, params)
        if left:
            raise Stopped(_stopped() or "stopped")
        return values


def _within(idx: list[int], sizes: list[int], budget: int) -> list[int]:
    """The first items of ``idx`` whose sizes add up to at most ``budget``."""
    out, used = [], 0
    for i in idx:
        used += sizes[i]
        if used > budget:
            break
        out.append(i)
    return out


class _Oversize(Exception):
    """A batch holding an oversize item: the host then scores item by item."""


def guarded(reward: Reward, inline_chars: int = INLINE_CHARS) -> Reward:
    """``reward`` as the server runs it: under a deadline whatever its cost class."""
    spec = reward.spec
    if spec.cost == "model":
        new = dataclasses.replace(spec, fn=ModelGuard(spec.fn))
    elif spec.cost == "cpu":
        if spec.fast_path is None:
            return reward
        new = dataclasses.replace(spec, fast_path=SizeGuard(spec.fast_path, inline_chars))
    elif _picklable(spec.fn):
        new = dataclasses.replace(spec, cost="cpu", fast_path=SizeGuard(spec.fn, inline_chars))
    else:
        new = dataclasses.replace(spec, fn=SizeGuard(spec.fn, inline_chars, refuse=True))
    return Reward(new, reward.params, timeout=reward.timeout, columns=reward.column_map or None)


def guard_target(target: Reward | Composite, inline_chars: int = INLINE_CHARS) -> Reward | Composite:
    """Guard a reward, or every term of a composite (in place)."""
    if isinstance(target, Reward):
        return guarded(target, inline_chars)
    for term in target.terms:
        term.reward = guarded(term.reward, inline_chars)
    return target


def _picklable(fn: Callable[..., Any]) -> bool:
    try:
        pickle.dumps(fn)
    except Exception:  # noqa: BLE001 - any pickling failure means the same thing
        return False
    return True
