"""``rm.similarity``: cosine similarity of sentence embeddings between an answer and a reference."""

from __future__ import annotations

from typing import Any

from rewardkit.utils import answer_span

from .models import bundled_minilm, cache, cache_key, check_device, pick_device, resolve_model

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def load_encoder(name: str = DEFAULT_MODEL, device: str = "auto") -> Any:
    """A ``SentenceTransformer`` loaded once per process and device, from disk only."""
    dev = pick_device(device)
    return cache.get(cache_key("encoder", name, dev), lambda: _load(name, dev))


def _load(name: str, device: str) -> Any:
    from sentence_transformers import SentenceTransformer

    folder = resolve_model(name)
    return SentenceTransformer(str(folder), device=device, local_files_only=True)


def answer_text(completion: str, answer: str) -> str:
    """The part compared: ``auto`` takes the final ``<answer>`` span (:func:`rewardkit.utils.answer_span`)
    when present, ``full`` the whole completion."""
    if answer == "auto":
        span = answer_span(completion)
        if span is not None:
            return span
    return completion.strip()


def similarity(
    *,
    completions: list[str],
    prompts: list[str],
    reference: list[Any],
    model: str,
    answer: str,
    mapping: str,
    batch_size: int,
    device: str,
) -> list[float | None]:
    """Cosine similarity mapped onto [0, 1]; ``None`` where the reference is missing or empty."""
    texts = [answer_text(c, answer) for c in completions]
    refs = [None if r is None else str(r).strip() for r in reference]
    unique = sorted({t for t in texts if t} | {r for r in refs if r})
    if not unique:
        return [None if not r else 0.0 for r in refs]
    encoder = load_encoder(model, device)
    emb = encoder.encode(unique, batch_size=batch_size, normalize_embeddings=True, convert_to_tensor=True,
                         show_progress_bar=False)
    row = {t: i for i, t in enumerate(unique)}
    pairs = [(i, t, r) for i, (t, r) in enumerate(zip(texts, refs)) if t and r]
    both = [i for i, _, _ in pairs]
    cosines = (emb[[row[t] for _, t, _ in pairs]] * emb[[row[r] for _, _, r in pairs]]).sum(-1).tolist() if pairs else []
    out: list[float | None] = [None if not r else 0.0 for r in refs]
    for i, cos in zip(both, cosines):
        out[i] = _map(cos, mapping)
    return out


def _map(cos: float, mapping: str) -> float:
    cos = min(1.0, max(-1.0, cos))
    return max(0.0, cos) if mapping == "clip" else (cos + 1.0) / 2.0


def check_params(params: dict[str, Any]) -> None:
    """Fail at build time on a model that cannot be found on disk or a bad device."""
    check_device(params["device"])
    if params["model"] == DEFAULT_MODEL and bundled_minilm() is None:
        return  # registration must not fail without the bundle; the first call says what to install
    resolve_model(params["model"])


def params() -> dict[str, Any]:
    from rewardkit import Param

    return {
        "model": Param(DEFAULT_MODEL, help="sentence-transformers folder or cached hub id (default: the bundled MiniLM)",
                       kind="path"),
        "answer": Param("auto", help="auto: compare the last <answer>...</answer> when present; full: the whole completion",
                        choices=("auto", "full")),
        "mapping": Param("clip", help="clip: max(0, cos); linear: (cos + 1) / 2", choices=("clip", "linear")),
        "batch_size": Param(64, help="texts per encoder batch", min=1, kind="resource"),
        "device": Param("auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps", kind="resource"),
    }
