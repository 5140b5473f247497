"""rewardkit-judge: LLM-as-judge rewards that are hard to fool, reproducible and never silently zero.

- ``judge.equivalence``: is the final answer equivalent to the gold ``answer`` (free-form answers that
  ``math.equivalence`` cannot parse); rules first, answer span only, swap and decoy checks.
- ``judge.rubric``: a level from 1 to ``levels`` by the item's ``rubric`` column, mapped onto [0, 1].
- ``judge.pairwise``: this completion against its opponent (``pair_a``/``pair_b``), both orders;
  usable by ``rewardkit bench --pairs``.

Backends: in process (transformers; default the embedded SmolLM2-135M-Instruct, a weak judge for
tests and examples) or any OpenAI-compatible server (``backend="openai"``). An invalid verdict is
an error outcome, never 0 or 1. See docs/judge.md. Importing this module imports neither torch,
transformers nor httpx.
"""

from __future__ import annotations

from typing import Any

import rewardkit

__all__ = ["rewardkit_register_rewards"]

#: Seconds per item (model calls on a busy CPU, or a remote server): the host stops waiting for a batch
#: after ``TIMEOUT`` x items and its unscored items are timeouts; a term's ``timeout`` overrides it.
TIMEOUT = 60.0


@rewardkit.hookimpl
def rewardkit_register_rewards(register: Any) -> None:
    from . import rewards as r

    register(
        r.equivalence,
        name="judge.equivalence",
        description="1 when an LLM judge finds the final answer equivalent to the gold answer (hardened, cached)",
        columns=("answer",),
        range=(0.0, 1.0),
        params=r.equivalence_params(),
        cost="model",
        check_params=r.check_params,
        timeout=TIMEOUT,
    )
    register(
        r.rubric,
        name="judge.rubric",
        description="An LLM judge's level by the item's rubric column, mapped onto [0, 1]",
        columns=("rubric",),
        range=(0.0, 1.0),
        params=r.rubric_params(),
        cost="model",
        check_params=r.check_params,
        timeout=TIMEOUT,
        examples={"rubric": "5: correct and clearly explained; 3: correct answer, poor explanation; 1: wrong"},
    )
    register(
        r.pairwise,
        name="judge.pairwise",
        description="1 when an LLM judge prefers the completion to its opponent in both orders, 0.5 on a tie",
        columns=("pair_a", "pair_b"),
        range=(0.0, 1.0),
        params=r.pairwise_params(),
        cost="model",
        check_params=r.check_params,
        timeout=TIMEOUT,
        examples={"pair_a": "The answer is 42.", "pair_b": "I am not sure, maybe 41."},
    )
