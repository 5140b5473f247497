"""``rm.classifier``: a sequence-classification reward model, its logit squashed onto [0, 1]."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .encoding import TRUNCATION_SIDES, encode
from .models import cache, cache_key, check_classifier, check_device, pick_device, pick_dtype, read_meta, resolve_model

DEFAULT_MAX_LENGTH = 1024


@dataclass
class LoadedClassifier:
    """A reward model ready to score: tokenizer, model, device and what ``rm train`` stored with it."""

    folder: Path
    tokenizer: Any
    model: Any
    device: str
    max_positions: int
    meta: dict[str, Any] = field(default_factory=dict)

    def calibration(self) -> tuple[float, float]:
        """(mean, std) of the logits stored by ``rm train``; (0, 1) when there are none."""
        cal = self.meta.get("calibration") or {}
        mean, std = cal.get("mean"), cal.get("std")
        if isinstance(mean, (int, float)) and isinstance(std, (int, float)) and std > 0:
            return float(mean), float(std)
        return 0.0, 1.0


def load_classifier(name: str, device: str = "auto") -> LoadedClassifier:
    """The reward model ``name`` (path or cached hub id), loaded once per process and device."""
    dev = pick_device(device)
    return cache.get(cache_key("classifier", name, dev), lambda: _load(name, dev))


def _load(name: str, device: str) -> LoadedClassifier:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = resolve_model(name)
    check_classifier(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True, dtype=pick_dtype(device))
    if tokenizer.pad_token is None:
        if tokenizer.eos_token is None:
            raise ValueError(f"{folder}: the tokenizer has neither a pad token nor an EOS token to pad batches with")
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id
    model.to(device).eval()
    limits = [getattr(model.config, "max_position_embeddings", None), getattr(tokenizer, "model_max_length", None)]
    max_positions = min([int(x) for x in limits if isinstance(x, int) and 0 < x < 1_000_000] or [DEFAULT_MAX_LENGTH])
    return LoadedClassifier(folder, tokenizer, model, device, max_positions, read_meta(folder))


def raw_scores(
    loaded: LoadedClassifier,
    prompts: Sequence[str],
    completions: Sequence[str],
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
    truncation: str = "left",
    batch_size: int = 16,
) -> list[float]:
    """The model's logit for each (prompt, completion), batched longest-first."""
    import torch

    limit = min(max_length, loaded.max_positions)
    tok = loaded.tokenizer
    ids = [encode(tok, p, c, limit, truncation) for p, c in zip(prompts, completions)]
    order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
    out = [0.0] * len(ids)
    pad = tok.pad_token_id
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            width = max(len(ids[i]) for i in chunk)
            input_ids = torch.full((len(chunk), width), pad, dtype=torch.long)
            mask = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, i in enumerate(chunk):
                input_ids[row, : len(ids[i])] = torch.tensor(ids[i])
                mask[row, : len(ids[i])] = 1
            logits = loaded.model(input_ids=input_ids.to(loaded.device), attention_mask=mask.to(loaded.device)).logits
            for i, value in zip(chunk, logits[:, 0].float().cpu().tolist()):
                out[i] = value
    return out


def squash(logit: float, center: float, scale: float, temperature: float) -> float:
    """``sigmoid((logit - center) / (scale * temperature))``, overflow-safe."""
    z = (logit - center) / (scale * temperature)
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def classifier(
    *,
    completions: list[str],
    prompts: list[str],
    model: str | None,
    max_length: int | None,
    truncation: str | None,
    batch_size: int,
    temperature: float,
    center: float | None,
    scale: float | None,
    device: str,
) -> list[float]:
    """Reward-model score of each completion in [0, 1]."""
    if model is None:
        raise ValueError("rm.classifier needs a model: rewardkit.reward('rm.classifier', model='PATH or hub id')")
    loaded = load_classifier(model, device)
    logits = raw_scores(
        loaded, prompts, completions, batch_size=batch_size,
        max_length=max_length or int(loaded.meta.get("max_length") or DEFAULT_MAX_LENGTH),
        truncation=truncation or str(loaded.meta.get("truncation") or "left"),
    )
    mean, std = loaded.calibration()
    c = mean if center is None else center
    s = std if scale is None else scale
    return [squash(x, c, s, temperature) for x in logits]


def check_params(params: dict[str, Any]) -> None:
    """Fail at build time on a missing model folder, a non-classifier or a bad device."""
    check_device(params["device"])
    if params["model"] is not None:
        check_classifier(resolve_model(params["model"]))


def params() -> dict[str, Any]:
    from rewardkit import Param

    return {
        "model": Param(None, help="reward model folder, or a hub id already in the local HF cache", type=str, nullable=True,
                       kind="path"),
        "max_length": Param(None, help="tokens per (prompt, completion), longer inputs are truncated "
                            "(default: the training length stored by rm train, else 1024; never above the model's limit)",
                            type=int, nullable=True, min=8),
        "truncation": Param(None, help="left: drop the start (prompt first), right: drop the end "
                            "(default: as trained, else left)", type=str, nullable=True, choices=(*TRUNCATION_SIDES, None)),
        "batch_size": Param(16, help="sequences per forward pass", min=1, kind="resource"),
        "temperature": Param(1.0, help="sigmoid temperature: higher pulls scores towards 0.5", min=1e-6),
        "center": Param(None, help="logit mapped to 0.5 (default: stored calibration mean, else 0)", type=(float, int), nullable=True),
        "scale": Param(None, help="logit scale (default: stored calibration std, else 1)", type=(float, int), nullable=True, min=1e-9),
        "device": Param("auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps", kind="resource"),
    }
