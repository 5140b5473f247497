"""rewardkit.precision (public through rewardkit.utils): the precision rule shared by the verifiers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rewardkit.precision
from rewardkit.utils import answer_unit, empty_slot, negated, units_agree


@pytest.mark.parametrize("text", [
    "The answer is definitely not 42.",
    "I cannot solve this. It is certainly not 42, though.",
    "The answer cannot be 42",
    "It isn't 42",
    "It is never equal to 42",
    "not 42",
])
def test_negated(text):
    assert negated(text, text.rfind("42"))


@pytest.mark.parametrize("text", [
    "The answer is 42.",
    "I'm not sure, but it is 42",
    "It is not 41, it is 42",
    "Not bad. The answer is 42",
    "42",
])
def test_not_negated(text):
    assert not negated(text, text.rfind("42"))


def test_negated_span_without_position():
    assert negated("definitely not 42")
    assert not negated("exactly 42")


@pytest.mark.parametrize("answer, unit", [
    ("200 GB", "gb"), ("48g", "g"), ("100 miles", "mi"), ("100 kilometers", "km"), ("5 kg", "kg"),
    ("3:00 p.m.", "pm"), ("3:00 am", "am"), ("5 apples", "apple"), ("$70,000", "dollar"),
    ("70,000 dollars", "dollar"), ("\\text{4:30 p.m.}", "pm"), ("25\\%", "%"), ("25 percent", "%"),
    ("7 dozens", "dozen"), ("5 \\text{ cm}^2", "cm"),
    ("42", None), ("2x", None), ("\\frac{1}{2}", None), ("2^{10}", None), ("x = 5", None),
])
def test_answer_unit(answer, unit):
    assert answer_unit(answer) == unit


def test_units_agree():
    assert units_agree("gb", None)  # added where the gold has none
    assert units_agree(None, "km")  # dropped
    assert units_agree(answer_unit("100 kilometres"), answer_unit("100 km"))
    assert not units_agree(answer_unit("100 miles"), answer_unit("100 km"))
    assert not units_agree(answer_unit("5 g"), answer_unit("5 kg"))
    assert not units_agree(answer_unit("3:00 am"), answer_unit("3:00 pm"))
    assert not units_agree(answer_unit("5 oranges"), answer_unit("5 apples"))


def test_empty_slot():
    assert empty_slot("  .")
    assert empty_slot(" **.** more")
    assert empty_slot("\n\n42")  # the slot's own line is empty (the caller may read the next line)
    assert not empty_slot(" 42.")


def test_precision_imports_no_other_rewardkit_module():
    tree = ast.parse(Path(rewardkit.precision.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("rewardkit")
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("rewardkit") for a in node.names)


def test_a_decimal_point_is_no_empty_slot():
    assert not empty_slot(" .5")
    assert not empty_slot("$.5$")


def test_an_answer_with_no_number_is_never_negated():
    # "\boxed{\text{No}}" and "neither" are text answers (they scored 0 against \text{no} for a while)
    assert not negated("\\text{No}")
    assert not negated("neither")
    assert not negated("no solution")
    assert negated("not x") and negated("\\text{not } x")  # a symbol answer can be denied too


@pytest.mark.parametrize("text", ["anything but 42", "all numbers except 42", "at least 42", "under 42",
                                  "42 at most", "42 or fewer", "42+", "42-ish", "42 and up"])
def test_exclusions_and_bounds_govern_the_number(text):
    assert negated(text)


@pytest.mark.parametrize("text", ["1+x", "(1, +\\infty)", "42 + 1", "1,000 apples", "most likely 42"])
def test_operands_are_no_bound(text):
    assert not negated(text)
