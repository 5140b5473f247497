"""Agent trajectories: a completion that is a list of chat messages with tool calls and tool results.

The shape is OpenAI's function-calling format (the one TRL's tool loop produces)::

    [{"role": "assistant", "content": "", "tool_calls": [
         {"id": "c1", "type": "function", "function": {"name": "calculate", "arguments": {"expression": "2+3"}}}]},
     {"role": "tool", "tool_call_id": "c1", "name": "calculate", "content": "5"},
     {"role": "assistant", "content": "<answer>5</answer>"}]

``arguments`` is a JSON string (OpenAI) or an already parsed mapping (TRL). A list of messages is a
*trajectory* when some message carries ``tool_calls`` or has the role ``tool``; only then does the
host validate it (:func:`as_trajectory`) and pass rewards its final answer as the completion text.
Any other completion keeps the plain text path of :func:`rewardkit.utils.completion_text`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import TextTypeError
from .messages import completion_text

#: The column name under which the host passes each completion's trajectory to rewards that declare it.
TRAJECTORY = "trajectory"
ROLES = ("system", "developer", "user", "assistant", "tool")


class TrajectoryError(TextTypeError):
    """A trajectory breaks the message shape; the message names the completion and the message index."""


@dataclass(frozen=True)
class ToolCall:
    """One tool call an assistant message made.

    ``arguments`` is what the message holds (a JSON string or a mapping); :attr:`args` is it parsed
    as a JSON object, or ``None`` when it is not one (a malformed call).
    """

    message: int
    name: str
    arguments: Any
    id: str | None = None

    @property
    def args(self) -> dict[str, Any] | None:
        value = self.arguments
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):
                return None
        return dict(value) if isinstance(value, Mapping) else None


@dataclass(frozen=True)
class ToolResult:
    """One tool message: what a tool returned (as text), for which call, from which tool."""

    message: int
    content: str
    name: str | None = None
    call_id: str | None = None


def is_trajectory(completion: Any) -> bool:
    """True for a list of messages in which some message has ``tool_calls`` or the role ``tool``."""
    if not isinstance(completion, (list, tuple)):
        return False
    return any(isinstance(m, Mapping) and (m.get("tool_calls") or m.get("role") == "tool") for m in completion)


def as_trajectory(completion: Any, where: str = "completion") -> list[dict[str, Any]]:
    """``completion`` as a validated list of messages.

    A trajectory is checked message by message (:class:`TrajectoryError` names ``where`` and the
    message index); plain text or a chat completion without tools becomes one assistant message
    holding its text (:func:`rewardkit.utils.completion_text`).
    """
    if not is_trajectory(completion):
        return [{"role": "assistant", "content": completion_text(completion, where=where)}]
    out = []
    for i, message in enumerate(completion):
        out.append(_check_message(message, f"{where}, message {i}"))
    return out


def answer_text(completion: Any, where: str = "completion") -> str:
    """The text rewards judge: a trajectory's final answer, else the completion's plain text."""
    if is_trajectory(completion):
        return _final(as_trajectory(completion, where))
    return completion_text(completion, where=where)


def final_answer(trajectory: Any) -> str:
    """The text of the last assistant message; ``""`` when a tool message follows it (the rollout
    stopped before answering) or there is no assistant message."""
    return _final(as_trajectory(trajectory))


def _final(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message["role"] == "tool":
            return ""
        if message["role"] == "assistant":
            return completion_text(message.get("content"), where="final answer") if message.get("content") else ""
    return ""


def tool_calls(trajectory: Any) -> list[ToolCall]:
    """Every tool call of the trajectory's assistant messages, in order."""
    out = []
    for i, message in enumerate(as_trajectory(trajectory)):
        for call in message.get("tool_calls") or ():
            fn = call["function"]
            out.append(ToolCall(i, fn["name"], fn.get("arguments", {}), call.get("id")))
    return out


