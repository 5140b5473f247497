"""GSM8K: agreement with the stored completions' labels, and gold answers like the core's helper."""

from __future__ import annotations

from fractions import Fraction

from rewardkit.tasks import gsm8k
from rewardkit_math import STRATEGIES
from rewardkit_math.rewards import equivalence_fast, gold_answer


def test_agrees_with_every_stored_label_on_the_fast_path():
    rows = gsm8k.load("completions")
    values = equivalence_fast(completions=[r["completion"] for r in rows], prompts=[""] * len(rows),
                              answer=[r["answer"] for r in rows], tolerance=1e-6, extract=STRATEGIES,
                              multiple="reject")
    mismatches = [r["id"] for r, v in zip(rows, values) if v != (1.0 if r["is_correct"] else 0.0)]
    assert len(rows) == 5276 and mismatches == []


def test_gold_answers_match_the_core_helper():
    for row in gsm8k.load("train", limit=2000):
        core = gsm8k.gold_answer(row["answer"])
        kind, value = gold_answer(row["answer"]).item
        assert kind == "num" and value == Fraction(core), row["answer"][-40:]
