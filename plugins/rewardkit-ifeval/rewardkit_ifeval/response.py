"""Which part of a completion the instructions are checked on."""

from __future__ import annotations

from rewardkit.utils import answer_span

#: answer_only values: the <answer> span when there is one (auto), always (yes), never (no).
MODES = ("auto", "yes", "no")


def response_text(completion: str, mode: str, tag: str) -> str:
    """The response to check.

    ``auto``: the final ``<tag>`` span when there is one (``rewardkit.utils.answer_span``: the
    same rule as every plugin), else the text after the last ``</think>`` (the whole completion
    when it has none); ``yes``: the span, or ``""`` (which follows no instruction); ``no``: the
    whole completion, reasoning included.
    """
    if mode == "no":
        return completion
    span = answer_span(completion, tag)
    if span is not None:
        return span
    if mode == "yes":
        return ""
    cut = completion.lower().rfind("</think>")
    return completion[cut + len("</think>"):] if cut >= 0 else completion
