"""rewardkit.environment: a TRL environment_factory judged by a rewardkit composite."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import pytest

import rewardkit
from rewardkit.plugins import register_plugin, unregister_plugin

AGENTS = Path(__file__).resolve().parents[1] / "examples" / "agents"
sys.path.insert(0, str(AGENTS))
from calculator import Calculator, CalculatorError, evaluate  # noqa: E402

pytestmark = pytest.mark.skipif(importlib.util.find_spec("rewardkit_tools") is None,
                                reason="rewardkit-tools is not installed")
CALL = '<tool_call>\n{"name": "calculate", "arguments": {"expression": "2 + 3"}}\n</tool_call>'


class Flaky:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        def boom(*, completions, prompts):
            return [1.0 if "fine" in c else float("nan") for c in completions]  # NaN breaks the contract

        register(boom, name="envt.boom", description="NaN unless the answer says fine", range=(0.0, 1.0))

        def saw_five(*, completions, prompts, trajectory):
            from rewardkit.utils import tool_results

            return [float(any(r.content == "5" for r in tool_results(t))) for t in trajectory]

        register(saw_five, name="envt.saw_five", description="1 when a tool message of the trajectory says 5",
                 range=(0.0, 1.0), columns=("trajectory",))


@pytest.fixture(autouse=True)
def plugin():
    register_plugin(Flaky, "envt")
    yield
    unregister_plugin("envt")


def _rollout(env, expression: str, answer: str):
    """Run one rollout by hand, as TRL's loop does: reset, the tool call, the trajectory it produces."""
    inst = env()
    inst.reset(prompt=[{"role": "user", "content": "q"}], answer="5")
    try:
        result = inst.calculate(expression=expression)
    except CalculatorError as exc:
        result = {"error": str(exc)}
    traj = [{"role": "assistant", "content": "", "tool_calls": [
                {"type": "function", "function": {"name": "calculate", "arguments": {"expression": expression}}}]},
            {"role": "tool", "name": "calculate", "content": str(result)},
            {"role": "assistant", "content": answer}]
    return inst, traj


def _score(env, rollouts, answers):
    insts, trajs = zip(*rollouts)
    logged: dict[str, float] = {}
    outs = [f(prompts=["q"] * len(trajs), completions=list(trajs), environments=list(insts), answer=answers,
              log_metric=logged.__setitem__) for f in env.reward_funcs]
    return insts, outs, logged


def test_get_reward_is_the_composite_total_over_trajectory_and_state():
    env = rewardkit.environment(Calculator, [{"name": "tools.call_format"}, {"name": "math.equivalence", "weight": 2.0}])
    assert env.tool_names == ["calculate"] and env.reward_weights == [0.0, 0.0]
    assert env.tool_specs[0]["function"]["parameters"]["required"] == ["expression"]
    insts, outs, logged = _score(env, [_rollout(env, "2 + 3", "<answer>5</answer>"),
                                       _rollout(env, "2 + 3", "<answer>6</answer>")], ["5", "5"])
    assert outs == [[1.0, 1.0], [1.0, 0.0]]
    assert [i.get_reward() for i in insts] == [3.0, 1.0]
    assert insts[0].state == {"calls": [{"name": "calculate", "arguments": {"expression": "2 + 3"}, "result": "5"}],
                              "evaluated": 1}
    assert logged["rewardkit/math.equivalence/errors"] == 0.0 and logged["rewardkit/dropped"] == 0.0


def test_a_failed_term_drops_the_rollout_never_a_zero():
    env = rewardkit.environment(Calculator, [{"name": "envt.boom"}, {"name": "tools.call_format"}])
    insts, outs, logged = _score(env, [_rollout(env, "2 + 3", "fine"), _rollout(env, "2 + 3", "bad")], ["5", "5"])
    assert outs == [[1.0, None], [1.0, None]]
    assert [i.get_reward() for i in insts] == [2.0, None]
    assert logged["rewardkit/envt.boom/errors"] == 1.0 and logged["rewardkit/dropped"] == 1.0


def test_tool_errors_are_recorded_and_get_reward_needs_scoring():
    env = rewardkit.environment(Calculator, "tools.call_format")
    inst, _ = _rollout(env, "__import__('os')", "x")
    assert "error" in inst.calls[0] and "CalculatorError" in inst.calls[0]["error"]
    with pytest.raises(RuntimeError, match="before the rollout was scored"):
        inst.get_reward()


def test_module_and_function_tools():
    def add(a: int, b: int) -> int:
        """Add two numbers.

        Args:
            a: The first number.
            b: The second number.
        """
        return a + b

    env = rewardkit.environment([add], "tools.call_format")
    inst = env()
    assert inst.add(a=2, b=3) == 5 and inst.calls == [{"name": "add", "arguments": {"a": 2, "b": 3}, "result": 5}]
    assert env.tool_specs[0]["function"]["parameters"]["properties"]["a"]["type"] == "integer"


