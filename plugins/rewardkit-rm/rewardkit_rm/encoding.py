"""Turning (prompt, completion) into reward-model token ids, the same way for training and scoring."""

from __future__ import annotations

from typing import Any

TRUNCATION_SIDES = ("left", "right")


def format_text(tokenizer: Any, prompt: str, completion: str) -> tuple[str, bool]:
    """The text the reward model reads, and whether it already holds the special tokens.

    With a chat template: a user turn holding ``prompt`` and an assistant turn holding
    ``completion``, rendered by the tokenizer's own template. Without one: ``prompt``, a blank
    line and ``completion`` (just ``completion`` when the prompt is empty).
    """
    if getattr(tokenizer, "chat_template", None):
        messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": completion}]
        return tokenizer.apply_chat_template(messages, tokenize=False), True
    return (f"{prompt}\n\n{completion}" if prompt else completion), False


def encode(tokenizer: Any, prompt: str, completion: str, max_length: int, truncation: str = "left") -> list[int]:
    """Token ids of one (prompt, completion), at most ``max_length`` of them.

    A chat-templated text is used exactly as the template renders it. Without a template the
    tokenizer's own special tokens are added (``[CLS] ... [SEP]``), and an EOS token is appended
    when the text would otherwise not end in a special token (causal-LM reward models read the
    score at the last token). When too long, ``left`` drops
    tokens from the start (the prompt goes first, the end of the completion stays) and ``right``
    from the end; the leading and trailing special tokens are kept either way.
    """
    text, templated = format_text(tokenizer, prompt, completion)
    ids = list(tokenizer(text, add_special_tokens=not templated)["input_ids"])
    special = set(tokenizer.all_special_ids)
    eos = tokenizer.eos_token_id
    if not templated and eos is not None and (not ids or ids[-1] not in special):
        ids.append(eos)
    if not ids:
        fallback = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        ids = [fallback]
    return truncate(ids, max_length, truncation, special)


def truncate(ids: list[int], max_length: int, side: str, special: set[int]) -> list[int]:
    """Cut ``ids`` to ``max_length`` on ``side``, keeping leading/trailing special tokens."""
    if len(ids) <= max_length:
        return ids
    head = 0
    while head < len(ids) and ids[head] in special and head < max_length // 4:
        head += 1
    tail = 0
    while tail < len(ids) - head and ids[-1 - tail] in special and tail < max_length // 4:
        tail += 1
    body = ids[head : len(ids) - tail]
    room = max_length - head - tail
    body = body[len(body) - room :] if side == "left" else body[:room]
    return ids[:head] + body + (ids[len(ids) - tail :] if tail else [])
