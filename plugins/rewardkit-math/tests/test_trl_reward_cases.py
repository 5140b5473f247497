"""TRL's published reward tests, as data, run through ``math.equivalence`` (the host path).

The cases are those of ``tests/test_rewards.py`` in huggingface/trl (``TestAccuracyReward``,
``TestReasoningAccuracyReward``, ``TestCosineScaledReward``'s correctness and unparsable-gold
cases): TRL's contract is that an unparsable gold answer gives ``None`` (unscorable), that only
the text after ``</think>`` is the answer, and that reasoning never closed gives no answer.
No TRL code is used or copied.
"""

from __future__ import annotations

import threading

import pytest

FRAC = r"\frac{63}{400}"
Case = tuple[str, str, "float | None"]

ACCURACY: list[Case] = [  # TestAccuracyReward
    (r"\boxed{\frac{63}{400}}", FRAC, 1.0),
    (r"\boxed{\frac{63}{400}}", "63/400", 1.0),
    (r"\boxed{\frac{64}{400}}", FRAC, 0.0),
    (r"\boxed{3}", "6", 0.0),
    ("Answer is forty two.", "Answer is forty two.", None),  # a gold with no math: unscorable
    (r"Some other content. \boxed{43}.", "Answer is forty three.", None),
]
REASONING: list[Case] = [  # TestReasoningAccuracyReward
    (r"<think> Reasoning content </think> \boxed{\frac{63}{400}}", FRAC, 1.0),
    (r"Reasoning content </think> \boxed{\frac{63}{400}}", FRAC, 1.0),
    # TRL passes reasoning_delimiters=["</REASONING_END>"]; rewardkit has no such parameter, the box is read anyway
    (r"<REASONING_START> Reasoning content </REASONING_END> \boxed{\frac{63}{400}}", FRAC, 1.0),
    (r"<think> Reasoning content </think> \boxed{\frac{64}{400}}", FRAC, 0.0),
    (r"<think> My answer is \boxed{42} </think> Some other text.", r"\boxed{42}", 0.0),
    (r"<think> The answer is \boxed{42} </think> Here's a wrong answer: \boxed{43}.", r"\boxed{42}", 0.0),
    (r"<think> Incomplete reasoning without closing tag", FRAC, 0.0),
    (r"Correct answer \frac{63}{400} but completely missing reasoning content", FRAC, 0.0),
    (r"<think> Reasoning content </think> \boxed{42}", "forty two", None),
]
COSINE: list[Case] = [  # TestCosineScaledReward: the correctness under the length scaling
    (r"\boxed{\frac{1}{3}}", r"\frac{1}{3}", 1.0),
    (r"\boxed{\frac{1}{2}}", r"\frac{1}{3}", 0.0),
    (r"\boxed{42}", "forty two", None),
]
# rewardkit's rule for reasoning never closed (docs/math.md, "Finding the final answer"): no answer
UNFINISHED: list[Case] = [
    (r"<think> so far the answer is \boxed{42}", "42", 0.0),
    (r"<THINK> so far \boxed{42} and more", "42", 0.0),
    (r"<think> hmm </think> \boxed{42}", "42", 1.0),
    (r"\boxed{42}", "42", 1.0),  # no reasoning tags at all: the whole completion is the answer
]


@pytest.mark.parametrize("completion, gold, expected", ACCURACY + REASONING + COSINE + UNFINISHED)
def test_trl_reward_case(eq, completion, gold, expected) -> None:
    assert eq([completion], answer=[gold]) == [expected]


def test_trl_cases_in_one_batch(eq):
    cases = ACCURACY + REASONING + COSINE + UNFINISHED
    assert eq([c for c, _, _ in cases], answer=[g for _, g, _ in cases]) == [e for _, _, e in cases]


def test_in_worker_thread(eq):
    """TestAccuracyReward.test_accuracy_reward_in_worker_thread: the reward works off the main thread."""
    results: list[float | None] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.extend(eq([r"\boxed{\frac{1}{3}}"], answer=[r"\frac{1}{3}"]))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread below
            errors.append(exc)

    t = threading.Thread(target=target)
    t.start()
    t.join()
    assert not errors and results == [1.0]
