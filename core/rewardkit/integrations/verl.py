"""verl 0.9 ``compute_score`` that scores in process (verl loads this file by path; absolute imports only).

    python -m verl.trainer.main_ppo ... \\
      reward.custom_reward_function.path=$(python -c "import rewardkit.integrations.verl as m; print(m.__file__)") \\
      reward.custom_reward_function.name=compute_score \\
      +reward.custom_reward_function.reward_kwargs.reward=math.equivalence

``reward_kwargs``: ``reward`` (``"NAME:k=v"``, a list of them for equal weights, or ``[[reward]]``
tables) or ``config`` (a training config whose ``[[reward]]`` terms to use); ``label_column`` (the
column ``ground_truth`` fills, default ``answer``); ``fill`` (the score of an item that could not be
scored, default 0.0). verl needs a number per item, so such an item scores ``fill`` and is flagged
in ``rewardkit_none`` / ``rewardkit_error`` / ``rewardkit_timeout`` (verl's reward manager logs
every key of the returned dict); a composite's shaped terms come as ``rewardkit/<term>``.
:mod:`rewardkit.serve.verl` is the same function scoring on a ``rewardkit serve`` server.
"""

from __future__ import annotations

from typing import Any

from rewardkit.integrations._target import Outcome, build, outcomes


def verl_result(item: Outcome, fill: float) -> dict[str, Any]:
    """verl's result dict: ``score`` (``fill`` when unscorable), the three status flags, the terms."""
    out: dict[str, Any] = {"score": float(fill if item.value is None else item.value)}
    for status in ("none", "error", "timeout"):
        out[f"rewardkit_{status}"] = 1.0 if item.status == status else 0.0
    if len(item.terms) > 1:
        out.update({f"rewardkit/{name}": float(fill if v is None else v) for name, v in item.terms.items()})
    return out


def compute_score(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any = None, *,
                  reward: Any = None, config: str | None = None, label_column: str = "answer", fill: float = 0.0,
                  **_: Any) -> dict[str, Any]:
    """verl's per-item reward function (the ``naive`` reward manager's signature)."""
    target = build(reward, config)
    gold = ground_truth if ground_truth is None or isinstance(ground_truth, str) else str(ground_truth)
    return verl_result(outcomes(target, [solution_str], **{label_column: [gold]})[0], fill)
