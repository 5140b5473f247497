"""rewardkit-gym: reasoning-gym's procedural tasks as a reward and as a data source.

- ``gym.score``: the completion's ``<answer>`` scored by the row's task's own ``score_answer``
  (columns ``task``, ``answer``, ``metadata``, as the generated rows carry them).
- tasks that a universal answer (``0``, ``True``, ``*``...) passes are refused unless
  ``allow_untrusted`` (:mod:`rewardkit_gym.trust`, the trust table in docs/gym.md);
- tasks whose scorers execute text (``eval``, sympy's ``parse_expr``: :data:`EXECUTING`) are refused by
  ``gym.score``; ``gym.score_sandboxed`` (it declares ``executes_inputs``) scores them in a fresh
  bubblewrap sandbox per item (:mod:`rewardkit_gym.executes`);
- ``dataset = "reasoning-gym:<task>"`` in a training config or ``rewardkit bench``: generated rows
  (``size``, ``seed``, the generator's config keys; the held-out split uses another seed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rewardkit

from .answer import extract_answer
from .executes import EXECUTING, ExecutingTaskError
from .score import FAST_TASKS, gym_score, gym_score_fast, gym_score_sandboxed, gym_score_sandboxed_fast
from .source import PREFIX, generate, load, tasks
from .trust import REFUSED, UntrustedTaskError, check_trusted

__all__ = ["EXECUTING", "FAST_TASKS", "PREFIX", "REFUSED", "ExecutingTaskError", "UntrustedTaskError",
           "check_trusted", "extract_answer", "generate", "load", "tasks"]
__version__ = "0.1.0"

#: A sample row for the contract kit (``rewardkit check-plugin gym``): item 67 of
#: ``generate("products", size=300, seed=0)``, metadata as a dict (its JSON text works too).
EXAMPLES = {
    "task": "products",
    "answer": "42",
    "metadata": {"source_dataset": "products", "source_index": 67, "expression": "6 * 7", "num_terms": 2,
                 "num_digits": 1, "difficulty": {"num_terms": [2, 2], "num_digits": [1, 5]}},
}


_PARAMS = {"fallback": rewardkit.Param(False, help="without a closed <answer>, score the bare completion"),
           "allow_untrusted": rewardkit.Param(
               False, help="also score tasks the trust table refuses (a universal answer passes them)")}


@rewardkit.hookimpl
def rewardkit_register_rewards(register: Callable[..., Any]) -> None:
    """Register ``gym.score`` and ``gym.score_sandboxed``."""
    register(gym_score, name="gym.score",
             description="reasoning-gym task's own score_answer on the final <answer> (columns task, answer, metadata)",
             columns=("task", "answer", "metadata"), range=(0.0, 1.0), params=_PARAMS,
             cost="cpu", timeout=10.0, fast_path=gym_score_fast, examples=EXAMPLES)
    register(gym_score_sandboxed, name="gym.score_sandboxed",
             description="gym.score, and the tasks whose scorers execute text scored in a fresh bubblewrap per item",
             columns=("task", "answer", "metadata"), range=(0.0, 1.0), params=_PARAMS,
             cost="cpu", timeout=60.0, fast_path=gym_score_sandboxed_fast, examples=EXAMPLES, executes_inputs=True)


@rewardkit.hookimpl
def rewardkit_register_probes(register: Callable[..., Any]) -> None:
    """Probe families for ``gym.score`` that bring generated items as their columns."""
    from . import probes

    register("gym.master_keys", probes.master_keys, targets=("gym.score", "gym.score_sandboxed"),
             description="master keys as the answer to generated reasoning-gym items")
    register("gym.universal_answers", probes.universal_answers, targets=("gym.score", "gym.score_sandboxed"),
             description="the trust scan's universal answers (nan, 0, True, [], *...) to generated items")


@rewardkit.hookimpl
def rewardkit_register_datasets(register: Callable[..., Any]) -> None:
    """Register the ``reasoning-gym:<task>`` data source."""
    register(PREFIX, load, description="reasoning-gym generated items: question, answer, task, metadata")
