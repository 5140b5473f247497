"""verl 0.9.1's own config and reward-loop manager with rewardkit's compute_score (issue 34 item 3).

The overrides are composed into verl's own Hydra config (``verl/trainer/config/ppo_trainer.yaml``),
the reward function is loaded the way verl's trainer loads it (``get_custom_reward_fn``), and verl's
registered ``naive`` reward manager scores a DataProto with it, in process and over HTTP. Before:
docs/serve.md gave the legacy top-level ``custom_reward_function.*`` keys, which leave
``reward.custom_reward_function.path`` unset in 0.9.1 (``main_ppo`` does not migrate them, so verl
used its default scorer), and ``reward_model.reward_manager=batch``, which 0.9.1 does not register.
Runs where verl is installed (scripts/install_conformance.sh).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

verl = pytest.importorskip("verl", reason="verl is installed by scripts/install_conformance.sh")

import rewardkit  # noqa: E402
import rewardkit.integrations.verl as in_process  # noqa: E402
import rewardkit.serve.verl as over_http  # noqa: E402

HERE = Path(__file__).parent
ROWS = [("<think>3+2</think><answer>5</answer>", "5"), ("<think>hm</think><answer>6</answer>", "5"), ("5", 5)]


def _compose(overrides: list[str]) -> Any:
    from hydra import compose, initialize_config_dir

    config_dir = os.path.join(os.path.dirname(verl.__file__), "trainer", "config")
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        return compose("ppo_trainer", overrides=overrides)


def documented_overrides(path: str, **kwargs: str) -> list[str]:
    """The overrides docs/serve.md gives (verl section)."""
    return [f"reward.custom_reward_function.path={path}", "reward.custom_reward_function.name=compute_score",
            *(f"+reward.custom_reward_function.reward_kwargs.{k}={v}" for k, v in kwargs.items())]


class _Bytes:
    """A byte-level tokenizer: verl's naive manager only decodes the response ids."""

    def decode(self, ids: Any, skip_special_tokens: bool = True) -> str:
        return bytes(int(i) for i in ids).decode()


def _data(rows: list[tuple[str, Any]]) -> Any:
    import numpy as np
    import torch
    from verl import DataProto

    width = max(len(r[0]) for r in rows)
    responses = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros(len(rows), width, dtype=torch.long)
    for i, (text, _) in enumerate(rows):
        responses[i, : len(text)] = torch.tensor(list(text.encode()))
        mask[i, : len(text)] = 1
    gold = np.array([{"ground_truth": g} for _, g in rows], dtype=object)
    return DataProto.from_dict(tensors={"responses": responses, "attention_mask": mask},
                               non_tensors={"data_source": np.array(["gsm8k"] * len(rows), dtype=object),
                                            "reward_model": gold,
                                            "extra_info": np.array([{} for _ in rows], dtype=object)})


def _run_manager(config: Any) -> list[dict[str, Any]]:
    from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls
    from verl.trainer.ppo.reward import get_custom_reward_fn

    fn = get_custom_reward_fn(config)
    assert fn is not None, "verl found no custom reward function in the composed config"
    manager = get_reward_manager_cls(config.reward.reward_manager.name)(config, _Bytes(), fn)
    data = _data(ROWS)

    async def run() -> list[dict[str, Any]]:
        return [await manager.run_single(data[i : i + 1]) for i in range(len(data))]

    return list(manager.loop.run_until_complete(run()))  # verl's workers run it on the manager's loop


def test_legacy_keys_leave_verl_without_the_function() -> None:
    from verl.trainer.ppo.reward import get_custom_reward_fn

    legacy = _compose([f"custom_reward_function.path={in_process.__file__}", "custom_reward_function.name=compute_score"])
    assert legacy.reward.custom_reward_function.path is None
    assert get_custom_reward_fn(legacy) is None


def test_in_process_compute_score_through_verl_manager() -> None:
    config = _compose(documented_overrides(in_process.__file__, reward="math.equivalence"))
    assert config.reward.reward_manager.name == "naive"
    results = _run_manager(config)
    assert [r["reward_score"] for r in results] == [1.0, 0.0, 1.0]
    assert results[0]["reward_extra_info"]["rewardkit_error"] == 0.0


def test_composite_terms_and_failures_are_flagged(core_plugin: Any) -> None:
    config = _compose(documented_overrides(in_process.__file__, reward="[format.tags,t.misbehave]"))
    results = _run_manager(config)
    assert results[0]["reward_extra_info"]["rewardkit/format.tags"] == 1.0
    direct = in_process.compute_score("x", "raise", "1", reward=["format.tags", "t.misbehave"])
    assert direct["score"] == 0.0 and direct["rewardkit_error"] == 1.0


def test_over_http_compute_score_through_verl_manager() -> None:
    sys.path.insert(0, str(HERE / "support"))
    import rk_tenants

    with rk_tenants.live(default=rewardkit.reward("math.equivalence")) as url:
        config = _compose(documented_overrides(over_http.__file__, url=url))
        results = _run_manager(config)
    assert [r["reward_score"] for r in results] == [1.0, 0.0, 1.0]
    assert set(results[0]["reward_extra_info"]) >= {"score", "rewardkit_none", "rewardkit_error", "rewardkit_timeout"}
