"""rewardkit-json: rewards for structured (JSON) output.

``json.valid`` (the completion holds a JSON value: from the ``<answer>`` span, a fenced block or
the text), ``json.schema`` (validated with ``jsonschema``: share of the schema's required fields
valid, or strict all-or-nothing) and ``json.match`` (field-level agreement with a gold JSON,
numbers within a tolerance). Finding the JSON is linear in the completion (the C parser, at most
16 start positions); the repair pass for almost-JSON and schema validation run in worker
processes under a 30 s per-item deadline (a 6 MB document's repair takes 1 to 8 s on a loaded
2-core machine).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rewardkit
from rewardkit import Param
from rewardkit.utils import ANSWER_ONLY

from .match import match, match_fast
from .schema import schema_reward
from .valid import valid, valid_fast

__all__ = ["match", "schema_reward", "valid"]

_ANSWER = {
    "answer_only": Param("auto", choices=ANSWER_ONLY,
                         help="look in the <answer> span: auto (when present, else after </think>), yes, no"),
    "answer_tag": Param("answer", help="tag whose last span holds the answer"),
}


@rewardkit.hookimpl
def rewardkit_register_probes(register: Callable[..., Any]) -> None:
    """A probe family that brings the gold and schema columns json.match and json.schema read."""
    from . import probes

    register("json.master_keys", probes.master_keys, targets=("json.match", "json.schema"),
             description="master keys and non-finite numbers as the JSON answer (gold and schema from the row)")


@rewardkit.hookimpl
def rewardkit_register_rewards(register: Callable[..., Any]) -> None:
    register(
        valid, name="json.valid", fast_path=valid_fast, cost="cpu", timeout=30.0,
        description="1 when the completion holds a JSON value of the required kind, partial credit after repair",
        range=(0.0, 1.0),
        params={
            "require": Param("object", choices=("object", "array", "any"), help="the kind of top-level JSON value"),
            "partial": Param(0.0, min=0.0, max=1.0,
                             help="score for almost-JSON that parses after repair "
                                  "(quotes, trailing commas, truncation)"),
            **_ANSWER,
        },
    )
    register(
        schema_reward, name="json.schema", cost="cpu", timeout=30.0, columns=("schema",),
        examples={"schema": {"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}},
        description="JSON Schema check (jsonschema): share of the schema's required fields valid, or strict 1/0",
        range=(0.0, 1.0),
        params={
            "strict": Param(False, help="1 only when the whole value validates, else 0"),
            "repair": Param(False, help="also accept almost-JSON after repair (quotes, trailing commas, truncation)"),
            **_ANSWER,
        },
    )
    register(
        match, name="json.match", cost="cpu", fast_path=match_fast, timeout=30.0, columns=("gold",),
        description="Field-level agreement of the completion's JSON with the gold JSON (numbers within tolerance)",
        range=(0.0, 1.0),
        params={
            "mode": Param("recall", choices=("recall", "f1"),
                          help="recall: share of gold fields matched; f1: also penalise extra fields"),
            "rel_tol": Param(1e-6, min=0.0, help="relative tolerance for numbers"),
            "abs_tol": Param(1e-9, min=0.0, help="absolute tolerance for numbers"),
            "strings": Param("strip", choices=("exact", "strip", "casefold"),
                             help="string comparison: exact, blanks collapsed (strip), or also case-folded"),
            **_ANSWER,
        },
    )
