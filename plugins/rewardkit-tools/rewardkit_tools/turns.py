"""Per-turn modes of ``tools.call_format`` and ``tools.result_used`` (``rewardkit.turns``).

Each returns, per completion, one value per assistant message of the trajectory, ``None`` for a turn
it does not judge; the host validates the shape and a composite term reduces it (``turns = "last" |
"mean" | "discounted"``).
"""

from __future__ import annotations

import json
from typing import Any

from rewardkit.utils import response_text

from .calls import HIDDEN_CALL, is_error, paired, well_formed
from .rewards import _echo, _uses
from .specs import declared


def _assistant(trajectory: list[dict[str, Any]]) -> list[int]:
    return [m for m, message in enumerate(trajectory) if message.get("role") == "assistant"]


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    return content if isinstance(content, str) else json.dumps(content) if content else ""


def call_format_turns(*, completions: list[str], prompts: list[str], trajectory: list[Any], tools: list[Any],
                      require_call: bool) -> list[Any]:
    """Per assistant turn: 1 when every call it made is well-formed (declared tool, schema-valid JSON
    arguments, accepted by the tool), 0 when one is not or a call is written into its text; ``None`` for
    a turn without calls. With ``require_call`` a trajectory without any call scores 0 on its last turn."""
    out: list[Any] = []
    for row, (traj, spec) in enumerate(zip(trajectory, tools)):
        decl = declared(spec, row)
        ok: dict[int, list[bool]] = {}
        for call, result in paired(traj):
            good = well_formed(call, decl) and not (result is not None and is_error(result.content))
            ok.setdefault(call.message, []).append(good)
        turns: list[float | None] = []
        for m in _assistant(traj):
            verdicts = ok.get(m, []) + ([False] if HIDDEN_CALL.search(_text(traj[m])) else [])
            turns.append(float(all(verdicts)) if verdicts else None)
        if require_call and turns and all(v is None for v in turns):
            turns[-1] = 0.0
        out.append(turns)
    return out


def result_used_turns(*, completions: list[str], prompts: list[str], trajectory: list[Any],
                      answer_only: str) -> list[Any]:
    """Per assistant turn with text after a tool result that is not an error: 1 when the text states what a
    tool returned so far (as ``tools.result_used`` reads a final answer), else 0; ``None`` for other turns."""
    out: list[Any] = []
    for prompt, traj in zip(prompts, trajectory):
        answered = [(c, r) for c, r in paired(traj) if r is not None and not is_error(r.content)]
        turns: list[float | None] = []
        for m in _assistant(traj):
            before = [(c, r) for c, r in answered if r.message < m]
            text = _text(traj[m])
            if not before or not text.strip():
                turns.append(None)
                continue
            usable = [r.content for c, r in before if not _echo(c, r.content)]
            turns.append(float(bool(usable) and _uses(response_text(text, answer_only), prompt, usable)))
        out.append(turns)
    return out
