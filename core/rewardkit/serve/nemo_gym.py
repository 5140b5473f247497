"""NeMo Gym's resources-server contract: ``/seed_session``, ``/verify``, ``/aggregate_metrics``
(the routes are in :mod:`.routes_gym`; the conversions and the metrics here).

The shapes are those of nemo-gym's ``SimpleResourcesServer`` (``nemo_gym.base_resources_server``,
nemo-gym 0.4.0; its pydantic models are the reference, and tests/test_conformance_nemo_gym.py
drives this server with nemo-gym's own ``SimpleAgent`` and models):

* ``POST /seed_session`` takes the rollout's run request (``BaseSeedSessionRequest``; extra fields
  ignored) and answers ``{}``: a reward keeps no per-rollout state.
* ``POST /verify`` takes ``BaseVerifyRequest`` (``responses_create_params``, the policy's
  Responses-API ``response``, the task's own fields) and answers ``BaseVerifyResponse``: the request
  plus ``reward``, ``reward_components`` (one value per composite term, or the reward's own name) and
  ``mask_sample``. An item that could not be scored (a term errored or timed out, or nothing
  applied) gets ``mask_sample: true``, ``failure_kind`` (``error``, ``timeout`` or ``none``) and a
  ``failure_reason``; its ``reward`` is the server's fill value (``--openrlhf-fill``), which a
  trainer honouring ``mask_sample`` never trains on.
* ``POST /aggregate_metrics`` takes ``AggregateMetricsRequest`` (``verify_responses``) and answers
  ``AggregateMetrics``: ``group_level_metrics`` per task (``_ng_task_index``), ``agent_metrics`` and
  ``key_metrics`` (the ``mean/*`` entries), with NeMo Gym's ``{stat}/{field}`` keys over every numeric
  top-level field, plus ``{stat}/reward_components/{term}`` and the masked-sample count and rate.

The policy's output may be a trajectory (function calls and their outputs): it is passed to the
rewards as an OpenAI message list (:mod:`rewardkit.trajectory`), so text rewards read the final
answer and trajectory rewards see the tool calls.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import Any

from pydantic import BaseModel, ConfigDict

from .scoring import RequestError

#: NeMo Gym's usual task field holding the reference answer.
NEMO_ANSWER = "expected_answer"
#: NeMo Gym's key for the task a rollout belongs to (``nemo_gym.global_config.TASK_INDEX_KEY_NAME``).
TASK_INDEX = "_ng_task_index"
ROLLOUT_INDEX = "_ng_rollout_index"
STATS = ("mean", "max", "min", "median", "std")


class SeedSessionRequest(BaseModel):
    """``BaseSeedSessionRequest``: SimpleAgent sends its whole run request; nothing is needed."""

    model_config = ConfigDict(extra="allow")


class AggregateMetricsRequest(BaseModel):
    """``AggregateMetricsRequest``: the stripped verify responses of a run."""

    verify_responses: list[dict[str, Any]]


# -- /verify: request -> (completion, prompt, columns) ------------------------------------------------
def _text(content: Any) -> str:
    """Text of a message's content: a string, or a list of parts with ``text``."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def output_messages(output: list[Any]) -> list[dict[str, Any]]:
    """Responses-API output items as OpenAI chat messages (function calls become ``tool_calls``,
    their outputs ``tool`` messages; reasoning items are left out)."""
    messages: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for item in output:
        if not isinstance(item, dict):
            continue
        kind = item.get("type", "message")
        if kind == "message":
            messages.append({"role": item.get("role", "assistant"), "content": _text(item.get("content"))})
        elif kind == "function_call":
            call_id = str(item.get("call_id") or item.get("id") or f"call_{len(names)}")
            names[call_id] = str(item.get("name", ""))
            call = {"id": call_id, "type": "function",
                    "function": {"name": names[call_id], "arguments": item.get("arguments", "")}}
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and "tool_calls" in last:
                last["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
        elif kind == "function_call_output":
            call_id = str(item.get("call_id", ""))
            messages.append({"role": "tool", "tool_call_id": call_id, "name": names.get(call_id, ""),
                             "content": _text(item.get("output"))})
    return messages


def nemo_completion(response: dict[str, Any]) -> str | list[dict[str, Any]]:
    """The policy's completion: the last assistant text, or the whole trajectory when it called tools."""
    output = response.get("output")
    if not isinstance(output, list):
        raise RequestError("response.output", "NeMo Gym's response.output must be a list of output items")
    messages = output_messages(output)
    if any(m.get("tool_calls") or m["role"] == "tool" for m in messages):
        return messages
    texts = [m["content"] for m in messages if m["role"] == "assistant"]
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


def nemo_inputs(req: Any, label_column: str) -> tuple[list[Any], list[str], dict[str, list[Any]]]:
    """One item: completion, prompt, and the task's fields as columns (``expected_answer`` also fills the label column)."""
    extra = dict(req.model_extra or {})
    columns = {k: [v] for k, v in extra.items()}
    if NEMO_ANSWER in extra and label_column not in columns:
        columns[label_column] = [extra[NEMO_ANSWER]]
    return [nemo_completion(req.response)], [nemo_prompt(req.responses_create_params)], columns


# -- /verify: scored item -> BaseVerifyResponse ---------------------------------------------------------
def verify_response(req: Any, item: dict[str, Any], reward_name: str | None, fill: float) -> dict[str, Any]:
    """The request back with ``reward``, ``reward_components``, ``mask_sample`` (and the failure's kind and reason)."""
    body = req.model_dump()
    value, status = item["value"], item["status"]
    body["reward"] = float(fill if value is None else value)
    if "terms" in item:
        components = {name: float(t["value"]) for name, t in item["terms"].items() if t["value"] is not None}
    else:
        components = {reward_name or "reward": float(value)} if value is not None else {}
    body["reward_components"] = components
    body["mask_sample"] = status != "value"
    if status != "value":
        body["failure_kind"] = status
        detail = item.get("message") or ("no term applied to this sample" if status == "none" else "")
        body["failure_reason"] = f"rewardkit: {status}" + (f": {detail}" if detail else "")
    return body


# -- /aggregate_metrics ---------------------------------------------------------------------------------
def _numeric_fields(response: dict[str, Any]) -> dict[str, float]:
    """The numbers NeMo Gym's RewardProfiler describes (top-level numbers and booleans, and the
    response's usage), plus ``reward_components/<term>``."""
    usage = (response.get("response") or {}).get("usage") if isinstance(response.get("response"), dict) else None
    merged = {**response, **(usage if isinstance(usage, dict) else {})}
    fields = {k: float(v) for k, v in merged.items()
              if isinstance(v, (bool, int, float)) and k not in (TASK_INDEX, ROLLOUT_INDEX) and math.isfinite(float(v))}
    for name, v in (response.get("reward_components") or {}).items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)):
            fields[f"reward_components/{name}"] = float(v)
    return fields


