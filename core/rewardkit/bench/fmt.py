"""Number formatting shared by the bench report, the baseline comparison and the command (no import cycle)."""

from __future__ import annotations

import math
from typing import Any


def fmt(x: Any, digits: int = 4) -> str:
    """A table cell: ``-`` for None, lower-case booleans, 4 significant digits, thousands separators."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, float):
        if not math.isfinite(x):
            return str(x)
        return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:,.0f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def keep_whole(table: Any, column: int = 0) -> None:
    """Never cut the cells of ``column`` (reward names) in a rich table: no wrapping, room for the longest."""
    col = table.columns[column]
    cells = [str(c) for c in col._cells] + [str(col.header)]
    col.no_wrap = True
    col.min_width = max(len(c) for c in cells)
