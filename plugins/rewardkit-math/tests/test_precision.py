"""Issue 32: the precision rule (a span pays only when it IS the answer) and the recall on prose.

Every case here scored the other way before (docs/math.md, "Precision rules").
"""

from __future__ import annotations

import math

import pytest

WRONG_PAID_BEFORE = [
    # negation governing the number
    ("The answer is definitely not 42.", "42"),
    ("I cannot solve this. It is certainly not 42, though.", "42"),
    ("The answer cannot be 42.", "42"),
    ("It is never 42.", "42"),
    ("The answer is not 42", "#### 42"),
    ("<answer>not 42</answer>", "42"),
    ("The answer is hardly 42.", "42"),
    ("No, 42 is not the answer.", "42"),  # a negation after the number, in its clause
    ("So we get 42. But 42 is wrong.", "42"),
    ("It's 41, not 42.", "42"),
    ("\\boxed{\\text{not } 42}", "42"),  # a negation in LaTeX text
    ("The answer is at least 42.", "42"),  # a bound is no value
    ("The answer is more than 42 apples.", "42"),
    ("The answer is 4 2.", "42"),  # blanks between digits are no verbatim match
    ("I'd say the answer is anything but 42.", "42"),
    ("The answer is all numbers except 42.", "42"),
    ("The answer is 42 at most.", "42"),
    ("The answer is at minimum 42.", "42"),
    ("The answer is under 42.", "42"),
    ("The answer is 42 times something.", "42"),
    ("It's 42, not 42.", "42"),
    ("The answer is 42. No wait, 43.", "42"),  # a correction right after the answer takes it back
    ("The answer is 42.\nWait, 43.", "42"),
    ("The answer is 42. No, it's 43.", "42"),
    ("\\boxed{42 \\text{ is wrong}}", "42"),
    ("\\boxed{\\text{not } x}", "x"),
    # a comparison before the number of a one-number gold bounds it (this session; paid before)
    ("<answer>\u226042</answer>", "42"),
    ("<answer>>42</answer>", "42"),
    ("<answer>\u2265 42</answer>", "42"),
    ("<answer>< 42</answer>", "42"),
    ("The answer is \u2264 42.", "42"),
    ("<answer>!= 42</answer>", "42"),
    # an ellipsis does not end the answer's sentence: what follows it takes the answer back or adds one
    ("The answer is 42... just kidding, 43.", "42"),
    ("The answer is 42 ... or 43, I'm not sure.", "42"),
    # bare LaTeX read for its digits
    ("Let $a=1$. So the value is \\sqrt{2}", "2"),
    ("# Answer\n\n\\frac{1}{2}", "2"),
    ("Let $a=1$. Then the result is 2^{10}", "10"),
    ("The value is \\frac{1}{2}", "2"),
    # a unit or word that disagrees with the gold's
    ("The answer is 100 miles.", "100 km"),
    ("The answer is 5 g.", "5 kg"),
    ("The answer is 3:00 am.", "3:00 pm"),
    ("The answer is 5 oranges.", "5 apples"),
    ("The answer is 2CO.", "CO2"),
    ("100 miles", "100 km"),
    ("5 g", "5 kg"),
    ("\\boxed{5 \\text{ oranges}}", "5 apples"),
    ("The answer is 2:15 p.m.", "\\text{4:30 p.m.}"),  # not a ratio 2:15 = 4:30
    ("2:15", "\\text{4:30 p.m.}"),
    # an empty answer slot
    ("Step 7: The answer is  .", "7"),
]

RIGHT_MISSED_BEFORE = [
    ("The answer is x equals 2.", "2"),
    ("The answer is Josh's profit was $70,000.", "70000"),
    ("The answer is 200 GB.", "200"),
    ("The answer is 48g.", "48"),
    ("The answer is 187 raspberries!", "187"),
    ("The answer is 5!", "5"),
    ("The answer is 7 dozens.", "7"),
    ("The answer is 4:30 p.m.", "\\text{4:30 p.m.}"),
    ("# Answer\n\n\\frac{1}{2}", "\\frac{1}{2}"),
    ("The answer is 42, not 41.", "42"),  # a contrast after the answer names what it is not
    ("It's 42, not 41.", "42"),
    ("42 is correct, not 41", "42"),
    ("The answer is 42 apples, not oranges.", "42 apples"),
    ("The answer is 42 (dollars).", "42"),
    ("The answer is Janet makes $18 every day at the farmers' market.", "18"),  # one number in the sentence
    ("The answer is Carla's download takes 160 minutes.", "160"),
    ("The answer is 18!!", "18"),
    ("The answer is 5,000 m\u00b2.", "5000"),
    ("The answer is 48 g of sugar.", "48"),
    ("The answer is 18 because 9 eggs times $2 is $18.", "18"),  # the reason after the answer
    ("The answer is 18 laps around the track in 6 minutes.", "18"),  # the quantity the sentence starts with
    ("Let $a=1$. So the value is \\sqrt{2}", "\\sqrt{2}"),
]


@pytest.mark.parametrize("completion, gold", WRONG_PAID_BEFORE)
def test_a_span_that_is_not_the_answer_scores_0(judge, completion, gold):
    assert judge(completion, gold) == 0.0
    assert judge(completion, gold, fast=True) == 0.0


