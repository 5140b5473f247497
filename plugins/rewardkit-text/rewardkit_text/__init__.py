"""rewardkit-text: graded text-overlap rewards against reference answers.

``text.bleu`` and ``text.chrf`` (sacrebleu), ``text.rouge`` (rouge1/rouge2/rougeL/rougeLsum,
equal to rouge-score on ASCII and correct on every script), ``text.exact`` (normalised
exact match) and ``text.token_f1`` (SQuAD-style). Each reads the ``reference`` column (a
string or a list of strings), scores the ``<answer>`` content when there is one, caches
reference-side work across a batch and spreads large batches over all cores.
"""

from __future__ import annotations

from typing import Any

import rewardkit
from rewardkit import Param

from .batch import run

__all__ = ["bleu", "chrf", "exact", "rouge", "token_f1"]

COLUMN = "reference"


def _common(case: bool, punct: bool, space: bool) -> dict[str, Param]:
    return {
        "answer_only": Param("auto", choices=("auto", "yes", "no"),
                             help="score the <answer> content: auto (when present), yes (always; none -> ''), no"),
        "answer_tag": Param("answer", help="tag whose last block holds the answer"),
        "ignore_case": Param(case, help="lower-case both sides"),
        "ignore_punct": Param(punct, help="delete punctuation and symbols on both sides"),
        "ignore_space": Param(space, help="collapse blanks and control characters on both sides"),
    }


#: Graded metrics only: how a reference that is a plain number is matched.
NUMBERS = Param("exact", choices=("exact", "overlap"),
                help="a reference that is a plain number: exact (1 only for that number) or overlap (as text)")


def bleu(*, completions: list[str], prompts: list[str], reference: list[Any], answer_only: str, answer_tag: str,
         ignore_case: bool, ignore_punct: bool, ignore_space: bool, tokenize: str, smooth: str,
         smooth_value: float | None, numbers: str) -> list[float | None]:
    """sacrebleu sentence BLEU with effective order, / 100."""
    return run("bleu", (tokenize, smooth, smooth_value), completions, reference, column=COLUMN,
               answer_only=answer_only, answer_tag=answer_tag, norm=(ignore_case, ignore_punct, ignore_space, False),
               numbers=numbers)


def chrf(*, completions: list[str], prompts: list[str], reference: list[Any], answer_only: str, answer_tag: str,
         ignore_case: bool, ignore_punct: bool, ignore_space: bool, char_order: int, word_order: int, beta: int,
         whitespace: bool, eps_smoothing: bool, numbers: str) -> list[float | None]:
    """sacrebleu sentence chrF, / 100 (plain chrF by default; word_order=2 gives chrF++)."""
    return run("chrf", (char_order, word_order, beta, whitespace, eps_smoothing), completions, reference,
               column=COLUMN, answer_only=answer_only, answer_tag=answer_tag,
               norm=(ignore_case, ignore_punct, ignore_space, False), numbers=numbers)


def rouge(*, completions: list[str], prompts: list[str], reference: list[Any], answer_only: str, answer_tag: str,
          ignore_case: bool, variant: str, measure: str, tokenizer: str, stemmer: bool, numbers: str) -> list[float | None]:
    """ROUGE F1 (or precision/recall) of the chosen variant."""
    measure = "fmeasure" if measure == "f1" else measure
    return run("rouge", (variant, measure, tokenizer, stemmer, ignore_case), completions, reference, column=COLUMN,
               answer_only=answer_only, answer_tag=answer_tag, norm=(False, False, False, False), numbers=numbers)


def exact(*, completions: list[str], prompts: list[str], reference: list[Any], answer_only: str, answer_tag: str,
          ignore_case: bool, ignore_punct: bool, ignore_space: bool, ignore_articles: bool) -> list[float | None]:
    """1 when the normalised answer equals a normalised reference."""
    return run("exact", (), completions, reference, column=COLUMN, answer_only=answer_only, answer_tag=answer_tag,
               norm=(ignore_case, ignore_punct, ignore_space, ignore_articles))