def _describe(rows: list[dict[str, float]]) -> dict[str, float]:
    """``{stat}/{field}`` for every field (std is the sample std, 0 for one value, as pandas' fill)."""
    columns: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for k, v in row.items():
            columns[k].append(v)
    out: dict[str, float] = {}
    for name, values in sorted(columns.items()):
        out[f"mean/{name}"] = statistics.fmean(values)
        out[f"max/{name}"] = max(values)
        out[f"min/{name}"] = min(values)
        out[f"median/{name}"] = statistics.median(values)
        out[f"std/{name}"] = statistics.stdev(values) if len(values) > 1 else 0.0
    return out


def aggregate_metrics(verify_responses: list[dict[str, Any]]) -> dict[str, Any]:
    """``AggregateMetrics`` for ``verify_responses`` (empty lists give empty metrics, as NeMo Gym's)."""
    if not verify_responses:
        return {"group_level_metrics": [], "agent_metrics": {}, "key_metrics": {}}
    by_task: dict[Any, list[dict[str, float]]] = defaultdict(list)
    rows = []
    for response in verify_responses:
        if not isinstance(response, dict):
            raise RequestError("verify_responses", "each verify response must be an object")
        row = _numeric_fields(response)
        rows.append(row)
        by_task[response.get(TASK_INDEX, 0)].append(row)
    groups = [{TASK_INDEX: task, **_describe(task_rows), "num_rollouts": len(task_rows)}
              for task, task_rows in sorted(by_task.items(), key=lambda kv: str(kv[0]))]
    agent = _describe(rows)
    masked = sum(1 for r in verify_responses if r.get("mask_sample") is True)
    agent["rewardkit/masked"] = masked
    agent["rewardkit/masked_rate"] = masked / len(verify_responses)
    scored = [r for r, resp in zip(rows, verify_responses) if resp.get("mask_sample") is not True and "reward" in r]
    if scored:
        agent["rewardkit/mean_reward_unmasked"] = statistics.fmean(r["reward"] for r in scored)
    return {"group_level_metrics": groups, "agent_metrics": agent,
            "key_metrics": {k: v for k, v in agent.items() if k.startswith("mean/")}}
