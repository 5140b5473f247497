"""Light repair of almost-JSON, the mistakes models make most: single-quoted strings, trailing
commas, Python's ``True``/``False``/``None``, and output cut off before its closing brackets.

One left-to-right pass over regex tokens (linear); used only for the ``partial`` credit of
``json.valid`` and ``json.schema``, inside the worker pool's deadline.
"""

from __future__ import annotations

import re
from typing import Any

from .extract import decode

_TOKEN = re.compile(
    r"""(?P<run>(?:"(?:[^"\\\n]|\\.)*"|[^'"{}\[\],A-Za-z_])+)"""  # needs no change: strings, numbers, blanks, ':'
    r'|(?P<dq>"(?:[^"\\\n]|\\.)*"?)'   # an unterminated double-quoted string
    r"|(?P<sq>'(?:[^'\\\n]|\\.)*'?)"   # a single-quoted string
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<char>.)",
    re.DOTALL,
)
_WORDS = {"True": "true", "False": "false", "None": "null"}
_CLOSE = {"{": "}", "[": "]"}


def _string(token: str) -> str:
    """A quoted token as a JSON string (closing an unterminated one)."""
    quote = token[0]
    body = token[1:-1] if len(token) > 1 and token[-1] == quote and not token.endswith("\\" + quote) else token[1:]
    if quote == "'":
        body = body.replace("\\'", "'").replace('"', '\\"')
    return '"' + body + '"'


def repair(text: str) -> str:
    """``text`` with the common mistakes fixed (the result may still be invalid JSON)."""
    out: list[str] = []
    stack: list[str] = []
    last = -1  # index in out of the last significant (non-blank) piece
    for m in _TOKEN.finditer(text):
        kind, tok = m.lastgroup, m.group(0)
        if kind == "run" and tok.isspace():
            out.append(tok)
            continue
        if kind in ("dq", "sq"):
            tok = _string(tok)
        elif kind == "word":
            tok = _WORDS.get(tok, tok)
        elif tok in "{[" and kind == "char":
            stack.append(_CLOSE[tok])
        elif tok in "}]" and kind == "char":
            if last >= 0 and out[last] == ",":  # "," is always a token of its own
                out[last] = ""  # a trailing comma
            if stack:
                stack.pop()
        out.append(tok)
        last = len(out) - 1
    if stack:  # truncated: finish the last value and close what is open
        tail = out[last].rstrip() if last >= 0 else ""
        if tail == ",":
            out[last] = ""
        elif tail.endswith(":"):
            out.append("null")
        out.extend(reversed(stack))
    return "".join(out)


def loads_repaired(text: str) -> tuple[bool, Any]:
    """(True, value) when ``text`` starts with a JSON value after :func:`repair` (text after the
    value, such as a closing sentence, is ignored), else (False, None)."""
    try:
        value, _ = decode(repair(text).strip())
    except ValueError:  # bad syntax, a non-finite number, or nesting deeper than MAX_DEPTH
        return False, None
    return True, value
