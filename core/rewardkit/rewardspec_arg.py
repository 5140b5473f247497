"""Parsing ``NAME[:param=value,...]`` reward arguments from the command line."""

from __future__ import annotations

import json
from typing import Any

from .errors import RewardkitError


def parse_value(text: str) -> Any:
    """``3`` -> 3, ``0.5`` -> 0.5, ``true`` -> True, ``[1,2]`` -> [1, 2], anything else -> the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside brackets and quotes."""
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, None
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def parse_reward_arg(text: str) -> tuple[str, dict[str, Any]]:
    """Parse ``"text.rouge:variant=rougeL,measure=f1"`` into ``("text.rouge", {...})``."""
    name, _, rest = text.partition(":")
    name = name.strip()
    if not name:
        raise RewardkitError(f"--reward {text!r}: missing reward name")
    params: dict[str, Any] = {}
    if rest.strip():
        for part in split_top(rest):
            key, eq, value = part.partition("=")
            if not eq or not key.strip():
                hint = (" (a list parameter is written as JSON in brackets, e.g. tags=[\"think\",\"answer\"]; "
                        "quote the whole -r argument for the shell)") if eq == "" and params else ""
                raise RewardkitError(f"--reward {text!r}: expected param=value, got {part!r}{hint}")
            params[key.strip()] = parse_value(value.strip())
    return name, params
