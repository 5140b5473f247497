"""Screen reasoning-gym tasks for the main job: greedy accuracy of SmolLM2-135M-Instruct.

    python3 benchmarks/learning/screen_gym.py --n 40

Prints one line per (task, config): accuracy (the task's own score_answer == 1) and the share
of completions that close ``</answer>``, the share whose last number before ``</answer>`` is the gold
number (what the model computes, whatever it writes around it), with the prompt the main job uses (answer-only, the
assistant turn pre-filled with ``<answer>``).
"""

from __future__ import annotations

import json
import sys
import time

import click

#: The prompt of the screening run (the first screening; the main job's config now uses a shorter system prompt).
TASK = {"system_prompt": "Reply with the final answer only, as <answer>number</answer>.",
        "user_template": "{question}", "assistant_prefix": "<answer>"}

CANDIDATES: list[tuple[str, dict]] = [
    ("basic_arithmetic", {"min_terms": 2, "max_terms": 2, "min_digits": 1, "max_digits": 1, "operators": ["+", "-"]}),
    ("basic_arithmetic", {"min_terms": 2, "max_terms": 2, "min_digits": 1, "max_digits": 2, "operators": ["+", "-"]}),
    ("basic_arithmetic", {"min_terms": 2, "max_terms": 2, "min_digits": 1, "max_digits": 1, "operators": ["*"]}),
    ("chain_sum", {"min_terms": 2, "max_terms": 2, "min_digits": 1, "max_digits": 1}),
    ("chain_sum", {"min_terms": 3, "max_terms": 3, "min_digits": 1, "max_digits": 1}),
    ("leg_counting", {"min_animals": 1, "max_animals": 1, "max_instances": 3}),
    ("basic_arithmetic", {"min_terms": 2, "max_terms": 2, "min_digits": 1, "max_digits": 2, "operators": ["*"]}),
    ("simple_equations", {"min_terms": 2, "max_terms": 2, "min_value": 1, "max_value": 5}),
    ("count_bits", {"min_n": 1, "max_n": 15}),
    ("basic_arithmetic", {"min_terms": 2, "max_terms": 2, "min_digits": 1, "max_digits": 2, "operators": ["+"],
                          "allow_negation": False, "allow_parentheses": False}),
    ("basic_arithmetic", {"min_terms": 2, "max_terms": 2, "min_digits": 1, "max_digits": 1, "operators": ["*"],
                          "allow_negation": False, "allow_parentheses": False}),
    ("gcd", {"min_numbers": 2, "max_numbers": 2, "min_value": 1, "max_value": 20}),
    ("letter_counting", {"min_words": 1, "max_words": 3}),
    ("simple_equations", {"min_terms": 2, "max_terms": 2, "min_value": 1, "max_value": 9}),
]


@click.command()
@click.option("--n", default=40, show_default=True)
@click.option("--max-new-tokens", default=12, show_default=True)
@click.option("--only", default=None, help="screen only these task names (comma-separated)")
@click.option("--configs", default=None, help="screen only the candidates at these indexes (comma-separated)")
def main(n: int, max_new_tokens: int, only: str | None, configs: str | None) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rewardkit.data import load_source
    from rewardkit.demo import score_rows
    from rewardkit.models import resolve_model
    from rewardkit.train.evaluate import generate, last_number_correct
    from rewardkit.train.sft import prompt_text

    path = resolve_model("smollm2-135m-instruct")
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    for index, (name, cfg) in enumerate(CANDIDATES):
        if (only and name not in only.split(",")) or (configs and str(index) not in configs.split(",")):
            continue
        t0 = time.perf_counter()
        try:
            rows = load_source(f"reasoning-gym:{name}", {"size": n, "seed": 10_001, "config": cfg}).rows
        except Exception as exc:  # noqa: BLE001 - a bad candidate config is reported and skipped
            print(f"{name} {cfg}: cannot generate ({exc})")
            continue
        prompts = [prompt_text(tok, TASK, r) for r in rows]
        texts, _ = generate(model, tok, prompts, max_new_tokens=max_new_tokens, batch_size=n)
        acc, fmt = score_rows(texts, rows, prompts)
        latent = [last_number_correct(t.split("</answer>")[0], r["answer"]) for t, r in zip(texts, rows)]
        print(json.dumps({"task": name, "config": cfg, "n": n, "accuracy": round(sum(acc) / n, 3),
                          "closed": round(sum(fmt) / n, 3),
                          "last_number": round(sum(latent) / n, 3), "seconds": round(time.perf_counter() - t0, 1),
                          "sample": texts[:3]}))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
