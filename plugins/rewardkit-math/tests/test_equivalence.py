"""Equivalence of answers in every documented form (called directly, no worker pool)."""

from __future__ import annotations

import pytest

CASES = [
    # form, gold, predicted final answer, expected
    ("integer", "42", "42", True), ("integer", "42", "43", False), ("integer", "0", "-0", True),
    ("decimal", "0.5", ".50", True), ("decimal", "3.0", "3", True), ("decimal", "0.125", "0.12", False),
    ("thousands", "1234567", "1,234,567", True), ("thousands", "12500", "12{,}500", True),
    ("currency", "18", r"\$18", True), ("currency", "18", "$18.00", True),
    ("percent", "25", r"25\%", True), ("percent", "0.25", "25%", True), ("percent", r"25\%", "0.25", True),
    ("percent", "40", r"45\%", False),
    ("units", "5", r"5\text{ cm}", True), ("units", "9", r"9\text{ m}^2", True), ("units", "30", r"30^\circ", True),
    ("units", "18", "18 dollars per day", True), ("units", "7", r"8\text{ cm}", False),
    ("fraction", r"\frac{3}{4}", "3/4", True), ("fraction", r"\frac{3}{4}", r"\dfrac{3}{4}", True),
    ("fraction", r"\frac{3}{4}", r"\tfrac34", True), ("fraction", r"\frac{3}{4}", "0.75", True),
    ("fraction", r"\frac{1}{3}", "0.33", False), ("fraction", r"-\frac{1}{2}", r"\frac{-1}{2}", True),
    ("mixed", r"\frac{5}{2}", r"2\frac{1}{2}", True), ("mixed", "2.5", "2 1/2", True),
    ("mixed", r"-\frac{5}{2}", r"-2\frac{1}{2}", True),
    ("scientific", "1500", r"1.5\times 10^{3}", True), ("scientific", "0.00032", "3.2e-4", True),
    ("scientific", "1500", r"1.5\times10^{4}", False),
    ("sqrt", r"2\sqrt{3}", r"\sqrt{12}", True), ("sqrt", r"\frac{\sqrt{2}}{2}", r"\frac{1}{\sqrt{2}}", True),
    ("sqrt", r"\sqrt[3]{2}", "2^{1/3}", True), ("sqrt", r"\sqrt{3}", r"\sqrt{2}", False),
    ("pi", r"\frac{\pi}{4}", r"\frac{1}{4}\pi", True), ("pi", r"\pi", "3.14", False),
    ("power", "2^{10}", "1024", True), ("power", "(x+1)^2", "x^2+2x+1", True), ("power", "(x-1)^2", "x^2-1", False),
    ("times", "12", r"3 \cdot 4", True), ("times", "24", r"2\times 12", True),
    ("leftright", "(1,2)", r"\left(1, 2\right)", True),
    ("text", "10", r"10\text{ dollars}", True), ("text", "5", r"\text{5}", True),
    ("negative", r"-\frac{1}{4}", "-0.25", True), ("negative", "-3", "3", False),
    ("tuple", "(1,2)", "(2,1)", False), ("tuple", r"\left(\frac{1}{2}, 3\right)", "(0.5, 3)", True),
    ("set", r"\{1,2,3\}", r"\{3,2,1\}", True), ("set", "1, 2", "2, 1", True), ("set", r"\{1,2\}", r"\{1,3\}", False),
    ("interval", "[1,2)", "(1,2]", False), ("interval", r"(-\infty, 3]", r"(-\infty,3]", True),
    ("interval", r"(-\infty,-2)\cup(2,\infty)", r"(2,\infty)\cup(-\infty,-2)", True),
    ("pm", r"1\pm\sqrt{2}", r"1+\sqrt{2}, 1-\sqrt{2}", True), ("pm", r"\pm 3", "3", False),
    ("pm", r"\frac{-1\pm\sqrt{5}}{2}", r"\frac{-1-\sqrt{5}}{2}, \frac{-1+\sqrt{5}}{2}", True),
    ("equation", "5", "x = 5", True), ("equation", "x=5", "5", True), ("equation", "5", "x = 6", False),
    ("equation", "y=2x+1", "y = 1 + 2x", True), ("equation", "x^2+y^2=1", "2x^2+2y^2=2", True),
    ("symbolic", "2x+2", "2(x+1)", True), ("symbolic", "x^2-1", "(x-1)(x+1)", True), ("symbolic", "2x+2", "2x+1", False),
    ("symbolic", r"\sin^2 x + \cos^2 x", "1", True), ("symbolic", r"e^{i\pi}", "-1", True),
    ("symbolic", r"\log_2 8", "3", True), ("binom", r"\binom{5}{2}", "10", True), ("factorial", "5!", "120", True),
    ("complex", "3+4i", "4i+3", True), ("infinity", r"\infty", r"-\infty", False),
    ("inequality", r"(3, \infty)", "x > 3", True), ("inequality", r"(3, \infty)", r"x \ge 3", False),
    ("inequality", "(1,3]", r"1 < x \le 3", True), ("inequality", "x < 2", "2 > x", True),
    ("inequality", "[0,1)", r"x \in [0, 1)", True), ("inequality", "x>3", "x>4", False),
    ("inequality", r"(-\infty,1)\cup[2,\infty)", r"x < 1 \text{ or } x \ge 2", True),
]


