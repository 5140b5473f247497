"""Other trainers' request shapes, turned into the host's (completions, prompts, columns) and back.

* NeMo Gym's resources server: ``POST /verify`` takes ``BaseVerifyRequest`` (the task's
  ``responses_create_params``, the policy's ``response`` and the task's own fields) and answers
  ``BaseVerifyResponse``: the request plus ``reward`` (and ``failure_reason`` when the item could
  not be scored: its ``reward`` is then the server's fill value).
* verl: ``POST /verl/compute_score`` takes the arguments verl passes a reward function
  (``data_sources``, ``solution_strs``, ``ground_truths``, ``extra_infos``, or their singular
  forms for one item) and answers verl's result dicts: ``{"score", "rewardkit_none",
  "rewardkit_error", "rewardkit_timeout"}`` per item.
"""

from __future__ import annotations

from typing import Any

from .schemas import NemoGymVerifyRequest, VerlBatchRequest
from .scoring import RequestError

#: NeMo Gym's usual task field holding the reference answer.
NEMO_ANSWER = "expected_answer"


def _text(content: Any) -> str:
    """Text of a message's content: a string, or a list of parts with ``text``."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def nemo_completion(response: dict[str, Any]) -> str:
    """The text of the last assistant message of a Responses-API ``response.output``."""
    output = response.get("output")
    if not isinstance(output, list):
        raise RequestError("response.output", "NeMo Gym's response.output must be a list of output items")
    texts = [_text(o.get("content")) for o in output
             if isinstance(o, dict) and o.get("type", "message") == "message" and o.get("role", "assistant") == "assistant"]
    return texts[-1] if texts else ""


def nemo_prompt(params: dict[str, Any]) -> str:
    """The last user message of ``responses_create_params.input`` (a string or a list of messages)."""
    given = params.get("input", "")
    if isinstance(given, str):
        return given
    if not isinstance(given, list):
        raise RequestError("responses_create_params.input", "input must be text or a list of messages")
    users = [_text(m.get("content")) for m in given if isinstance(m, dict) and m.get("role") == "user"]
    return users[-1] if users else ""


def nemo_inputs(req: NemoGymVerifyRequest, label_column: str) -> tuple[list[str], list[str], dict[str, list[Any]]]:
    """One item: completion, prompt, and the task's fields as columns (``expected_answer`` also fills the label column)."""
    extra = dict(req.model_extra or {})
    columns = {k: [v] for k, v in extra.items()}
    if NEMO_ANSWER in extra and label_column not in columns:
        columns[label_column] = [extra[NEMO_ANSWER]]
    return [nemo_completion(req.response)], [nemo_prompt(req.responses_create_params)], columns


def nemo_response(req: NemoGymVerifyRequest, item: dict[str, Any], fill: float) -> dict[str, Any]:
    body = req.model_dump()
    value = item["value"]
    body["reward"] = float(fill if value is None else value)
    if item["status"] != "value":
        body["failure_reason"] = f"rewardkit: {item['status']}" + (f": {item['message']}" if item.get("message") else "")
    return body


def verl_inputs(req: VerlBatchRequest, label_column: str) -> tuple[list[str], dict[str, list[Any]], bool]:
    """Completions, columns (``ground_truths`` fill the label column), and whether it was a batch."""
    batch = req.solution_strs is not None
    if batch == (req.solution_str is not None):
        raise RequestError("solution_strs", "give verl's batch arguments (solution_strs, ground_truths, ...) "
                                            "or one item's (solution_str, ground_truth, ...), not both or neither")
    if batch:
        solutions = list(req.solution_strs or [])
        truths = req.ground_truths if req.ground_truths is not None else [None] * len(solutions)
        if len(truths) != len(solutions):
            raise RequestError("ground_truths", f"{len(truths)} ground_truths for {len(solutions)} solution_strs")
    else:
        solutions, truths = [req.solution_str or ""], [req.ground_truth]
    columns = {label_column: [t if isinstance(t, str) or t is None else str(t) for t in truths]}
    if all(t is None for t in truths):
        columns = {}
    return solutions, columns, batch


def verl_item(item: dict[str, Any], fill: float) -> dict[str, Any]:
    value = item["value"]
    out: dict[str, Any] = {"score": float(fill if value is None else value)}
    for status in ("none", "error", "timeout"):
        out[f"rewardkit_{status}"] = 1.0 if item["status"] == status else 0.0
    return out
