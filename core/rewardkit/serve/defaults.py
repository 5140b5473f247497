"""The server's default reward (what /get_reward and a request naming nothing use).

It is kept as a plain, picklable spec so every Ray Serve replica builds its own copy.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import RewardkitError
from .scoring import Target


def spec_from_args(config: str | None, rewards: Sequence[str]) -> dict[str, Any]:
    """``--config TRAIN.toml`` (its [[reward]] terms) or ``-r NAME[:k=v]`` (one reward, or equal weights)."""
    if config and rewards:
        raise RewardkitError("serve: give --config or -r/--reward, not both")
    if config:
        path = Path(config)
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise RewardkitError(f"serve: cannot read --config {config}: {exc}") from None
        keys = ("reward", "on_error", "allow_negative")
        return {"kind": "config", "raw": {k: raw[k] for k in keys if k in raw}, "source": str(path)}
    if not rewards:
        return {}
    from ..rewardspec_arg import parse_reward_arg

    parsed = [parse_reward_arg(r) for r in rewards]
    if len(parsed) == 1:
        return {"kind": "reward", "name": parsed[0][0], "params": parsed[0][1]}
    return {"kind": "composite", "terms": [{"name": n, "params": p} for n, p in parsed]}


def build_default(spec: dict[str, Any]) -> Target | None:
    """Build the reward or composite a spec describes (validated now, before serving)."""
    kind = spec.get("kind")
    if not kind:
        return None
    if kind == "reward":
        from ..reward import reward

        return reward(spec["name"], **spec.get("params", {}))
    if kind == "composite":
        from ..composite import Composite

        return Composite.from_config(spec["terms"], where="-r")
    if kind == "config":
        from ..terms import composite_from_config

        return composite_from_config(spec["raw"])
    raise RewardkitError(f"serve: unknown default kind {kind!r}")
