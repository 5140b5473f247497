"""rewardkit-math: is the final answer of a completion mathematically equal to the gold answer?

``math.equivalence`` extracts the final answer (``<answer>``, ``\\boxed{}``, ``####``, "The answer
is", ``A:``, LaTeX spans, a bare expression, the last number), parses it with a restricted parser
of its own (no ``eval``/``sympify`` of text) and compares it with the gold answer: exactly for
numbers, numerically for expressions, with sympy in worker processes for what numbers cannot
decide. ``math.parseable`` says whether a final answer can be found and parsed at all.

Importing this module does not import sympy.
"""

from __future__ import annotations

import rewardkit

from .extraction import STRATEGIES, Extraction, extract
from .parse import DECIMAL_COMMA, ParseError, parse
from .rewards import (
    LETTERS,
    MULTIPLE,
    ROUNDING,
    SETS,
    check_params,
    equivalence,
    equivalence_fast,
    gold_answer,
    parseable,
)

__all__ = ["STRATEGIES", "Extraction", "ParseError", "extract", "gold_answer", "parse"]

_EXTRACT = rewardkit.Param(
    STRATEGIES,
    help="extraction strategies, tried in order: " + ", ".join(STRATEGIES),
)


@rewardkit.hookimpl
def rewardkit_register_rewards(register):
    register(
        equivalence,
        name="math.equivalence",
        description="1 when the completion's final answer equals the gold answer (numbers, LaTeX, expressions)",
        columns=("answer",),
        range=(0.0, 1.0),
        params={
            "tolerance": rewardkit.Param(1e-6, help="relative tolerance for numbers (0: exact rationals)", min=0.0, max=0.5),
            "extract": _EXTRACT,
            "multiple": rewardkit.Param(
                "reject", choices=MULTIPLE,
                help="several different final answers: reject (score 0), or use the last / first",
            ),
            "sets": rewardkit.Param(
                "strict", choices=SETS,
                help="strict: {1,3} (a set) differs from (1,3) (a pair or interval); loose: they are equal",
            ),
            "letters": rewardkit.Param(
                "auto", choices=LETTERS,
                help="auto: a gold answer that is a letter A-J reads the completion's choice letter ((B), B. 42); off: no",
            ),
            "decimal_comma": rewardkit.Param(
                "auto", choices=DECIMAL_COMMA,
                help="auto: a lone 3,15 or 0,125 is a decimal (1,234 stays a thousand); always: 1.234,5 too; never",
            ),
            "rounding": rewardkit.Param(
                "off", choices=ROUNDING,
                help="gold: a number that rounds to the gold answer at the gold's own decimals is equal (2.71828 = 2.7183)",
            ),
        },
        cost="cpu",
        timeout=10.0,
        fast_path=equivalence_fast,
        check_params=check_params,
    )
    register(
        parseable,
        name="math.parseable",
        description="1 when a final answer can be extracted and parsed, else 0",
        range=(0.0, 1.0),
        params={"extract": _EXTRACT},
        cost="fast",
        check_params=check_params,
        checks="style",  # a shaping term: a wrong answer parses too
    )