@pytest.mark.parametrize("text", ["__import__('os')", "2 ** 9999", "9 ** 9 ** 9", "a + 1", "(1" * 500, "1 / 0",
                                  "'x' * 3", "[1, 2]", "1e308 * 10", ""])
def test_calculator_refuses_what_is_not_bounded_arithmetic(text):
    with pytest.raises(CalculatorError):
        evaluate(text)


def test_calculator_evaluates_arithmetic():
    assert Calculator().calculate("(3 + 4) * 2 - 10 / 4") == "11.5"
    assert Calculator().calculate("-2 ** 3 + 7 // 2 % 2") == "-7"


def _tool_calling_tiny(path: Path) -> int:
    """A tiny random Qwen2 whose tokenizer has TRL's Qwen2.5 template and one token holding a whole tool
    call; returns that token's id (generation is biased towards it so TRL's tool loop runs)."""
    from transformers import AddedToken
    from trl.chat_template_utils import qwen2_5_chat_template

    from rewardkit.tiny import tiny_qwen2, tiny_tokenizer

    tok = tiny_tokenizer()
    tok.chat_template = qwen2_5_chat_template
    tok.add_tokens([AddedToken(CALL, special=False, normalized=False)])
    tiny_qwen2(tok).save_pretrained(path)
    tok.save_pretrained(path)
    return int(tok.convert_tokens_to_ids(CALL))


@pytest.mark.slow
def test_grpo_trainer_trains_with_environment_factory(tmp_path):
    pytest.importorskip("trl")
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    call_id = _tool_calling_tiny(tmp_path / "tiny")
    env = rewardkit.environment(Calculator, [{"name": "tools.call_format", "params": {"require_call": True}},
                                             {"name": "tools.result_used"}, {"name": "math.equivalence"}])
    ds = Dataset.from_list([{"prompt": [{"role": "user", "content": "What is 2 + 3?"}], "answer": "5"}] * 4)
    args = GRPOConfig(output_dir=str(tmp_path / "out"), num_generations=2, per_device_train_batch_size=2,
                      max_completion_length=24, max_steps=2, learning_rate=1e-4, report_to="none", logging_steps=1,
                      beta=0.0, seed=0, bf16=False, use_cpu=True, save_strategy="no",
                      reward_weights=env.reward_weights, max_tool_calling_iterations=1,
                      generation_kwargs={"sequence_bias": [[[call_id], 8.0]]})
    trainer = GRPOTrainer(model=AutoModelForCausalLM.from_pretrained(tmp_path / "tiny"), args=args,
                          train_dataset=ds, processing_class=AutoTokenizer.from_pretrained(tmp_path / "tiny"),
                          **env.trainer_kwargs())
    trainer.train()
    logs = [h for h in trainer.state.log_history if "reward" in h]
    assert len(logs) == 2
    for h in logs:
        assert h["tools/call_frequency"] > 0  # TRL's own loop ran the calculate tool
        assert h["rewards/tools.call_format/mean"] == 1.0
        assert "rewards/rewardkit_total/mean" in h and "rewardkit/math.equivalence/errors" in h
        assert h["reward"] == pytest.approx(h["rewards/rewardkit_total/mean"])


ANSWER = "<answer>5</answer>"


