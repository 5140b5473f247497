"""Finding the final answer."""

from __future__ import annotations

import pytest

from rewardkit_math import STRATEGIES, extract


@pytest.mark.parametrize(
    "text, strategy, answer",
    [
        ("<think>1+1</think><answer>2</answer>", "answer_tag", "2"),
        (r"<answer>so \boxed{3}</answer>", "answer_tag", "3"),
        (r"First \boxed{1}, finally \boxed{\frac{1}{2}} done", "boxed", r"\frac{1}{2}"),
        (r"\fbox{7}", "boxed", "7"),
        (r"\boxed{\boxed{5}}", "boxed", r"\boxed{5}"),
        ("steps\n#### 1,200", "hashes", "1,200"),
        ("So the final answer is 18 dollars. Thanks", "answer_is", "18 dollars"),
        ("The answer is $\\frac{1}{2}$.", "answer_is", r"\frac{1}{2}"),
        ("Answer: 3.5.", "answer_is", "3.5"),
        ("She makes 9 * 2 = $18\nA: 18", "a_colon", "18"),
        ("we get $x = 3$ and then $y=4$", "latex", "y=4"),
        (r"so \[ x^2 \] holds", "latex", " x^2 "),
        (r"2\sqrt{3}", "expression", r"2\sqrt{3}"),
        ("She has 3 apples and buys 4 more: 7 apples.", "last_number", "7"),
        ("It costs $5 and $10 in all", "last_number", "10"),
    ],
)
def test_strategies(text, strategy, answer):
    found = extract(text)
    assert found is not None
    assert (found.strategy, found.candidates[-1]) == (strategy, answer)


def test_order_is_configurable():
    text = "The answer is 4.\n\\boxed{5}"
    assert extract(text).candidates[-1] == "5"
    assert extract(text, ("answer_is", "boxed")).candidates[-1] == "4"
    assert extract("no numbers here", STRATEGIES) is None


def test_all_candidates_are_kept_for_the_multiple_answer_policy():
    assert extract(r"\boxed{1} or \boxed{2} or \boxed{3}").candidates == ("1", "2", "3")


def test_large_and_hostile_texts_are_scanned_linearly():
    # unclosed openers repeated: a backtracking regex would be quadratic here
    for text in ("<answer>" * 100_000, r"\boxed{" * 100_000, "\\[" * 100_000, "$" * 300_000,
                 "the answer is " * 50_000, "A:\n" * 100_000):
        extract(text)
    assert extract("x" * 1_000_000 + " A: 5\n" + "y" * 10).candidates == ("5",)
