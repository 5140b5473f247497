"""Answer extraction for gym.score: the final ``<answer>...</answer>`` span of a completion."""

from __future__ import annotations

import re

_THINK_RE = re.compile(r"<think>.*?(?:</think>|$)", re.S | re.I)
_SPAN_RE = re.compile(r"<\s*answer\s*>(.*?)<\s*/\s*answer\s*>", re.S | re.I)
_OPEN_RE = re.compile(r"<\s*answer\s*>", re.I)


def with_prefill(completion: str, prompt: str) -> str:
    """The completion with an ``<answer>`` the prompt pre-filled put back in front of it.

    >>> with_prefill("7</answer>", "Calculate 3 + 4.<|im_start|>assistant\\n<answer>")
    '<answer>7</answer>'
    """
    opens = list(_OPEN_RE.finditer(prompt.rstrip()))
    if opens and opens[-1].end() == len(prompt.rstrip()) and not _OPEN_RE.search(completion):
        return "<answer>" + completion
    return completion


def extract_answer(completion: str, prompt: str = "", *, fallback: bool = False) -> str | None:
    """The text of the last closed ``<answer>`` span outside ``<think>``, stripped.

    With ``fallback``, a completion without a closed span gives the text after its last
    ``<answer>`` (or the whole completion when it has none). Otherwise that is ``None``.

    >>> extract_answer("<think>maybe <answer>3</answer></think><answer> 4 </answer>")
    '4'
    >>> extract_answer("4", fallback=True)
    '4'
    >>> extract_answer("4") is None
    True
    """
    text = _THINK_RE.sub("", with_prefill(completion, prompt))
    spans = _SPAN_RE.findall(text)
    if spans:
        return str(spans[-1]).strip()
    if not fallback:
        return None
    opens = list(_OPEN_RE.finditer(text))
    rest = text[opens[-1].end():] if opens else text
    return rest.strip()
