"""``ifeval.strict`` and ``ifeval.loose``: the share of a row's instructions the response follows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from rewardkit import DEFER
from rewardkit.utils import response_text

from .checkers import Check, InstructionError, build

#: Completions up to this size are scored inline (the fast path); longer ones go to a worker
#: process under the deadline (a 1 MB multi-line response checked against all 25 IFEval
#: instructions with the 8 loose variants takes seconds).
INLINE_MAX_CHARS = 100_000


def _decoded(value: Any, row: int, column: str) -> Any:
    """A cell as stored: a list/dict, or JSON text of one (CSV and some Parquet exports)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise InstructionError(
                f"column {column!r}, row {row}: expected a list, got the text {value[:80]!r}"
            ) from None
    return value


def _plain(value: Any) -> Any:
    """numpy arrays and scalars (pandas/Parquet cells) as Python lists and numbers."""
    return value.tolist() if hasattr(value, "tolist") else value


def row_instructions(ids: Any, kwargs: Any, row: int) -> list[tuple[str, dict[str, Any]]]:
    """The (instruction id, kwargs) pairs of one row, checked for shape."""
    ids = _plain(_decoded(ids, row, "instruction_id_list"))
    if isinstance(ids, tuple):
        ids = list(ids)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InstructionError(
            f"column 'instruction_id_list', row {row}: expected a list of instruction ids, got {ids!r}"[:300]
        )
    kwargs = _plain(_decoded(kwargs, row, "kwargs")) if kwargs is not None else [None] * len(ids)
    if not isinstance(kwargs, (list, tuple)) or len(kwargs) != len(ids):
        raise InstructionError(
            f"column 'kwargs', row {row}: expected a list of {len(ids)} dicts (one per instruction), "
            f"got {kwargs!r}"[:300]
        )
    out = []
    for iid, kw in zip(ids, kwargs):
        if kw is not None and not isinstance(kw, dict):
            raise InstructionError(
                f"column 'kwargs', row {row}: instruction {iid!r} has {kw!r}, expected a dict"[:300]
            )
        out.append((iid, {k: _plain(v) for k, v in (kw or {}).items()}))
    return out


@lru_cache(maxsize=4096)
def _cached_check(iid: str, frozen_kwargs: str) -> Check:
    return build(iid, json.loads(frozen_kwargs))


def compiled(iid: str, kwargs: dict[str, Any]) -> Check:
    """The check for one instruction, cached by its id and arguments."""
    try:
        key = json.dumps(kwargs, sort_keys=True)
    except (TypeError, ValueError):
        return build(iid, kwargs)  # unusual values: validated (and rejected) there
    return _cached_check(iid, key)


def loose_variants(response: str) -> list[str]:
    """The reference's loose variants: without the first and/or last line, without ``*``."""
    lines = response.split("\n")
    cut = ["\n".join(lines[1:]).strip(), "\n".join(lines[:-1]).strip(), "\n".join(lines[1:-1]).strip()]
    return [response, response.replace("*", ""), *cut, *(c.replace("*", "") for c in cut)]


def followed(check: Check, response: str, loose: bool) -> bool:
    """Whether ``response`` (or, when loose, any of its variants) follows the instruction."""
    candidates = loose_variants(response) if loose else [response]
    return any(c.strip() and check(c) for c in candidates)


def score_row(
    response: str, instructions: list[tuple[str, dict[str, Any]]], loose: bool, aggregate: str
) -> float | None:
    """Share of instructions followed (``aggregate="share"``), or 1/0 for all of them (``"all"``)."""
    if not instructions:
        return None
    checks = [compiled(iid, kw) for iid, kw in instructions]  # every id validated before scoring
    hits = [followed(c, response, loose) for c in checks]
    if aggregate == "all":
        return float(all(hits))
    return sum(hits) / len(hits)


def _score(loose: bool, completions: Sequence[str], ids: Sequence[Any], kwargs: Sequence[Any],
           answer_only: str, answer_tag: str, aggregate: str, inline: bool = False) -> list[Any]:
    out: list[Any] = []
    for row, (completion, row_ids, row_kwargs) in enumerate(zip(completions, ids, kwargs)):
        instructions = row_instructions(row_ids, row_kwargs, row)  # bad rows fail here, inline
        if inline and len(completion) > INLINE_MAX_CHARS:
            out.append(DEFER)
            continue
        response = response_text(completion, answer_only, answer_tag)
        out.append(score_row(response, instructions, loose, aggregate))
    return out


def strict(*, completions: list[str], prompts: list[str], instruction_id_list: list[Any], kwargs: list[Any],
           answer_only: str, answer_tag: str, aggregate: str) -> list[float | None]:
    """IFEval strict: each instruction checked on the response as it is."""
    return _score(False, completions, instruction_id_list, kwargs, answer_only, answer_tag, aggregate)


def loose(*, completions: list[str], prompts: list[str], instruction_id_list: list[Any], kwargs: list[Any],
          answer_only: str, answer_tag: str, aggregate: str) -> list[float | None]:
    """IFEval loose: an instruction counts when the response or one of its 7 variants follows it."""
    return _score(True, completions, instruction_id_list, kwargs, answer_only, answer_tag, aggregate)


def strict_fast(*, completions: list[str], prompts: list[str], instruction_id_list: list[Any], kwargs: list[Any],
                answer_only: str, answer_tag: str, aggregate: str) -> list[Any]:
    """The inline path of ``ifeval.strict``: very long completions are deferred to a worker."""
    return _score(False, completions, instruction_id_list, kwargs, answer_only, answer_tag, aggregate, True)


def loose_fast(*, completions: list[str], prompts: list[str], instruction_id_list: list[Any], kwargs: list[Any],
               answer_only: str, answer_tag: str, aggregate: str) -> list[Any]:
    """The inline path of ``ifeval.loose``: very long completions are deferred to a worker."""
    return _score(True, completions, instruction_id_list, kwargs, answer_only, answer_tag, aggregate, True)
