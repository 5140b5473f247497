"""``keywords.coverage``: the share of a row's keywords that appear in the completion."""

from __future__ import annotations

import re
from typing import Any


def as_keywords(value: Any) -> list[str]:
    """A row's keywords: a list of strings, or one comma-separated string. Blanks are dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        raise TypeError(f"keywords must be a list of strings or a comma-separated string, got {type(value).__name__}")
    return [k.strip() for k in items if k.strip()]


def _pattern(keyword: str, match: str, case_sensitive: bool) -> re.Pattern[str]:
    body = re.escape(keyword)
    if match == "word":  # not inside a longer word: 'cat' does not match 'concatenate'
        body = rf"(?<!\w){body}(?!\w)"
    return re.compile(body, 0 if case_sensitive else re.IGNORECASE)


def coverage(
    *,
    completions: list[str],
    prompts: list[str],
    keywords: list[Any],
    match: str = "word",
    case_sensitive: bool = False,
) -> list[float | None]:
    """For each completion, found keywords / listed keywords; None when the row lists none."""
    scores: list[float | None] = []
    for text, row_keywords in zip(completions, keywords):
        wanted = list(dict.fromkeys(as_keywords(row_keywords)))
        if not wanted:
            scores.append(None)  # "not applicable": this row asks for nothing
            continue
        found = sum(1 for k in wanted if _pattern(k, match, case_sensitive).search(text))
        scores.append(found / len(wanted))
    return scores
