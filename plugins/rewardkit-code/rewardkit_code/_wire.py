"""The wire between the judge and the program of a function test (standard library only).

Frames are a 4-byte big-endian length and a JSON body. Values travel in a tagged form that only
plain built-in data can take: JSON's own null, bool, int, float, str and list, plus one-key
objects for the rest (``{"t": [...]}`` a tuple, ``{"d": [[k, v], ...]}`` a dict, ``{"s": ...}`` a
set, ``{"F": ...}`` a frozenset, ``{"q": ...}`` a deque, ``{"b": hex}`` bytes, ``{"c": [re, im]}``
a complex, ``{"D": text}`` a Decimal).

:func:`encode` runs on either side and checks each value's exact type (``type(v) is int``: the
real type, never a comparison or hash the value could answer). :func:`decode` runs in the judge:
it reads what :func:`json.loads` made (only genuine built-ins) and rebuilds plain values, so
whatever a program sends, the judge only ever holds its own plain objects.
"""

from __future__ import annotations

import collections
import decimal
import json
import os
import select
import struct
import time

MAX_FRAME = 1 << 24  # bytes of one frame (the tests' calls)
MAX_ANSWER = 1 << 22  # bytes of one answer the judge reads from a program (a bigger one fails the call)
MAX_DEPTH = 200


class WireError(Exception):
    """A value that cannot travel (not plain data, too deep, too big) or a broken frame."""


_type, _len, _isinstance = type, len, isinstance  # bound at import: the program may patch builtins
_NONE, _BOOL, _INT, _FLOAT, _STR = type(None), bool, int, float, str
_deque, _Decimal = collections.deque, decimal.Decimal


def encode(value: object, depth: int = 0) -> object:
    """``value`` as JSON-ready tagged data; :class:`WireError` when it is not plain data."""
    kind = _type(value)
    if kind is _NONE or kind is _BOOL or kind is _INT or kind is _FLOAT or kind is _STR:
        return value
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if kind is list:
        return [encode(v, depth + 1) for v in value]  # type: ignore[attr-defined]
    if kind is tuple:
        return {"t": [encode(v, depth + 1) for v in value]}  # type: ignore[attr-defined]
    if kind is dict or kind is collections.OrderedDict or kind is collections.defaultdict:
        pairs: list = list(dict.items(value))  # type: ignore[arg-type]
        return {"d": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in pairs]}
    if kind is set:
        return {"s": [encode(v, depth + 1) for v in value]}  # type: ignore[attr-defined]
    if kind is frozenset:
        return {"F": [encode(v, depth + 1) for v in value]}  # type: ignore[attr-defined]
    if kind is _deque:
        return {"q": [encode(v, depth + 1) for v in value]}  # type: ignore[attr-defined]
    if kind is bytes or kind is bytearray:
        return {"b": bytes.hex(bytes(value))}  # type: ignore[call-overload]
    if kind is complex:
        return {"c": [complex.real.__get__(value), complex.imag.__get__(value)]}  # type: ignore[attr-defined]
    if kind is _Decimal:
        return {"D": _Decimal.__str__(value)}  # type: ignore[arg-type]
    raise WireError(f"a {kind.__name__} is not plain built-in data")


def decode(data: object, depth: int = 0) -> object:
    """Rebuild a value from what ``json.loads`` returned (genuine built-ins only)."""
    kind = _type(data)
    if kind is _NONE or kind is _BOOL or kind is _INT or kind is _FLOAT or kind is _STR:
        return data
    if depth > MAX_DEPTH:
        raise WireError("nested too deeply")
    if kind is list:
        return [decode(v, depth + 1) for v in data]  # type: ignore[attr-defined]
    if kind is not dict or _len(data) != 1:  # type: ignore[arg-type]
        raise WireError("malformed value")
    ((tag, body),) = data.items()  # type: ignore[attr-defined]
    if tag == "b" and _type(body) is _STR:
        return bytes.fromhex(body)
    if tag == "D" and _type(body) is _STR and _len(body) <= 10_000:
        return _Decimal(body)
    if _type(body) is not list:
        raise WireError("malformed value")
    if tag == "c" and _len(body) == 2 and all(_type(x) is _INT or _type(x) is _FLOAT for x in body):
        return complex(body[0], body[1])
    if tag == "d":
        out = {}
        for pair in body:
            if _type(pair) is not list or _len(pair) != 2:
                raise WireError("malformed dict")
            out[decode(pair[0], depth + 1)] = decode(pair[1], depth + 1)  # hashing the judge's own values
        return out
    build = _BUILD.get(tag)
    if build is None:
        raise WireError(f"unknown tag {tag!r}")
    return build(decode(v, depth + 1) for v in body)


_BUILD = {"t": tuple, "s": set, "F": frozenset, "q": collections.deque}


def dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def send(fd: int, obj: object) -> None:
    """Write one frame (all of it)."""
    body = dumps(obj)
    if _len(body) > MAX_FRAME:
        raise WireError(f"a value of {len(body):,} bytes is over the {MAX_FRAME:,}-byte limit")
    view = memoryview(struct.pack("!I", _len(body)) + body)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def recv(fd: int, deadline: float | None = None, limit: int = MAX_FRAME) -> object:
    """Read one frame of at most ``limit`` bytes and ``json.loads`` it. EOFError at end of stream,
    TimeoutError at the deadline, WireError for a frame over the limit, garbled or too big to decode."""
    head = _read_exact(fd, 4, deadline)
    (size,) = struct.unpack("!I", head)
    if size > limit:
        raise WireError(f"a frame of {size:,} bytes is over the {limit:,}-byte limit")
    try:
        return json.loads(_read_exact(fd, size, deadline))
    except (ValueError, RecursionError, MemoryError) as exc:
        raise WireError(f"garbled frame: {type(exc).__name__}") from None


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    buf = bytearray()
    while _len(buf) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError("no answer before the deadline")
        chunk = os.read(fd, min(n - _len(buf), 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        buf += chunk
    return bytes(buf)
