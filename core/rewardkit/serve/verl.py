"""verl ``compute_score`` functions that score on a ``rewardkit serve`` server.

verl 0.9 loads this file by path (``reward.custom_reward_function.path``; the legacy top-level
``custom_reward_function.*`` keys are ignored by 0.9.1's ``main_ppo``), so it uses absolute imports
only. :mod:`rewardkit.integrations.verl` is the same function scoring in process.
``reward_kwargs`` from the config arrive as keyword arguments: ``url`` (or ``REWARDKIT_URL``),
``reward`` (a reward name or a list of composite terms; default: the server's default),
``token`` (or ``REWARDKIT_TOKEN``), ``label_column`` (the column ``ground_truth`` fills,
default ``answer``) and ``fill`` (the score of an unscorable item, default 0.0).

verl needs a number per item, so an item that is not applicable, errored or timed out gets
``fill`` and is flagged in ``rewardkit_none`` / ``rewardkit_error`` / ``rewardkit_timeout``
(verl logs every extra key of the returned dict), never silently.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from typing import Any

from rewardkit.remote import RemoteReward

_clients: dict[str, RemoteReward] = {}
_lock = threading.Lock()


def _client(url: str | None, reward: Any, token: str | None) -> RemoteReward:
    url = url or os.environ.get("REWARDKIT_URL")
    if not url:
        raise ValueError("rewardkit verl: set reward_kwargs.url (or REWARDKIT_URL) to the rewardkit serve address")
    token = token or os.environ.get("REWARDKIT_TOKEN")
    key = repr((url, reward, token))
    with _lock:
        if key not in _clients:
            _clients[key] = RemoteReward(url, reward, token)
        return _clients[key]


def _result(item: dict[str, Any], fill: float) -> dict[str, Any]:
    value = item["value"]
    out: dict[str, Any] = {"score": float(fill if value is None else value)}
    for status in ("none", "error", "timeout"):
        out[f"rewardkit_{status}"] = 1.0 if item["status"] == status else 0.0
    return out


def _label(value: Any) -> Any:
    """A ground truth as the server's column takes it: text, or None when it is missing."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):  # pandas' missing value
        return None
    return str(value)


def compute_score_batch(data_sources: Sequence[Any], solution_strs: Sequence[str], ground_truths: Sequence[Any],
                        extra_infos: Sequence[Any] | None = None, *, url: str | None = None, reward: Any = None,
                        token: str | None = None, label_column: str = "answer", fill: float = 0.0,
                        **_: Any) -> list[dict[str, Any]]:
    """One request for a whole batch (verl 0.9.1 registers no ``batch`` reward manager: for a custom
    manager of your own, or older verl releases)."""
    client = _client(url, reward, token)
    # a missing ground truth stays None (JSON null) end to end: as the text "None" it would be a gold
    # answer that \boxed{None} matches
    items = client.score(list(solution_strs), **{label_column: [_label(g) for g in ground_truths]})
    return [_result(item, fill) for item in items]


def compute_score(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any = None, *,
                  url: str | None = None, reward: Any = None, token: str | None = None,
                  label_column: str = "answer", fill: float = 0.0, **_: Any) -> dict[str, Any]:
    """verl's per-item signature (naive reward manager): ``{"score": float, "rewardkit_*": 0/1}``."""
    return compute_score_batch([data_source], [solution_str], [ground_truth], [extra_info], url=url, reward=reward,
                               token=token, label_column=label_column, fill=fill)[0]
