"""What the peer integrations share: build a reward or composite from a peer's settings, and score it
item by item into outcomes (value, status, message, per-term values).

Peers load some of these modules by file path (verl, OpenRLHF), so they use absolute imports.
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rewardkit.errors import RewardkitError

_built: dict[str, Any] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    """One item's result: ``value`` (None unless status is ``value``), ``status`` (value, none, error,
    timeout), the error's ``message``, and the shaped value of each composite term (the reward's own
    name for a single reward)."""

    value: float | None
    status: str
    message: str | None = None
    terms: dict[str, float | None] = field(default_factory=dict)


def build(reward: Any = None, config: str | None = None) -> Any:
    """The reward or composite named by ``reward`` (``"NAME:k=v"``, a list of them for equal weights, or
    a list of ``[[reward]]`` tables) or by ``config`` (a training config's ``[[reward]]`` terms).
    Built once per distinct setting and reused (its workers load the reward once)."""
    if (reward is None) == (config is None):
        raise RewardkitError("rewardkit: give a reward (NAME:k=v, a list of them, or [[reward]] tables) "
                             "or a config (a TOML file with [[reward]] terms), not both or neither")
    key = repr((reward, config))
    with _lock:
        if key not in _built:
            _built[key] = _build(reward, config)
        return _built[key]


def _build(reward: Any, config: str | None) -> Any:
    from rewardkit.composite import Composite
    from rewardkit.reward import reward as bind
    from rewardkit.rewardspec_arg import parse_reward_arg
    from rewardkit.terms import composite_from_config

    if config is not None:
        try:
            raw = tomllib.loads(Path(config).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise RewardkitError(f"rewardkit: cannot read config {config}: {exc}") from None
        return composite_from_config({k: raw[k] for k in ("reward", "on_error", "allow_negative") if k in raw})
    terms = [reward] if isinstance(reward, (str, Mapping)) else list(reward)
    if len(terms) == 1 and isinstance(terms[0], str):
        return bind(terms[0])
    tables = []
    for term in terms:
        if isinstance(term, str):
            name, params = parse_reward_arg(term)
            tables.append({"name": name, "params": params})
        else:
            tables.append(dict(term))
    return Composite.from_config(tables, where="reward")


def outcomes(target: Any, completions: Sequence[Any], prompts: Sequence[Any] | None = None,
             **columns: Sequence[Any]) -> list[Outcome]:
    """Score ``completions`` through the host path and return one :class:`Outcome` per item."""
    from rewardkit.composite import Composite

    result = target.score(list(completions), prompts=list(prompts) if prompts is not None else None,
                          **{k: list(v) for k, v in columns.items()})
    if not isinstance(target, Composite):
        return [Outcome(v, s.value, result.messages.get(i), {result.reward: v})
                for i, (v, s) in enumerate(zip(result.values, result.statuses))]
    out = []
    for i, (total, status) in enumerate(zip(result.total, result.total_statuses)):
        messages = [f"{name}: {raw.messages[i]}" for name, raw in result.raw.items() if i in raw.messages]
        out.append(Outcome(total, status.value, "; ".join(messages) or None,
                           {name: values[i] for name, values in result.shaped.items()}))
    return out
