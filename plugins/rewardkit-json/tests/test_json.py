"""rewardkit-json: finding JSON in completions, repair, schema shares, field agreement, hostile input."""

from __future__ import annotations

import json

import pytest

import rewardkit
from rewardkit.testing import assert_contract
from rewardkit_json.extract import find_json, last_fence
from rewardkit_json.repair import loads_repaired

SCHEMA = {
    "type": "object",
    "required": ["name", "age", "tags", "email"],
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "tags": {"type": "array", "items": {"type": "string"}},
        "email": {"type": "string", "pattern": "^[^@]+@[^@]+$"},
    },
}
GOOD = {"name": "Ada", "age": 36, "tags": ["math"], "email": "ada@example.org"}


def values(name: str, completions: list[str], **kw):
    params = {k: kw.pop(k) for k in list(kw) if k not in ("schema", "gold")}
    s = rewardkit.reward(name, **params).score(completions, **kw)
    assert s.counts["error"] == 0 and s.counts["timeout"] == 0, s.messages
    return s.values


# -- finding the JSON ------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ('{"a": 1}', {"a": 1}),
    ('Sure! Here it is:\n```json\n{"a": 1}\n```\nAnything else?', {"a": 1}),
    ('```\n{"a": 2}\n```', {"a": 2}),
    ('```python\nx = {"a": 3}\n```\n```json\n{"a": 4}\n```', {"a": 4}),  # the last JSON fence
    ('The result is {"a": 5} as requested.', {"a": 5}),
    ('see [1] and then {"a": 6}', {"a": 6}),  # an array is passed over when an object is wanted
    ('a {brace} then {"a": 7}', {"a": 7}),
])
def test_finds_the_json_object_in_fences_and_text(text, expected):
    found = find_json(text, "object")
    assert found.ok and found.value == expected


def test_unclosed_fence_keeps_its_body():
    assert last_fence('```json\n{"a": 1') == '{"a": 1'


def test_answer_span_first_and_reasoning_ignored():
    text = '<think>draft {"a": 0}</think><answer>{"a": 1}</answer>'
    assert values("json.match", [text], gold=[{"a": 1}]) == [1.0]
    prefilled = 'thinking {"a": 0} </think> final: {"a": 1}'
    assert values("json.match", [prefilled], gold=[{"a": 1}]) == [1.0]