@pytest.mark.parametrize("form, gold, pred, expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_forms(judge, form, gold, pred, expected):
    completion = f"so the final answer is $\\boxed{{{pred}}}$"
    assert judge(completion, f"${gold}$") == (1.0 if expected else 0.0)
    # every one of these is decided inline, without sympy or a worker
    assert judge(completion, gold, fast=True) == (1.0 if expected else 0.0)


def test_tolerance_is_a_parameter(judge):
    assert judge("A: 100.00001", "100") == 1.0
    assert judge("A: 100.00001", "100", tolerance=0.0) == 0.0
    assert judge("A: 101", "100", tolerance=0.02) == 1.0
    assert judge("A: 3.14", r"\pi", tolerance=0.001) == 1.0


def test_gold_answer_formats(judge):
    for gold in ("18", "#### 18", "She makes $18.\n#### 18", "steps\nA: 18", r"\boxed{18}", "$18$"):
        assert judge("A: 18", gold) == 1.0, gold


def test_gold_that_cannot_be_parsed_gives_none(judge):
    for gold in (r"\notacommand{2}", r"\frac{1}{", "", r"\boxed{}"):  # ("banana" is a text answer)
        assert judge(r"\boxed{1}", gold) is None, gold


def test_several_different_final_answers_do_not_win(judge):
    listing = r"It is \boxed{3} or maybe \boxed{4} or \boxed{5}"
    assert judge(listing, "5") == 0.0  # reject (default)
    assert judge(listing, "5", multiple="last") == 1.0
    assert judge(listing, "3", multiple="first") == 1.0
    assert judge(listing, "3", multiple="last") == 0.0
    assert judge(r"\boxed{5} ... checked: \boxed{5.0}", "5") == 1.0  # the same answer twice is fine
    assert judge("The answer is 3 or 5", "5") == 0.0  # a list is not a number
    assert judge(r"\boxed{3, 5}", "5") == 0.0
    # a long listing followed by many copies of one answer is still a listing
    spam = "".join(rf"\boxed{{{k}}}" for k in range(100)) + r"\boxed{42}" * 40
    assert judge(spam, "42") == 0.0
    assert judge("The answer is 1. " + "The answer is 42. " * 40, "42") == 0.0


def test_extraction_order_parameter(judge):
    text = "The answer is 4.\n\\boxed{5}"
    assert judge(text, "5") == 1.0
    assert judge(text, "4", extract=("answer_is", "boxed")) == 1.0
    assert judge("I think 5", "5", extract=("boxed",)) == 0.0
