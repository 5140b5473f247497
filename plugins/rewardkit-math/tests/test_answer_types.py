"""Competition answer types: matrices, several answers, intervals, relations, text, number formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rewardkit
from rewardkit_math.parse import ParseError, parse

CASES = [
    # matrices and vectors
    ("matrix", r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", r"\begin{bmatrix}1&2\\3&4\end{bmatrix}", True),
    ("matrix", r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", r"\left[\begin{array}{cc}1&2\\3&4\end{array}\right]", True),
    ("matrix", r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", r"\begin{pmatrix}1&3\\2&4\end{pmatrix}", False),
    ("matrix", r"\begin{pmatrix}\frac12&0\\0&2\end{pmatrix}", r"\begin{pmatrix}0.5&0\\0&2\end{pmatrix}", True),
    ("matrix", r"\begin{pmatrix}3\\2\\-6\end{pmatrix}", "(3, 2, -6)", True),
    ("matrix", r"\begin{pmatrix}3\\2\\-6\end{pmatrix}", r"\begin{pmatrix}3&2&-6\end{pmatrix}", False),
    ("matrix", r"\begin{pmatrix}6&8\\10&12\end{pmatrix}",
     r"\begin{pmatrix}1&2\\3&4\end{pmatrix}+\begin{pmatrix}5&6\\7&8\end{pmatrix}", True),
    ("matrix", r"\begin{pmatrix}2&0\\0&2\end{pmatrix}", r"2\begin{pmatrix}1&0\\0&1\end{pmatrix}", True),
    # several answers
    ("several", "1, 2", r"1 \text{ and } 2", True), ("several", "12, 30, 57", "12, 30, and 57", True),
    ("several", "-2, 1", r"x=1 \text{ and } x=-2", True), ("several", "(2,1),(1,2)", "(1,2), (2,1)", True),
    ("several", "2", "1, 2", False),
    # intervals and inequalities
    ("interval", "[-3,8]", r"-3 \le t \le 8", True), ("interval", "(0,2)", "0 < g(t) < 2", True),
    ("interval", r"[-\frac52,-2]\cup[2,\frac52]", r"2 \le |w| \le 5/2", True), ("interval", r"y \le 4", r"-y \ge -4", True),
    ("interval", r"y \le 4", r"-y \le -4", False), ("interval", "(1.5, 2.75]", r"(\frac32, \frac{11}{4}]", True),
    ("interval", r"(\frac12, \frac32)", "1 < 2x < 3", True),
    ("interval", r"\mathbb{R} \setminus \{1\}", r"(-\infty, 1) \cup (1, \infty)", True),
    ("interval", r"(-\infty,1)\cup(1,\infty)", r"x \neq 1", True), ("text", r"\emptyset", r"\text{no solution}", True),
    ("text", "2:30 p.m.", "2:30 pm", True),
    # relations and ratios
    ("relation", "5", "y = 2+3 = 5", True), ("relation", "5:9", "V_1 : V_2 = 5:9", True), ("relation", "5:9", "9:5", False),
    ("relation", r"\frac{5}{9}", "5:9", True), ("relation", r"\frac{\sqrt2}{2}", r"\frac{\sqrt2}{2} \approx 0.707", True),
    ("relation", "12:00", "1:00", False),
    # text and choice letters
    ("text", "E", r"\text{E}", True), ("text", r"\text{(E)}", "(E)", True), ("text", r"\text{odd}", "odd", True),
    ("text", r"\text{odd}", r"\text{even}", False), ("text", r"\text{Evelyn}", r"\textbf{Evelyn}", True),
    # number formats
    ("number", "22450001", r"22,\!450,\!001", True), ("number", "48213", r"48,\! 213", True),
    ("number", "1000", "1 000", True), ("number", "3.15", "3,15", True), ("number", "0.111", "0,111", True),
    ("number", "1234", "1,234", True), ("number", "312_4", "312_{4}", True), ("number", "54", "312_4", True),
    ("number", "12", "12_3", False), ("number", "1000000", "1000001", False),
    # doubled backslashes (JSON escaped twice)
    ("escaping", r"\frac{1}{2}", r"\\frac{1}{2}", True), ("escaping", r"x \le 3", r"x \\le 3", True),
    ("escaping", r"x \le 3", r"x \\ge 3", False),
    # false positives
    ("false", "b - 2y = 0", "0", False), ("false", "5 = 3p+q", "3p+q", False), ("relation", "3", "a + b = 3", True),
    # functions and basics
    ("function", r"\frac{1}{\cos x}", r"\sec x", True), ("function", r"1+\cot^2 x", r"\csc^2 x", True),
    ("function", r"\frac{e^x-e^{-x}}{2}", r"\sinh x", True), ("function", r"\frac{\pi}{4}", r"\operatorname{arccot} 1", True),
    ("function", r"\sin t", r"\cos(90^\circ - t)", True), ("function", r"2\sin x\cos x", r"\sin 2x", True),
    ("function", r"|x|", r"\sqrt{x^2}", True), ("function", r"\frac{\pi}{6}", r"\sin^{-1}\frac12", True),
    ("number", r"\frac16", r"0.1\overline{6}", True), ("number", r"\frac13", r"0.\overline{6}", False),
    ("basic", "200", "2^3 5^2", True), ("basic", "a + b", "b + a", True),
    ("basic", "1", r"\lim_{t\to0}\frac{\sin t}{t} = 1", True), ("basic", "p = q", "p = q", True),
]


@pytest.mark.parametrize("form, gold, pred, expected", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_answer_types(judge, form, gold, pred, expected):
    assert judge(f"so the final answer is $\\boxed{{{pred}}}$", gold) == (1.0 if expected else 0.0)


@pytest.mark.parametrize("completion, gold, expected", [
    (r"The solutions are $\boxed{1}$ and $\boxed{2}$.", "1, 2", 1.0),
    (r"$\boxed{1}\boxed{2}$", r"\boxed{1,2}", 1.0),
    (r"$\boxed{(1,2)}, \boxed{(2,1)}$", "(2,1),(1,2)", 1.0),
    (r"So $\boxed{m=12} \text{ and } \boxed{n=3}$.", "m = 12, n = 3", 1.0),
    ("m = 12, n = 3", r"\boxed{m=12} \text{ and } \boxed{n=3}", 1.0),  # a gold answer listing several boxes
    (r"It is $\boxed{1}$ or $\boxed{2}$.", "2", 0.0),  # still no listing against a single gold value
    (r"$\boxed{1}, \boxed{2}, \boxed{3}$", "1, 2", 0.0),
])
def test_several_boxed_answers(judge, completion, gold, expected):
    assert judge(completion, gold) == expected


@pytest.mark.parametrize("completion, gold, expected", [
    ("<think>Maybe \\boxed{5}? No.</think>\nThe answer is \\boxed{3}.", "3", 1.0),
    ("<think>Maybe \\boxed{5}? No.</think>\nThe answer is \\boxed{3}.", "5", 0.0),
    ("Answer: 5\nWait, I made an error: 2*3 = 6.\nAnswer: 6", "6", 1.0),  # the last Answer: line
    ("Answer: 5\nWait, I made an error: 2*3 = 6.\nAnswer: 6", "5", 0.0),
    ("The code we need is QX7RT.", "7", 0.0),  # a digit inside a word is no number
    ("Final Answer: The largest $n$ is 34.", "34", 1.0),
    (r"$\boxed{200}$ then $\boxed{255}$. Final Answer: The final answer is $10,455$.", "10455", 1.0),
    ("The answer is (B).", "B", 1.0), ("**Answer:** C", "B", 0.0), ("C. x = 42", "C", 1.0),
    ("The correct option is (D).", "D", 1.0), (r"\lim_{n\to\infty} a_n", r"\lim_{n\to\infty} a_n", 1.0),
    ("f'", "f'", 1.0),  # identical to the gold answer, though neither parses
    (r"So the final answer is $\boxed{\text{Answer: none}}$.", r"\text{Answer: none}", 1.0),  # no marker inside \text{}
])
def test_extraction_rules(judge, completion, gold, expected):
    assert judge(completion, gold) == expected


def test_sec_no_longer_raises(judge):
    # \sec, \csc, \cot had no numeric form: comparing them raised KeyError inside the reward
    assert judge(r"\boxed{\sec^2 x - \tan^2 x}", "1") == 1.0
    assert judge(r"\boxed{\cot x}", r"\frac{\cos x}{\sin x}", fast=True) == 1.0


@pytest.mark.parametrize("text", [r"\unknowncommand{2}", r"\sum", r"\begin{cases}1\end{cases}", r"\begin{pmatrix}1&2\\3\end{pmatrix}"])
def test_unknown_commands_are_unparseable(judge, text):
    with pytest.raises(ParseError):
        parse(text)
    assert judge(rf"\boxed{{{text}}}", "2") == 0.0


def test_parameters(judge):
    assert judge(r"\boxed{(1,3)}", r"\{1,3\}") == 0.0
    assert judge(r"\boxed{(1,3)}", r"\{1,3\}", sets="loose") == 1.0
    assert judge("The answer is (B) 42.", "B") == 1.0
    assert judge("The answer is (B) 42.", "B", letters="off") == 0.0
    assert judge(r"\boxed{3,15}", "3.15", decimal_comma="never") == 0.0
    assert judge(r"\boxed{1.234,5}", "1234.5", decimal_comma="always") == 1.0
    assert judge(r"\boxed{2.71828}", "2.7183") == 0.0
    assert judge(r"\boxed{2.71828}", "2.7183", rounding="gold") == 1.0
    assert judge(r"\boxed{2.71}", "2.7183", rounding="gold") == 0.0


@pytest.mark.parametrize("name, value", [("sets", "fuzzy"), ("letters", "yes"), ("decimal_comma", "sometimes"), ("rounding", 3)])
def test_parameters_are_validated(name, value):
    with pytest.raises(rewardkit.ParameterError, match=name):
        rewardkit.reward("math.equivalence", **{name: value})


def test_answer_type_corpus_agrees():
    path = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "math_answer_types.jsonl"
    if not path.exists():
        pytest.skip("benchmark corpus not in this checkout")
    from rewardkit_math import STRATEGIES
    from rewardkit_math.rewards import equivalence

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    values = equivalence(completions=[r["pred"] for r in rows], prompts=[""] * len(rows), answer=[r["gold"] for r in rows],
                         tolerance=1e-6, extract=STRATEGIES, multiple="reject")
    agree = sum((v == 1.0) == r["label"] for v, r in zip(values, rows))
    assert len(rows) >= 600 and agree / len(rows) >= 0.99


@pytest.mark.parametrize("completion, gold, expected", [
    ("<answer>\neither 626 or 623, depending on the reading\n</answer>", "623", 0.0),  # alternatives are a listing
    ("<answer>The total is 623</answer>", "623", 1.0),
    ("<answer>623 thousand</answer>", "623", 0.0),  # a scale word multiplies, it is no unit
    ("<answer>623 dozen</answer>", "623", 0.0),
    ("<answer>1.5 million</answer>", "1500000", 1.0),
    (r"<answer>\boxed{623} \boxed{626}</answer>", "623", 0.0),
])
def test_probe_families_do_not_pass(judge, completion, gold, expected):
    assert judge(completion, gold) == expected


@pytest.mark.parametrize("completion, gold, expected", [
    ("Answer $ \n 9 \n $", "9", 0.0),  # inline math broken over lines is no answer, its number no prose
    ("Answer \\( \n 9 \n \\)", "9", 0.0),
    ("Answer \\[ \n 9 \n \\]", "9", 1.0),  # display math may run over lines
    ("11 5/6", r"\frac{71}{6}", 1.0),
    ("11 7/6", r"\frac{73}{6}", 0.0),  # an improper fraction after an integer is no mixed number
])
def test_inline_math_and_mixed_numbers(judge, completion, gold, expected):
    assert judge(completion, gold) == expected
