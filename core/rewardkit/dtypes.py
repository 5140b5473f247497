"""``dtype = "auto"``: bf16 only where the hardware runs it natively, float32 everywhere else.

One rule for ``rewardkit train``, ``rewardkit sft``, ``rewardkit demo`` and the reward-model
plugin's ``rm train`` (published as :func:`rewardkit.utils.pick_dtype`):

- CUDA: bf16 when ``torch.cuda.is_bf16_supported()``, else float32;
- x86 CPU: bf16 only when PyTorch's kernels use AVX-512 (``torch.backends.cpu.get_cpu_capability()``),
  oneDNN has bf16 (``torch.ops.mkldnn._is_mkldnn_bf16_supported()``) and the CPU has the bf16
  instructions (AVX512-BF16 or AMX). On an AVX2 CPU a bf16 matmul runs 40-60x slower than fp32;
- any other CPU (ARM, unknown): a tiny timed matmul; bf16 only when it is at least as fast as fp32.

The choice comes with its reason, printed in a run's first lines and written to its run record.
An explicit dtype is kept, with a warning in the reason when it is bf16 on a CPU without it.
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass
from typing import Any

DTYPES = ("auto", "float32", "bfloat16", "float16")


@dataclass(frozen=True)
class DtypeChoice:
    """The dtype a run uses, what was asked for, the device, and why."""

    dtype: str
    requested: str
    device: str
    reason: str

    @property
    def torch_dtype(self) -> Any:
        import torch

        return getattr(torch, self.dtype)

    def line(self) -> str:
        """One line for a run's first lines: ``dtype: float32 (auto: ...)``."""
        return f"dtype: {self.dtype} ({self.reason})"

    def record(self) -> dict[str, str]:
        """What a run record keeps (``resolved_config.json``, ``main.json``)."""
        return asdict(self)


def pick_dtype(requested: str | None = "auto", device: str = "cpu", *, full_finetune: bool = False) -> DtypeChoice:
    """Resolve ``requested`` (``auto`` or a dtype name) for ``device`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``).

    ``full_finetune``: the weights themselves are trained (no LoRA); ``auto`` then keeps them in
    float32 even where bf16 is native, because bf16 weights round small updates away (mixed
    precision is the trainer's ``bf16`` flag, not the weights' dtype).
    """
    requested = requested or "auto"
    if requested not in DTYPES:
        raise ValueError(f"dtype must be one of {list(DTYPES)}, got {requested!r}")
    native, why = native_bf16(device)
    if requested != "auto":
        reason = "set in the config"
        if requested == "bfloat16" and not native:
            reason += f"; warning: no native bf16 here ({why}), float32 is likely much faster"
        return DtypeChoice(requested, requested, device, reason)
    if native and full_finetune:
        return DtypeChoice("float32", "auto", device,
                           f"auto: {why}, but the weights are trained in full (bf16 would round updates away)")
    return DtypeChoice("bfloat16" if native else "float32", "auto", device, f"auto: {why}")


def native_bf16(device: str = "cpu") -> tuple[bool, str]:
    """Whether ``device`` runs bf16 natively, and a short reason naming what was checked."""
    import torch

    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            return False, "CUDA is not available"
        ok = bool(torch.cuda.is_bf16_supported())
        return ok, f"CUDA {'supports' if ok else 'does not support'} bf16"
    if device != "cpu":
        return False, f"{device}: bf16 is used only on CUDA and on CPUs with native bf16"
    return cpu_bf16()


@functools.lru_cache(maxsize=1)
def cpu_bf16() -> tuple[bool, str]:
    """The CPU rule (cached: the answer does not change within a process)."""
    probe = cpu_probe()
    if probe is None:
        fast, figures = measured_bf16()
        return fast, f"CPU capability unknown; measured matmul {figures}"
    capability, onednn, instructions = probe
    if capability.startswith("AVX512") and onednn and instructions:
        return True, f"CPU with native bf16 (ATen {capability}, oneDNN bf16, {instructions})"
    missing = [f"ATen kernels {capability}" if not capability.startswith("AVX512") else "",
               "no oneDNN bf16" if not onednn else "", "no AVX512-BF16/AMX" if not instructions else ""]
    return False, f"CPU without native bf16 ({', '.join(m for m in missing if m)})"


def cpu_probe() -> tuple[str, bool, str] | None:
    """``(ATen capability, oneDNN bf16, "AVX512-BF16"/"AMX"/"")`` on x86, ``None`` where unknown.

    The first two follow ``ATEN_CPU_CAPABILITY`` and ``ONEDNN_MAX_CPU_ISA``, so a machine with bf16
    can run as one without it (``ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2``).
    """
    import torch

    try:
        capability = str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        return None
    if not (capability.startswith("AVX") or capability in ("DEFAULT", "NO AVX")):
        return None  # ARM (SVE, NEON), POWER (VSX), s390x: measure
    try:
        onednn = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        onednn = False
    cpu = getattr(torch, "cpu", None)
    amx = bool(getattr(cpu, "_is_amx_tile_supported", lambda: False)())
    avx512_bf16 = bool(getattr(cpu, "_is_avx512_bf16_supported", lambda: False)())
    return capability, onednn, "AMX" if amx else ("AVX512-BF16" if avx512_bf16 else "")


def measured_bf16(size: int = 256, seconds: float = 0.05) -> tuple[bool, str]:
    """Time a ``size`` x ``size`` matmul in fp32 and bf16; bf16 wins only when at least as fast."""
    import torch

    rates = {}
    for dtype in (torch.float32, torch.bfloat16):
        a = torch.ones(size, size, dtype=dtype)
        a @ a
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            a @ a
            n += 1
        rates[dtype] = n / (time.perf_counter() - start)
    ratio = rates[torch.bfloat16] / rates[torch.float32]
    return ratio >= 1.0, f"bf16 at {ratio:.2f}x fp32 speed"


__all__ = ["DTYPES", "DtypeChoice", "cpu_bf16", "native_bf16", "pick_dtype"]
