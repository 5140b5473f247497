# ruff: noqa: E501 - a data table: one pair per tuple reads better than wrapped lines
"""Write ``math_answer_types.jsonl``: labelled gold/completion pairs by answer type.

Every pair is written for this project (``source: rewardkit``) in the formats competition
datasets (MATH, AIME, AMC, olympiad sets) and model outputs use; pairs modelled on a case in
another grader's test suite name it in ``source``. Labels are mathematical truth for the
question the gold answer implies, not what any checker says. Short answers are wrapped in
one of several completion templates (boxed, "The final answer is", ``Answer:``, display math,
``<answer>`` tags), chosen by position so the file is reproducible.

    python benchmarks/data/make_math_answer_types.py
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "math_answer_types.jsonl"

TEMPLATES = (
    "So the final answer is $\\boxed{{{a}}}$.",
    "Putting everything together, we get\n\\[\n\\boxed{{{a}}}\n\\]",
    "Final Answer: The final answer is ${a}$. I hope it is correct.",
    "<think>\nLet me work through this carefully.\n</think>\n<answer>{a}</answer>",
    "Therefore, the answer is $\\boxed{{{a}}}$.",
    "Thus the answer is $\\boxed{{{a}}}$.",
)

FULL = "full:"  # a pred starting with this is the whole completion, not wrapped
RAW = "raw:"  # a gold starting with this is stored as written, not in one of GOLD_FORMS

# (gold, pred, label[, source]); gold strings are what a dataset stores (MATH stores the boxed content)
CASES: dict[str, list[tuple]] = {}

CASES["numbers"] = [
    ("42", "42", True), ("42", "43", False), ("-7", "-7", True), ("-7", "7", False),
    ("0", "-0", True), ("0.5", "0.50", True), ("0.5", ".5", True), ("0.5", "0.05", False),
    ("3", "3.0", True), ("3", "3.01", False), ("1000", "1000.0", True),
    ("7425000", "7,425,000", True, "math-verify tests (thousands)"), ("1234567", "1,234,567", True),
    ("1234567", "1,234,576", False), ("12500", "12{,}500", True), ("14916", "14{,}916", True),
    ("14916", "14{,}961", False), ("1.5", "1.50", True), ("2.25", "2.52", False),
    ("0.001", "10^{-3}", True), ("1500", "1.5\\times 10^{3}", True), ("1500", "1.5 \\times 10^4", False),
    ("0.00032", "3.2 \\times 10^{-4}", True), ("6.02\\times10^{23}", "6.02 \\cdot 10^{23}", True),
    ("100", "10^2", True), ("1024", "2^{10}", True), ("1023", "2^{10}", False), ("-1", "(-1)^{3}", True),
    ("1", "(-1)^{4}", True), ("1", "(-1)^{5}", False), ("9", "3^2", True), ("27", "3^{3}", True),
    ("120", "5!", True), ("720", "6!", True), ("24", "5!", False), ("10", "\\binom{5}{2}", True),
    ("15", "\\dbinom{6}{2}", True), ("20", "\\binom{6}{2}", False), ("2", "+2", True),
    ("2019", "2019", True), ("2019", "2020", False), ("1", "1.000", True), ("0.1", "0.10000", True),
    ("0.3333", "0.3333", True), ("0.333", "0.3333", False), ("-0.25", "-.25", True),
    ("100", "\\$100", True), ("100", "100 dollars", True), ("99", "\\$100", False),
]

CASES["number_formats"] = [
    ("22450001", "22,\\!450,\\!001", True), ("48213", "48,\\! 213", True), ("48213", "48,\\!231", False),
    ("1000", "1 000", True, "math-verify tests (space thousands)"), ("1000000", "1 000 000", True),
    ("1000000", "1 000 001", False), ("1000", "1\\,000", True), ("12345", "12\\,345", True),
    ("3.15", "3,15", True), ("1000.99", "1000,99", True, "math-verify tests (decimal comma)"),
    ("1.22", "1,22", True), ("0.111", "0,111", True), ("3.15", "3,16", False), ("0.5", "0,5", True),
    ("1234", "1,234", True), ("1.234", "1,234", False),
    ("54", "312_4", True), ("12", "12_3", False), ("312_4", "312_4", True), ("312_4", "312_{4}", True), ("312_4", "312", True),
    ("312_4", "321_4", False), ("10101_2", "10101_{2}", True), ("10101_2", "10110_2", False),
    ("1234_5", "1234_{5}", True), ("1234_5", "1234_6", False),
    ("2", "AZYUK2A", False, "math-verify tests (digit inside a word)"), ("7", "QX7RT", False),
    ("8", "The password is B8ZQ.", False),
    ("1000.99", "1,000.99", True), ("1000.99", "$1,000.99", True), ("1000.99", "1,000.99€", True),
    ("25", "\\text{25}", True), ("25", "\\mathbf{25}", True), ("25", "\\textbf{25}", True),
    ("1.5", "\\frac{3}{2}", True), ("2.5", "2\\frac{1}{2}", True), ("2.5", "2 \\frac{1}{2}", True),
    ("-2.5", "-2\\tfrac{1}{2}", True), ("2.5", "2\\frac{1}{3}", False),
    ("12", "１２", True), ("12", "١٢", True), ("0.5", "½", True), ("-5", "−5", True),
    ("600", "6 \\times 10^2", True), ("600", "6\\cdot 10^{3}", False),
    ("1000000", "10^6", True), ("1000000", "10^{5}", False), ("5", "5.", True),
    ("\\frac{1}{3}", "0.\\overline{3}", True), ("\\frac{1}{6}", "0.1\\overline{6}", True),
    ("\\frac{14}{11}", "1.\\overline{27}", True), ("\\frac{1}{3}", "0.\\overline{6}", False),
]

CASES["fractions"] = [
    ("\\frac{3}{4}", "3/4", True), ("\\frac{3}{4}", "\\dfrac{3}{4}", True), ("\\frac{3}{4}", "\\tfrac34", True),
    ("\\frac{3}{4}", "0.75", True), ("\\frac{3}{4}", "\\frac{4}{3}", False), ("\\frac{1}{3}", "0.33", False),
    ("\\frac{1}{3}", "0.3333333333", True), ("\\frac{1}{3}", "0.333", False), ("\\frac{1}{3}", "\\frac{2}{6}", True), ("-\\frac{1}{2}", "\\frac{-1}{2}", True),
    ("-\\frac{1}{2}", "\\frac{1}{-2}", True), ("-\\frac{1}{2}", "\\frac{1}{2}", False), ("\\frac{10}{9}", "10/9", True),
    ("-\\frac{10}{9}", "-10/9", True), ("\\frac{1}{3}", "\\frac13", True), ("1", "\\frac3{3}", True),
    ("\\frac{1}{3}", "\\cfrac{1}{3}", True), ("\\frac{14}{3}", "4\\frac{2}{3}", True), ("\\frac{14}{3}", "4\\frac{1}{3}", False),
    ("\\frac{5}{2}", "2\\frac{1}{2}", True), ("\\frac{7}{8}", "\\frac{7}{8}", True), ("\\frac{7}{8}", "\\frac{8}{7}", False),
    ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", True), ("\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt{2}}{2}", False),
    ("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt3}", True), ("\\frac{1+\\sqrt{5}}{2}", "\\frac{\\sqrt5+1}{2}", True),
    ("\\frac{1+\\sqrt{5}}{2}", "\\frac{\\sqrt5-1}{2}", False), ("\\frac{9}{4}", "2.25", True), ("\\frac{9}{4}", "2.5", False),
    ("\\frac{2}{3}", "\\frac{4}{6}", True), ("\\frac{2}{3}", "0.67", False), ("\\frac{11}{36}", "\\frac{11}{36}", True),
    ("\\frac{11}{36}", "\\frac{13}{36}", False), ("\\frac{1}{6}", "\\left(\\frac{1}{6}\\right)", True),
    ("\\frac{1}{6}", "\\displaystyle\\frac{1}{6}", True), ("\\frac{a}{b}", "a/b", True), ("\\frac{a}{b}", "b/a", False),
    ("\\frac{x+1}{x-1}", "(x+1)/(x-1)", True), ("\\frac{x+1}{x-1}", "\\frac{x-1}{x+1}", False),
    ("\\frac{3}{5}", "60\\%", True), ("\\frac{3}{5}", "0.6", True), ("\\frac{3}{5}", "0.65", False),
    ("\\frac{1}{1024}", "2^{-10}", True), ("\\frac{1}{1024}", "2^{-9}", False), ("\\frac{22}{7}", "\\pi", False),
    ("\\frac{1}{2}", "\\frac{1}{2} \\text{ cup}", True), ("\\frac{4}{9}", "4/9", True),
]

CASES["symbolic"] = [
    ("2x+2", "2(x+1)", True), ("2x+2", "2x+1", False), ("x^2-1", "(x-1)(x+1)", True), ("(x-1)^2", "x^2-1", False),
    ("(x+1)^2", "x^2+2x+1", True), ("a+b", "b + a", True), ("a + b", "a+b", True), ("a-b", "b-a", False),
    ("2\\sqrt{3}", "\\sqrt{12}", True), ("2\\sqrt{3}", "\\sqrt{6}", False), ("3\\sqrt{2}", "\\sqrt{18}", True),
    ("\\sqrt[3]{2}", "2^{1/3}", True), ("4\\pi", "4 \\pi", True), ("4\\pi", "\\pi \\cdot 4", True), ("4\\pi", "4", False),
    ("\\frac{\\pi}{4}", "\\frac{1}{4}\\pi", True), ("\\frac{\\pi}{4}", "\\frac{\\pi}{2}", False), ("\\pi", "3.14", False),
    ("2\\pi r", "2 \\pi r", True), ("\\pi r^2", "r^2\\pi", True), ("2-2p", "2-2p", True), ("2-2p", "2+2p", False),
    ("x^3+3x^2+3x+1", "(x+1)^3", True), ("x^3+3x^2+3x+1", "(x+1)^2(x+2)", False), ("e^{i\\pi}", "-1", True),
    ("3+4i", "4i+3", True), ("3+4i", "3-4i", False), ("\\log_2 8", "3", True), ("\\ln e^2", "2", True),
    ("\\log_3 81", "4", True), ("\\log_3 81", "3", False), ("2^3 \\cdot 5^2", "2^3 5^2", True), ("200", "2^3 5^2", True),
    ("201", "2^3 5^2", False), ("\\sqrt{2}+\\sqrt{3}", "\\sqrt3+\\sqrt2", True), ("\\sqrt{5}", "2.236", False),
    ("1+\\sqrt{2}", "\\sqrt{2}+1", True), ("\\frac{a+b}{2}", "\\frac{a}{2}+\\frac{b}{2}", True),
    ("\\frac{1}{x}+\\frac{1}{y}", "\\frac{x+y}{xy}", True), ("\\frac{1}{x}+\\frac{1}{y}", "\\frac{1}{x+y}", False),
    ("|x|", "|x|", True), ("n(n+1)/2", "\\frac{n^2+n}{2}", True), ("n(n+1)/2", "\\frac{n^2-n}{2}", False),
    ("6\\sqrt{6}", "\\sqrt{216}", True), ("\\sqrt{2}", "1.41421356237", True), ("\\sqrt{2}", "1.414", False),
    ("x^2 y", "y x^2", True), ("2^{100}", "2^{100}", True), ("2^{100}", "2^{99}", False),
    ("2", "\\lim_{x\\to2} x", True), ("2", "\\int_0^1 2 \\, dx", True), ("0", "x + y = 0", True), ("4", "a + b = 4", True),
]

CASES["functions"] = [
    ("\\sec x", "\\frac{1}{\\cos x}", True), ("\\csc x", "\\frac{1}{\\sin x}", True), ("\\cot x", "\\frac{\\cos x}{\\sin x}", True),
    ("\\sec x", "\\frac{1}{\\sin x}", False), ("\\sec^2 x", "1+\\tan^2 x", True), ("\\csc^2 x", "1+\\cot^2 x", True),
    ("\\sec^2 x", "1-\\tan^2 x", False), ("\\sinh x", "\\frac{e^x - e^{-x}}{2}", True), ("\\cosh x", "\\frac{e^x + e^{-x}}{2}", True),
    ("\\cosh x", "\\frac{e^x - e^{-x}}{2}", False), ("\\tanh x", "\\frac{\\sinh x}{\\cosh x}", True),
    ("\\coth x", "\\frac{\\cosh x}{\\sinh x}", True), ("\\operatorname{sech} x", "\\frac{1}{\\cosh x}", True),
    ("\\arcsin 1", "\\frac{\\pi}{2}", True), ("\\arccos 0", "\\frac{\\pi}{2}", True), ("\\arctan 1", "\\frac{\\pi}{4}", True),
    ("\\arctan 1", "\\frac{\\pi}{3}", False), ("\\arcsin \\frac{1}{2}", "\\frac{\\pi}{6}", True),
    ("\\operatorname{arccot} 1", "\\frac{\\pi}{4}", True), ("\\operatorname{arcsec} 2", "\\frac{\\pi}{3}", True),
    ("\\operatorname{arcsinh} 0", "0", True), ("\\operatorname{arctanh} 0", "0", True), ("\\operatorname{arccosh} 1", "0", True),
    ("\\sin 30^\\circ", "\\frac{1}{2}", True), ("\\cos 60^{\\circ}", "\\frac12", True), ("\\tan 45^\\circ", "1", True),
    ("\\sin 30^\\circ", "\\frac{\\sqrt3}{2}", False), ("\\sin t", "\\cos(90^\\circ - t)", True),
    ("\\cos t", "\\sin(90^\\circ - t)", True), ("\\sin t", "\\cos(90^\\circ + t)", False),
    ("\\sin 2x", "2\\sin x\\cos x", True), ("\\cos 2x", "\\cos^2 x - \\sin^2 x", True), ("\\cos 2x", "2\\cos^2 x", False),
    ("\\sin^2 x + \\cos^2 x", "1", True), ("\\tan x", "\\frac{\\sin x}{\\cos x}", True), ("\\ln(xy)", "\\ln x + \\ln y", True),
    ("\\log_2 x", "\\frac{\\ln x}{\\ln 2}", True), ("\\log_2 x", "\\frac{\\ln 2}{\\ln x}", False), ("e^{\\ln 5}", "5", True),
    ("\\exp(2)", "e^2", True), ("\\sqrt{x^2}", "|x|", True), ("\\csc \\frac{\\pi}{6}", "2", True), ("\\sec \\pi", "-1", True),
    ("\\cot \\frac{\\pi}{4}", "1", True), ("\\cot \\frac{\\pi}{4}", "-1", False),
    ("3", "\\lim_{x\\to 0} \\frac{\\sin 3x}{x} = 3", True), ("1", "\\lim_{t\\to0}\\frac{\\sin t}{t} = 1", True),
    ("2", "\\lim_{t\\to0}\\frac{\\sin t}{t} = 1", False), ("0", "\\foo{3}", False),
    ("\\frac{\\pi}{6}", "\\sin^{-1}\\frac{1}{2}", True), ("\\frac{\\pi}{4}", "\\tan^{-1}(1)", True),
    ("\\csc x", "\\sin^{-1} x", False),
]

CASES["units_percent"] = [
    ("5", "5\\text{ cm}", True), ("9", "9\\text{ m}^2", True), ("30", "30^\\circ", True), ("30^\\circ", "30", True),
    ("90^\\circ", "90^{\\circ}", True), ("90^\\circ", "45^\\circ", False), ("18", "18 dollars per day", True),
    ("7", "8\\text{ cm}", False), ("12", "12 \\text{ inches}", True), ("10", "10\\text{ dollars}", True),
    ("5", "5 \\mbox{ meters}", True), ("3", "3\\,\\text{km/h}", True), ("25", "25\\%", True), ("0.25", "25\\%", True),
    ("25\\%", "0.25", True), ("25\\%", "25", True), ("40", "45\\%", False), ("28\\%", "28 \\%", True, "math-verify tests (percent)"),
    ("28\\%", "28 percent", True, "math-verify tests (percent)"), ("28\\%", "28", True), ("28\\%", "0.28", True),
    ("28\\%", "72\\%", False), ("12.5\\%", "\\frac{1}{8}", True), ("12.5\\%", "12.5", True), ("12.5\\%", "1.25", False),
    ("4", "4 \\text{ hours}", True), ("4", "4\\text{ hrs}", True), ("4", "5 \\text{ hours}", False),
    ("18", "\\$18.00", True), ("18", "\\$18.50", False), ("1.25", "\\$1.25", True), ("50", "50 \\text{ mph}", True),
    ("15", "15\\text{ square units}", True), ("144", "144 \\text{ ft}^2", True), ("144", "12 \\text{ ft}", False),
    ("6", "6 \\text{ cm}^3", True), ("100", "100\\text{ km}", True), ("3", "3 m", True),
    ("12, 7", "12 m, 7", True), ("12, 7", "12 \\text{ m}, 7 \\text{ m}", True), ("12, 7", "12 m, 8 m", False),
    ("5, 10", "5 \\text{ cm and } 10 \\text{ cm}", True), ("60", "60 \\text{ degrees}", True), ("50", "50\\text{%}", True),
    ("2", "2 \\text{ units}", True), ("2", "3 \\text{ units}", False),
    ("5", "5^{\\text{th}}", True), ("21", "21\\text{st}", True), ("22", "21^{\\text{st}}", False),
    ("-40", "-40^\\circ F", True), ("100", "100^{\\circ}\\text{C}", True), ("100", "212^\\circ F", False),
]

CASES["matrices"] = [
    ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}", True),
    ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\4&3\\end{pmatrix}", False),
    ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\left[\\begin{array}{cc}1&2\\\\3&4\\end{array}\\right]", True),
    ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&3\\\\2&4\\end{pmatrix}", False),
    ("\\begin{pmatrix} 0 & 3 \\\\ 0 & -1 \\end{pmatrix}", "\\begin{pmatrix} 0 & 3 \\\\ 0 & -1 \\end{pmatrix}", True, "math-verify tests (pmatrix)"),
    ("\\begin{pmatrix} \\frac{1}{2} & 0 \\\\ 0 & 2 \\end{pmatrix}", "\\begin{pmatrix} 0.5 & 0 \\\\ 0 & 2 \\end{pmatrix}", True),
    ("\\begin{pmatrix} \\frac{1}{2} & 0 \\\\ 0 & 2 \\end{pmatrix}", "\\begin{pmatrix} 0.5 & 0 \\\\ 0 & 3 \\end{pmatrix}", False),
    ("\\begin{pmatrix} 3 \\\\ 2 \\\\ -6 \\end{pmatrix}", "(3, 2, -6)", True), ("\\begin{pmatrix} 3 \\\\ 2 \\\\ -6 \\end{pmatrix}", "(3, -6, 2)", False),
    ("\\begin{pmatrix} 3 \\\\ 2 \\\\ -6 \\end{pmatrix}", "\\begin{pmatrix} 3 \\\\ 2 \\\\ -6 \\end{pmatrix}", True),
    ("\\begin{pmatrix} 3 \\\\ 2 \\\\ -6 \\end{pmatrix}", "\\begin{bmatrix} 3 \\\\ 2 \\\\ -6 \\end{bmatrix}", True),
    ("\\begin{pmatrix} 3 \\\\ 2 \\\\ -6 \\end{pmatrix}", "\\begin{pmatrix} 3 & 2 & -6 \\end{pmatrix}", False),
    ("(1, -2, 3)", "\\begin{pmatrix} 1 \\\\ -2 \\\\ 3 \\end{pmatrix}", True), ("(1, -2, 3)", "\\begin{pmatrix} 1 \\\\ 2 \\\\ 3 \\end{pmatrix}", False),
    ("\\begin{pmatrix} 1/3 \\\\ 2/3 \\end{pmatrix}", "\\begin{pmatrix} \\frac{1}{3} \\\\ \\frac{2}{3} \\end{pmatrix}", True),
    ("\\begin{pmatrix} 1/3 \\\\ 2/3 \\end{pmatrix}", "\\begin{pmatrix} 0.33 \\\\ 0.67 \\end{pmatrix}", False),
    ("\\begin{pmatrix} \\sqrt{2} \\\\ 1 \\end{pmatrix}", "\\begin{pmatrix} \\sqrt2 \\\\ 1 \\end{pmatrix}", True),
    ("\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}", "\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\\\ \\end{pmatrix}", True),
    ("\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}", "2", False), ("\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}", "\\begin{pmatrix} 2 & 0 \\end{pmatrix}", False),
    ("\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}", "\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}", True),
    ("\\begin{pmatrix} x+1 \\\\ 2x \\end{pmatrix}", "\\begin{pmatrix} 1+x \\\\ x+x \\end{pmatrix}", True),
    ("\\begin{pmatrix} x+1 \\\\ 2x \\end{pmatrix}", "\\begin{pmatrix} 1+x \\\\ x \\end{pmatrix}", False),
    ("\\begin{pmatrix} -1 & 0 \\\\ 0 & 1 \\end{pmatrix}", "\\begin{matrix} -1 & 0 \\\\ 0 & 1 \\end{matrix}", True),
    ("\\begin{pmatrix} -1 & 0 \\\\ 0 & 1 \\end{pmatrix}", "\\begin{smallmatrix} -1 & 0 \\\\ 0 & 1 \\end{smallmatrix}", True),
    ("\\begin{pmatrix} 6 \\\\ -3 \\end{pmatrix}", "\\begin{pmatrix} 6 \\\\ -3 \\end{pmatrix}", True),
    ("\\begin{pmatrix} 6 \\\\ -3 \\end{pmatrix}", "\\begin{pmatrix} -3 \\\\ 6 \\end{pmatrix}", False),
    ("\\begin{pmatrix} 6 \\\\ -3 \\end{pmatrix}", FULL + "The projection is $\\begin{pmatrix} 6 \\\\ -3 \\end{pmatrix}.$", True),
    ("\\begin{pmatrix} 6 \\\\ -3 \\end{pmatrix}", FULL + "So the vector is $\\boxed{\\begin{pmatrix} 6 \\\\ -3 \\end{pmatrix}}$.", True),
    ("\\begin{pmatrix} 6 \\\\ -3 \\end{pmatrix}", FULL + "So the vector is $\\boxed{\\begin{pmatrix} 6 \\\\ 3 \\end{pmatrix}}$.", False),
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", FULL + "The matrix is \\[\\mathbf{M} = \\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}.\\]", True),
    ("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", FULL + "The matrix is \\[\\mathbf{M} = \\begin{pmatrix} 1 & 2 \\\\ 3 & 5 \\end{pmatrix}.\\]", False),
    ("\\begin{pmatrix} 4/5 & 3/5 \\\\ 3/5 & -4/5 \\end{pmatrix}", "\\begin{pmatrix} 0.8 & 0.6 \\\\ 0.6 & -0.8 \\end{pmatrix}", True),
    ("\\begin{pmatrix} 4/5 & 3/5 \\\\ 3/5 & -4/5 \\end{pmatrix}", "\\begin{pmatrix} 0.8 & 0.6 \\\\ 0.6 & 0.8 \\end{pmatrix}", False),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\left(\\begin{array}{c} 1 \\\\ 2 \\end{array}\\right)", True),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\\\ 0 \\end{pmatrix}", False),
    ("\\begin{pmatrix} 0 & 0 \\\\ 0 & 0 \\end{pmatrix}", "\\begin{pmatrix} 0 & 0 \\\\ 0 & 0 \\end{pmatrix}", True),
    ("\\begin{pmatrix} 0 & 0 \\\\ 0 & 0 \\end{pmatrix}", "0", False),
    ("\\begin{pmatrix} -2 \\\\ 5/2 \\end{pmatrix}", "\\begin{pmatrix} -2 \\\\ 2.5 \\end{pmatrix}", True),
    ("\\begin{pmatrix} -2 \\\\ 5/2 \\end{pmatrix}", "\\begin{pmatrix} 2 \\\\ -2.5 \\end{pmatrix}", False),
    ("\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}", "\\begin{bmatrix} 1 & 0 \\\\ 0 & 1 \\end{bmatrix}", True),
    ("\\begin{pmatrix} 1 & 0 \\\\ 0 & 1 \\end{pmatrix}", "\\begin{bmatrix} 0 & 1 \\\\ 1 & 0 \\end{bmatrix}", False),
    ("\\begin{pmatrix} 7 \\\\ -1 \\\\ 4 \\end{pmatrix}", "\\langle 7, -1, 4 \\rangle", True),
    ("\\begin{pmatrix} 7 \\\\ -1 \\\\ 4 \\end{pmatrix}", "\\langle 7, 1, 4 \\rangle", False),
]

CASES["multiple_answers"] = [
    ("1,2", FULL + "The solutions are $\\boxed{1}$ and $\\boxed{2}$.", True),
    ("1,2", FULL + "So $x = \\boxed{1}, \\boxed{2}$.", True), ("1,2", FULL + "$\\boxed{1}\\boxed{2}$", True),
    ("1,2", FULL + "$\\boxed{1}, \\boxed{3}$", False), ("1,2", FULL + "$\\boxed{1}, \\boxed{2}, \\boxed{3}$", False),
    ("1,2", "1 \\text{ and } 2", True), ("1,2", "2, 1", True), ("1,2", "1", False),
    ("2", FULL + "The answer is $\\boxed{1}$ or $\\boxed{2}$.", False), ("2", FULL + "$\\boxed{1}\\boxed{2}$", False),
    ("2", "1, 2", False), ("2", "1 \\text{ or } 2", False),
    ("(1,2),(2,1)", FULL + "$\\boxed{(1,2)}, \\boxed{(2,1)}$", True), ("(2,1),(1,2)", "(1,2), (2,1)", True),
    ("(2,1),(1,2)", "(1,2), (1,2)", False), ("(2,1),(1,2)", "(1,2)", False),
    ("-2,1", "x=1 \\text{ and } x=-2", True), ("-2, 1", "x = 1 \\text{ or } x = -2", True), ("-2, 1", "x=1, x=2", False),
    ("12, 30, 57", "12, 30, and 57", True), ("12, 30, 57", "12, 30 and 57", True), ("12, 30, 57", "12, 30, and 75", False),
    ("m = 12, n = 3", FULL + "So $\\boxed{m=12} \\text{ and } \\boxed{n=3}$.", True),
    ("\\boxed{m=12} \\text{ and } \\boxed{n=3}", "m = 12, n = 3", True), ("\\boxed{m=12} \\text{ and } \\boxed{n=3}", "m = 12, n = 4", False),
    ("\\boxed{3} \\text{ and } \\boxed{5}", "3, 5", True), ("\\boxed{3}, \\boxed{5}", FULL + "The roots are $\\boxed{5}$ and $\\boxed{3}$.", True),
    ("\\boxed{3}, \\boxed{5}", FULL + "The root is $\\boxed{5}$.", False),
    ("1 \\pm \\sqrt{2}", "1+\\sqrt{2}, 1-\\sqrt{2}", True), ("1 \\pm \\sqrt{2}", FULL + "$x = \\boxed{1+\\sqrt2}$ or $x = \\boxed{1-\\sqrt2}$", True),
    ("1 \\pm \\sqrt{2}", "1+\\sqrt{2}", False), ("\\frac{-1\\pm\\sqrt{5}}{2}", "\\frac{-1-\\sqrt{5}}{2}, \\frac{-1+\\sqrt{5}}{2}", True),
    ("\\pm 3", "3, -3", True), ("\\pm 3", "3", False), ("3", "\\pm 3", False),
    ("-3, -1, 1, 3", "\\pm 1, \\pm 3", True), ("-3, -1, 1, 3", "1, 3", False),
    ("2, 4, 6", "2,4,6", True), ("2, 4, 6", "6, 4, 2", True), ("2, 4, 6", "2, 4", False), ("2, 4, 6", "2, 4, 6, 8", False),
    ("\\text{A, C}", "\\text{A, C}", True), ("5", FULL + "First $\\boxed{5}$, and double-checking gives $\\boxed{5.0}$.", True),
    ("5", FULL + "It is \\boxed{3} or maybe \\boxed{4} or \\boxed{5}", False),
    ("0, 1", "0 \\text{ and } 1", True), ("0, 1", "x \\in \\{0, 1\\}", True), ("0, 1", "\\{0, 1, 2\\}", False),
]

CASES["intervals"] = [
    ("[-3,8]", "t \\in [-3,8]", True), ("t \\in [-3,8]", "-3 \\le t \\le 8", True), ("[-3, 8]", "-3 \\le t \\le 8", True),
    ("[-3, 8]", "-3 < t \\le 8", False), ("(0,2)", "0 < g(t) < 2", True), ("(0,2)", "0 \\le g(t) < 2", False),
    ("[-\\frac{5}{2},-2]\\cup[2,\\frac{5}{2}]", "2 \\le |w| \\le 5/2", True), ("[-\\frac{5}{2},-2]\\cup[2,\\frac{5}{2}]", "[2, 5/2]", False),
    ("(1.5, 2.75]", "(1.50, 2.750]", True), ("(1.5, 2.75]", "(\\frac32, \\frac{11}{4}]", True), ("(1.5, 2.75]", "[1.5, 2.75]", False),
    ("[1,2)", "(1,2]", False), ("(-\\infty, 3]", "(-\\infty,3]", True), ("(-\\infty, 3]", "x \\le 3", True),
    ("(-\\infty, 3]", "x < 3", False), ("(-\\infty,-2)\\cup(2,\\infty)", "(2,\\infty)\\cup(-\\infty,-2)", True),
    ("(-\\infty,-2)\\cup(2,\\infty)", "x < -2 \\text{ or } x > 2", True), ("(-\\infty,-2)\\cup(2,\\infty)", "(-2, 2)", False),
    ("(3, \\infty)", "x > 3", True), ("(3, \\infty)", "x \\ge 3", False), ("(3, \\infty)", "(3, \\infty)", True),
    ("(1,3]", "1 < x \\le 3", True), ("x < 2", "2 > x", True), ("[0,1)", "x \\in [0, 1)", True), ("x > 3", "x > 4", False),
    ("(-\\infty,1)\\cup[2,\\infty)", "x < 1 \\text{ or } x \\ge 2", True), ("y \\le 4", "-y \\ge -4", True),
    ("y \\le 4", "-y \\le -4", False), ("x > 2", "2x + 1 > 5", True), ("x > 2", "2x - 1 > 5", False),
    ("(\\frac{1}{2}, \\frac{3}{2})", "1 < 2x < 3", True), ("(\\frac{1}{2}, \\frac{3}{2})", "(1, 3)", False),
    ("[-1, 1]", "-1 \\leq x \\leq 1", True), ("[-1, 1]", "|x| \\le 1", False), ("(-\\infty, \\infty)", "\\mathbb{R}", True),
    ("(-\\infty, \\infty)", "(-\\infty, \\infty)", True), ("(-\\infty, \\infty)", "[0, \\infty)", False),
    ("[0, \\infty)", "x \\geq 0", True), ("[0, \\infty)", "x > 0", False), ("[2, 5)", "\\left[2, 5\\right)", True),
    ("[2, 5)", "[2, 5]", False), ("[0,9)", "[0,1)", False, "math-verify tests (intervals)"),
    ("(0,9)", "[0,9)", False, "math-verify tests (intervals)"), ("(-4, 4)", "-4 < x < 4", True), ("(-4, 4)", "-4 < x < 5", False),
    ("[-2, 7]", "x \\in [-2, 7]", True), ("[-2, 7]", "x \\in (-2, 7)", False),
    ("\\mathbb{R} \\setminus \\{1\\}", "(-\\infty, 1) \\cup (1, \\infty)", True), ("\\mathbb{R} \\setminus \\{1\\}", "(-\\infty, 2) \\cup (2, \\infty)", False),
    ("(-\\infty,1)\\cup(1,\\infty)", "x \\neq 1", True), ("(-\\infty,1)\\cup(1,\\infty)", "x \\neq -1", False),
]

CASES["relations"] = [
    ("5", "y = 2+3 = 5", True), ("y = 5", "y = 2+3 = 5", True), ("6", "y = 2+3 = 5", False), ("5", "x = 5", True),
    ("x = 5", "5", True), ("5", "x = 6", False), ("y=2x+1", "y = 1 + 2x", True), ("y=2x+1", "y = 2x - 1", False),
    ("x^2+y^2=1", "2x^2+2y^2=2", True), ("x^2+y^2=1", "x^2+y^2=2", False), ("p = q", "p = q", True),
    ("5 = 3p+q", "3p+q", False), ("5 = 3p+q", "3p+q=5", True), ("b - 2y = 0", "0", False), ("b - 2y = 0", "b = 2y", True),
    ("5:9", "V_1 : V_2 = 5:9", True), ("5:9", "5:9", True), ("5:9", "9:5", False), ("5:9", "10:18", True),
    ("\\frac{5}{9}", "5:9", True), ("2:3", "2 : 3", True), ("2:3", "3:2", False), ("1:2:3", "2:4:6", True), ("1:2:3", "1:3:2", False),
    ("\\frac{\\sqrt2}{2}", "\\frac{\\sqrt2}{2} \\approx 0.707", True), ("0.707", "\\frac{\\sqrt2}{2} \\approx 0.707", True),
    ("\\frac{\\sqrt3}{2}", "\\frac{\\sqrt2}{2} \\approx 0.707", False), ("\\frac{1}{3}", "k = \\frac{1}{3}", True),
    ("\\frac{1}{3}", "k = \\frac{1}{4}", False), ("14", "f(-2)+f(0) = 6 + 8 = 14", True), ("14", "f(2) = 14", True),
    ("y = -\\frac{1}{2}x + 3", "y = 3 - \\frac{x}{2}", True), ("y = -\\frac{1}{2}x + 3", "y = 3 + \\frac{x}{2}", False),
    ("x + 2y = 4", "2x + 4y = 8", True), ("x + 2y = 4", "x + 2y = 8", False), ("x = 3", "x = 3", True), ("x = 3", "x = -3", False),
    ("x \\ne 2", "x \\neq 2", True), ("(x-1)^2 + (y+2)^2 = 9", "x^2 - 2x + y^2 + 4y - 4 = 0", True),
    ("(x-1)^2 + (y+2)^2 = 9", "x^2 - 2x + y^2 + 4y + 4 = 0", False), ("12", "6/3 \\cdot 6 = 12", True),
    ("3", "a = 3", True), ("3", "a+b = 3", True), ("3", "a+b = 4", False), ("-1", "f(1) = -1", True), ("-1", "f(1) = 1", False),
]

CASES["text_choice"] = [
    ("E", "\\text{E}", True), ("E", "(E)", True), ("\\text{(E)}", "E", True), ("\\text{(E)}", "\\text{(E)}", True),
    ("\\text{(E)}", "(D)", False), ("E", "D", False), ("\\text{odd}", "odd", True), ("\\text{odd}", "\\text{even}", False),
    ("\\text{Evelyn}", FULL + "Therefore, $\\boxed{\\text{Evelyn}}$ is our answer.", True, "math-verify tests (text answer)"),
    ("\\text{Evelyn}", FULL + "Therefore, $\\boxed{\\text{Briana}}$ is our answer.", False),
    ("\\text{Marcus}", FULL + "Marcus ran the farthest, so the answer is Marcus.", True),
    ("\\text{Marcus}", FULL + "So the answer is \\text{Marcus}.", True), ("\\text{Marcus}", FULL + "So the answer is Devon.", False),
    ("B", FULL + "The answer is (B).", True), ("B", FULL + "The answer is (C).", False), ("B", FULL + "Answer: B", True),
    ("B", FULL + "**Answer:** B", True), ("B", FULL + "**Answer:** C", False), ("B", FULL + "The correct option is (B).", True),
    ("B", FULL + "The correct option is (D).", False), ("C", FULL + "So the answer is (C) 42.", True), ("C", FULL + "So the answer is (B) 42.", False),
    ("\\text{(C)}", "\\text{C}", True), ("\\text{(C)}", "C", True), ("\\text{(C)}", "\\textbf{(C)}", True), ("\\text{(C)}", "\\textbf{(A)}", False),
    ("A", "\\boxed{A}", True), ("A", "(A)", True), ("A", "A", True), ("A", "a", False),
    ("\\text{yes}", "yes", True), ("\\text{yes}", "no", False), ("\\text{no}", "\\text{No}", True), ("\\text{True}", "\\text{true}", True),
    ("\\text{True}", "\\text{false}", False), ("\\text{Sunday}", "\\text{Sunday}", True), ("\\text{Sunday}", "\\text{Monday}", False),
    ("\\text{even}", "\\textbf{even}", True), ("\\text{neither}", "\\text{neither}", True), ("\\text{neither}", "\\text{odd}", False),
    ("\\text{infinitely many}", "\\text{infinitely many}", True), ("\\text{Tuesday}", FULL + "The answer is Tuesday.", True),
    ("D", FULL + "The correct option is D.", True), ("D", FULL + "The answer is D) 17.", True), ("D", FULL + "The answer is \\text{(D)}.", True),
    ("5", "\\text{five}", False), ("\\text{circle}", "\\text{parabola}", False),
    ("\\emptyset", "\\text{no solution}", True), ("\\{2\\}", "\\text{no solution}", False),
    ("3:05 \\text{ p.m.}", "3:05 pm", True), ("3:05 \\text{ p.m.}", "3:50 pm", False),
]

CASES["escaping"] = [
    ("\\frac{1}{2}", "\\\\frac{1}{2}", True), ("\\frac{1}{2}", "\\\\frac{1}{3}", False), ("x \\le 3", "x \\\\le 3", True),
    ("x \\le 3", "x \\\\ge 3", False), ("\\sqrt{2}", "\\\\sqrt{2}", True), ("\\sqrt{2}", "\\\\sqrt{3}", False),
    ("2\\pi", "2\\\\pi", True), ("\\\\frac{3}{4}", "0.75", True), ("\\\\frac{3}{4}", "\\frac{3}{4}", True), ("\\\\frac{3}{4}", "0.7", False),
    ("\\{1,2\\}", "\\\\{1,2\\\\}", True), ("\\{1,2\\}", "\\\\{1,3\\\\}", False), ("(-\\infty, 0)", "(-\\\\infty, 0)", True),
    ("(-\\infty, 0)", "(-\\\\infty, 0]", False), ("\\dfrac{5}{6}", "\\\\dfrac{5}{6}", True), ("\\dfrac{5}{6}", "\\\\dfrac{6}{5}", False),
    ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\\\begin{pmatrix}1\\\\\\\\2\\\\end{pmatrix}", True),
    ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\\\begin{pmatrix}2\\\\\\\\1\\\\end{pmatrix}", False),
    ("\\text{odd}", "\\\\text{odd}", True), ("\\text{odd}", "\\\\text{even}", False), ("30^\\circ", "30^\\\\circ", True),
    ("\\sin x", "\\\\sin x", True), ("\\sin x", "\\\\cos x", False), ("\\log_2 8", "3", True), ("\\\\log_2 8", "3", True),
    ("2\\sqrt{3}", FULL + "So the answer is $\\\\boxed{2\\\\sqrt{3}}$.", True), ("2\\sqrt{3}", FULL + "So the answer is $\\\\boxed{3\\\\sqrt{2}}$.", False),
    ("\\frac{1}{2}", FULL + "The answer is \\\\(\\\\frac{1}{2}\\\\).", True), ("\\frac{1}{2}", FULL + "The answer is \\\\(\\\\frac{2}{1}\\\\).", False),
    ("3 \\le x", "x \\\\geq 3", True), ("3 \\le x", "x \\\\leq 3", False), ("\\pi", "\\\\pi", True), ("\\pi", "\\\\pi^2", False),
    ("1 \\pm \\sqrt{2}", "1 \\\\pm \\\\sqrt{2}", True), ("1 \\pm \\sqrt{2}", "1 \\\\pm \\\\sqrt{3}", False),
    ("\\frac{\\sqrt{3}}{2}", "\\\\frac{\\\\sqrt{3}}{2}", True), ("\\frac{\\sqrt{3}}{2}", "\\\\frac{\\\\sqrt{3}}{3}", False),
    ("10\\%", "10\\\\%", True), ("22450001", "22,\\\\!450,\\\\!001", True), ("22450001", "22,\\\\!450,\\\\!002", False),
    ("\\infty", "\\\\infty", True), ("\\infty", "-\\\\infty", False), ("e^{2}", "e^{2}", True),
    ("\\frac{1}{2}", FULL + "\\\\[\\\\boxed{\\\\frac{1}{2}}\\\\]", True), ("\\frac{1}{2}", FULL + "\\\\[\\\\boxed{\\\\frac{1}{4}}\\\\]", False),
]

CASES["false_positives"] = [
    ("7", FULL + "The code we need is QX7RT.", False), ("2", FULL + "AZYUK2A", False), ("3", FULL + "Use the H3X routine.", False),
    ("b - 2y = 0", "0", False), ("3p+q", "5 = 3p+q", False), ("5", "5 = 3p+q", False), ("a^2 + b = 0", "0", False),
    ("2x + z = 1", "1", False), ("2", "2x = y", False), ("a + 3z = 0", "0", False), ("2", "(2, 3)", False), ("2", "[2, 3)", False),
    ("2", "\\{2, 3\\}", False), ("2", "2, 3", False), ("3", "3, 4, 5", False), ("5", "x > 5", False), ("5", "x \\ge 5", False),
    ("x > 5", "5", False), ("(1,2)", "(1,2]", False), ("(1,2)", "[1,2]", False), ("\\{1,2\\}", "(1, 2)", False),
    ("\\{1,3\\}", "[1,3]", False), ("4", "\\pm 4", False), ("1", "\\infty", False), ("\\infty", "-\\infty", False),
    ("12", FULL + "There are 12 apples and 5 pears, so the answer is $\\boxed{17}$.", False),
    ("5", FULL + "\\boxed{5} \\boxed{6} \\boxed{7}", False), ("6", FULL + "The answer is 5 or 6.", False),
    ("10", FULL + "I cannot solve this problem.", False), ("10", FULL + "The answer is $\\boxed{}$. We had 10 before.", False),
    ("3", FULL + "<think>The answer is \\boxed{3}.</think>\nThe answer is \\boxed{4}.", False),
    ("2", "2 \\cdot x", False), ("2", "2x", False), ("x", "2x", False), ("\\pi", "3.1416", False), ("e", "2.718", False),
    ("\\sqrt{2}", "1.4142", False), ("1", "0.999", False), ("100", "99.99", False), ("0.5", "5", False), ("50\\%", "5", False),
    ("1000", "1", False), ("1000", "1 000 000", False), ("2", "\\lim_{x\\to3} x", False), ("2", "\\unknowncommand{2}", False),
    ("3", "\\int_0^1 2 dx", False), ("\\text{yes}", "\\text{yes and no}", False), ("12", "12_3", False),
]

CASES["basics"] = [
    ("p = q", "p = q", True), ("a + b", "b + a", True), ("a + b", "a  +  b", True), ("\\lim_{n\\to\\infty} a_n", "\\lim_{n\\to\\infty} a_n", True),
    ("\\text{Answer: none}", "\\text{Answer: none}", True), ("\\overline{AB}", "\\overline{AB}", True),
    ("3", FULL + "<think>Maybe \\boxed{5}? No.</think>\nThe answer is \\boxed{3}.", True),
    ("5", FULL + "<think>Maybe \\boxed{5}? No.</think>\nThe answer is \\boxed{3}.", False),
    ("3", FULL + "<think>\nAnswer: 5\nWait, that's wrong.\n</think>\nAnswer: 3", True),
    ("6", FULL + "Answer: 5\nWait, I made an arithmetic error. Recomputing: 2*3 = 6.\nAnswer: 6", True),
    ("5", FULL + "Answer: 5\nWait, I made an arithmetic error. Recomputing: 2*3 = 6.\nAnswer: 6", False),
    ("1", FULL + "So $\\lim_{t\\to0}\\frac{\\sin t}{t} = 1$.", True), ("\\frac{\\sqrt2}{2}", FULL + "We get $\\frac{\\sqrt2}{2} \\approx 0.707$.", True),
    ("200", FULL + "The product is $2^3 5^2$.", True), ("0", FULL + "So $\\cos(90^\\circ - t) - \\sin t = 0$ for every $t$, and the answer is $0$.", True),
    ("\\sin t", "\\cos(90^\\circ - t)", True), ("18", FULL + "She earns 9 * 2 = $18 per day.\nA: 18", True),
    ("18", FULL + "She earns 9 * 2 = $18 per day.\nA: 19", False), ("18", FULL + "#### 18", True), ("18", FULL + "#### 81", False),
    ("42", FULL + "I computed it step by step, and it came out to 42.", True), ("42", FULL + "First 40, then 2 more, in all 24.", False),
    ("\\frac{1}{2}", FULL + "The probability is \\(\\frac{1}{2}\\).", True), ("\\frac{1}{2}", FULL + "The probability is $$\\frac{1}{2}$$", True),
    ("\\frac{1}{2}", FULL + "The probability is $$\\frac{1}{3}$$", False), ("9", FULL + "Answer \\[ 9 \\]", True, "math-verify tests (notation)"),
    ("10", FULL + "Answer \\( (9+1) \\)", True, "math-verify tests (notation)"), ("x^2", "x^{2}", True), ("x^2", "x^{3}", False),
    ("2.7183", "2.7183", True), ("\\boxed{5}", "5", True), ("5", "\\boxed{5}", True), ("\\frac{14}{3}", FULL +
     "$f(-2)+f(-1)+f(0)=\\frac{-8}{-4}+\\frac{-5}{-3}+\\frac{-2}{-2}=2+\\frac{5}{3}+1=\\boxed{\\frac{14}{3}}$", True, "math-verify tests (chain in a box)"),
    ("(3, \\frac{\\pi}{2})", FULL + "Therefore, the polar coordinates are $\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}.$", True, "math-verify tests (polar coordinates)"),
    ("(3, \\frac{\\pi}{2})", FULL + "Therefore, the polar coordinates are $\\boxed{\\left( 3, \\frac{\\pi}{4} \\right)}.$", False),
    ("2-2p", FULL + "Since $x<2$, it follows that $|x-2|=2-x$. If $2-x=p$, then $x=2-p$. Thus $x-p=\\boxed{2-2p}$.", True, "math-verify tests (expression after a chain)"),
    ("\\frac{1}{3}", FULL + "The answer is $\\frac{1}{3} \\text{meters}$", True), ("12", FULL + "<answer>The total is 12</answer>", True),
    ("12", FULL + "<answer>The total is 13</answer>", False), ("7", FULL + "<answer>\\boxed{7}</answer>", True),
    ("-3", FULL + "The answer is: -3.", True), ("-3", FULL + "The answer is: 3.", False), ("1/4", "0.25", True), ("1/4", "0.4", False),
    ("x^2+2x+1", "x^2 + 2 x + 1", True), ("\\dfrac{3}{2}", "1.5", True), ("\\dfrac{3}{2}", "1.25", False),
]

CASES["sets_tuples"] = [
    ("\\{1,2,3\\}", "\\{3,2,1\\}", True), ("\\{1,2\\}", "\\{1,3\\}", False), ("\\{1,2\\}", "\\{1,2,2\\}", True),
    ("(1,2)", "(2,1)", False), ("(1,2)", "(1, 2)", True), ("\\left(\\frac{1}{2}, 3\\right)", "(0.5, 3)", True),
    ("(1,2)", "1, 2", True), ("(1, 2, 3)", "(1, 2, 3)", True), ("(1, 2, 3)", "(1, 3, 2)", False), ("(-1, 4)", "(-1,4)", True),
    ("(-1, 4)", "(1, -4)", False), ("(2, -\\frac{1}{3})", "\\left(2, -\\frac{1}{3}\\right)", True), ("(2, -\\frac{1}{3})", "(2, \\frac{1}{3})", False),
    ("\\{-1, 1\\}", "\\{1, -1\\}", True), ("\\{-1, 1\\}", "-1, 1", True), ("\\{-1, 1\\}", "\\{1\\}", False), ("\\emptyset", "\\varnothing", True),
    ("\\emptyset", "\\{\\}", True), ("\\emptyset", "\\{0\\}", False), ("(0, 0)", "(0,0)", True), ("(0, 0)", "0", False),
    ("(a, b)", "(a, b)", True), ("(a, b)", "(b, a)", False), ("\\{a, b\\}", "\\{b, a\\}", True), ("(3, 4, 5)", "(3,4,5)", True),
    ("(3, 4, 5)", "(5, 4, 3)", False), ("(1, 2), (3, 4)", "(3, 4), (1, 2)", True), ("(1, 2), (3, 4)", "(1, 2), (4, 3)", False),
    ("\\{(1,2), (2,1)\\}", "\\{(2,1), (1,2)\\}", True), ("\\{2, 3, 5, 7\\}", "2, 3, 5, 7", True), ("\\{2, 3, 5, 7\\}", "2, 3, 5", False),
    ("\\{2, 3, 5, 7\\}", "\\{2, 3, 5, 7, 11\\}", False), ("(\\sqrt{2}, \\pi)", "(\\sqrt2, \\pi)", True), ("(\\sqrt{2}, \\pi)", "(\\pi, \\sqrt2)", False),
    ("(1, -1)", "\\left(1,-1\\right)", True), ("(x, y) = (1, 2)", "(1, 2)", True), ("(1, 2)", "(x, y) = (1, 2)", True),
    ("(1, 2)", "(x, y) = (2, 1)", False), ("\\{0\\}", "0", True), ("\\{0\\}", "1", False), ("(4, 5)", "\\langle 4, 5 \\rangle", True),
    ("(4, 5)", "\\langle 5, 4 \\rangle", False), ("\\{1, 2, 3, 4\\}", "\\{1, 2, 3, 4\\}", True), ("\\{1, 2, 3, 4\\}", "\\{1, 2, 3, 5\\}", False),
]

# rules asked for by math-verify's own tests (docs/math.md); gold strings after RAW are stored as written
CASES["gold_forms"] = [
    ("raw:\\boxed{3} and \\boxed{7}", "3, 7", True), ("raw:\\boxed{3} and \\boxed{7}", "7", False),
    ("raw:\\boxed{3}, \\boxed{7}", "\\{3, 7\\}", True), ("raw:\\boxed{3} \\quad \\boxed{7}", "7, 3", True),
    ("raw:\\boxed{12} apples and \\boxed{5} pears", "12, 5", True),
    ("raw:First \\boxed{3}, but checking again the sum is wrong, so \\boxed{7}", "7", True),
    ("raw:First \\boxed{3}, but checking again the sum is wrong, so \\boxed{7}", "3, 7", False),
    ("raw:We try \\boxed{2} which fails the second condition entirely; then \\boxed{9}", "9", True),
    ("raw:$3$ and $7$", "3, 7", True), ("raw:$3$ and $7$", "7", False), ("raw:$3$, $5$ or $8$", "\\{3, 5, 8\\}", True),
    ("raw:$3$, $5$ or $8$", "3, 5", False), ("raw:$12,5$ or $4$", "12, 5, 4", True),
    ("raw:$x = 3$ gives $y = 7$", "7", True),  # prose between spans: the last span
    ("raw:\\boxed{18", "18", True), ("raw:\\boxed{18", "81", False), ("raw:\\boxed{x = 2 \\text{ or } x = 5", "2, 5", True),
]

CASES["named_values"] = [
    ("|AB| = 7", "7", True), ("|AB| = 7", "8", False), ("\\frac{AE}{EC} = \\frac{3}{4}", "0.75", True),
    ("\\frac{AE}{EC} = \\frac{3}{4}", "\\frac{4}{3}", False), ("PQ \\cdot QR = 24", "24", True),
    ("a - 2b = 0", "0", False), ("\\text{e}", "e", True), ("\\text{e}", "\\pi", False), ("\\text{i}", "i", True),
    ("m=1,n=2;m=3,n=4", "(1,2),(3,4)", True), ("m=1,n=2;m=3,n=4", "(3,4),(1,2)", True),
    ("m=1,n=2;m=3,n=4", "(2,1),(4,3)", False), ("1; 2; 3", "1, 2, 3", True),
    ("raw:$y_{1}=\\sqrt{2},\\quady_{2}=-\\sqrt{2}$", "full:$\\boxed{\\sqrt{2}} \\quad \\text{and} \\quad \\boxed{-\\sqrt{2}}$", True),
    ("raw:$y_{1}=\\sqrt{2},\\quady_{2}=-\\sqrt{2}$", "full:$\\boxed{\\sqrt{2}}$", False),
    ("raw:\\boxed{g(n) = 0 \\text{ or } g(n) = 1}", "full:g(x)=0org(x)=1", True),
    ("raw:\\boxed{g(n) = 0 \\text{ or } g(n) = 1}", "full:g(x)=0org(x)=2", False),
]

CASES["reasoning_and_non_finite"] = [
    ("42", "full:<think>\nSo the answer is \\boxed{42}", False),  # reasoning never closed: no answer
    ("42", "full:<think>\nSo the answer is \\boxed{42}\n</think>\nThe answer is 42.", True),
    ("42", "full:<think>\nSo the answer is \\boxed{42}\n</think>\nThe answer is 41.", False),
    ("42", "full:<think>\nmaybe \\boxed{42}\n</think>\nI am not sure.", False),
    ("42", "full:So the answer is \\boxed{42}", True),
    ("42", "nan", False), ("42", "NaN", False), ("42", "inf", False), ("0", "-Infinity", False),
    ("\\infty", "\\infty", True), ("\\infty", "\\text{NaN}", False), ("(0, \\infty)", "(0, \\infty)", True),
    ("-\\infty", "-\\infty", True), ("\\infty", "-\\infty", False),
]

# gold formats a dataset stores: MATH stores the boxed content, others a $...$ span or a solution
GOLD_FORMS = ("{g}", "${g}$", "{g}", "The answer is $\\boxed{{{g}}}$.", "{g}")


def rows() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    k = 0
    for category, cases in CASES.items():
        for case in cases:
            gold, pred, label = case[:3]
            source = case[3] if len(case) > 3 else "rewardkit"
            if pred.startswith(FULL):
                completion = pred[len(FULL):]
            else:
                completion = TEMPLATES[k % len(TEMPLATES)].format(a=pred)
            if gold.startswith(RAW):
                g = gold[len(RAW):]
            else:
                g = gold if "\\boxed" in gold or "\\\\" in gold and "begin" not in gold else GOLD_FORMS[k % len(GOLD_FORMS)].format(g=gold)
            out.append({"id": len(out), "category": category, "gold": g, "pred": completion, "label": bool(label),
                        "source": source})
            k += 1
    return out


def main() -> int:
    data = rows()
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
    by_cat: dict[str, list[int]] = {}
    for r in data:
        by_cat.setdefault(str(r["category"]), [0, 0])[0 if r["label"] else 1] += 1
    print(f"{len(data)} pairs in {len(by_cat)} categories -> {OUT}")
    for cat, (pos, neg) in by_cat.items():
        print(f"  {cat:<18} {pos + neg:>4}  ({pos} equal, {neg} not)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