def tool_results(trajectory: Any) -> list[ToolResult]:
    """Every tool message's content as text, in order, with its tool name and call id when given."""
    out = []
    for i, message in enumerate(as_trajectory(trajectory)):
        if message["role"] == "tool":
            text = completion_text(message.get("content") or "", where=f"message {i}")
            out.append(ToolResult(i, text, message.get("name"), message.get("tool_call_id")))
    return out


# -- validation ------------------------------------------------------------------------------------


def _check_message(message: Any, where: str) -> dict[str, Any]:
    if not isinstance(message, Mapping):
        raise TrajectoryError(f"{where}: expected a chat message (a mapping), got {type(message).__name__}")
    role = message.get("role")
    if role not in ROLES:
        raise TrajectoryError(f"{where}: 'role' must be one of {list(ROLES)}, got {role!r}")
    content = message.get("content")
    if content is not None and not isinstance(content, (str, list, tuple)):
        raise TrajectoryError(f"{where}: 'content' must be text, a list of parts or null, got {type(content).__name__}")
    if isinstance(content, (list, tuple)):
        completion_text(content, where=f"{where}: content")  # parts must be text parts or skippable
    calls = message.get("tool_calls")
    if calls is not None and calls != []:
        if role != "assistant":
            raise TrajectoryError(f"{where}: only assistant messages make tool calls (role is {role!r})")
        if not isinstance(calls, (list, tuple)):
            raise TrajectoryError(f"{where}: 'tool_calls' must be a list, got {type(calls).__name__}")
        for k, call in enumerate(calls):
            _check_call(call, f"{where}, tool_calls[{k}]")
    if role == "tool":
        for key in ("tool_call_id", "name"):
            if message.get(key) is not None and not isinstance(message[key], str):
                raise TrajectoryError(f"{where}: {key!r} must be a string, got {type(message[key]).__name__}")
    return dict(message)


def _check_call(call: Any, where: str) -> None:
    if not isinstance(call, Mapping):
        raise TrajectoryError(f"{where}: expected a mapping, got {type(call).__name__}")
    if call.get("type", "function") != "function":
        raise TrajectoryError(f"{where}: 'type' must be 'function', got {call.get('type')!r}")
    fn = call.get("function")
    if not isinstance(fn, Mapping):
        raise TrajectoryError(f"{where}: needs a 'function' mapping with 'name' and 'arguments' (OpenAI shape)")
    if not isinstance(fn.get("name"), str):
        raise TrajectoryError(f"{where}: function.name must be a string, got {type(fn.get('name')).__name__}")
    args = fn.get("arguments", {})
    if not isinstance(args, (str, Mapping)):
        raise TrajectoryError(
            f"{where}: function.arguments must be a JSON string or a mapping, got {type(args).__name__}")
    if call.get("id") is not None and not isinstance(call["id"], str):
        raise TrajectoryError(f"{where}: 'id' must be a string, got {type(call['id']).__name__}")


def trajectories(completions: Sequence[Any]) -> list[list[dict[str, Any]]]:
    """:func:`as_trajectory` of each completion, errors naming its index."""
    return [as_trajectory(c, f"completion {i}") for i, c in enumerate(completions)]


def split_messages(messages: Sequence[Any], where: str = "row") -> tuple[list[Any], list[Any]]:
    """A whole conversation as ``(prompt messages, completion)``: the completion starts at the first
    assistant message (everything before it, system and user turns, is the prompt).

    >>> split_messages([{"role": "user", "content": "2+3?"}, {"role": "assistant", "content": "5"}])
    ([{'role': 'user', 'content': '2+3?'}], [{'role': 'assistant', 'content': '5'}])
    """
    if not isinstance(messages, (list, tuple)) or not all(isinstance(m, Mapping) for m in messages):
        raise TrajectoryError(f"{where}: expected a list of chat messages")
    first = next((i for i, m in enumerate(messages) if m.get("role") == "assistant"), None)
    if first is None:
        raise TrajectoryError(f"{where}: no assistant message (nothing to score)")
    return list(messages[:first]), list(messages[first:])
