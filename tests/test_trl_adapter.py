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
    # NaN from t.misbehave is an error: by default the whole row is unscorable, None in every function
    assert out[0] == [1.0, None, 0.0]
    assert out[1] == [1.0, None, 0.0]  # gated on t.contains
    assert out[2] == [0.5, None, 0.5]
    assert ("rewardkit/t.misbehave/errors", 1.0) in logged and ("rewardkit/t.misbehave/dropped", 1.0) in logged
    assert ("rewardkit/t.contains/dropped", 0.0) in logged
    assert [v for k, v in logged if k == "rewardkit/dropped"] == [1.0]  # once per batch
    assert [v for k, v in logged if k == "rewardkit/dropped_fraction"] == [pytest.approx(1 / 3)]


def test_skip_keeps_the_other_terms_of_a_failed_row(core_plugin):
    c = Composite.from_config([{"name": "t.length"}, {"name": "t.misbehave"}], on_error="skip")
    funcs, _ = to_trl(c)
    out = [f(prompts=["p", "p"], completions=["nan", "okay"]) for f in funcs]
    assert out == [[0.3, 0.4], [None, 0.5]]


def test_on_batch_sees_each_batch_once(core_plugin):
    seen = []
    funcs, _ = to_trl(Composite.from_config([{"name": "t.length"}, {"name": "t.signed"}]),
                      on_batch=lambda scores, prompts, completions, columns: seen.append(list(completions)))
    batch, prompts = ["a", "-b"], ["p", "p"]  # TRL hands every term function the same lists
    for f in funcs:
        f(prompts=prompts, completions=batch)
    assert seen == [["a", "-b"]]


def _score_pickled(blob: bytes, completions: list, prompts: list, columns: dict) -> list:
    import pickle

    return [f(prompts=prompts, completions=completions, **columns) for f in pickle.loads(blob)]


def test_term_functions_pickle_and_score_the_same_in_a_spawned_process():
    import multiprocessing
    import pickle

    c = Composite.from_config([
        {"name": "format.tags", "weight": 0.5},
        {"name": "text.exact", "gate": "format.tags", "gate_min": 0.5, "columns": {"reference": "gold"}},
    ])
    funcs, _ = to_trl(c)
    blob = pickle.dumps(funcs)
    back = pickle.loads(blob)
    assert [f.__name__ for f in back] == ["format.tags", "text.exact"]
    assert back[0]._cache is back[1]._cache  # still one batch cache for both terms
    completions = ["<think>x</think><answer>42</answer>", "42", "<think>y</think><answer>41</answer>"]
    prompts = ["q"] * 3
    columns = {"gold": ["42", "42", "42"]}
    here = [f(prompts=prompts, completions=completions, **columns) for f in funcs]
    assert [f(prompts=prompts, completions=completions, **columns) for f in back] == here
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        there = pool.apply(_score_pickled, (blob, completions, prompts, columns))
    assert there == here


def test_unpickling_refuses_a_different_reward_signature(core_plugin):
    import pickle

    from rewardkit.composite import _rebuild

    c = Composite.from_config([{"name": "t.length", "params": {"scale": 4}}])
    with pytest.raises(rewardkit.CompositeError, match=r"term 't.length': this process builds .*install the same"):
        _rebuild(c.config(), c.options(), {"t.length": "t.length==0.0(scale=4.0)"})
    assert pickle.loads(pickle.dumps(c)).signatures == c.signatures


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
