"""The ``tools`` column: the tools a row declares, as OpenAI-style specs, and their argument validators."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rewardkit.utils import json_schema_validator

#: Schema keywords whose check runs a regular expression chosen by the data (a slow pattern on hostile
#: arguments could backtrack for long): rows whose tools use them are scored in a worker, under a deadline.
REGEX_KEYS = ('"pattern"', '"patternProperties"')


@dataclass(frozen=True)
class Declared:
    """The tools one row declares: name -> argument validator (``None``: any object is accepted)."""

    validators: dict[str, Any]
    needs_worker: bool


def declared(tools: Any, row: int) -> Declared:
    """Parse one row's ``tools`` cell (a list of specs, or its JSON text); ValueError naming the row."""
    if isinstance(tools, str):
        text = tools
    else:
        try:
            text = json.dumps(tools, sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"column 'tools', row {row}: not JSON data ({exc})") from None
    try:
        return _declared(text)
    except ValueError as exc:
        raise ValueError(f"column 'tools', row {row}: {exc}") from None


@lru_cache(maxsize=256)
def _declared(text: str) -> Declared:
    try:
        specs = json.loads(text)
    except ValueError:
        raise ValueError("not a JSON list of tool specs") from None
    if isinstance(specs, dict):
        specs = [specs]
    if not isinstance(specs, list):
        raise ValueError(f"expected a list of tool specs, got {type(specs).__name__}")
    out: dict[str, Any] = {}
    for k, spec in enumerate(specs):
        name, schema = _one_spec(spec, k)
        if name in out:
            raise ValueError(f"tool {name!r} is declared twice")
        out[name] = _validator(json.dumps(schema, sort_keys=True)) if schema is not None else None
    return Declared(out, any(key in text for key in REGEX_KEYS))


def _one_spec(spec: Any, k: int) -> tuple[str, Any]:
    """``(name, parameters schema)`` of an OpenAI spec ``{"type": "function", "function": {...}}`` or a bare
    ``{"name", "parameters"}``."""
    if not isinstance(spec, dict):
        raise ValueError(f"tool spec {k} is a {type(spec).__name__}, not an object")
    fn = spec.get("function", spec) if spec.get("type", "function") == "function" else None
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
        raise ValueError(f"tool spec {k} needs a function name (OpenAI shape: {{'type': 'function', "
                         "'function': {'name': ..., 'parameters': {...}}})")
    schema = fn.get("parameters")
    if schema is not None and not isinstance(schema, (dict, bool)):
        raise ValueError(f"tool {fn['name']!r}: parameters must be a JSON Schema object")
    return fn["name"], schema


def _validator(schema_text: str) -> Any:
    try:
        return json_schema_validator(schema_text)
    except ValueError as exc:
        raise ValueError(f"a tool's parameters: {exc}") from None
