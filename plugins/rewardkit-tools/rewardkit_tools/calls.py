"""Which tool calls of a trajectory are well-formed, and which were only written as text."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from rewardkit.utils import ToolCall, tool_calls

from .specs import Declared

#: A tool call written into an assistant's text instead of made: ``<tool_call>``, ``<function=...>``,
#: or a JSON object with a "name" and "arguments"/"parameters" (bounded, so the scan stays linear).
HIDDEN_CALL = re.compile(
    r"<\s{0,8}/?\s{0,8}tool_call\s{0,8}>|<\s{0,8}function\s{0,8}=|"
    r"\{\s{0,20}\"name\"\s{0,20}:\s{0,20}\"[^\"\n]{1,100}\"\s{0,20},\s{0,20}\"(?:arguments|parameters)\"\s{0,20}:",
    re.IGNORECASE,
)


def hidden_calls(trajectory: list[dict[str, Any]]) -> int:
    """How many assistant messages write a tool call as text (each counts once: it never ran)."""
    count = 0
    for message in trajectory:
        if message.get("role") != "assistant":
            continue
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content) if content else ""
        if HIDDEN_CALL.search(text):
            count += 1
    return count


def _finite(value: Any) -> bool:
    """No NaN or infinity anywhere in a parsed JSON value (iterative)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _args(call: ToolCall) -> dict[str, Any] | None:
    """The call's arguments as a JSON object with finite numbers, or None."""
    raw = call.arguments
    if isinstance(raw, str):
        try:
            value = json.loads(raw, parse_constant=_reject)
        except (ValueError, RecursionError):
            return None
    else:
        value = raw
    if not isinstance(value, dict):
        return None
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return value if _finite(value) else None


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def well_formed(call: ToolCall, tools: Declared) -> bool:
    """The call names a declared tool and its arguments are a JSON object valid against that tool's schema."""
    if call.name not in tools.validators:
        return False
    args = _args(call)
    if args is None:
        return False
    validator = tools.validators[call.name]
    return validator is None or bool(validator.is_valid(args))


def verdicts(trajectory: list[dict[str, Any]], tools: Declared) -> list[bool]:
    """One verdict per attempted call: the made calls in order, then ``False`` per call written as text."""
    return [well_formed(c, tools) for c in tool_calls(trajectory)] + [False] * hidden_calls(trajectory)
