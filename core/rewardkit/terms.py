"""Term configuration, in one place: host options, error policies, deadlines and the ``[[reward]]`` reader.

A term is a reward with its settings, however it is written: ``-r NAME:k=v,...`` (serve, bench,
probe), ``rewardkit.remote(url, "NAME:k=v")``, a ``[[reward]]`` table of a training config. Its
settings are of two kinds:

- the reward's own **parameters**, validated by the reward (:meth:`RewardSpec.resolve_params`);
- the **host options** the host applies itself (:data:`HOST_OPTIONS`): ``timeout`` (the per-item
  deadline) and ``columns`` (which data column feeds which reward column). No reward may declare
  a parameter with these names (``spec.RESERVED``).

:func:`host_options` tells them apart and :func:`bind` builds the bound reward; every caller that
holds a parameter mapping goes through them, so ``NAME:timeout=5`` sets the deadline wherever it
is written. The defaults (:data:`DEFAULT_TIMEOUT`, :data:`DEFAULT_ON_ERROR`) and the checks
(:func:`check_timeout`, :func:`check_on_error`) are defined in :mod:`rewardkit.options` (which imports
no rewardkit module but ``errors``) and re-exported here. The reader of a config's terms
(:func:`composite_from_config`, used by ``rewardkit train``, ``bench --config`` and ``serve --config``)
lives here, above :mod:`rewardkit.composite` and :mod:`rewardkit.reward`. This module imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import RewardkitError
from .options import (
    DEFAULT_ON_ERROR,
    DEFAULT_TIMEOUT,
    ERROR_POLICIES,
    HOST_OPTIONS,
    LEGACY_ERROR_POLICIES,
    MAX_TIMEOUT,
    check_on_error,
    check_timeout,
    host_options,
)


class ConfigError(RewardkitError, ValueError):
    """A config is invalid; the message names the key (``section.key``, ``reward[1].weight``)."""


def bind(name: str, params: Mapping[str, Any] | None = None, *, timeout: Any = None, columns: Any = None) -> Any:
    """The registered reward ``name`` bound to ``params``, host options taken out first (see :func:`host_options`)."""
    from .reward import reward

    own, options = host_options(params, timeout=timeout, columns=columns, where=name)
    return reward(name, **options, **own)


def composite_from_config(raw: Mapping[str, Any]) -> Any:
    """The composite a config trains on: its ``[[reward]]`` terms with ``allow_negative``, ``on_error``
    and ``max_dropped_fraction``.

    The one reader of those keys, shared by ``rewardkit train``, ``rewardkit bench --config`` and
    ``rewardkit serve --config``. Raises :class:`ConfigError` naming the key.
    """
    allow_negative = raw.get("allow_negative", False)
    if not isinstance(allow_negative, bool):
        raise ConfigError(f"allow_negative: expected true/false, got {allow_negative!r}")
    try:
        on_error = check_on_error(raw.get("on_error", DEFAULT_ON_ERROR))
    except RewardkitError as exc:
        raise ConfigError(str(exc)) from None
    rewards = raw.get("reward")
    if rewards is None or rewards == []:
        raise ConfigError("reward: no [[reward]] terms; add at least one, e.g. [[reward]] name = \"format.tags\"")
    if isinstance(rewards, dict):
        raise ConfigError("reward: write the terms as an array of tables, [[reward]], not [reward]")
    mdf = raw.get("max_dropped_fraction")
    if mdf is not None and (not isinstance(mdf, (int, float)) or isinstance(mdf, bool) or not 0 <= mdf <= 1):
        raise ConfigError(f"max_dropped_fraction: expected a number in [0, 1] (the share of a step's completions "
                          f"that may be dropped before the failure-spike alarm), got {mdf!r}")
    return build_composite(rewards, allow_negative=allow_negative, on_error=on_error, max_dropped_fraction=mdf)


def build_composite(terms: Any, *, allow_negative: bool, on_error: str,
                    max_dropped_fraction: float | None = None, where: str = "reward") -> Any:
    """Build a composite from term tables (names, params, gates and the sign guarantee are checked)."""
    from .composite import Composite

    try:
        return Composite.from_config(terms, allow_negative=allow_negative, on_error=on_error,
                                     max_dropped_fraction=max_dropped_fraction, where=where)
    except RewardkitError as exc:
        raise ConfigError(str(exc)) from None


__all__ = ["DEFAULT_ON_ERROR", "DEFAULT_TIMEOUT", "ERROR_POLICIES", "HOST_OPTIONS", "LEGACY_ERROR_POLICIES", "MAX_TIMEOUT",
           "ConfigError",
           "bind", "build_composite", "check_on_error", "check_timeout", "composite_from_config", "host_options"]
