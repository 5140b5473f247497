"""Finding the JSON value in a completion: the ``<answer>`` span, a fenced block, or the text.

Every step is linear in the text: string searches, and at most ``MAX_STARTS`` runs of the C
JSON parser (each linear) from the first ``{`` / ``[`` positions. Deeply nested input (which
makes the parser recurse) is simply "not JSON".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

#: How many ``{``/``[`` positions in free text are tried as the start of the JSON value.
MAX_STARTS = 16
_DECODER = json.JSONDecoder()
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n")
_MISSING = object()


@dataclass(frozen=True)
class Found:
    """The JSON text chosen from a completion, and its parsed value (``None`` when not JSON)."""

    text: str
    value: Any = None
    ok: bool = False


def _loads(text: str) -> Any:
    """``json.loads`` that reports failure (bad syntax, too deep) as ``_MISSING``."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _MISSING


def last_fence(text: str) -> str | None:
    """The body of the last fenced code block (```json ... ``` or plain ```), if any."""
    body = None
    pos = 0
    while True:
        m = _FENCE.search(text, pos)
        if m is None:
            return body
        end = text.find("```", m.end())
        if end < 0:  # an unclosed fence: the rest is its body (truncated output)
            return text[m.end():]
        if m.group(1).lower() in ("", "json", "json5", "jsonc"):
            body = text[m.end():end]
        pos = end + 3


def _before(text: str, i: int) -> int:
    """Index of the last non-blank character at or before ``i`` (-1 when none)."""
    while i >= 0 and text[i].isspace():
        i -= 1
    return i


def _inside_structure(text: str, pos: int) -> bool:
    """Whether the bracket at ``pos`` continues a JSON-like structure: after ``,``, ``[``, ``{``,
    or a ``:`` that follows a quoted key (``"key": [``), not a colon of prose (``Here: {``)."""
    i = _before(text, pos - 1)
    if i < 0:
        return False
    if text[i] in ",[{":
        return True
    if text[i] == ":":
        j = _before(text, i - 1)
        return j >= 0 and text[j] in "\"'"
    return False


#: Opening brackets, less those right after ``,``, ``[`` or ``{`` (rejected inside the regex engine).
_BRACKETS = {openers: re.compile(r"(?<![,\[{])[" + re.escape(openers) + "]") for openers in ("{[", "{", "[")}


def _starts(text: str, openers: str = "{[") -> list[int]:
    """The first ``MAX_STARTS`` positions of an opening bracket that does not sit inside a larger
    JSON-like structure, so a broken object never yields one of its own fields. Linear: each
    blank run before a bracket is walked at most twice."""
    out: list[int] = []
    for m in _BRACKETS[openers].finditer(text):
        if _inside_structure(text, m.start()):
            continue
        out.append(m.start())
        if len(out) == MAX_STARTS:
            break
    return out


def find_json(text: str, want: str = "any") -> Found:
    """The JSON value in ``text``: a fenced block, the whole text, or the first value embedded in it.

    ``want``: ``"object"``, ``"array"`` or ``"any"`` (any JSON value): values of another kind are
    passed over.
    """
    kinds: tuple[type, ...] = {"object": (dict,), "array": (list,)}.get(want, (object,))
    openers = {"object": "{", "array": "["}.get(want, "{[")
    fenced = last_fence(text)
    candidate = (fenced if fenced is not None else text).strip()
    if candidate[:1] not in ("{", "["):  # a scalar, or text with JSON inside (fails at once)
        value = _loads(candidate)
        if value is not _MISSING and isinstance(value, kinds):
            return Found(candidate, value, True)
    starts = _starts(candidate, openers)  # a bracketed document is parsed once, from position 0
    for start in starts:
        try:
            value, end = _DECODER.raw_decode(candidate, start)
        except (ValueError, RecursionError):
            continue
        if isinstance(value, kinds):
            return Found(candidate[start:end], value, True)
    return Found(candidate[starts[0]:] if starts else candidate)


def parse_gold(value: Any, row: int, column: str) -> Any:
    """A gold/schema cell: a parsed JSON value, or JSON text of one."""
    if isinstance(value, str):
        parsed = _loads(value)
        if parsed is _MISSING:
            raise ValueError(f"column {column!r}, row {row}: not valid JSON text: {value[:80]!r}")
        return parsed
    if hasattr(value, "tolist"):  # numpy values from Parquet
        return value.tolist()
    return value
