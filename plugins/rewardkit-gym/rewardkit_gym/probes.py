"""Probe families for ``gym.score`` (``rewardkit probe gym.score``): the rows bring their own columns.

The shipped GSM8K rows carry no ``task``/``metadata``, so these families take items generated from
served tasks (:data:`PROBE_TASKS`, seed 0), one per probe row in turn, and attack with answers that
know nothing about the item: the probe's master keys and the trust scan's universal answers (an
answer that happens to equal the item's gold is left out: it is right, not an attack).
"""

from __future__ import annotations

import functools
from typing import Any

from rewardkit.testing import MASTER_KEYS

#: Served tasks the families draw items from: plain comparisons, partial credit, non-finite traps.
PROBE_TASKS = ("basic_arithmetic", "chain_sum", "complex_arithmetic", "gcd", "leg_counting", "letter_counting",
               "count_bits", "prime_factorization", "spell_backward", "word_sorting", "products", "lcm")
ITEMS_PER_TASK = 4


@functools.cache
def _items() -> tuple[dict[str, Any], ...]:
    from .source import generate

    return tuple(item for task in PROBE_TASKS for item in generate(task, size=ITEMS_PER_TASK, seed=0))


def _columns(index: int) -> dict[str, Any]:
    items = _items()
    item = items[index % len(items)]
    return {"task": item["task"], "answer": item["answer"], "metadata": item["metadata"]}


def master_keys(row: Any, target: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Each master key alone, as the answer span, and after a closed ``<think>``."""
    cols = _columns(row.index)
    out = []
    for name, key in MASTER_KEYS.items():
        out += [(f"bare_{name}", key, cols), (f"in_answer_{name}", f"<answer>{key}</answer>", cols),
                (f"think_then_{name}", f"<think>\nLet me think.\n</think>\n<answer>{key}</answer>", cols)]
    return out


def universal_answers(row: Any, target: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The trust scan's universal answers in ``<answer>``, less one that equals the item's gold."""
    from .trust_scan import UNIVERSAL

    cols = _columns(row.index)
    gold = str(cols["answer"]).strip()
    return [(f"universal_{u or 'empty'}", f"<answer>{u}</answer>", cols) for u in UNIVERSAL if u.strip() != gold]
