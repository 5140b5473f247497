"""GSM8K, shipped with rewardkit: loading the splits and extracting gold answers."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

SPLITS = ("train", "test", "completions")
_GOLD_RE = re.compile(r"(?:####|(?:^|\n)\s*A:)\s*(.+?)\s*$", re.S)


def data_path(split: str) -> Path:
    """Path of a bundled file: ``train``, ``test`` or ``completions`` (stored model completions)."""
    if split not in SPLITS:
        raise ValueError(f"GSM8K split must be one of {list(SPLITS)}, got {split!r}")
    return Path(str(resources.files("rewardkit") / "data" / "gsm8k" / f"{split}.jsonl"))


def load(split: str, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of a bundled split, in file order."""
    rows = []
    with data_path(split).open(encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


def gold_answer(solution: str) -> str | None:
    """The final answer of a GSM8K worked solution (after ``#### `` or a final ``A: ``), commas removed.

    >>> gold_answer("... so 3 + 4 = <<3+4=7>>7\\n#### 7")
    '7'
    >>> gold_answer("Total is $1,200\\nA: 1,200")
    '1200'
    """
    m = _GOLD_RE.search(solution.strip())
    if not m:
        return None
    answer = m.group(1).strip().splitlines()[0].strip()
    return answer.replace(",", "") or None


def reasoning(solution: str) -> str:
    """The worked steps of a GSM8K solution without the final-answer line and ``<<...>>`` calculator notes."""
    text = re.split(r"\n?\s*(?:####|A:)", solution)[0]
    return re.sub(r"<<[^<>]*>>", "", text).strip()
