"""rewardkit-tools: the trajectory rewards, their contract and their probe families."""

from __future__ import annotations

import pytest

import rewardkit
from rewardkit.testing import assert_contract, reward_names
from rewardkit_tools.probes import TOOLS, _call, _turns

PROMPT = "What is 12 * 7?"


def _traj(name="calculate", args=None, result="84", answer="<answer>84</answer>"):
    return _turns(_call(name, {"expression": "12*7"} if args is None else args), result, answer)


def _score(name, completions, **params):
    r = rewardkit.reward(name, **params)
    cols = {"tools": [TOOLS] * len(completions)} if "tools" in r.columns else {}
    return r.score(completions, prompts=[PROMPT] * len(completions), **cols)


def test_call_format_is_per_completion():
    two = _traj()
    two[0]["tool_calls"].append(_call("calculate", {"expr": "1"}, "c2"))  # the second breaks the schema
    s = _score("tools.call_format", [_traj(), two, _traj(name="search"), _traj(args='{"expression": "1+1"}')])
    assert s.values == [1.0, 0.0, 0.0, 1.0]  # 0.5 before: one malformed call of two


def test_call_format_without_calls_is_not_applicable_unless_required():
    assert _score("tools.call_format", ["84"]).values == [None]
    assert _score("tools.call_format", ["84"], require_call=True).values == [0.0]


def test_a_call_written_as_text_is_a_failed_call():
    text = '<tool_call>{"name": "calculate", "arguments": {"expression": "12*7"}}</tool_call> <answer>84</answer>'
    assert _score("tools.call_format", [text]).values == [0.0]
    assert _score("tools.efficiency", [text]).values == [0.0]


def test_schema_with_a_pattern_is_checked_in_a_worker():
    tools = [{"type": "function", "function": {"name": "calculate", "parameters": {
        "type": "object", "properties": {"expression": {"type": "string", "pattern": "^[0-9*+ ]+$"}}}}}]
    r = rewardkit.reward("tools.call_format")
    s = r.score([_traj(), _traj(args={"expression": "import os"})], prompts=[PROMPT] * 2, tools=[tools] * 2)
    assert s.values == [1.0, 0.0]


def test_efficiency_budget():
    many = _traj()
    many[0]["tool_calls"] = [_call("calculate", {"expression": "1"}, f"c{i}") for i in range(6)]
    s = _score("tools.efficiency", [_traj(), many, "no call"], budget=3)
    assert s.values == [1.0, 0.0, None]
    assert _score("tools.efficiency", [many], budget=4).values == [0.5]


@pytest.mark.parametrize("answer, expected", [
    ("<answer>84</answer>", 1.0),
    ("12 * 7 = 84", 1.0),                       # prompt numbers may appear beside the result
    ("<answer>85</answer>", 0.0),
    ("<think>tool says 84</think><answer>85</answer>", 0.0),
    ("<answer>84 or 85</answer>", 0.0),         # a second, unexplained number
    ("", 0.0),
])
def test_result_used(answer, expected):
    assert _score("tools.result_used", [_traj(answer=answer)]).values == [expected]


def test_result_used_ignores_error_results_and_reads_text_results():
    err = _traj(result="{'error': 'Tool search not found.'}", answer="<answer>84</answer>")
    text = _traj(result="Paris", answer="It is paris.")
    assert _score("tools.result_used", [err, text]).values == [None, 1.0]


def test_bad_tools_column_is_an_error_naming_the_column():
    r = rewardkit.reward("tools.call_format")
    s = r.score([_traj(), _traj()], prompts=[PROMPT] * 2, tools=[TOOLS, [{"type": "function"}]])
    assert s.values[0] == 1.0 and s.statuses[1].value == "error"
    assert "column 'tools'" in s.messages[1] and "tool spec 0 needs a function name" in s.messages[1]


@pytest.mark.parametrize("name", reward_names("tools"))
def test_contract(name):
    assert_contract(name)