@pytest.mark.parametrize("completion, gold", RIGHT_MISSED_BEFORE)
def test_answers_written_in_prose_are_read(judge, completion, gold):
    assert judge(completion, gold) == 1.0


@pytest.mark.parametrize("completion, gold", [
    ("The answer isn't 42.", "42"),
    ("The answer is **.** So 7 it is", "7"),
    ("The answer is Janet doesn't make $42 every day.", "42"),  # a sentence with a negation states nothing
    ("The answer is Janet does not make $42 every day.", "42"),
    ("The answer is Janet makes $42 or $43.", "42"),  # nor one with several numbers
    ("The answer is 42 as well as 43.", "42"),  # a listing is no reason clause
    ("The answer is 42 or something else.", "42"),  # hedges and bounds: guards of the prose rules
    ("The answer is ~42.", "42"),
    ("The answer is 42-ish.", "42"),
    ("The answer is unknown; 42 is a guess.", "42"),
    ("The answer is 42 or fewer.", "42"),
    ("The answer is 42+.", "42"),
    ("The answer is 42 and up.", "42"),
    ("The answer is 42 or 43 apples in total.", "42"),
    ("The answer is 42 out of 43 in total.", "42"),
])
def test_guards_that_already_held(judge, completion, gold):
    assert judge(completion, gold) == 0.0


@pytest.mark.parametrize("completion, gold", [
    ("The final answer is:\n\n42", "42"),  # a marker that ends its line: the next line
    ("The answer is 100 kilometers.", "100 km"),  # spellings of one unit agree
    ("The answer is 5 apples.", "5 apples"),
    ("The answer is 3:00 p.m.", "3:00 pm"),
    ("The answer is 42.", "42"),  # the same numbers without the negation still pay
    ("The answer is 42. Actually this was easy.", "42"),
    ("The answer is 42. Sorry for the long answer with 3 steps.", "42"),
    ("I'm not sure at first, but the answer is 42.", "42"),
    ("It is not 41, it is 42.", "42"),
    ("The answer is 100 km.", "100"),  # a unit may be added where the gold has none
    ("The answer is 100.", "100 km"),  # and dropped where it has one
    ("\\boxed{5!}", "120"),  # a factorial inside math stays a factorial
    ("<answer>623 thousand</answer>", "623000"),
    ("The answer is CO2.", "CO2"),
    ("The answer is 4:30 p.m.", "4:30"),  # a time with p.m. against the bare time (read as a ratio before)
    ("The answer is 4:30", "4:30 pm"),
    ("2:15", "2:15 p.m."),
    ("<answer>42</answer>", "42"),  # a tag's closing > is no comparison
    ("The answer is <b>42</b>.", "42"),
    ("Since 5 > 3, the answer is 42.", "42"),
    ("\\boxed{x \\geq 3}", "x \\geq 3"),  # an inequality gold is answered with one
    ("\\boxed{x \\neq 1}", "(-\\infty,1)\\cup(1,\\infty)"),
    ("The answer is 42...", "42"),
    ("The answer is 42... I think.", "42"),
])
def test_what_the_rules_leave_alone(judge, completion, gold):
    assert judge(completion, gold) == 1.0


def test_singular_dozen_still_multiplies(judge):
    assert judge("<answer>2 dozen</answer>", "24") == 1.0
    assert judge("<answer>623 dozen</answer>", "623") == 0.0


@pytest.mark.parametrize("gold", [None, float("nan"), "None", "nan"])
def test_missing_gold_is_not_applicable(judge, eq, gold):
    assert judge("\\boxed{None}", gold) is None
    assert judge("\\boxed{42}", gold, fast=True) is None
    assert eq(["\\boxed{None}", "The answer is 42."], answer=[gold, gold]) == [None, None]


def test_a_missing_gold_is_never_the_text_none(judge):
    assert not isinstance(judge("\\boxed{None}", None), float)
    assert math.isclose(judge("\\boxed{42}", 42), 1.0)


@pytest.mark.parametrize("completion, gold", [
    ("Therefore, the answer is $\\boxed{\\text{No}}$.", "$\\text{no}$"),
    ("Therefore, the answer is $\\boxed{\\text{neither}}$.", "\\text{neither}"),
    ("The answer is no solution.", "\\emptyset"),
])
def test_text_answers_that_are_negation_words(judge, completion, gold):
    assert judge(completion, gold) == 1.0


@pytest.mark.parametrize("completion, gold", [
    ("2\\sqrt{3}", "2*sqrt(3)"),  # reward-doctor eq.radical.latex: sqrt(3) written as plain text
    ("derivative", "the derivative"),  # reward-doctor eq.text.article: a leading article is no word of the answer
    ("The answer is the derivative.", "derivative"),
])
def test_auditor_findings_fixed(judge, completion, gold):
    assert judge(completion, gold) == 1.0


def test_letter_case_of_a_symbol_matters(judge):
    # reward-doctor eq.choice.case (`a` for gold `A`): intended, a symbol's case is part of it
    assert judge("a", "A") == 0.0