def _answering_tiny(path: Path) -> dict[str, Any]:
    """A tiny random Qwen2 that calls ``calculate("2 + 3")``, stops, and after the tool's message answers
    ``<answer>5</answer>`` and stops: each is one added token, made certain by ``sequence_bias`` (the answer only
    right after ``</tool_response>`` and the generation prompt, so it comes only once a tool result is there)."""
    from transformers import AddedToken
    from trl.chat_template_utils import qwen2_5_chat_template

    from rewardkit.tiny import tiny_qwen2, tiny_tokenizer

    tok = tiny_tokenizer()
    tok.chat_template = qwen2_5_chat_template
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in (CALL, ANSWER, "</tool_response>")])
    tiny_qwen2(tok).save_pretrained(path)
    tok.save_pretrained(path)
    call, answer = (int(tok.convert_tokens_to_ids(t)) for t in (CALL, ANSWER))
    after_tool = tok.encode("</tool_response><|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False)
    eos = int(tok.eos_token_id)
    return {"sequence_bias": [[[call], 30.0], [[call, eos], 40.0], [[*after_tool, answer], 50.0],
                              [[answer, eos], 40.0]]}


def _train_answering(tmp_path: Path, max_completion_length: int) -> list[dict[str, Any]]:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    tiny = tmp_path / "tiny"
    bias = _answering_tiny(tiny)
    env = rewardkit.environment(Calculator, [{"name": "tools.call_format", "params": {"require_call": True}},
                                             {"name": "tools.result_used"}, {"name": "math.equivalence"},
                                             {"name": "envt.saw_five"}])
    ds = Dataset.from_list([{"prompt": [{"role": "user", "content": "What is 2 + 3?"}], "answer": "5"}] * 4)
    args = GRPOConfig(output_dir=str(tmp_path / f"out{max_completion_length}"), num_generations=2,
                      per_device_train_batch_size=2, max_completion_length=max_completion_length, max_steps=1,
                      learning_rate=1e-4, report_to="none", logging_steps=1, beta=0.0, seed=0, bf16=False,
                      use_cpu=True, save_strategy="no", reward_weights=env.reward_weights,
                      max_tool_calling_iterations=1, generation_kwargs=bias)
    trainer = GRPOTrainer(model=AutoModelForCausalLM.from_pretrained(tiny), args=args, train_dataset=ds,
                          processing_class=AutoTokenizer.from_pretrained(tiny), **env.trainer_kwargs())
    trainer.train()
    return [h for h in trainer.state.log_history if "reward" in h]


@pytest.mark.slow
def test_tool_results_reach_the_rewards_through_trls_loop(tmp_path):
    """With a completion budget that holds call + tool message + answer, TRL keeps the calculator's result in
    the trajectory and the rewards that read it score it; with a budget too small TRL rolls it back."""
    pytest.importorskip("trl")
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    (kept,) = _train_answering(tmp_path, 64)
    assert kept["tools/call_frequency"] > 0
    assert kept["rewards/envt.saw_five/mean"] == 1.0           # the tool's "5" is in the scored trajectory
    assert kept["rewards/tools.result_used/mean"] == 1.0       # the answer states what the tool returned
    assert kept["rewardkit/tools.result_used/none"] == 0
    assert kept["rewards/math.equivalence/mean"] == 1.0        # the answer came after the tool result
    assert kept["rewards/tools.call_format/mean"] == 1.0
    (cut,) = _train_answering(tmp_path, 4)                     # the tool message does not fit: rolled back
    assert cut["rewards/envt.saw_five/mean"] == 0.0
    assert cut["rewards/math.equivalence/mean"] == 0.0
    assert cut["rewardkit/tools.result_used/none"] > 0         # no tool result: not applicable


@pytest.mark.slow
def test_rewardkit_train_runs_the_shipped_calculator_environment(tmp_path):
    """The shipped config, on a tiny random Qwen2 and 4 rows: 2 GRPO steps through TRL's tool loop."""
    pytest.importorskip("trl")
    pytest.importorskip("reasoning_gym")
    import json
    import tomllib

    from rewardkit.train.config import load_config
    from rewardkit.train.grpo import train

    call_id = _tool_calling_tiny(tmp_path / "tiny")
    data = tomllib.loads((AGENTS / "calculator-smollm2-cpu.toml").read_text())
    data["model"] = {"name": str(tmp_path / "tiny"), "gradient_checkpointing": False}
    data["task"]["size"] = 4
    data["environment"]["tools"] = str(AGENTS / "calculator.py") + ":Calculator"
    data["grpo"].update(num_generations=2, per_device_train_batch_size=2, max_completion_length=24, max_steps=2,
                        save_steps=10)
    data["generation"] = {"generation_kwargs": {"sequence_bias": [[[call_id], 8.0]]}}
    data["output"] = {"dir": str(tmp_path / "run"), "samples": 1}
    cfg = load_config(data=data)
    assert cfg.environment["max_turns"] == 2
    result = train(cfg)
    assert result.global_step == 2
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    steps = [x for x in lines if "terms" in x]
    assert len(steps) == 2
    for x in steps:
        assert set(x["terms"]) == {"tools.call_format", "tools.result_used", "math.equivalence"}
        assert x["trl"]["tools/call_frequency"] > 0 and "rewards/rewardkit_total/mean" in x["trl"]
        assert x["terms"]["tools.call_format"]["mean"] == 1.0
    resolved = json.loads((tmp_path / "run" / "resolved_config.json").read_text())
    assert resolved["environment"]["tools"].endswith("calculator.py:Calculator")
    # samples.jsonl keeps each trajectory as messages and the columns the rewards read: bench can re-score it
    sample = json.loads((tmp_path / "run" / "samples.jsonl").read_text().splitlines()[0])
    assert isinstance(sample["completion"], list) and sample["completion"][0]["tool_calls"]
    assert "answer" in sample and "tools" in sample


def test_environment_config_errors_name_the_key(tmp_path):
    from rewardkit.train.config import ConfigError, load_config

    base = {"task": {"dataset": "gsm8k", "limit": 2}, "reward": [{"name": "tools.call_format"}],
            "output": {"dir": str(tmp_path / "o")}}
    with pytest.raises(ConfigError, match="environment.tools: no such file"):
        load_config(data={**base, "environment": {"tools": "nowhere.py:X"}})
    with pytest.raises(ConfigError, match="environment.tools: .* has no 'Nope'"):
        load_config(data={**base, "environment": {"tools": f"{AGENTS / 'calculator.py'}:Nope"}})
    with pytest.raises(ConfigError, match="max_turns"):
        load_config(data={**base, "environment": {"tools": "calculator.py", "max_turns": 0}})
    # without an environment, the tools column must come from the data
    with pytest.raises(ConfigError, match="needs column 'tools'"):
        load_config(data=base)
