"""The TRL adapter inside a real ``trl.GRPOTrainer`` run with a tiny random Qwen2 model."""

import math

import pytest

import rewardkit
from rewardkit import Composite
from rewardkit.trl_adapter import to_trl

pytest.importorskip("trl")


def test_terms_become_named_functions_with_weights(core_plugin):
    c = Composite.from_config([
        {"name": "t.contains", "weight": 1.0},
        {"name": "t.length", "weight": 0.5, "gate": "t.contains", "params": {"scale": 4}},
        {"name": "t.misbehave", "weight": 0.25},
    ])
    funcs, weights = to_trl(c)
    assert [f.__name__ for f in funcs] == ["t.contains", "t.length", "t.misbehave"]
    assert weights == [1.0, 0.5, 0.25]
    logged = []
    prompts = [[{"role": "user", "content": "q"}]] * 3
    completions = [[{"role": "assistant", "content": "42 ok"}], [{"role": "assistant", "content": "nan"}],
                   [{"role": "assistant", "content": "7"}]]
    kw = dict(answer=["42", "42", "42"], trainer_state=None, log_metric=lambda k, v: logged.append((k, v)),
              log_extra=lambda *a: None)
    out = [f(prompts=prompts, completions=completions, completion_ids=None, **kw) for f in funcs]
    assert out[0] == [1.0, 0.0, 0.0]
    assert out[1] == [1.0, 0.0, 0.0]  # gated on t.contains
    assert out[2] == [0.5, None, 0.5]  # NaN from the reward is an error, reaching TRL as None
    assert ("rewardkit/t.misbehave/errors", 1.0) in logged


def test_grpo_trainer_runs_and_logs_every_term(core_plugin, tmp_path):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from rewardkit.tiny import tiny_qwen2, tiny_tokenizer

    tok = tiny_tokenizer()
    model = tiny_qwen2(tok)
    data = Dataset.from_list([
        {"prompt": [{"role": "user", "content": f"What is {i} + {i}?"}], "answer": str(2 * i)} for i in range(8)
    ])
    c = Composite.from_config([
        {"name": "t.length", "weight": 1.0, "params": {"scale": 16}},
        {"name": "t.contains", "weight": 2.0},
        {"name": "t.misbehave", "weight": 0.1},
    ])
    funcs, weights = to_trl(c)
    args = GRPOConfig(
        output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=4, max_completion_length=8,
        max_steps=2, logging_steps=1, report_to=[], use_cpu=True, reward_weights=weights, save_strategy="no",
        bf16=False, learning_rate=1e-3, seed=0,
    )
    trainer = GRPOTrainer(model=model, reward_funcs=funcs, args=args, train_dataset=data, processing_class=tok)
    trainer.train()
    logs = [h for h in trainer.state.log_history if "reward" in h]
    assert len(logs) == 2
    for name in ("t.length", "t.contains", "t.misbehave"):
        assert f"rewards/{name}/mean" in logs[0]
        assert f"rewardkit/{name}/errors" in logs[0]
    assert logs[0]["rewardkit/t.misbehave/errors"] == 0.0
    assert all(math.isfinite(h["reward"]) and h["reward"] >= 0 for h in logs)
