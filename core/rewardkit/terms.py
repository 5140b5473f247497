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
is written. The defaults (:data:`DEFAULT_TIMEOUT`, :data:`DEFAULT_ON_ERROR`), the checks
(:func:`check_timeout`, :func:`check_on_error`) and the reader of a config's terms
(:func:`composite_from_config`, used by ``rewardkit train``, ``bench --config`` and ``serve --config``)
live here too. This module imports nothing heavy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

from .errors import CompositeError, ParameterError, RewardkitError

#: Longest per-item deadline accepted (one day): longer ones overflow the OS wait calls.
MAX_TIMEOUT = 86_400.0
#: A reward's per-item deadline when neither the plugin nor the term sets one (seconds).
DEFAULT_TIMEOUT = 10.0
#: What a failed term does to its completion unless the config says otherwise (see :data:`ERROR_POLICIES`).
DEFAULT_ON_ERROR = "drop"
#: ``drop`` the whole completion (total None, every TRL term None), ``skip`` only this term, or score it ``zero``.
ERROR_POLICIES = ("drop", "skip", "zero")
#: Older names still accepted, with a DeprecationWarning: ``"none"`` was today's ``"skip"``.
LEGACY_ERROR_POLICIES = {"none": "skip"}
#: Settings the host applies itself, never passed to a reward function.
HOST_OPTIONS = ("timeout", "columns")


class ConfigError(RewardkitError, ValueError):
    """A config is invalid; the message names the key (``section.key``, ``reward[1].weight``)."""


def check_timeout(value: Any, key: str = "timeout") -> float:
    """``value`` as a per-item deadline in seconds; a clear ValueError naming ``key`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number of seconds, got {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_TIMEOUT:
        raise ValueError(f"{key} must be a finite number of seconds in (0, {MAX_TIMEOUT:g}], got {value!r}")
    return seconds


def check_on_error(value: Any, where: str = "on_error") -> str:
    """Validate an ``on_error`` policy, mapping the legacy ``"none"`` to ``"skip"`` (with a warning)."""
    if value in LEGACY_ERROR_POLICIES:
        new = LEGACY_ERROR_POLICIES[value]
        warnings.warn(f"{where}: {value!r} is now called {new!r} (the default is {DEFAULT_ON_ERROR!r}); use {new!r}",
                      DeprecationWarning, stacklevel=3)
        return new
    if value not in ERROR_POLICIES:
        raise CompositeError(
            f"{where}: expected 'drop' (an error or timeout makes the whole completion unscorable), "
            f"'skip' (leave only this term out) or 'zero' (score it 0), got {value!r}"
        )
    return str(value)


def host_options(params: Mapping[str, Any] | None, *, timeout: Any = None, columns: Any = None,
                 where: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``params`` into ``(reward parameters, host options)``.

    A host option may come inside ``params`` (``NAME:timeout=5``, ``params = {timeout = 5}``) or
    beside it (``timeout = 5`` in the table, ``timeout=`` of an API); given both ways with different
    values it is a :class:`ParameterError` naming ``where``. Options that are None are left out.
    """
    own = dict(params or {})
    given = {"timeout": timeout, "columns": columns}
    options: dict[str, Any] = {}
    for key in HOST_OPTIONS:
        inside, beside = own.pop(key, None), given[key]
        if inside is not None and beside is not None and inside != beside:
            raise ParameterError(where or "term", key, f"given twice ({inside!r} among the parameters and "
                                 f"{beside!r} beside them); set it once")
        value = beside if beside is not None else inside
        if value is not None:
            options[key] = value
    return own, options


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


__all__ = ["DEFAULT_ON_ERROR", "DEFAULT_TIMEOUT", "ERROR_POLICIES", "HOST_OPTIONS", "MAX_TIMEOUT", "ConfigError",
           "bind", "build_composite", "check_on_error", "check_timeout", "composite_from_config", "host_options"]
