"""OpenRLHF 0.11's custom reward function: ``--reward.remote_url path/to/this/file.py`` scores in process,
no server. OpenRLHF loads the file by path and calls ``reward_func(queries, prompts, labels)`` once per
sample (``SingleTurnAgentExecutor``), from concurrent threads; absolute imports only.

    export REWARDKIT_REWARD="format.tags;math.equivalence"        # or REWARDKIT_CONFIG=train.toml
    export REWARDKIT_STRIP="<|im_end|>;<|endoftext|>"             # trailing special tokens to cut
    python -m openrlhf.cli.train_ppo_ray ... --data.label_key answer \\
      --reward.remote_url "$(python -c 'import rewardkit.integrations.openrlhf as m; print(m.__file__)')"

Settings (environment): ``REWARDKIT_REWARD`` (``NAME:k=v``; several separated by ``;`` for an
equal-weight composite) or ``REWARDKIT_CONFIG`` (a training config's ``[[reward]]`` terms);
``REWARDKIT_LABEL_COLUMN`` (the column ``labels`` fill, default ``answer``); ``REWARDKIT_STRIP``;
``REWARDKIT_FILL`` (the reward of an unscorable item, default 0.0: OpenRLHF has no per-sample mask, so
such items are flagged in ``extra_logs`` as ``rewardkit/error`` etc., whose means OpenRLHF logs);
``REWARDKIT_BATCH_MS`` (default 5): calls arriving within that window are scored as one batch, since
OpenRLHF sends one sample per call (0 turns it off); ``REWARDKIT_BATCH_MAX`` (256).

The answer is OpenRLHF's remote-reward shape, the same as ``rewardkit serve``'s ``/get_reward``:
``{"rewards": [...], "scores": [...], "extra_logs": {term: [...], "rewardkit/none"|"error"|"timeout": [0/1]}}``.
The completion is the query without its prompt prefix (OpenRLHF passes prompt + response).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from rewardkit.integrations._target import Outcome, build, outcomes


def _env_list(name: str) -> list[str]:
    return [p.strip() for p in os.environ.get(name, "").split(";") if p.strip()]


class _Slot:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: list[Any] = []
        self.error: BaseException | None = None


class Batcher:
    """Scores the items of calls that arrive within ``window`` seconds of each other as one batch.

    The first caller waits ``window`` (or until ``max_items`` are pending), takes every pending item,
    scores them with ``score`` and hands each caller its share; the others just wait for theirs.
    """

    def __init__(self, score: Callable[[list[Any]], list[Any]], window: float, max_items: int = 256) -> None:
        self.score, self.window, self.max_items = score, window, max_items
        self._lock = threading.Condition()
        self._pending: list[tuple[list[Any], _Slot]] = []
        self._leading = False
        self.batches: list[int] = []  # items per scored batch (for tests and figures)

    def __call__(self, items: list[Any]) -> list[Any]:
        slot = _Slot()
        with self._lock:
            self._pending.append((items, slot))
            lead, self._leading = not self._leading, True
            self._lock.notify_all()
        if lead:
            self._lead()
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        return slot.result

    def _lead(self) -> None:
        deadline = time.monotonic() + self.window
        with self._lock:
            while sum(len(i) for i, _ in self._pending) < self.max_items and time.monotonic() < deadline:
                self._lock.wait(max(0.0, deadline - time.monotonic()))
            batch, self._pending, self._leading = self._pending, [], False
        flat = [item for items, _ in batch for item in items]
        self.batches.append(len(flat))
        try:
            results = self.score(flat)
        except BaseException as exc:  # every caller of this batch gets the error, none hangs
            for _, slot in batch:
                slot.error = exc
                slot.done.set()
            raise
        start = 0
        for items, slot in batch:
            slot.result = results[start : start + len(items)]
            start += len(items)
            slot.done.set()


def _score(items: list[tuple[str, str, Any]]) -> list[Outcome]:
    """Score ``(query, prompt, label)`` items: the completion is found in the query exactly as ``rewardkit
    serve``'s ``/get_reward`` finds it (OpenRLHF cuts long prompts from the left; a query whose response
    cannot be told apart from its prompt is an error outcome, never scored with prompt text in it)."""
    from rewardkit.serve.schemas import OpenRLHFRequest
    from rewardkit.serve.scoring import openrlhf_inputs

    rewards, config = _env_list("REWARDKIT_REWARD"), os.environ.get("REWARDKIT_CONFIG") or None
    target = build(rewards or None, config)
    labels = [label for _, _, label in items]
    req = OpenRLHFRequest(query=[q for q, _, _ in items], prompts=[p for _, p, _ in items],
                          labels=None if all(v is None for v in labels) else labels)
    completions, prompts, columns, refused = openrlhf_inputs(req, os.environ.get("REWARDKIT_LABEL_COLUMN", "answer"),
                                                             tuple(_env_list("REWARDKIT_STRIP")))
    results = outcomes(target, completions, prompts, **columns)
    for i, why in refused.items():
        results[i] = Outcome(None, "error", why, {name: None for name in results[i].terms})
    return results


_batcher: Batcher | None = None
_batcher_lock = threading.Lock()


def batcher() -> Batcher:
    """The module's batcher (window from ``REWARDKIT_BATCH_MS``), made on first use."""
    global _batcher
    with _batcher_lock:
        if _batcher is None:
            window = float(os.environ.get("REWARDKIT_BATCH_MS", "5")) / 1000
            _batcher = Batcher(_score, window, int(os.environ.get("REWARDKIT_BATCH_MAX", "256")))
        return _batcher


def openrlhf_answer(results: list[Outcome], fill: float) -> dict[str, Any]:
    """OpenRLHF's reward answer for ``results``: unscorable items get ``fill`` and their flag."""
    rewards = [fill if r.value is None else float(r.value) for r in results]
    extra: dict[str, list[float]] = {}
    for name in (results[0].terms if results else {}):
        extra[name] = [fill if r.terms.get(name) is None else float(r.terms[name] or 0.0) for r in results]
    for status in ("none", "error", "timeout"):
        extra[f"rewardkit/{status}"] = [1.0 if r.status == status else 0.0 for r in results]
    return {"rewards": rewards, "scores": rewards, "extra_logs": extra}


def reward_func(queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any]) -> dict[str, Any]:
    """OpenRLHF's ``reward_func(queries, prompts, labels)``."""
    items = [(str(q), str(p or ""), label) for q, p, label in zip(queries, prompts, labels)]
    return openrlhf_answer(batcher()(items), float(os.environ.get("REWARDKIT_FILL", "0.0")))
