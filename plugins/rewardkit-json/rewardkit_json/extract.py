"""Finding the JSON value in a completion: the ``<answer>`` span, a fenced block, or the text.

Every step is linear in the text: string searches, runs of the C JSON parser that skip over each
value they parse, and at most ``MAX_STARTS`` failed runs. The **last** top-level value of the wanted
kind is the answer. Every value is held to the host's rule (``rewardkit.utils.check_json_value``):
``NaN``/``Infinity``/``-Infinity`` and numbers that overflow a float (``1e400``) are not JSON, and
nesting deeper than ``MAX_DEPTH`` is not JSON either, the same limit for every reward of the plugin.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from rewardkit.utils import JSON_MAX_DEPTH, check_json_value

#: How many ``{``/``[`` positions in free text may fail to start a JSON value before the search stops.
MAX_STARTS = 16
#: How deep a value may nest (objects and arrays): the same for json.valid, json.schema and json.match.
MAX_DEPTH = JSON_MAX_DEPTH


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: The C decoder with NaN/Infinity/-Infinity refused at parse time.
_DECODER = json.JSONDecoder(parse_constant=_no_constant)
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n")
_MISSING = object()


@dataclass(frozen=True)
class Found:
    """The JSON text chosen from a completion, and its parsed value (``None`` when not JSON)."""

    text: str
    value: Any = None
    ok: bool = False


def decode(text: str, start: int = 0) -> tuple[Any, int]:
    """``(value, end)`` of the JSON value at ``start``; ``ValueError`` for bad syntax, non-finite
    numbers and nesting deeper than :data:`MAX_DEPTH`."""
    try:
        value, end = _DECODER.raw_decode(text, start)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    check_json_value(value, max_depth=MAX_DEPTH)
    return value, end


def _loads(text: str) -> Any:
    """The JSON value of the whole ``text``, or ``_MISSING`` (bad syntax, non-finite, too deep)."""
    try:
        value, end = decode(text)
    except ValueError:
        return _MISSING
    return value if not text[end:].strip() else _MISSING


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


def _starts(text: str, openers: str = "{[", pos: int = 0):
    """Positions of an opening bracket at or after ``pos`` that does not sit inside a larger
    JSON-like structure, so a broken object never yields one of its own fields. Linear: each
    blank run before a bracket is walked at most twice."""
    for m in _BRACKETS[openers].finditer(text, pos):
        if not _inside_structure(text, m.start()):
            yield m.start()


def find_json(text: str, want: str = "any") -> Found:
    """The JSON value in ``text``: a fenced block, the whole text, or the **last** top-level value
    embedded in it.

    ``want``: ``"object"``, ``"array"`` or ``"any"`` (any JSON value): values of another kind are
    passed over. Each parsed value is skipped over whole (its inner brackets are never starts);
    the search stops after ``MAX_STARTS`` brackets that start no value.
    """
    kinds: tuple[type, ...] = {"object": (dict,), "array": (list,)}.get(want, (object,))
    openers = {"object": "{", "array": "["}.get(want, "{[")
    fenced = last_fence(text)
    candidate = (fenced if fenced is not None else text).strip()
    if candidate[:1] not in ("{", "["):  # a scalar, or text with JSON inside (fails at once)
        value = _loads(candidate)
        if value is not _MISSING and isinstance(value, kinds):
            return Found(candidate, value, True)
    found: Found | None = None
    first_bad: int | None = None
    failures = 0
    pos = 0
    while failures < MAX_STARTS:
        start = next(_starts(candidate, openers, pos), None)
        if start is None:
            break
        try:
            value, end = decode(candidate, start)
        except ValueError:
            failures += 1
            first_bad = start if first_bad is None else first_bad
            pos = start + 1
            continue
        if isinstance(value, kinds):
            found = Found(candidate[start:end], value, True)
        pos = end
    if found is not None:
        return found
    return Found(candidate[first_bad:] if first_bad is not None else candidate)


#: a missing value written out as text (``str(None)``, pandas' ``nan``/``<NA>``): never JSON, never a gold
MISSING_TEXT = frozenset({"None", "nan", "NaN", "<NA>"})


def missing(value: Any) -> bool:
    """Whether a gold/schema cell is missing (None, NaN from a table, or the text ``None``/``nan``
    a bridge wrote for one): the row is not applicable.

    A cell holding JSON text ``null`` is a real gold value (JSON's null), not a missing one."""
    if isinstance(value, str):
        return value.strip() in MISSING_TEXT
    return value is None or (isinstance(value, float) and value != value)


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
