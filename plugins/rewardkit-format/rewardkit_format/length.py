"""Token counting (a local tokenizer, or a character-count estimate) and the over-length reward."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any


def check_tokenizer(path: str) -> None:
    """A tokenizer is a local path only: nothing is ever fetched from a hub."""
    if path and not Path(path).exists():
        raise ValueError(
            f"tokenizer {path!r} is not a local file or folder (only local paths are accepted; "
            "nothing is downloaded). Leave it empty to count characters instead"
        )


@lru_cache(maxsize=8)
def load_counter(path: str) -> Callable[[list[str]], list[int]]:
    """A batch token counter for the tokenizer at ``path`` (a folder, or a tokenizer.json file)."""
    p = Path(path)
    if p.is_file():
        from tokenizers import Tokenizer

        tok: Any = Tokenizer.from_file(str(p))
        return lambda texts: [len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)]
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(p), local_files_only=True)
    return lambda texts: [len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]]


def lengths(texts: list[str], tokenizer: str, chars_per_token: float) -> list[float]:
    """Token counts with ``tokenizer``, else ``len(text) / chars_per_token``."""
    if tokenizer:
        return [float(n) for n in load_counter(tokenizer)(texts)]
    return [len(t) / chars_per_token for t in texts]


def soft_overlong(length: float, max_length: int, buffer: int) -> float:
    """DAPO's soft over-length penalty shifted onto [0, 1]: 1 up to ``max_length - buffer``,
    then linearly down to 0 at ``max_length``, and 0 beyond. Equals ``1 + penalty``."""
    start = max_length - buffer
    if length <= start:
        return 1.0
    if length <= max_length:
        return 1.0 + (start - length) / buffer
    return 0.0


def check_params(params: dict) -> None:
    if params["buffer"] > params["max_length"]:
        raise ValueError(f"buffer ({params['buffer']}) must not exceed max_length ({params['max_length']})")
    check_tokenizer(params["tokenizer"])


def overlong(
    *, completions: list[str], prompts: list[str], max_length: int, buffer: int, tokenizer: str,
    chars_per_token: float,
) -> list[float]:
    """1 for completions comfortably short, sliding to 0 over the last ``buffer`` tokens."""
    out = []
    for n in lengths(completions, tokenizer, chars_per_token):
        v = soft_overlong(n, max_length, buffer)
        out.append(min(1.0, max(0.0, v)) if math.isfinite(v) else 0.0)
    return out
