"""``json.schema``: the completion's JSON checked against a JSON Schema with ``jsonschema``."""

from __future__ import annotations

import json
from typing import Any

from rewardkit.utils import json_schema_validator, response_text

from .extract import find_json, missing, parse_gold
from .repair import loads_repaired


def validator_for(schema: Any, row: int) -> Any:
    """The cached validator of one row's ``schema`` cell; ValueError naming the row when invalid."""
    schema = parse_gold(schema, row, "schema")
    if not isinstance(schema, (dict, bool)):
        raise ValueError(f"column 'schema', row {row}: a JSON Schema is an object or a boolean, got {schema!r}"[:200])
    try:
        return json_schema_validator(json.dumps(schema, sort_keys=True))
    except ValueError as exc:
        raise ValueError(f"column 'schema', row {row}: {exc}") from None


def wanted_kind(schema: Any) -> str:
    """Which kind of JSON value to look for: an object for object schemas, an array for arrays."""
    if not isinstance(schema, dict):
        return "any"
    if schema.get("type") == "object" or "required" in schema or "properties" in schema:
        return "object"
    return "array" if schema.get("type") == "array" else "any"


def required_share(validator: Any, value: Any) -> float:
    """Share of the schema's top-level ``required`` fields present and valid (all of the value
    when the schema requires no field)."""
    schema = validator.schema
    required = schema.get("required") if isinstance(schema, dict) else None
    if not required or not isinstance(required, list):
        return float(validator.is_valid(value))
    if not isinstance(value, dict):
        return 0.0
    bad = {f for f in required if f not in value}
    for error in validator.iter_errors(value):
        if error.path and error.path[0] in required:
            bad.add(error.path[0])
    return (len(required) - len(bad)) / len(required)


def _one(
    completion: str, schema: Any, row: int, strict: bool, repair: bool, answer_only: str, answer_tag: str
) -> float | None:
    if missing(schema):
        return None  # no schema on this row: not applicable
    validator = validator_for(schema, row)
    found = find_json(response_text(completion, answer_only, answer_tag), wanted_kind(validator.schema))
    ok, value = (True, found.value) if found.ok else (loads_repaired(found.text) if repair else (False, None))
    if not ok:
        return 0.0
    if strict:
        return float(validator.is_valid(value))
    return required_share(validator, value)


def schema_reward(*, completions: list[str], prompts: list[str], schema: list[Any], strict: bool, repair: bool,
                  answer_only: str, answer_tag: str) -> list[float | None]:
    """Share of required fields valid (or, strict, 1 only when the whole value validates); None without a schema."""
    return [_one(c, s, i, strict, repair, answer_only, answer_tag) for i, (c, s) in enumerate(zip(completions, schema))]
