"""reasoning-gym generators as a rewardkit data source: ``dataset = "reasoning-gym:<task>"``.

Rows carry ``question``, ``answer`` (the gold answer; ``None`` for tasks without one, never the text
``"None"``), ``task`` (the generator name) and
``metadata`` (what the task's scorer needs, as a JSON string: it survives Arrow, Parquet and TRL's
datasets unchanged; ``gym.score`` accepts it as a string or a dict). The held-out split is generated with another seed:
``split = "test"`` uses ``seed + TEST_SEED_OFFSET``, and drops any question the train split of the
same size and seed also holds, so train and test never share a question.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

PREFIX = "reasoning-gym"
TEST_SEED_OFFSET = 1_000_003


def tasks() -> list[str]:
    """Every generator reasoning-gym registers, sorted."""
    from reasoning_gym.factory import DATASETS

    return sorted(DATASETS)


def _json(value: Any) -> str:
    """Metadata as JSON text (tuples become lists, sets sorted lists, other objects their str)."""
    return json.dumps(value, default=lambda o: sorted(o) if isinstance(o, (set, frozenset)) else str(o))


def generate(task: str, *, size: int, seed: int, config: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """``size`` items of reasoning-gym's ``task`` generated with ``seed`` and the generator ``config``."""
    import reasoning_gym

    known = tasks()
    if task not in known:
        import difflib

        close = difflib.get_close_matches(task, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else " (rewardkit_gym.tasks() lists them)"
        raise ValueError(f"reasoning-gym has no task {task!r}{hint}")
    try:
        ds = reasoning_gym.create_dataset(task, size=size, seed=seed, **dict(config or {}))
    except TypeError as exc:
        raise ValueError(f"reasoning-gym:{task}: bad generator config {dict(config or {})}: {exc}") from None
    except AssertionError as exc:
        raise ValueError(f"reasoning-gym:{task}: generator config rejected: {exc}") from None
    return [{"question": x["question"], "answer": None if x["answer"] is None else str(x["answer"]), "task": task,
             "metadata": _json(x["metadata"])} for x in ds]


def load(name: str, options: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows for ``reasoning-gym:<task>``; ``options``: ``size``, ``seed``, ``split`` and ``config``.

    A task the trust table refuses raises :class:`~rewardkit_gym.trust.UntrustedTaskError` unless
    ``allow_untrusted`` is true (an option, or a key of ``config``, which is where a training
    config's ``[task.config]`` puts it; it is not passed to the generator).
    """
    from .trust import check_trusted

    size = int(options.get("size") or 1000)
    seed = int(options.get("seed") or 0)
    split = options.get("split") or "train"
    config = dict(options.get("config") or {})
    check_trusted(name, bool(config.pop("allow_untrusted", options.get("allow_untrusted", False))))
    if split not in ("train", "test"):
        raise ValueError(f"reasoning-gym:{name}: split must be 'train' or 'test', got {split!r}")
    if split == "train":
        return generate(name, size=size, seed=seed, config=config)
    seen = {r["question"] for r in generate(name, size=size, seed=seed, config=config)}
    rows = [r for r in generate(name, size=size * 2, seed=seed + TEST_SEED_OFFSET, config=config)
            if r["question"] not in seen]
    return rows[:size]
