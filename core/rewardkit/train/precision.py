"""Kept for old imports: the dtype rule lives in :mod:`rewardkit.dtypes` (a core module that imports no
other rewardkit module, so :mod:`rewardkit.utils` publishes ``pick_dtype`` without importing ``train``)."""

from __future__ import annotations

from ..dtypes import DTYPES, DtypeChoice, cpu_bf16, native_bf16, pick_dtype

__all__ = ["DTYPES", "DtypeChoice", "cpu_bf16", "native_bf16", "pick_dtype"]
