"""Request bodies, parsed in the scoring thread (never on the event loop).

:func:`parse` reads JSON, refuses NaN/Infinity and numbers beyond the float range (a 400-digit
decimal, an integer of 400 digits: 422 naming the field), refuses nesting deeper than
:data:`MAX_DEPTH` (400 naming the field), and validates the endpoint's pydantic model (422 with
FastAPI's own ``detail`` list).
"""

from __future__ import annotations

import json
import math
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import RewardkitError

M = TypeVar("M", bound=BaseModel)
#: Nesting a request body may have (chat messages with content parts need about 6).
MAX_DEPTH = 32
_FLOAT_MAX = 1.7976931348623157e308


class NonFinite(RewardkitError):
    """A body holds NaN, Infinity or a number beyond the float range (HTTP 422); ``field`` says where."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"{field}: NaN and Infinity (or numbers beyond the float range) are not accepted; "
                         "send null for a missing value")


class BodyError(RewardkitError):
    """A body that is not the endpoint's shape (HTTP 422, FastAPI's ``detail`` list)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__(str(errors[:1]))


class TooDeep(RewardkitError):
    """A body nested deeper than :data:`MAX_DEPTH` (HTTP 400); ``field`` says where."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(f"{field}: nested more than {MAX_DEPTH} levels deep; no endpoint takes that")


class _Bad:
    def __init__(self, text: str) -> None:
        self.text = text


def _float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _Bad(text)


def _int(text: str) -> Any:
    value = int(text)
    return _Bad(text) if len(text) > 300 and abs(value) > _FLOAT_MAX else value


def load(body: bytes) -> Any:
    """The JSON tree of ``body``; BodyError when it is not JSON, NonFinite/TooDeep as above."""
    try:
        tree = json.loads(body, parse_constant=_Bad, parse_float=_float, parse_int=_int)
    except RecursionError:
        raise TooDeep("body") from None
    except json.JSONDecodeError as exc:
        raise BodyError([{"type": "json_invalid", "loc": ["body", exc.pos], "msg": "JSON decode error",
                          "input": {}, "ctx": {"error": exc.msg}}]) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise BodyError([{"type": "json_invalid", "loc": ["body"], "msg": str(exc)[:200], "input": {}}]) from None
    _walk(tree)
    return tree


def parse(model: type[M], body: bytes) -> M:
    """``body`` as ``model`` (see the module's docstring for the errors)."""
    tree = load(body)
    try:
        return model.model_validate(tree)
    except ValidationError as exc:
        errors = [{**e, "loc": ["body", *e["loc"]]} for e in exc.errors(include_url=False)]
        raise BodyError(json.loads(json.dumps(errors, default=str))) from None


def _name(path: str, key: Any) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)


def _walk(tree: Any) -> None:
    """Find the first bad number or too deep a nest, without recursion."""
    stack: list[tuple[Any, str, int]] = [(tree, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, _Bad):
            raise NonFinite(path or "body")
        if isinstance(node, (dict, list)):
            if depth >= MAX_DEPTH:
                raise TooDeep(path or "body")
            items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
            stack.extend((child, _name(path, key), depth + 1) for key, child in reversed(items))


def non_finite_field(body: bytes) -> str | None:
    """Where a JSON body holds NaN, Infinity or a number that overflows a float, else None."""
    try:
        load(body)
    except NonFinite as exc:
        return exc.field
    except (BodyError, TooDeep):
        return None
    return None
