"""The plain text of completions and prompts: strings, chat messages, lists of messages or parts.

A leaf module (it imports no rewardkit module but :mod:`rewardkit.errors`), so that both
:mod:`rewardkit.trajectory` and :mod:`rewardkit.utils` (which publishes :func:`completion_text`)
read text one way without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import TextTypeError

__all__ = ["completion_text"]


def completion_text(completion: Any, *, where: str = "completion") -> str:
    """The plain text of a completion or prompt.

    * a ``str`` is returned as is;
    * a chat message (a mapping with ``"content"``) gives its content; ``None`` content (an
      assistant turn that only calls tools) gives ``""``;
    * a content part (a mapping with ``"type"``) gives its ``"text"`` when the type is ``"text"``
      and ``""`` otherwise (images and other non-text parts are skipped);
    * a list or tuple of messages or parts gives their texts joined with newlines, in order, so
      an assistant prefix pre-filled in a prompt stays at the end of the prompt's text.

    Anything else (``None``, a number, a mapping that is neither a message nor a part) raises
    :class:`rewardkit.errors.TextTypeError` (a ``TypeError``) naming ``where``: it is bad input,
    never silently scored as ``""``.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return _mapping_text(completion, where)
    if isinstance(completion, (list, tuple)):
        parts = (completion_text(part, where=f"{where}[{i}]") for i, part in enumerate(completion))
        return "\n".join(t for t in parts if t)
    raise TextTypeError(f"{where} must be text or chat messages, got {type(completion).__name__}")


def _mapping_text(item: Mapping[str, Any], where: str) -> str:
    if "content" in item:
        content = item["content"]
        return "" if content is None else completion_text(content, where=f"{where}['content']")
    if "type" in item:
        if item["type"] != "text":
            return ""
        text = item.get("text")
        if not isinstance(text, str):
            raise TextTypeError(f"{where}: a text part needs a string 'text', got {type(text).__name__}")
        return text
    keys = ", ".join(repr(k) for k in list(item)[:5]) or "no keys"
    raise TextTypeError(f"{where} is a mapping without 'content' or 'type' ({keys}): not a chat message")
