"""``json.valid``: does the completion hold a JSON value (strict), or almost-JSON (partial credit)?"""

from __future__ import annotations

from typing import Any

from rewardkit import DEFER
from rewardkit.utils import response_text

from .extract import find_json
from .repair import loads_repaired

KINDS = {"object": dict, "array": list}
#: Completions up to this size are decided inline; longer ones go to a worker under the deadline.
INLINE_MAX_CHARS = 1_000_000


def _kind_ok(value: Any, require: str) -> bool:
    return require == "any" or isinstance(value, KINDS[require])


def _one(completion: str, require: str, partial: float, answer_only: str, answer_tag: str, inline: bool) -> Any:
    if inline and len(completion) > INLINE_MAX_CHARS:
        return DEFER
    found = find_json(response_text(completion, answer_only, answer_tag), require)
    if found.ok:
        return 1.0
    if partial <= 0.0:
        return 0.0
    if inline:
        return DEFER  # the repair pass runs in a worker, under the deadline
    ok, value = loads_repaired(found.text)
    return partial if ok and _kind_ok(value, require) else 0.0


def valid(*, completions: list[str], prompts: list[str], require: str, partial: float,
          answer_only: str, answer_tag: str) -> list[float]:
    """1 for a JSON value of the required kind; ``partial`` when it parses only after repair; else 0."""
    return [_one(c, require, partial, answer_only, answer_tag, False) for c in completions]


def valid_fast(*, completions: list[str], prompts: list[str], require: str, partial: float,
               answer_only: str, answer_tag: str) -> list[Any]:
    """Inline: strict parses (C parser, linear) are decided here; repairs and completions over
    ``INLINE_MAX_CHARS`` are deferred to a worker."""
    return [_one(c, require, partial, answer_only, answer_tag, True) for c in completions]