def test_probe_families_are_all_refused():
    from rewardkit.probe import probe

    fams = ["tool_undeclared", "tool_bad_arguments", "tool_result_ignored", "tool_call_in_text", "tool_cheap_call"]
    result = probe(reward_names("tools"), rows=4, family=fams)
    cells = [(r, f, c) for r, d in result["rewards"].items() for f, c in d["families"].items()]
    assert {f for _, f, _ in cells} == set(fams)
    assert all(c["attacks"] > 0 and c["accepted"] == 0 for _, _, c in cells), cells


# -- issue 32: values, not containment; per completion; rejected calls; cheap calls -------------------


@pytest.mark.parametrize("result, answer, expected", [
    ("False", "True or False", 0.0),                    # 1.0 before: the result was contained
    ("False", "It is not false, it is True", 0.0),      # 1.0 before
    ("False", "<answer>False</answer>", 1.0),
    ("False", "It is false.", 1.0),
    ("no", "I do not know", 0.0),                       # 1.0 before: 'no' inside 'not'/'know'
    ("no", "The answer is no.", 1.0),
    ("no", "yes or no", 0.0),
    ("Paris", "It is not Paris.", 0.0),
    ("Paris", "Either Paris or Lyon.", 0.0),
])
def test_result_used_text_results_must_be_stated(result, answer, expected):
    assert _score("tools.result_used", [_traj(result=result, answer=answer)]).values == [expected]


@pytest.mark.parametrize("answer", ["The answer is not 84.", "It is 12 or 84."])
def test_result_used_denied_or_alternative_numbers_score_zero(answer):
    assert _score("tools.result_used", [_traj(answer=answer)]).values == [0.0]  # 1.0 before


def test_one_cheap_call_does_not_score_one_on_all_three():
    cheap = _traj(args={"expression": "400"}, result="400", answer="<answer>400</answer>")
    got = {name: _score(name, [cheap]).values[0]
           for name in ("tools.call_format", "tools.efficiency", "tools.result_used")}
    assert got["tools.result_used"] == 0.0, got  # the tool echoed the model's own number: 1.0 before
    assert not all(v == 1.0 for v in got.values())


def test_nine_valid_calls_do_not_pad_a_malformed_one():
    padded = _traj()
    padded[0]["tool_calls"] = [_call("calculate", {"expression": "1"}, f"c{i}") for i in range(9)]
    padded[0]["tool_calls"].append(_call("calculate", {"expr": "12*7"}, "c9"))
    assert _score("tools.call_format", [padded]).values == [0.0]  # 0.9 before


def test_a_call_the_tool_rejects_is_not_well_formed():
    rejected = _traj(result="{'error': 'ZeroDivisionError: division by zero'}", answer="<answer>84</answer>")
    for name in ("tools.call_format", "tools.efficiency"):
        assert _score(name, [rejected]).values == [0.0], name  # 1.0 before: the schema held


def test_results_pair_with_their_calls_by_id_or_order():
    from rewardkit_tools.calls import paired

    traj = [
        {"role": "assistant", "content": "", "tool_calls": [_call("calculate", {"expression": "1+1"}, "a"),
                                                             _call("calculate", {"expression": "2+2"}, "b")]},
        {"role": "tool", "tool_call_id": "b", "name": "calculate", "content": "4"},
        {"role": "tool", "tool_call_id": "a", "name": "calculate", "content": "2"},
        {"role": "assistant", "content": "", "tool_calls": [_call("calculate", {"expression": "3+3"}, None)]},
        {"role": "tool", "name": "calculate", "content": "6"},
    ]
    assert [(c.arguments["expression"], r.content if r else None) for c, r in paired(traj)] == [
        ("1+1", "2"), ("2+2", "4"), ("3+3", "6")]


@pytest.mark.timeout(300)  # a hang guard, not a speed assertion: the quadratic version ran for hours
def test_result_used_stays_linear_on_a_long_answer_repeating_the_value():
    answer = "a " * 300_000 + "so it is a"
    got = _score("tools.result_used", [_traj(result="a", answer=answer)]).values
    assert got == [1.0]


# -- public auditors (reward-doctor): values as values, units, choices listed, surface forms -----------


