"""The n-gram repetition score: the share of distinct n-grams (1 = nothing repeated)."""

from __future__ import annotations


def units(text: str, unit: str) -> list[str]:
    """Lower-cased words (whitespace split), or characters with blanks removed."""
    if unit == "chars":
        return list("".join(text.lower().split()))
    return text.lower().split()


def distinct_share(items: list[str], n: int) -> float:
    """Distinct n-grams over all n-grams; 1.0 when there are fewer than ``n`` items."""
    total = len(items) - n + 1
    if total <= 0:
        return 1.0
    if n == 1:
        return len(set(items)) / total
    return len(set(zip(*(items[i:] for i in range(n))))) / total


def repetition(*, completions: list[str], prompts: list[str], n: int, unit: str) -> list[float]:
    """1 minus the share of repeated n-grams: TRL's repetition penalty shifted onto [0, 1]."""
    return [distinct_share(units(c, unit), n) for c in completions]