# -- json.valid ------------------------------------------------------------------------------
def test_valid_strict_and_kinds():
    comps = ['{"a": 1}', "[1, 2]", "42", "{'a': 1}", "no json here", ""]
    assert values("json.valid", comps) == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    assert values("json.valid", comps, require="array") == [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert values("json.valid", comps, require="any") == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("text", [
    "{'name': 'Ada', 'age': 36}",            # single quotes
    '{"name": "Ada", "age": 36,}',           # trailing comma
    '{"ok": True, "none": None}',            # Python literals
    '{"name": "Ada", "tags": ["a", "b"',     # truncated
    'Here you go: {"name": "Ada", "age": 36,} Hope it helps!',
])
def test_almost_json_gets_partial_credit_only_when_asked(text):
    assert values("json.valid", [text]) == [0.0]
    assert values("json.valid", [text], partial=0.25) == [0.25]


def test_repair_keeps_quotes_inside_strings():
    ok, value = loads_repaired("{'say': 'he said \"hi\"', 'it': \"it's\"}")
    assert ok and value == {"say": 'he said "hi"', "it": "it's"}


# -- json.schema -----------------------------------------------------------------------------
def test_schema_share_of_required_fields_and_strict():
    comps = [json.dumps(GOOD),
             json.dumps({**GOOD, "age": -1}),                  # 3 of 4 valid
             json.dumps({"name": "Ada", "age": "old"}),        # 1 of 4
             json.dumps([GOOD]),                               # not an object
             "no json"]
    assert values("json.schema", comps, schema=[SCHEMA] * 5) == [1.0, 0.75, 0.25, 0.0, 0.0]
    assert values("json.schema", comps, schema=[SCHEMA] * 5, strict=True) == [1.0, 0.0, 0.0, 0.0, 0.0]


def test_schema_as_json_text_and_without_required_fields():
    schema = json.dumps({"type": "array", "items": {"type": "integer"}})
    assert values("json.schema", ["[1, 2]", '["x"]'], schema=[schema] * 2) == [1.0, 0.0]


def test_schema_repair_param():
    text = "{'name': 'Ada', 'age': 36, 'tags': [], 'email': 'a@b',}"
    assert values("json.schema", [text], schema=[SCHEMA]) == [0.0]
    assert values("json.schema", [text], schema=[SCHEMA], repair=True) == [1.0]


@pytest.mark.parametrize("schema, needle", [
    ({"type": "nonsense"}, "invalid JSON Schema"),
    ("{not json", "not valid JSON text"),
    (42, "a JSON Schema is an object or a boolean"),
])
def test_bad_schema_is_an_error_naming_the_row(schema, needle):
    s = rewardkit.reward("json.schema").score(['{"a": 1}', '{"a": 1}'], schema=[True, schema])
    assert s.values[0] == 1.0
    assert s.statuses[1] is rewardkit.Status.ERROR and needle in s.messages[1] and "row 0" in s.messages[1]


# -- json.match ------------------------------------------------------------------------------
def test_match_field_level_with_number_tolerance():
    gold = {"name": "Ada Lovelace", "born": 1815, "ratio": 0.1, "langs": ["en", "fr"], "alive": False}
    comps = [
        '{"name": "ada  lovelace", "born": 1815.0, "ratio": 0.10000000001, "langs": ["en", "fr"], "alive": false}',
        '{"name": "Ada Lovelace", "born": 1816, "ratio": 0.1, "langs": ["fr", "en"], "alive": 0}',
    ]
    assert values("json.match", comps, gold=[gold] * 2) == [5 / 6, 2 / 6]
    assert values("json.match", comps, gold=[gold] * 2, strings="casefold") == [1.0, 2 / 6]
    # 1815 == 1815.0 still; 0.1 vs 0.10000000001 no longer
    assert values("json.match", comps[:1], gold=[gold], rel_tol=0.0, abs_tol=0.0, strings="casefold") == [5 / 6]


def test_match_f1_penalises_extra_fields_and_nested_paths():
    gold = {"a": {"b": 1, "c": [1, 2]}}
    assert values("json.match", ['{"a": {"b": 1, "c": [1, 2]}, "x": 1, "y": 2}'], gold=[gold]) == [1.0]
    extra = ['{"a": {"b": 1, "c": [1, 2]}, "x": 1, "y": 2}']
    assert values("json.match", extra, gold=[gold], mode="f1") == [pytest.approx(2 * 0.6 / 1.6)]
    assert values("json.match", ["no json"], gold=[gold]) == [0.0]


def test_match_gold_as_json_text_or_scalar():
    assert values("json.match", ['{"a": 1}', "42"], gold=['{"a": 1}', 42]) == [1.0, 1.0]


# -- hostile input: a verdict for every malformed document -----------------------------------
def _big_record(i: int) -> str:
    return f'{{"id": {i}, "name": "item {i}", "tags": ["a", "b"], "price": {i}.5}}'


BIG = "[" + ",".join(_big_record(i) for i in range(80_000)) + "]"  # about 5 MB


@pytest.mark.parametrize("label, text, strict_value", [
    ("5 MB valid", '{"items": ' + BIG + "}", 1.0),
    ("5 MB trailing comma", '{"items": ' + BIG[:-1] + ",]}", 0.0),
    ("5 MB single quotes", '{"items": ' + BIG.replace('"', "'") + "}", 0.0),
    ("5 MB truncated", '{"items": ' + BIG[: len(BIG) // 2], 0.0),
    ("deep nesting", "[" * 200_000 + "]" * 200_000, 0.0),
    ("many braces", "{" * 1_000_000, 0.0),
    ("brace soup", '{"a": ' * 200_000, 0.0),
], ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "")
def test_malformed_documents_get_a_verdict(label, text, strict_value):
    s = rewardkit.reward("json.valid", require="any").score([text])
    assert s.statuses[0] is rewardkit.Status.VALUE and s.values == [strict_value], (label, s.messages)
    r = rewardkit.reward("json.valid", require="any", partial=0.5).score([text])
    assert r.statuses[0] is rewardkit.Status.VALUE, (label, r.messages)
    if label.startswith("5 MB") and strict_value == 0.0:
        assert r.values == [0.5], label  # each repair succeeds on the 5 MB document


# -- the contract kit --------------------------------------------------------------------------
@pytest.mark.parametrize("name, columns", [
    ("json.valid", {}),
    ("json.schema", {"schema": {"type": "object", "required": ["a"]}}),
    ("json.match", {"gold": {"a": 42}}),
])
def test_contract(name, columns):
    assert_contract(name, columns=columns)


# -- non-finite numbers, one depth limit, which value is the answer (issue 23) -----------------------
NONFINITE = ['{"score": NaN}', '{"score": -Infinity}', '{"score": Infinity}', '{"score": 1e400}', '{"score": -1e999}']
UNIT = {"type": "object", "required": ["score"], "properties": {"score": {"type": "number", "minimum": 0, "maximum": 1}}}


def test_nonfinite_numbers_are_not_json():
    # before: NaN passed minimum 0 / maximum 1, -Infinity passed type number, 1e400 became inf
    assert values("json.valid", NONFINITE) == [0.0] * 5
    assert values("json.valid", NONFINITE, partial=0.5) == [0.0] * 5  # nor after repair
    assert values("json.schema", NONFINITE, schema=[UNIT] * 5) == [0.0] * 5
    assert values("json.schema", NONFINITE, schema=[UNIT] * 5, strict=True, repair=True) == [0.0] * 5
    assert values("json.schema", ['{"score": 0.5}'], schema=[UNIT]) == [1.0]
    assert values("json.match", ['{"a": NaN}', "[Infinity]"], gold=[{"a": 1}, [1]]) == [0.0, 0.0]
    assert not find_json("NaN", "any").ok and not find_json("[1, NaN]", "any").ok


def test_the_contract_kit_rule_holds_for_a_unit_score_schema():
    assert_contract("json.schema", columns={"schema": UNIT}, long_chars=1000,
                    completions=['{"score": 0.5}', '```json\n{"score": 1}\n```', '<answer>{"score": 0.25}</answer>'])


@pytest.mark.parametrize("depth, expected", [(128, 1.0), (129, 0.0), (5000, 0.0)])
def test_one_depth_limit_for_valid_and_schema(depth, expected):
    # before: 5,000-deep nesting passed json.schema (worker process) while json.valid (inline) said 0
    text = '{"score": 0.5, "x": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    assert values("json.valid", [text]) == [expected]
    assert values("json.schema", [text], schema=[UNIT]) == [expected]
    assert values("json.schema", [text], schema=[UNIT], strict=True) == [expected]


def test_the_last_value_in_the_text_is_the_answer():
    first_wrong = 'First try: {"score": 5}. Corrected: {"score": 0.5}'
    last_wrong = 'Answer: {"score": 0.5}. Example of a bad one: {"score": 5}'
    assert values("json.schema", [first_wrong, last_wrong], schema=[UNIT] * 2, strict=True) == [1.0, 0.0]
    assert values("json.match", ['{"a": 1} then {"a": 2}', '{"a": 2} then {"a": 1}'], gold=[{"a": 1}] * 2) == [0.0, 1.0]
    # nested values are never candidates: the last top-level one wins
    assert find_json('{"a": {"b": 1}} and {"c": [{"d": 2}]}', "object").value == {"c": [{"d": 2}]}


def test_the_answer_tag_beats_any_later_json():
    text = '<answer>{"score": 0.5}</answer>\nP.S. not this: {"score": 5}'
    assert values("json.schema", [text], schema=[UNIT], strict=True) == [1.0]


def test_probe_family_master_keys_and_nonfinite_answers_pass_nothing():
    from rewardkit.probe import probe

    result = probe(["json.match", "json.schema"], rows=4, family=["json.master_keys"])
    for name in ("json.match", "json.schema"):
        cell = result["rewards"][name]["families"]["json.master_keys"]
        assert cell["attacks"] > 200 and cell["accepted"] == 0, cell["examples"]


# -- a missing gold or schema (issue 32) --------------------------------------------------------
@pytest.mark.parametrize("cell", [None, float("nan"), "None", "nan"])
def test_a_missing_gold_is_not_applicable(cell):
    # before: a None gold was the gold null, so the completion `null` scored 1 on an unlabelled row
    assert values("json.match", ["null", '{"a": 1}'], gold=[cell, cell]) == [None, None]
    assert values("json.match", ["null"], gold=["null"]) == [1.0]  # JSON text null is a real gold


@pytest.mark.parametrize("cell", [None, float("nan"), "None"])
def test_a_missing_schema_is_not_applicable(cell):
    # before: an error ("a JSON Schema is an object or a boolean, got None") that dropped the row
    assert values("json.schema", ['{"a": 1}'], schema=[cell]) == [None]
