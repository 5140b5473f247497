"""Offline benchmarking of rewards on stored completions: ``rewardkit bench`` and :func:`run`.

>>> from rewardkit import bench
>>> summary = bench.run("completions.jsonl", rewards=["format.tags"], out="bench-out")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__all__ = ["run"]


def run(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """Run a bench job; see :func:`rewardkit.bench.api.run`."""
    from .api import run as _run

    return _run(*args, **kwargs)
