"""The schema of a config table: :class:`Key` and the checks of one table against its keys.

Shared by :mod:`rewardkit.train.config` and :mod:`rewardkit.train.environment_config`; it imports
neither, so they do not import each other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..suggest import close_matches
from ..terms import ConfigError


@dataclass(frozen=True)
class Key:
    """One config key: accepted types, default, allowed choices and a one-line help."""

    types: tuple[type, ...]
    default: Any = None
    choices: tuple[Any, ...] | None = None
    help: str = ""
    min: float | None = None
    max: float | None = None


def _type_name(types: Iterable[type]) -> str:
    names = {bool: "true/false", int: "an integer", float: "a number", str: "a string", dict: "a table", list: "an array"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def check_table(table: Any, schema: Mapping[str, Key], where: str) -> dict[str, Any]:
    """Check one table against ``schema``; return it with defaults filled in."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table, got {type(table).__name__}")
    for k in table:
        if k not in schema:
            raise ConfigError(f"{where}.{k}: unknown key{close_matches(k, schema) or known_names(schema)}")
    out: dict[str, Any] = {}
    for k, spec in schema.items():
        if k not in table:
            out[k] = spec.default
            continue
        v = table[k]
        ok = isinstance(v, spec.types) and not (isinstance(v, bool) and bool not in spec.types)
        if not ok:
            raise ConfigError(f"{where}.{k}: expected {_type_name(spec.types)}, got {type(v).__name__} {v!r}")
        if spec.choices is not None and isinstance(v, str) and v not in spec.choices:
            raise ConfigError(f"{where}.{k}: {v!r} is not one of {list(spec.choices)}{close_matches(v, spec.choices)}")
        if isinstance(v, float) and not math.isfinite(v):
            raise ConfigError(f"{where}.{k}: must be finite, got {v!r}")
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            check_bounds(f"{where}.{k}", v, spec.min, spec.max)
        out[k] = v
    return out


def check_bounds(where: str, value: float, lo: float | None, hi: float | None) -> None:
    """Raise a ConfigError naming ``where`` when ``value`` lies outside ``[lo, hi]``."""
    if lo is not None and value < lo:
        raise ConfigError(f"{where}: must be >= {lo}, got {value!r}")
    if hi is not None and value > hi:
        raise ConfigError(f"{where}: must be <= {hi}, got {value!r}")


def known_names(names: Iterable[str]) -> str:
    """`` (known: a, b, ...)`` for a short list of names, else ``""`` (an error message's tail)."""
    names = list(names)
    return f" (known: {', '.join(names)})" if len(names) <= 12 else ""


__all__ = ["Key", "check_bounds", "check_table", "known_names"]
