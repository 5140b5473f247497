"""Before/after evaluation and the demo job, on a tiny model (offline, a few seconds)."""

from __future__ import annotations

import json

import pytest

from rewardkit.train import evaluate as ev

TASK = {"system_prompt": "Use <think> and <answer> tags.", "user_template": "{question}", "assistant_prefix": "<think>"}


@pytest.mark.parametrize(("completion", "gold", "ok"), [
    ("<think>6*7</think><answer>42</answer>", "42", True),
    ("<think>so 41</think><answer>$1,200.00</answer>", "1200", True),
    ("<think>40 + 2 = 42</think><answer>41</answer>", "42", False),  # the answer block wins
    ("no tags, the answer is 42", "42", True),  # last number of the text without an answer block
    ("nothing numeric", "42", False),
])
def test_last_number_fallback(completion, gold, ok):
    assert ev.last_number_correct(completion, gold) is ok


def test_score_formats_and_correctness():
    completions = ["\nsix times seven\n</think>\n<answer>42</answer>", "just 42", "\n1+1\n</think>\n<answer>3</answer>"]
    prompts = ["<|im_start|>assistant\n<think>"] * 3
    formatted, correct, fmt_method, acc_method = ev.score(completions, prompts, ["42", "42", "2"])
    assert formatted == [True, False, True]
    assert correct[0] is True and correct[2] is False
    assert fmt_method == "format.tags == 1" and "==" in acc_method


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    from rewardkit.tiny import save_tiny

    return save_tiny(tmp_path_factory.mktemp("tiny") / "model")


@pytest.mark.slow
def test_evaluate_tiny_model(tiny_path, tmp_path):
    lines = []
    r = ev.evaluate(str(tiny_path), TASK, n=3, max_new_tokens=6, batch_size=2, log=lines.append)
    assert r.n == 3 and len(r.samples) == 3
    assert 0.0 <= r.format_rate <= 1.0 and 0.0 <= r.accuracy <= 1.0
    assert all(1 <= s["tokens"] <= 6 for s in r.samples)
    assert r.samples[0]["gold"] == "18"  # the first GSM8K test question
    assert lines[-1].startswith("eval: 3/3 completions (100%)") and "completions/s" in lines[-1]
    r.write(tmp_path / "e.json")
    again = ev.EvalResult.load(tmp_path / "e.json")
    assert again.summary() == r.summary() and again.samples == r.samples


@pytest.mark.slow
def test_greedy_generation_is_batch_independent(tiny_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rewardkit.train.sft import prompt_text

    tok = AutoTokenizer.from_pretrained(str(tiny_path))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_path))
    prompts = [prompt_text(tok, TASK, {"question": q}) for q in ("How many apples?", "2 + 2 = ?", "Natalia sold 48 clips")]
    together, _ = ev.generate(model, tok, prompts, max_new_tokens=5, batch_size=3)
    alone = [ev.generate(model, tok, [p], max_new_tokens=5, batch_size=1)[0][0] for p in prompts]
    assert together == alone  # left padding does not change greedy outputs


@pytest.mark.slow
def test_demo_runs_end_to_end_on_a_tiny_model(tiny_path, tmp_path):
    pytest.importorskip("trl")
    from rewardkit.demo_gsm8k import run

    lines = []
    figures = run(model=str(tiny_path), questions=2, sft_steps=1, grpo_steps=1, max_new_tokens=8,
                  out=tmp_path / "demo", log=lines.append)
    text = "\n".join(lines)
    for stage in ("1/5", "2/5", "3/5", "4/5", "5/5", "| untrained", "| + SFT (1 steps)", "+ GRPO 1"):
        assert stage in text
    saved = json.loads((tmp_path / "demo" / "demo.json").read_text())
    assert saved["before"]["n"] == saved["after"]["n"] == 2
    metrics = [json.loads(l) for l in (tmp_path / "demo" / "grpo" / "metrics.jsonl").read_text().splitlines()]
    steps = [m for m in metrics if "terms" in m]
    assert steps and "format.tags" in steps[0]["terms"]
    # resuming reuses every stage instead of training again
    again = run(model=str(tiny_path), questions=2, sft_steps=1, grpo_steps=1, max_new_tokens=8,
                out=tmp_path / "demo", resume=True, log=lines.append)
    assert again["after"] == figures["after"]
    assert "reusing" in "\n".join(lines[len(text.splitlines()):])
