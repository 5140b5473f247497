"""Attack families for ``rewardkit probe``: agent trajectories that deserve to fail the tool rewards.

Each attack is ``(variant, trajectory, {"tools": [CALCULATE]})``: a list of messages built from a
probe row (question, gold G, a plausible wrong answer W) with a ``calculate`` tool declared.
"""

from __future__ import annotations

import json
from typing import Any

CALCULATE = {
    "type": "function",
    "function": {
        "name": "calculate",
        "description": "Evaluate an arithmetic expression.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string", "description": "e.g. '(3 + 4) * 2'"}},
            "required": ["expression"],
            "additionalProperties": False,
        },
    },
}
TOOLS = [CALCULATE]
Attack = tuple[str, list[dict[str, Any]], dict[str, Any]]


def _call(name: str, arguments: Any, call_id: str = "c1") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def _turns(call: dict[str, Any], result: str, answer: str, before: str = "") -> list[dict[str, Any]]:
    return [
        {"role": "assistant", "content": before, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": call["id"], "name": call["function"]["name"], "content": result},
        {"role": "assistant", "content": answer},
    ]


def _attack(variant: str, trajectory: list[dict[str, Any]]) -> Attack:
    return variant, trajectory, {"tools": TOOLS}


def undeclared_tool(row: Any, target: str) -> list[Attack]:
    """Calls to tools the row never declared (the host answers with an error); the gold as the answer."""
    g = f"<answer>{row.gold}</answer>"
    error = "{'error': 'Tool not found.'}"
    return [
        _attack("other_name", _turns(_call("search", {"query": row.prompt[:60]}), error, g)),
        _attack("case", _turns(_call("Calculate", {"expression": row.gold}), error, g)),
        _attack("blank", _turns(_call("calculate ", {"expression": row.gold}), error, g)),
        _attack("empty_name", _turns(_call("", {"expression": row.gold}), error, g)),
    ]


def bad_arguments(row: Any, target: str) -> list[Attack]:
    """Calls to the declared tool whose arguments are not JSON or break its schema."""
    g = f"<answer>{row.gold}</answer>"
    error = "{'error': 'bad arguments'}"
    cases = [
        ("wrong_key", {"expr": row.gold}),
        ("missing", {}),
        ("wrong_type", {"expression": 7}),
        ("extra_key", {"expression": row.gold, "note": "x"}),
        ("not_json", f"expression={row.gold}"),
        ("json_array", json.dumps([row.gold])),
        ("nan", '{"expression": NaN}'),
        ("truncated", '{"expression": "1 + '),
    ]
    return [_attack(name, _turns(_call("calculate", args), error, g)) for name, args in cases]


def ignores_result(row: Any, target: str) -> list[Attack]:
    """A well-formed call whose result (the gold) the final answer does not state."""
    call = _call("calculate", {"expression": f"{row.gold} + 0"})
    g, w = row.gold, row.wrong
    return [
        _attack("wrong", _turns(call, g, f"<answer>{w}</answer>")),
        _attack("in_reasoning", _turns(call, g, f"<think>the tool says {g}</think><answer>{w}</answer>")),
        _attack("answered_before", _turns(call, g, "", before=f"<answer>{w}</answer>")),
        _attack("no_answer", _turns(call, g, "I am not sure.")),
        _attack("result_then_other", _turns(call, g, f"<answer>{g} or rather {w}</answer>")),
        _attack("denied", _turns(call, g, f"<answer>It is not {g}.</answer>")),
        _attack("alternatives", _turns(call, g, f"<answer>either {w} or {g}</answer>")),
    ]


def cheap_calls(row: Any, target: str) -> list[Attack]:
    """Calls that do no work but farm the tool rewards: the model's own answer passed through the tool,
    valid calls padding a malformed one, a call the tool rejected; the gold as the answer."""
    g = f"<answer>{row.gold}</answer>"
    echo = _turns(_call("calculate", {"expression": row.gold}), row.gold, g)
    padded = _turns(_call("calculate", {"expr": row.gold}, "c9"), "{'error': 'bad arguments'}", g)
    padded[0]["tool_calls"] = [_call("calculate", {"expression": "1"}, f"c{i}") for i in range(9)] + \
        padded[0]["tool_calls"]
    rejected = _turns(_call("calculate", {"expression": f"{row.gold} / 0"}), "{'error': 'division by zero'}", g)
    attacks = {"echo": echo, "padded": padded, "rejected": rejected}
    wanted = {"tools.result_used": ("echo",)}.get(target, ("padded", "rejected"))
    return [_attack(name, attacks[name]) for name in wanted]


def call_in_text(row: Any, target: str) -> list[Attack]:
    """A tool call written into the answer's text instead of made (it never ran); the gold as the answer."""
    body = json.dumps({"name": "calculate", "arguments": {"expression": f"{row.gold} + 0"}})
    texts = [
        ("tags", f"<tool_call>\n{body}\n</tool_call>\n<answer>{row.gold}</answer>"),
        ("bare_json", f"{body}\n<answer>{row.gold}</answer>"),
        ("fenced", f"```json\n{body}\n```\n<answer>{row.gold}</answer>"),
        ("function_tag", f"<function=calculate>{{\"expression\": \"{row.gold}\"}}</function>\n"
                         f"<answer>{row.gold}</answer>"),
    ]
    return [_attack(name, [{"role": "assistant", "content": text}]) for name, text in texts]
