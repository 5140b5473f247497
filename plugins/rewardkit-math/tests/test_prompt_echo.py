"""A verbatim echo of the prompt (or of its question) is never read as the final answer."""

from __future__ import annotations

import pytest

from rewardkit_math import STRATEGIES
from rewardkit_math.rewards import equivalence, equivalence_fast, parseable

Q = ("Candles cost $2 each to make and sell for $3 each. "
     "How much profit does he make if he makes and sells 20 candles?")


def score(completion: str, gold: str, prompt: str = Q, fast: bool = False) -> float | None:
    fn = equivalence_fast if fast else equivalence
    return fn(completions=[completion], prompts=[prompt], answer=[gold], tolerance=1e-6,
              extract=STRATEGIES, multiple="reject")[0]


QUESTION = "How much profit does he make if he makes and sells 20 candles?"


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize(
    "completion",
    [
        Q,  # the prompt alone
        f"<think>\n{Q}\n</think>\n<answer>\n{Q}\n</answer>",  # in both tags
        f"<answer>{Q}</answer>",  # in the answer tag
        f"Let me think.\n{QUESTION}",  # the question alone, copied after some words
        f"  {Q}  \n",
    ],
)
def test_echoed_prompt_is_no_answer(completion, fast):
    assert score(completion, "20", fast=fast) == 0.0


@pytest.mark.parametrize(
    "completion",
    [
        f"{Q}\nHe makes 20 * (3 - 2) = 20 dollars.",  # echo, then the answer
        f"{QUESTION} 20",
        "He makes and sells 20 candles",  # a few words of the question restated: read as today
        "if he makes and sells 20 candles? So 20.",
        f"<answer>{QUESTION} It is 20</answer>",
        "20",
    ],
)
def test_answers_after_or_beside_an_echo_still_count(completion):
    assert score(completion, "20") == 1.0


def test_without_prompt_nothing_changes():
    assert score(Q, "20", prompt="") == 1.0  # no prompt given: nothing is an echo


def test_short_prompt_is_not_an_echo():
    assert score("20", "20", prompt="20") == 1.0
    assert score("The answer is 20", "20", prompt="What is 20?") == 1.0


def test_parseable_ignores_the_echo():
    out = parseable(completions=[Q, f"{Q} 20"], prompts=[Q, Q], extract=STRATEGIES)
    assert out == [0.0, 1.0]


def test_bound_reward_passes_prompts(eq):
    assert eq([Q, f"{Q}\nSo 20."], prompts=[Q, Q], answer=["20", "20"]) == [0.0, 1.0]
