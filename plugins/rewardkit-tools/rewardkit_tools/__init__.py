"""rewardkit-tools: rewards for agent trajectories (tool calls and tool results).

A completion here is a trajectory, a list of chat messages with assistant ``tool_calls`` (OpenAI
shape) and ``tool`` messages; the host passes it to these rewards as the ``trajectory`` column
(see docs/agents.md) and the final answer as the completion text. The declared tools come from
the ``tools`` column: a list of OpenAI-style tool specs per row.

* ``tools.call_format``: 1 when every call names a declared tool with JSON arguments valid against its
  schema (``jsonschema``) and the tool accepted it, else 0 (per completion: valid calls do not pad a
  malformed one); a call written into the text instead of made is a failed call.
* ``tools.efficiency``: calls used vs a ``budget`` (1 within it, 0 at twice it; 0 when any call is
  malformed; not applicable without calls).
* ``tools.result_used``: the final answer states what a tool returned (a value, not denied or offered as
  one of several; never an error result, never a result that echoes the call's own arguments).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rewardkit
from rewardkit import Param
from rewardkit.utils import ANSWER_ONLY

from . import probes
from .rewards import call_format, call_format_fast, efficiency, efficiency_fast, result_used
from .turns import call_format_turns, result_used_turns

__all__ = ["call_format", "efficiency", "result_used"]

_EXAMPLES = {"tools": probes.TOOLS}


@rewardkit.hookimpl
def rewardkit_register_rewards(register: Callable[..., Any]) -> None:
    register(
        call_format, name="tools.call_format", fast_path=call_format_fast, cost="cpu", timeout=10.0,
        turns=call_format_turns,  # per-turn mode: one value per assistant turn (rewardkit.turns)
        columns=("trajectory", "tools"), examples=_EXAMPLES, range=(0.0, 1.0),
        description="1 when every tool call names a declared tool with schema-valid JSON arguments the tool accepted",
        params={"require_call": Param(False, help="score 0 (not 'not applicable') when no tool was called")},
    )
    register(
        efficiency, name="tools.efficiency", fast_path=efficiency_fast, cost="cpu", timeout=10.0,
        columns=("trajectory", "tools"), examples=_EXAMPLES, range=(0.0, 1.0),
        description="Tool calls used vs a budget: 1 within it, 0 at twice it or when a call is malformed",
        params={"budget": Param(3, min=1, help="calls allowed at full score")},
    )
    register(
        result_used, name="tools.result_used", columns=("trajectory",), range=(0.0, 1.0), turns=result_used_turns,
        description="1 when the final answer states a value a tool returned (not an error, not an echo of its call)",
        params={"answer_only": Param("auto", choices=ANSWER_ONLY,
                                     help="read the <answer> span: auto (when present, else after </think>), yes, no")},
    )


@rewardkit.hookimpl
def rewardkit_register_probes(register: Callable[..., Any]) -> None:
    register("tool_undeclared", probes.undeclared_tool, targets=("tools.call_format", "tools.efficiency"),
             description="calls to tools the row does not declare (gold answer)")
    register("tool_bad_arguments", probes.bad_arguments, targets=("tools.call_format", "tools.efficiency"),
             description="calls whose arguments are not JSON or break the tool's schema")
    register("tool_result_ignored", probes.ignores_result, targets=("tools.result_used",),
             description="a good call whose result the final answer does not state")
    register("tool_cheap_call", probes.cheap_calls,
             targets=("tools.call_format", "tools.efficiency", "tools.result_used"),
             description="calls that do no work: the answer echoed through the tool, valid calls padding a "
                         "malformed one, a call the tool rejected")
    register("tool_call_in_text", probes.call_in_text,
             targets=("tools.call_format", "tools.efficiency", "tools.result_used"),
             description="a tool call written as text instead of made (it never ran)")
