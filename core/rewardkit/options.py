"""Term options and their checks: defaults, error policies, deadlines, host options.

The lowest layer of term configuration: it imports no rewardkit module but :mod:`rewardkit.errors`,
so every module (``spec``, ``isolation``, ``composite``, ``terms``) can check an option without
importing the modules that build rewards. :mod:`rewardkit.terms` re-exports every name here and adds
what builds rewards and composites from a config.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

from .errors import CompositeError, ParameterError

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


__all__ = ["DEFAULT_ON_ERROR", "DEFAULT_TIMEOUT", "ERROR_POLICIES", "HOST_OPTIONS", "LEGACY_ERROR_POLICIES",
           "MAX_TIMEOUT", "check_on_error", "check_timeout", "host_options"]
