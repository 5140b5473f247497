"""Which tool calls of a trajectory are well-formed, and which were only written as text."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from rewardkit.utils import ToolCall, ToolResult, tool_calls, tool_results

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


def is_error(content: str) -> bool:
    """A tool message reporting a failure (TRL writes ``{'error': '...'}`` when a tool raises or is unknown)."""
    head = content.lstrip()[:12].lower()
    return head.startswith(("{'error'", '{"error"', "error"))


def paired(trajectory: list[dict[str, Any]]) -> list[tuple[ToolCall, ToolResult | None]]:
    """Each made call with the tool message that answered it: by ``tool_call_id`` where the messages
    carry ids, else the next unclaimed tool message after the call (``None``: no answer)."""
    calls = tool_calls(trajectory)
    results = tool_results(trajectory)
    by_id = {r.call_id: r for r in results if r.call_id}
    claimed: set[int] = {id(by_id[c.id]) for c in calls if c.id and c.id in by_id}
    out: list[tuple[ToolCall, ToolResult | None]] = []
    for call in calls:
        result = by_id.get(call.id) if call.id else None
        if result is None:
            result = next((r for r in results if r.message > call.message and id(r) not in claimed
                           and not (r.call_id and r.call_id in {c.id for c in calls})), None)
            if result is not None:
                claimed.add(id(result))
        out.append((call, result))
    return out


def verdicts(trajectory: list[dict[str, Any]], tools: Declared) -> list[bool]:
    """One verdict per attempted call: the made calls in order, then ``False`` per call written as text.

    A made call is well-formed when it names a declared tool with schema-valid arguments *and* the tool
    accepted it: a call whose tool message is an error (``{'error': ...}``) is not well-formed.
    """
    made = [well_formed(c, tools) and not (r is not None and is_error(r.content)) for c, r in paired(trajectory)]
    return made + [False] * hidden_calls(trajectory)
