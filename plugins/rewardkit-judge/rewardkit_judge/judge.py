"""Asking the judge: pick the backend from a reward's parameters, consult the disk cache, record cost.

Every call adds to the batch's usage (see :func:`rewardkit.utils.report_usage`), which the host
keeps in ``Scores.usage`` and training writes into ``metrics.jsonl``:
``judge_calls`` (answers asked for), ``judge_cache_hits``, ``judge_model_calls`` (answers the model
computed), ``judge_seconds`` (model time of those), ``judge_prompt_tokens``,
``judge_completion_tokens``, ``judge_invalid`` (verdicts turned into error outcomes) and
``judge_rule_decisions`` (items a cheap rule decided without the judge). Each question is counted once,
also when the host re-scores a batch item by item (:mod:`rewardkit_judge.ledger`).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from . import ledger
from .backends import Answer, Backend, OpenAIBackend, Query, TransformersBackend
from .cache import DiskCache, cache_key, open_cache
from .ledger import report

#: Environment variable read when ``base_url`` is not given.
BASE_URL_ENV = "REWARDKIT_JUDGE_BASE_URL"
#: Bumped when prompts or verdict parsing change, so old cache entries are not reused.
PROMPT_VERSION = 1

_backends: dict[tuple, Backend] = {}
_lock = threading.Lock()


def backend_for(params: Mapping[str, Any]) -> Backend:
    """The backend named by a reward's parameters, built once per process."""
    key = _key_of(params)
    with _lock:
        if key not in _backends:
            _backends[key] = _build(key, params)
        return _backends[key]


def _key_of(params: Mapping[str, Any]) -> tuple:
    if params["backend"] == "transformers":
        return ("transformers", params["model"], params["device"], params["batch_size"], params["seed"])
    url = params["base_url"] or os.environ.get(BASE_URL_ENV)
    if not url:
        raise ValueError(f"backend 'openai' needs base_url= or ${BASE_URL_ENV} (e.g. http://127.0.0.1:8000/v1)")
    return ("openai", params["model"], url, params["api_key_env"], params["concurrency"], params["retries"],
            params["request_timeout"], params["seed"])


def _build(key: tuple, params: Mapping[str, Any]) -> Backend:
    if key[0] == "transformers":
        return TransformersBackend(params["model"], device=params["device"], batch_size=params["batch_size"],
                                   seed=params["seed"])
    return OpenAIBackend(params["model"], base_url=key[2], api_key_env=params["api_key_env"],
                         concurrency=params["concurrency"], retries=params["retries"],
                         timeout=params["request_timeout"], seed=params["seed"])


def register_backend(params: Mapping[str, Any], backend: Backend) -> None:
    """Use ``backend`` for these parameters in this process (tests and embedding applications)."""
    with _lock:
        _backends[_key_of(params)] = backend


def ask(params: Mapping[str, Any], queries: Sequence[Query]) -> list[Answer]:
    """Answers to ``queries``: those a failed batch computed (:func:`rewardkit_judge.ledger.take`), cached
    ones from disk, the rest from the backend. Only answers with a verdict are cached: no verdict (an
    empty reply, an off-menu or non-finite score) is asked again next time."""
    if not queries:
        return []
    backend = backend_for(params)
    cache: DiskCache | None = open_cache(params["cache"])
    identity = {"judge": PROMPT_VERSION, **backend.identity()}
    keys = [cache_key({"id": identity, "messages": q.messages, "choices": q.choices}) for q in queries]
    answers: list[Answer | None] = [None] * len(queries)
    fresh: dict[str, Answer] = {}  # computed by the model, counted in this call
    for i, k in enumerate(keys):
        if k in fresh:
            answers[i] = fresh[k]
        elif (handed := ledger.take(k)) is not None:
            answers[i] = fresh[k] = handed
            ledger.computed(k, handed)  # handed on again if this call fails too
        elif cache is not None and (hit := cache.get(k)) is not None:
            answer = checked(queries[i], Answer.from_dict(hit))
            if answer.verdict is not None:  # an entry without one (an older version wrote them) is a miss
                answer.cached = True
                answers[i] = answer
    todo = [i for i, a in enumerate(answers) if a is None]
    # one query asked once per batch, even when several items share it (swap checks, pairs)
    unique = list(dict.fromkeys(keys[i] for i in todo))
    first = {k: next(i for i in todo if keys[i] == k) for k in unique}
    asked = backend.run([queries[first[k]] for k in unique]) if unique else []
    for k, a in zip(unique, asked):
        fresh[k] = checked(queries[first[k]], a)
        ledger.computed(k, fresh[k])
        if cache is not None and fresh[k].verdict is not None:
            cache.put(k, fresh[k].to_dict())
    for i in todo:
        answers[i] = fresh[keys[i]]
    made = list(fresh.values())
    report(judge_calls=len(queries), judge_cache_hits=sum(a is not None and a.cached for a in answers),
           judge_model_calls=len(made), judge_seconds=sum(a.seconds for a in made),
           judge_prompt_tokens=sum(a.prompt_tokens for a in made),
           judge_completion_tokens=sum(a.completion_tokens for a in made))
    return [a for a in answers if a is not None]


def checked(q: Query, a: Answer) -> Answer:
    """``a`` with no verdict when it is off the query's menu or any score of it is not a finite number."""
    bad = [c for c, lp in a.logprobs.items() if not _finite(lp)]
    if bad:
        a.raw, a.verdict = f"non-finite log-prob for {bad[0]!r} ({a.logprobs[bad[0]]}); it said {a.raw!r}", None
    elif a.verdict is not None and a.verdict not in q.choices:  # a backend's off-menu answer is no verdict
        a.raw, a.verdict = a.raw or a.verdict, None
    return a


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)
