"""``rewardkit.remote``: a reward function that scores on a ``rewardkit serve`` server.

>>> acc = rewardkit.remote("http://127.0.0.1:8000", "math.equivalence")   # doctest: +SKIP
>>> acc(["\\\\boxed{3}"], answer=["3"])                                      # doctest: +SKIP
[1.0]

The object is a TRL reward function (``GRPOTrainer(reward_funcs=[acc])``; TRL logs it under its
``__name__``). Batches are split into requests of ``batch_size`` items; connection errors and
429/502/503/504 answers are retried with exponential backoff and jitter, waiting at least the
server's ``Retry-After``; a 413 splits the batch in halves; a request that runs past ``timeout``
gives its items ``None`` with status ``timeout`` (counted in :attr:`RemoteReward.totals`, never
a silent 0); any other answer (400/401/403/422, a 500) raises :class:`RemoteError` at once,
unretried.

Column values that JSON cannot carry are made safe before sending: a non-finite float (NaN,
Infinity, as pandas and ``datasets`` use for missing values) is sent as ``null``, anywhere in a
column; the token is stripped of surrounding blanks (a file's trailing newline).
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import RewardkitError

#: Keyword arguments TRL passes to reward functions that are not dataset columns.
TRL_KWARGS = frozenset({"trainer_state", "log_extra", "log_metric", "environments", "completion_ids"})
#: HTTP statuses worth retrying: the server is busy or restarting.
RETRY_STATUS = frozenset({429, 502, 503, 504})
#: Longest wait honoured from a server's Retry-After (seconds).
MAX_RETRY_AFTER = 60.0


class RemoteError(RewardkitError):
    """The server refused a request, or could not be reached after every retry."""


class RemoteReward:
    """A reward (or composite) scored by a remote server; call it like an in-process reward."""

    def __init__(self, url: str, target: str | Sequence[Mapping[str, Any]] | None = None, token: str | None = None,
                 *, params: Mapping[str, Any] | None = None, batch_size: int = 256, timeout: float = 120.0,
                 retries: int = 4, backoff: float = 0.5, columns: Sequence[str] | None = None,
                 name: str | None = None, **composite_options: Any) -> None:
        import httpx

        if batch_size < 1:
            raise ValueError(f"rewardkit.remote: batch_size must be >= 1, got {batch_size}")
        base = url.rstrip("/")
        self.url = base if base.endswith("/v1/score") else base + "/v1/score"
        unknown = sorted(set(composite_options) - {"timeout", "column_map", "on_error", "allow_negative"})
        if unknown:
            raise TypeError(f"rewardkit.remote: unknown option {unknown[0]!r}")
        self.body = _target_body(target, params, composite_options)
        self.batch_size, self.retries, self.backoff = batch_size, retries, backoff
        self.columns = list(columns) if columns is not None else None
        self.__name__ = name or _default_name(target)
        token = _check_token(token)
        headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"} if token else \
            {"content-type": "application/json"}
        self._client = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)))
        self.totals: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<rewardkit.remote {self.__name__} at {self.url}>"

    def __call__(self, completions: Sequence[Any] | None = None, *, prompts: Sequence[Any] | None = None,
                 **kwargs: Any) -> list[float | None]:
        """Values per completion (``None``: not applicable, error or timeout; see :attr:`totals`)."""
        if completions is None:
            raise TypeError("rewardkit.remote: 'completions' is required")
        items = self.score(completions, prompts=prompts, **kwargs)
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):
            for status in ("none", "error", "timeout"):
                log_metric(f"rewardkit/{self.__name__}/{status}", float(sum(i["status"] == status for i in items)))
        return [item["value"] for item in items]

    def score(self, completions: Sequence[Any], *, prompts: Sequence[Any] | None = None,
              **kwargs: Any) -> list[dict[str, Any]]:
        """Per item ``{"value", "status", "message"}`` (and ``"terms"`` for a composite)."""
        if isinstance(completions, str):
            raise TypeError("rewardkit.remote: completions must be a list of strings, not a single string")
        completions = list(completions)
        n = len(completions)
        prompts = list(prompts) if prompts is not None else None
        columns = self._columns(kwargs, n)
        out: list[dict[str, Any]] = []
        for start in range(0, n, self.batch_size):
            stop = min(n, start + self.batch_size)
            body = dict(self.body, completions=completions[start:stop],
                        columns={k: v[start:stop] for k, v in columns.items()})
            if prompts is not None:
                body["prompts"] = prompts[start:stop]
            out += self._post(body, stop - start)
        with self._lock:
            self.totals["items"] += n
            for item in out:
                self.totals[item["status"]] += 1
        return out

    def _columns(self, kwargs: Mapping[str, Any], n: int) -> dict[str, list[Any]]:
        names = self.columns if self.columns is not None else [k for k in kwargs if k not in TRL_KWARGS]
        out: dict[str, list[Any]] = {}
        for name in names:
            if name not in kwargs:
                raise RemoteError(f"rewardkit.remote: column {name!r} was asked for but not given")
            value = kwargs[name]
            if not isinstance(value, (list, tuple)) or len(value) != n:
                if self.columns is not None:
                    raise RemoteError(f"rewardkit.remote: column {name!r} must be a list of {n} values")
                continue
            value = [_finite(v) for v in value]  # NaN/Infinity -> null
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError):
                if self.columns is not None:
                    raise RemoteError(f"rewardkit.remote: column {name!r} cannot be sent as JSON") from None
                continue  # e.g. images: not a column a text reward reads
            out[name] = value
        return out

    def _post(self, body: dict[str, Any], n: int) -> list[dict[str, Any]]:
        import httpx

        last, wait = "", 0.0
        data = json.dumps(body, allow_nan=False).encode()
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(max(wait, self.backoff * 2 ** (attempt - 1)) + random.uniform(0, self.backoff))
                with self._lock:
                    self.totals["retries"] += 1
            try:
                response = self._client.post(self.url, content=data)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError,
                    httpx.WriteError) as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            except httpx.TimeoutException as exc:
                message = f"rewardkit.remote: no answer from {self.url} within the timeout ({type(exc).__name__})"
                return [{"value": None, "status": "timeout", "message": message} for _ in range(n)]
            if response.status_code in RETRY_STATUS:
                last, wait = f"HTTP {response.status_code}: {response.text[:300]}", _retry_after(response)
                continue
            if response.status_code == 413 and n > 1:
                return self._split(body, n)
            if response.status_code != 200:
                raise RemoteError(f"rewardkit.remote: {self.url} answered {response.status_code}: {response.text[:500]}")
            items = response.json()["items"]
            if len(items) != n:
                raise RemoteError(f"rewardkit.remote: {self.url} returned {len(items)} items for {n}")
            return list(items)
        raise RemoteError(f"rewardkit.remote: {self.url} failed after {self.retries + 1} attempts: {last}")

    def _split(self, body: dict[str, Any], n: int) -> list[dict[str, Any]]:
        """After a 413: score the two halves of the batch apart (each may split again)."""
        with self._lock:
            self.totals["splits"] += 1
        half = n // 2
        out: list[dict[str, Any]] = []
        for start, stop in ((0, half), (half, n)):
            part = dict(body, completions=body["completions"][start:stop],
                        columns={k: v[start:stop] for k, v in body.get("columns", {}).items()})
            if body.get("prompts") is not None:
                part["prompts"] = body["prompts"][start:stop]
            out += self._post(part, stop - start)
        return out

    def trl_terms(self) -> tuple[list[RemoteTerm], list[float]]:
        """For a composite: TRL ``reward_funcs`` (one per term, named after it) and ``reward_weights``.

        TRL then logs every term separately, as :func:`rewardkit.trl_adapter.to_trl` does in-process;
        the batch is scored once (one request per ``batch_size``) and each term reads its values.
        """
        if "composite" not in self.body:
            raise ValueError("rewardkit.remote: trl_terms() needs a composite (a list of term tables)")
        terms = self.body["composite"]
        cache = _BatchCache(self)
        funcs = [RemoteTerm(cache, str(t.get("alias") or t.get("name"))) for t in terms]
        return funcs, [float(t.get("weight", 1.0)) for t in terms]

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RemoteReward:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _BatchCache:
    """Scores a batch once and hands each term function its values (TRL calls them in turn)."""

    def __init__(self, remote: RemoteReward) -> None:
        self.remote = remote
        self._lock = threading.Lock()
        self._key: tuple[Any, Any] | None = None
        self._items: list[dict[str, Any]] = []
        self._served: set[str] = set()

    def get(self, term: str, prompts: Any, completions: Any, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        with self._lock:
            key = self._key
            if key is None or key[0] is not prompts or key[1] is not completions or term in self._served:
                self._items = self.remote.score(completions, prompts=prompts, **kwargs)
                self._key, self._served = (prompts, completions), set()
            self._served.add(term)
            return self._items


class RemoteTerm:
    """One term of a remote composite, callable the way TRL calls reward functions."""

    def __init__(self, cache: _BatchCache, term: str) -> None:
        self._cache = cache
        self.term = self.__name__ = term

    def __call__(self, prompts: Any = None, completions: Any = None, **kwargs: Any) -> list[float | None]:
        items = self._cache.get(self.term, prompts, completions, kwargs)
        # an item the client timed out on has no terms: None for every term, status timeout
        terms = [item.get("terms", {}).get(self.term, {"value": None, "status": item["status"]}) for item in items]
        log_metric = kwargs.get("log_metric")
        if callable(log_metric):
            for status in ("none", "error", "timeout"):
                log_metric(f"rewardkit/{self.term}/{status}", float(sum(t["status"] == status for t in terms)))
        return [t["value"] for t in terms]

    def __repr__(self) -> str:
        return f"<rewardkit.remote term {self.term}>"


def _target_body(target: str | Sequence[Mapping[str, Any]] | None, params: Mapping[str, Any] | None,
                 options: Mapping[str, Any]) -> dict[str, Any]:
    if target is None:
        return {}
    if isinstance(target, str):
        from .rewardspec_arg import parse_reward_arg
        from .terms import host_options

        name, parsed = parse_reward_arg(target)
        # "NAME:timeout=5" is the reward's deadline, a host option: it travels as the request's own field
        own, host = host_options({**parsed, **dict(params or {})}, timeout=options.get("timeout"),
                                 columns=options.get("column_map"), where=name)
        body: dict[str, Any] = {"reward": name, "params": own}
        body.update({"column_map" if k == "columns" else k: v for k, v in host.items()})
        return body
    if params:
        raise ValueError("rewardkit.remote: 'params' applies to one reward; give each term its own 'params'")
    return {"composite": [dict(t) for t in target], **{k: v for k, v in options.items()
                                                       if k in ("on_error", "allow_negative")}}


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, Infinity) replaced by ``None``, at any depth."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if hasattr(value, "item") and callable(value.item) and getattr(value, "shape", None) == ():  # numpy scalars
        return _finite(value.item())
    return value


def _retry_after(response: Any) -> float:
    """Seconds from a Retry-After header (a number; dates and nonsense count as 0), capped."""
    try:
        seconds = float(response.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0
    return min(MAX_RETRY_AFTER, seconds) if math.isfinite(seconds) and seconds > 0 else 0.0


def _check_token(token: str | None) -> str | None:
    if token is None:
        return None
    stripped = token.strip()
    if not stripped or any(c.isspace() or not c.isprintable() for c in stripped):
        raise ValueError("rewardkit.remote: the token is empty or holds whitespace or control characters")
    return stripped


def _default_name(target: str | Sequence[Mapping[str, Any]] | None) -> str:
    if target is None:
        return "remote"
    if isinstance(target, str):
        return target.partition(":")[0]
    return "+".join(str(t.get("alias") or t.get("name")) for t in target)


def remote(url: str, reward_or_composite: str | Sequence[Mapping[str, Any]] | None = None, token: str | None = None,
           **options: Any) -> RemoteReward:
    """A reward function scored by the ``rewardkit serve`` server at ``url``.

    ``reward_or_composite`` is a reward name (``"text.rouge:variant=rougeL"``), a list of
    composite term tables (as in a training config), or ``None`` for the server's default.
    Options: ``params``, ``batch_size``, ``timeout``, ``retries``, ``backoff``, ``columns`` (the
    data columns to send; default every JSON list column TRL passes), ``name``, and for a
    composite ``on_error`` / ``allow_negative``.
    """
    return RemoteReward(url, reward_or_composite, token, **options)
