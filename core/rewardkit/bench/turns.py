"""``rewardkit bench --turns``: per-turn figures of the rewards that have a per-turn mode (rewardkit.turns).

For each such reward: per assistant-turn index, how many completions reach that turn, how many of those
turns the reward judged, and the mean judged value; written to ``<out>/turns.json`` and printed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def per_turn_figures(data: str | Path, rewards: Sequence[str], *, completion_col: str = "completion",
                     prompt_col: str | None = None, mapping: Mapping[str, str] | None = None,
                     limit: int | None = None) -> dict[str, Any]:
    """Score ``data`` per turn with each reward of ``rewards`` (``NAME[:k=v]``) that has a per-turn mode."""
    from ..data import column, read_rows
    from ..reward import reward
    from ..rewardspec_arg import parse_reward_arg
    from ..trajectory import TRAJECTORY
    from ..turns import score_turns, turn_stats

    rows = read_rows(data)
    if limit:
        rows.rows = rows.rows[:limit]
    completions = column(rows, completion_col)
    if prompt_col is None and "prompt" in rows.columns:
        prompt_col = "prompt"
    prompts = column(rows, prompt_col) if prompt_col else None
    mapping = dict(mapping or {})
    out: dict[str, Any] = {"rows": len(completions), "rewards": {}, "skipped": {}}
    for arg in rewards:
        name, params = parse_reward_arg(arg)
        bound = reward(name, **params)
        if bound.spec.turns is None:
            out["skipped"][arg] = "no per-turn mode"
            continue
        cols = {c: column(rows, mapping.get(c, c)) for c in bound.columns if c != TRAJECTORY or c in mapping}
        out["rewards"][arg] = turn_stats(score_turns(bound, completions, prompts=prompts, **cols))
    return out


def write_and_print(figures: dict[str, Any], out: str | Path, echo: Any) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / "turns.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    for name, stats in figures["rewards"].items():
        cells = ", ".join(f"turn {r['turn']}: {r['judged']}/{r['completions']} judged, mean "
                          + ("-" if r["mean"] is None else f"{r['mean']:.3f}") for r in stats["turns"])
        echo(f"{name} per turn: {cells}; errors {stats['counts']['error']}, timeouts {stats['counts']['timeout']}")
    for name, why in figures["skipped"].items():
        echo(f"{name}: {why} (no per-turn figures)")
    echo(f"wrote {Path(out) / 'turns.json'}")
