"""Argument checks shared by the IFEval and IFBench checkers (a module of its own: no import cycle)."""

from __future__ import annotations

from typing import Any


class InstructionError(ValueError):
    """An instruction id or argument the checks cannot use; the message names both."""


def _int(iid: str, key: str, value: Any, lo: int = 0) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InstructionError(f"instruction {iid!r}: {key!r} must be an integer, got {value!r}")
    if value < lo:
        raise InstructionError(f"instruction {iid!r}: {key!r} must be >= {lo}, got {value}")
    return value


def _str(iid: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InstructionError(f"instruction {iid!r}: {key!r} must be a non-empty string, got {value!r}")
    return value.strip()