@pytest.mark.parametrize("result, answer", [
    ("1/2", "2/1"),                                 # an inverted fraction: 1.0 before (the digits 1 and 2)
    ("1/2", "The answer is 2."),
    ("5 meters", "5 feet"),                         # another unit: 1.0 before
    ("5 meters", "It is 5 km."),
    ("C", "The answer is A, B, C, or D."),          # listed among alternatives: 1.0 before
    ("C", "A/C"),
    ("C", "B and C"),
    ("Paris", "Paris/Lyon"),                        # a slash offers an alternative: 1.0 before
    ("2\\pi", "2"),                                 # an operand of the result, not its value: 1.0 before
    ("2*sqrt(3)", "3"),
    ("2x + 3", "3"),
    ("84", "Step 84: The answer is  ."),            # an empty answer slot: 1.0 before
    ("84", "84 is wrong"),                          # the shared negation rule: 1.0 before
    ("84", "at least 84"),
    ("0.5", "0.05"),                                # these three held before too (kept by the new reading)
    ("3.14159", "3.14"),
    ("-5", "7 - 5"),                                # a subtraction, not minus five
])
def test_result_used_wrong_values_score_zero(result, answer):
    assert _score("tools.result_used", [_traj(result=result, answer=answer)]).values == [0.0]


@pytest.mark.parametrize("result, answer", [
    ("0.5", ".5"),                                  # 0.0 before: every one down to the derivative
    ("-5", "\u22125"),
    ("-5", "- 5"),
    ("-5", "The answer is - 5."),
    ("0.5", "1/2"),
    ("1/2", "2/4"),
    ("1/2", "0.5"),
    ("1/3", "0.3333333333"),
    ("3/2", "1 1/2"),
    ("\\pi", "\u03c0"),
    ("the derivative", "derivative"),
    ("1/2", "\\frac{1}{2}"),                        # from here on held before too (kept)
    ("2*sqrt(3)", "2\\sqrt{3}"),
    ("2\\pi", "The answer is 2 \\pi."),
    ("5 meters", "5 m"),                            # the same unit, another spelling
    ("5 meters", "5"),                              # a unit may be dropped
    ("The temperature is 20 degrees and the humidity 50%", "It is 20 degrees."),
    ("84", "Answer:\n84"),
])
def test_result_used_reads_other_spellings_of_the_value(result, answer):
    assert _score("tools.result_used", [_traj(result=result, answer=answer)]).values == [1.0]


def test_values_are_exact_fractions():
    from fractions import Fraction

    from rewardkit_tools.values import values

    assert [v.value for v in values("12/25/2024")] == [12, 25, 2024]  # a date, not fractions
    assert [v.value for v in values("1/0 and 1e999")] == [10**999]  # no value, no float overflow
    assert [v.value for v in values("x = - 5, 7 - 5")] == [-5, 7, 5]
    assert [v.value for v in values("1 1/2 or \\dfrac{3}{4}")] == [Fraction(3, 2), Fraction(3, 4)]


@pytest.mark.timeout(300)  # a hang guard, not a speed assertion
def test_result_used_stays_linear_on_a_long_answer_repeating_values():
    answer = "1/2 or .5, " * 20_000 + "so it is 0.5"
    assert _score("tools.result_used", [_traj(result="1/2", answer=answer)]).values == [0.0]  # "or"
    answer = "1/2 = .5 = 2/4 " * 20_000
    assert _score("tools.result_used", [_traj(result="1/2", answer=answer)]).values == [1.0]


@pytest.mark.parametrize("args, result, answer", [
    (".5", "0.5", "0.5"),                           # 1.0 before: the call passed the model's own .5 through
    ("\u22125", "-5", "-5"),
])
def test_a_cheap_call_in_another_spelling_is_an_echo(args, result, answer):
    cheap = _traj(args={"expression": args}, result=result, answer=answer)
    assert _score("tools.result_used", [cheap]).values == [0.0]


def test_a_computed_fraction_is_no_echo():
    done = _traj(args={"expression": "84/2"}, result="42", answer="42")
    assert _score("tools.result_used", [done]).values == [1.0]
