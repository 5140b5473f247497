"""rewardkit-ifeval: IFEval instruction-following checks as rewards.

``ifeval.strict`` and ``ifeval.loose`` score the share of a row's instructions that the response
follows, from IFEval's own columns ``instruction_id_list`` and ``kwargs`` (one dict per
instruction, ``None`` values dropped). All 25 IFEval instruction ids and 24 of IFBench's are supported; any other
id, or a missing or unknown argument, is a counted error naming it, never a silent pass.

The checks are linear in the response; completions up to 100,000 characters are scored inline
(the fast path of a ``cpu`` reward), longer ones in a worker process under the deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import rewardkit
from rewardkit import Param
from rewardkit.utils import ANSWER_ONLY

from .checkers import INSTRUCTIONS, InstructionError, build
from .rewards import loose, loose_fast, strict, strict_fast

__all__ = ["INSTRUCTIONS", "InstructionError", "build", "loose", "strict"]

COLUMNS = ("instruction_id_list", "kwargs")
PARAMS = {
    "answer_only": Param("auto", choices=ANSWER_ONLY,
                         help="check the <answer> span: auto (when present, else the text after </think>), yes, no"),
    "answer_tag": Param("answer", help="tag whose last span holds the response"),
    "aggregate": Param("share", choices=("share", "all"),
                       help="share: fraction of instructions followed; all: 1 only when every one is"),
}
#: A sample row for the contract kit (``rewardkit check-plugin ifeval``), as IFEval's data has it.
EXAMPLES = {
    "instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
    "kwargs": [{}, {"relation": "less than", "num_words": 300}],
}


@rewardkit.hookimpl
def rewardkit_register_rewards(register: Callable[..., Any]) -> None:
    register(
        strict, name="ifeval.strict",
        description="IFEval strict: share of the row's instructions (instruction_id_list, kwargs) the response follows",
        columns=COLUMNS, range=(0.0, 1.0), params=PARAMS, cost="cpu", fast_path=strict_fast, examples=EXAMPLES,
    )
    register(
        loose, name="ifeval.loose",
        description="IFEval loose: as strict, also trying the response without first/last line and without '*'",
        columns=COLUMNS, range=(0.0, 1.0), params=PARAMS, cost="cpu", fast_path=loose_fast, examples=EXAMPLES,
    )