def token_f1(*, completions: list[str], prompts: list[str], reference: list[Any], answer_only: str, answer_tag: str,
             ignore_case: bool, ignore_punct: bool, ignore_space: bool, ignore_articles: bool,
             numbers: str) -> list[float | None]:
    """SQuAD token F1 between the normalised answer and the best reference."""
    return run("token_f1", (), completions, reference, column=COLUMN, answer_only=answer_only,
               answer_tag=answer_tag, norm=(ignore_case, ignore_punct, ignore_space, ignore_articles), numbers=numbers)


_ARTICLES = Param(False, help="drop English articles (a, an, the), as SQuAD does")


@rewardkit.hookimpl
def rewardkit_register_rewards(register):
    cols = (COLUMN,)
    register(
        bleu, name="text.bleu", columns=cols, range=(0.0, 1.0),
        description="sacrebleu sentence BLEU (effective order, exp smoothing) of the answer against the reference(s), / 100",
        params={
            **_common(False, False, False),
            "tokenize": Param("13a", choices=("13a", "intl", "zh", "char", "none"), help="sacrebleu tokenizer"),
            "smooth": Param("exp", choices=("exp", "floor", "add-k", "none"), help="sacrebleu smoothing method"),
            "smooth_value": Param(None, type=(float, int), nullable=True, min=0.0,
                                  help="value for floor (default 0.1) and add-k (default 1)"),
            "numbers": NUMBERS,
        },
    )
    register(
        chrf, name="text.chrf", columns=cols, range=(0.0, 1.0),
        description="sacrebleu sentence chrF of the answer against the reference(s), / 100 (word_order=2: chrF++)",
        params={
            **_common(False, False, False),
            "char_order": Param(6, min=1, max=32, help="character n-gram order"),
            "word_order": Param(0, min=0, max=8, help="word n-gram order (2 = chrF++)"),
            "beta": Param(2, min=1, max=16, help="recall weight"),
            "whitespace": Param(False, help="keep blanks in character n-grams"),
            "eps_smoothing": Param(False, help="chrF++.py-style epsilon smoothing"),
            "numbers": NUMBERS,
        },
    )
    rouge_common = _common(True, False, False)
    register(
        rouge, name="text.rouge", columns=cols, range=(0.0, 1.0),
        description="ROUGE (rouge1, rouge2, rougeL, rougeLsum) F1/precision/recall; rouge-score's values, every script",
        params={
            "answer_only": rouge_common["answer_only"],
            "answer_tag": rouge_common["answer_tag"],
            "ignore_case": Param(True, help="lower-case tokens (rouge-score always does)"),
            "variant": Param("rougeL", choices=("rouge1", "rouge2", "rouge3", "rouge4", "rougeL", "rougeLsum"),
                             help="ROUGE variant; rougeLsum splits sentences on newlines"),
            "measure": Param("f1", choices=("f1", "precision", "recall"), help="which ROUGE measure"),
            "tokenizer": Param("unicode", choices=("unicode", "ascii"),
                               help="unicode: letters/digits of every script, CJK per character; ascii: rouge-score's"),
            "stemmer": Param(False, help="Porter-stem tokens longer than 3 characters (needs nltk)"),
            "numbers": NUMBERS,
        },
    )
    register(
        exact, name="text.exact", columns=cols, range=(0.0, 1.0),
        description="1 when the normalised answer equals a normalised reference, else 0",
        params={**_common(True, True, True), "ignore_articles": _ARTICLES},
    )
    register(
        token_f1, name="text.token_f1", columns=cols, range=(0.0, 1.0),
        description="SQuAD-style token F1 between the normalised answer and the best reference",
        params={**_common(True, True, True), "ignore_articles": _ARTICLES, "numbers": NUMBERS},
    )
