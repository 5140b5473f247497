"""Exploit probes: attack rewards with families of completions that must not pass (``rewardkit probe``)."""

from __future__ import annotations

from .api import ProbeError, families, markdown, probe, worst
from .families import Family, ProbeRow

__all__ = ["Family", "ProbeError", "ProbeRow", "families", "markdown", "probe", "worst"]
