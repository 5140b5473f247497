"""What happens before the judge: the answer span, and cheap verifiers that decide when they are sure.

- :func:`final_answer`: the part of a completion the judge sees (never the reasoning by default).
- :func:`no_answer`: an empty answer slot (``\\boxed{}``, ``Answer:``, ``:``), scored without the judge.
- :func:`rule_verdicts`: ``math.equivalence`` says 1 on a plain-math gold (a number or expression with no
  unit, word, time or formula: :func:`rewardkit_judge.golds.plain_math`) -> 1.0; ``text.exact`` with
  punctuation kept (case too where the gold holds a digit) says 1 -> 1.0; ``math.equivalence`` says 0 on
  a plain-number gold and an answer with a digit -> 0.0; an answer with no letter or digit, or a
  plain-number gold and an answer with no digit and no number word -> 0.0; else ``None`` (the judge
  decides). A rule's error or timeout decides nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from .golds import plain_math
from .prompts import clip

#: A plain number as a gold answer: 42, -3.5, 1,234, $12, 15%.
NUMBER_RE = re.compile(r"^[-+]?\$?\s?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?\s?%?$")
#: Decoy references for a non-numeric gold (the first that differs from both sides is used).
DECOYS = ("I don't know.", "None of the above.", "The question has no answer.")


def final_answer(completion: str, answer_only: str, limit: int) -> str:
    """What the judge sees of a completion (``rewardkit.utils.response_text``: the ``<answer>`` span, else
    the text after ``</think>``; everything for ``"no"``), clipped to ``limit`` characters."""
    from rewardkit.utils import response_text

    return clip(response_text(completion, answer_only).strip(), limit)


#: Where a final answer is stated in untagged text: ``#### 42``, ``The answer is 42``, ``Answer: 42``, ``A: 42``.
_MARKER_RE = re.compile(r"####|\bfinal answer(?: is)?\s*:?|\bthe answer is\b\s*:?|\banswer\s*:|^\s*A\s*:",
                        re.IGNORECASE | re.MULTILINE)


def final_statement(completion: str, answer_only: str, limit: int) -> str:
    """The final answer statement, for equivalence: the ``<answer>`` span when there is one; in untagged
    text (after ``</think>``), the rest of the line after the last answer marker (``####``, ``the answer
    is``, ``answer:``, ``A:``), else the last non-empty line. A whole line, never one box of it: "\\boxed{626}
    or \\boxed{623}" stays ambiguous for the judge. ``answer_only="no"`` keeps everything; ``"yes"`` the span."""
    from rewardkit.utils import answer_span, response_text

    if answer_only != "auto" or answer_span(completion) is not None:
        return final_answer(completion, answer_only, limit)
    text = response_text(completion, "auto").strip()
    last = max(_MARKER_RE.finditer(text), key=lambda m: m.start(), default=None)
    if last is not None:
        rest = text[last.end() :].strip().splitlines()
        if rest and rest[0].strip():
            return clip(rest[0].strip(), limit)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return clip(lines[-1] if lines else "", limit)


def has_content(text: str) -> bool:
    """Whether ``text`` holds a letter or a digit (``:`` or ``...`` is no answer)."""
    return any(ch.isalnum() for ch in text)


#: Wrappers and labels around an answer, which are no answer themselves: ``\boxed{}``, ``Answer:``.
_WRAPPER_RE = re.compile(r"\\(?:boxed|fbox|text|textbf|mathrm|mathbf)\b")
_LABEL_RE = re.compile(r"^(?:(?:the\s+)?(?:final\s+)?answer(?:\s+is)?)\s*[:=\-]?", re.IGNORECASE)


def no_answer(text: str) -> bool:
    """Whether ``text`` states nothing: no letter or digit once answer wrappers (``\\boxed{}``) and a
    leading label (``Answer:``, ``The final answer is``) are set aside."""
    return not has_content(_LABEL_RE.sub("", _WRAPPER_RE.sub(" ", text).strip()))


#: Number words: an answer to a numeric gold with no digit and none of these states no number.
_NUMBER_WORD_RE = re.compile(
    r"\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|"
    r"billion|trillion|dozen|half|halves|quarter|third|none|no)\b|[零〇一二两三四五六七八九十百千万亿]",
    re.IGNORECASE,
)


def states_a_number(text: str) -> bool:
    """Whether ``text`` holds a digit or a number word (English words, CJK numerals)."""
    return _digits(text) or bool(_NUMBER_WORD_RE.search(text))


def is_number(text: str) -> bool:
    return bool(NUMBER_RE.fullmatch(text.strip())) and any(ch.isdigit() for ch in text)


def _digits(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def _norm(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())


def decoy(gold: str, answer: str) -> str:
    """A wrong reference for the decoy check: the gold number moved, or a fixed non-answer."""
    bad = {_norm(gold), _norm(answer)}
    if is_number(gold):
        digits = re.sub(r"[^\d.\-]", "", gold)
        try:
            value = float(digits)
        except ValueError:
            value = 0.0
        for step in (1, 2, 3, 7, 11):
            cand = f"{value + step:g}"
            if _norm(cand) not in bad:
                return cand
    return next(d for d in DECOYS if _norm(d) not in bad)


@lru_cache(maxsize=4)
def _reward(name: str, **params: Any) -> Any:
    import rewardkit

    try:
        return rewardkit.reward(name, **params)
    except rewardkit.UnknownRewardError:
        raise RuntimeError(f"rules=true needs {name!r} (pip install rewardkit-{name.split('.')[0]}); "
                           "or set rules=false") from None


def rule_verdicts(completions: Sequence[str], answers: Sequence[str], golds: Sequence[str],
                  prompts: Sequence[str], raw_golds: Sequence[Any]) -> list[float | None]:
    """1.0 / 0.0 where a cheap verifier is sure, ``None`` where the judge must decide."""
    from rewardkit import Status
    from rewardkit.utils import response_text

    out: list[float | None] = [None] * len(completions)
    n = len(completions)
    # a sentence's final full stop is no part of the answer ("Yes." for "yes"); other punctuation is kept
    responses = [response_text(c, "auto").strip().rstrip(".!。").strip() for c in completions]
    # punctuation kept ("-5" is not "5", "3:00" not "300"), and case too where the gold holds a digit ("5 Mg"
    # is not "5 mg"; "Yes" is "yes"): a whole response equal to the gold drops nothing
    cased = _reward("text.exact", ignore_punct=False, ignore_case=False).score(responses, reference=list(golds))
    caseless = _reward("text.exact", ignore_punct=False).score(responses, reference=list(golds))
    exact = [cased if _digits(g) else caseless for g in golds]
    math = _reward("math.equivalence").score(list(completions), prompts=list(prompts),
                                             answer=[str(g) for g in raw_golds])

    def said(s: Any, i: int, value: float) -> bool:
        return bool(s.statuses[i] is Status.VALUE and s.values[i] == value)

    for i in range(n):
        ans, gold = answers[i], golds[i]
        if said(exact[i], i, 1.0) or (said(math, i, 1.0) and plain_math(gold)):
            out[i] = 1.0  # math reads "100 km" and "100 miles" both as 100: its 1 decides for plain golds only
        elif said(math, i, 0.0) and is_number(gold) and _digits(ans):
            out[i] = 0.0  # math read a number and it is not the gold (several answers included)
        elif no_answer(ans) and has_content(gold):
            out[i] = 0.0
        elif is_number(gold) and not states_a_number(ans):
            out[i] = 0.0  # "Thought process:" for "18": no number stated, nothing to judge
    return out
