"""Judge backends behind one small interface: ``identity()`` and ``run(queries) -> answers``.

- :class:`TransformersBackend`: in process; one forward pass per query, the verdict is the
  allowed choice with the highest next-token logit (output constrained by construction).
- :class:`OpenAIBackend`: any OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM, SGLang,
  llama.cpp server, hosted APIs); ``max_tokens=1`` with ``logprobs``, temperature 0, a seed, a
  concurrency limit and retries.

A backend never decides what a missing or unreadable verdict means: it returns an
:class:`Answer` whose ``verdict`` is ``None`` and the caller makes it an error outcome.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class Query:
    """One question to the judge: chat messages and the verdicts it may give."""

    messages: tuple[tuple[str, str], ...]  # (role, content)
    choices: tuple[str, ...]

    def as_messages(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.messages]


@dataclass
class Answer:
    """What the judge said: a verdict among the choices (``None``: invalid), and its cost."""

    verdict: str | None
    raw: str = ""  # the model's own first token / text, for reports
    logprobs: dict[str, float] = field(default_factory=dict)  # per allowed choice, where known
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("cached")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Answer:
        return cls(d.get("verdict"), str(d.get("raw", "")), dict(d.get("logprobs") or {}),
                   int(d.get("prompt_tokens", 0)), int(d.get("completion_tokens", 0)), float(d.get("seconds", 0.0)))


class BackendError(RuntimeError):
    """The judge could not be asked (server down after retries, bad model, refused request)."""


class Backend(Protocol):
    """What a judge backend provides."""

    def identity(self) -> dict[str, Any]:
        """Model and decoding parameters: part of every cache key."""
        ...

    def run(self, queries: Sequence[Query]) -> list[Answer]:
        """One answer per query, in order."""
        ...


# -- in process -----------------------------------------------------------------------------------


def _fingerprint(folder: Path) -> str:
    """The SHA-256 of every file's content in a checkpoint folder (weights, tokenizer, config) with its
    name: a checkpoint replaced in place, even by one of the same file names and sizes, is another judge."""
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        if p.is_file():
            h.update(f"{p.name}:{_file_digest(p)};".encode())
    return h.hexdigest()[:16]


def _file_digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class TransformersBackend:
    """A causal LM loaded once in this process; verdict = argmax of the next-token logits over the choices."""

    def __init__(self, model: str, *, device: str = "cpu", batch_size: int = 8, seed: int = 0) -> None:
        from rewardkit.utils import resolve_model

        self.name = model
        self.folder = Path(resolve_model(model))
        if not (self.folder / "config.json").is_file():
            raise BackendError(f"judge model {model!r}: {self.folder} is not a transformers checkpoint folder "
                               "(rewardkit never downloads: pass a local folder or the alias 'smollm2')")
        self.device, self.batch_size, self.seed = device, batch_size, seed
        self._fingerprint = _fingerprint(self.folder)
        self._tok: Any = None
        self._model: Any = None
        self._lock = threading.Lock()  # one load, and one forward pass at a time

    def identity(self) -> dict[str, Any]:
        return {"backend": "transformers", "model": self.name, "weights": self._fingerprint,
                "decoding": "argmax over choices", "temperature": 0, "seed": self.seed}

    def _load(self) -> None:
        with self._lock:
            if self._model is None:
                self._load_now()

    def _load_now(self) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.manual_seed(self.seed)
        tok = AutoTokenizer.from_pretrained(self.folder, local_files_only=True)
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        tok.padding_side = "left"
        model = AutoModelForCausalLM.from_pretrained(self.folder, local_files_only=True, dtype=torch.float32)
        if _fingerprint(self.folder) != self._fingerprint:  # replaced since: cache keys would name other weights
            raise BackendError(f"judge model {self.name!r}: the checkpoint in {self.folder} changed after this "
                               "process fingerprinted it; restart to judge with the new weights")
        model.to(self.device)  # type: ignore[arg-type]  # a device string is accepted
        self._tok, self._model = tok, model.eval()

    def _text(self, q: Query) -> str:
        tok = self._tok
        if getattr(tok, "chat_template", None):
            return str(tok.apply_chat_template(q.as_messages(), tokenize=False, add_generation_prompt=True))
        return "".join(f"{r}: {c}\n" for r, c in q.messages) + "assistant: "

    def choice_ids(self, choices: Sequence[str]) -> list[int]:
        """The first token of each choice; distinct, or the choices cannot be told apart."""
        self._load()
        ids = []
        for c in choices:
            toks = self._tok.encode(c, add_special_tokens=False)
            if not toks:
                raise BackendError(f"judge model {self.name!r}: the verdict {c!r} encodes to no token")
            ids.append(toks[0])
        if len(set(ids)) != len(ids):
            raise BackendError(f"judge model {self.name!r}: verdicts {list(choices)} share a first token")
        return ids

    def run(self, queries: Sequence[Query]) -> list[Answer]:
        self._load()
        out: list[Answer] = []
        for start in range(0, len(queries), self.batch_size):
            out += self._batch(queries[start : start + self.batch_size])
        return out

    def _batch(self, queries: Sequence[Query]) -> list[Answer]:
        import torch

        start = time.perf_counter()
        enc = self._tok([self._text(q) for q in queries], return_tensors="pt", padding=True, add_special_tokens=False)
        mask = enc["attention_mask"]
        positions = (mask.cumsum(-1) - 1).clamp(min=0)  # left padding must not shift positions
        with self._lock, torch.inference_mode():
            logits = self._model(input_ids=enc["input_ids"].to(self.device), attention_mask=mask.to(self.device),
                                 position_ids=positions.to(self.device)).logits[:, -1, :].float()
        logp = torch.log_softmax(logits, dim=-1).cpu()
        seconds = (time.perf_counter() - start) / len(queries)
        answers = []
        for row, q in enumerate(queries):
            ids = self.choice_ids(q.choices)
            scores = {c: float(logp[row, i]) for c, i in zip(q.choices, ids)}
            best = max(q.choices, key=lambda c: (scores[c], -q.choices.index(c)))
            raw = self._tok.decode([int(logp[row].argmax())])
            answers.append(Answer(best, raw, scores, int(mask[row].sum()), 1, seconds))
        return answers


# -- OpenAI-compatible HTTP -----------------------------------------------------------------------

#: Statuses worth retrying: rate limits and server-side trouble.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class OpenAIBackend:
    """``POST {base_url}/chat/completions`` with ``max_tokens=1``, ``logprobs``, temperature 0 and a seed."""

    def __init__(self, model: str, *, base_url: str, api_key_env: str = "OPENAI_API_KEY", concurrency: int = 8,
                 retries: int = 3, timeout: float = 60.0, seed: int = 0, top_logprobs: int = 10,
                 transport: Any = None) -> None:
        self.model, self.base_url = model, base_url.rstrip("/")
        self.api_key_env, self.concurrency, self.retries = api_key_env, concurrency, retries
        self.timeout, self.seed, self.top_logprobs = timeout, seed, top_logprobs
        self._client: Any = None
        self._transport = transport  # an httpx transport (tests: httpx.MockTransport)

    def identity(self) -> dict[str, Any]:
        # the key never enters the identity (it would be written into the cache folder's keys)
        return {"backend": "openai", "base_url": self.base_url, "model": self.model, "max_tokens": 1,
                "temperature": 0, "seed": self.seed, "top_logprobs": self.top_logprobs}

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            headers = {}
            key = os.environ.get(self.api_key_env)
            if key:
                headers["Authorization"] = f"Bearer {key}"
            self._client = httpx.Client(timeout=self.timeout, headers=headers, transport=self._transport,
                                        limits=httpx.Limits(max_connections=self.concurrency))
        return self._client

    def run(self, queries: Sequence[Query]) -> list[Answer]:
        from concurrent.futures import ThreadPoolExecutor

        if len(queries) <= 1:
            return [self._one(q) for q in queries]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(queries))) as pool:
            return list(pool.map(self._one, queries))

    def _payload(self, q: Query) -> dict[str, Any]:
        return {"model": self.model, "messages": q.as_messages(), "max_tokens": 1, "temperature": 0.0,
                "seed": self.seed, "logprobs": True, "top_logprobs": self.top_logprobs, "n": 1}

    def _one(self, q: Query) -> Answer:
        import httpx

        url = f"{self.base_url}/chat/completions"
        start = time.perf_counter()
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(8.0, 0.5 * 2 ** (attempt - 1)))
            try:
                resp = self._http().post(url, json=self._payload(q))
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
                continue
            if resp.status_code in RETRY_STATUSES:
                problem = f"HTTP {resp.status_code}: {resp.text[:200]}"
                continue
            if resp.status_code != 200:
                raise BackendError(f"judge endpoint {url} refused the request: HTTP {resp.status_code}: {resp.text[:300]}")
            try:
                body = resp.json()
            except ValueError:
                raise BackendError(f"judge endpoint {url} answered HTTP 200 with a body that is not JSON") from None
            return parse_chat(body, q.choices, time.perf_counter() - start)
        raise BackendError(f"judge endpoint {url}: no answer after {self.retries + 1} tries ({problem})")


def parse_chat(body: Any, choices: Sequence[str], seconds: float) -> Answer:
    """An :class:`Answer` from a chat-completions body: the best allowed choice among the first token's
    top log-probs; without log-probs, the text when it is exactly one choice; else no verdict."""
    usage = body.get("usage") if isinstance(body, dict) else None
    usage = usage if isinstance(usage, dict) else {}
    prompt_tokens, completion_tokens = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    try:
        choice = body["choices"][0]
        text = choice["message"].get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        return Answer(None, f"malformed body: {str(body)[:200]}", {}, prompt_tokens, completion_tokens, seconds)
    scores: dict[str, float] = {}
    try:
        top = choice["logprobs"]["content"][0]["top_logprobs"]
    except (KeyError, IndexError, TypeError):
        top = []
    for item in top if isinstance(top, list) else []:
        if not isinstance(item, dict):
            continue
        token = str(item.get("token", "")).strip()
        lp = item.get("logprob")
        if token in choices and isinstance(lp, (int, float)) and token not in scores:
            scores[token] = float(lp)
    verdict: str | None
    if scores:
        verdict = max(scores, key=lambda c: (scores[c], -list(choices).index(c)))
    else:
        verdict = text.strip() if text.strip() in choices else None
    return Answer(verdict, text, scores, prompt_tokens, completion_tokens, seconds)


class ScriptedBackend:
    """A judge that answers by a Python function of the query (tests; wire it with
    :func:`rewardkit_judge.judge.register_backend`). Keeps every query it was asked in ``asked``."""

    def __init__(self, decide: Any, name: str = "scripted") -> None:
        self.decide, self.name = decide, name
        self.asked: list[Query] = []

    def identity(self) -> dict[str, Any]:
        return {"backend": "scripted", "model": self.name}

    def run(self, queries: Sequence[Query]) -> list[Answer]:
        self.asked += list(queries)
        return [Answer(self.decide(q), "scripted", {}, 10, 1, 0.001) for q in queries]
