"""rewardkit-format: rewards for the layout of a completion.

``format.tags`` (soft credit for ``<think>``/``<answer>`` blocks), ``format.strict`` (the
exact layout or nothing), ``format.overlong`` (DAPO's soft over-length penalty, kept >= 0)
and ``format.repetition`` (share of distinct n-grams). All are linear-time and non-negative.
"""

from __future__ import annotations

import rewardkit
from rewardkit import Param

from .length import check_params as _check_overlong
from .length import overlong
from .repetition import repetition
from .tags import check_params as _check_tags
from .tags import strict, tags

__all__ = ["overlong", "repetition", "strict", "tags"]

_TAGS = Param(("think", "answer"), help="tag names, in the order the layout expects them", type=(list, tuple))
_PREFILL = Param(
    "auto",
    help="text the prompt pre-filled for the assistant: 'auto' (an open tag ending the prompt), 'none', or the literal text",
    type=str,
)


@rewardkit.hookimpl
def rewardkit_register_rewards(register):
    register(
        tags, name="format.tags",
        description="Soft credit: a share per clean tag block (<think>, <answer>), the rest for the exact layout",
        range=(0.0, 1.0),
        params={
            "tags": _TAGS,
            "weights": Param(None, help="one weight per tag then one for the exact layout (default 1/6, 1/3, 1/2)",
                             type=(list, tuple), nullable=True),
            "prefill": _PREFILL,
        },
        check_params=_check_tags,
    )
    register(
        strict, name="format.strict",
        description="1 only for exactly the tag blocks in order with nothing but blanks around them, else 0",
        range=(0.0, 1.0),
        params={"tags": _TAGS, "prefill": _PREFILL},
        check_params=_check_tags,
    )
    register(
        overlong, name="format.overlong",
        description="DAPO soft over-length penalty mapped onto [0, 1] (1 = short enough, 0 = over max_length)",
        range=(0.0, 1.0),
        params={
            "max_length": Param(4096, help="length (tokens) at and beyond which the score is 0", min=1),
            "buffer": Param(1024, help="the score slides from 1 to 0 over the last `buffer` tokens", min=1),
            "tokenizer": Param("", help="local tokenizer folder or tokenizer.json; empty: estimate from characters",
                               kind="path"),
            "chars_per_token": Param(4.0, help="characters per token for the estimate without a tokenizer", min=0.01),
        },
        check_params=_check_overlong,
        checks="style",
    )
    register(
        repetition, name="format.repetition",
        description="Share of distinct n-grams in the completion (1 = no repetition)",
        range=(0.0, 1.0),
        params={
            "n": Param(3, help="n-gram size", min=1, max=64),
            "unit": Param("words", help="n-grams of lower-cased words, or of characters (for CJK text)",
                          choices=("words", "chars")),
        },
        checks="style",
    )
