"""rewardkit.train.vllm_cpu without vLLM: environment defaults and the TRL sync patch's routing.

These run everywhere (vLLM itself is exercised in test_vllm_cpu.py, in the vLLM venv).
"""

from __future__ import annotations

import sys

import pytest

from rewardkit.train import vllm_cpu


def test_import_is_light():
    import subprocess

    code = ("import sys, rewardkit.train.vllm_cpu; "
            "print(sorted(m for m in ('torch', 'vllm', 'trl', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_prepare_sets_defaults_and_keeps_user_values(monkeypatch):
    for key in (*vllm_cpu.ENV_DEFAULTS, "OMP_NUM_THREADS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("VLLM_CPU_KVCACHE_SPACE", "3")
    notes = vllm_cpu.prepare(patch=False)
    import os

    import torch

    assert os.environ["VLLM_CPU_KVCACHE_SPACE"] == "3"  # the user's value wins
    assert os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] == "0"
    assert os.environ["OMP_NUM_THREADS"] == str(torch.get_num_threads())
    assert "VLLM_ENABLE_V1_MULTIPROCESSING=0" in notes and not any(n.startswith("VLLM_CPU_KVCACHE") for n in notes)


def test_prepare_kv_cache_argument(monkeypatch):
    monkeypatch.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)
    vllm_cpu.prepare(kv_cache_gib=2, patch=False)
    import os

    assert os.environ["VLLM_CPU_KVCACHE_SPACE"] == "2"


class FakeGeneration:
    """Stands in for TRL's VLLMGeneration: a mode, an engine and the named parameters TRL would push."""

    def __init__(self, mode):
        self.mode = mode
        self.llm = object()
        self.original_calls = 0

    def _iter_named_params(self):
        yield "model.embed_tokens.weight", 1
        yield "model.norm.weight", 2


@pytest.fixture
def patched(monkeypatch):
    pytest.importorskip("trl")
    from trl.generation.vllm_generation import VLLMGeneration

    def original(self):
        self.original_calls += 1

    monkeypatch.setattr(VLLMGeneration, "sync_weights", original)  # restored after the test
    assert vllm_cpu.patch_trl() is True
    assert vllm_cpu.patch_trl() is False  # idempotent
    calls = []
    monkeypatch.setattr(vllm_cpu, "sync_weights", lambda llm, params: calls.append((llm, list(params))))
    return VLLMGeneration.sync_weights, calls


def test_patch_routes_colocate_on_cpu_through_layerwise_reload(patched, monkeypatch):
    sync, calls = patched
    monkeypatch.setattr(vllm_cpu, "is_cpu_platform", lambda: True)
    gen = FakeGeneration("colocate")
    sync(gen)
    assert gen.original_calls == 0
    assert calls == [(gen.llm, [("model.embed_tokens.weight", 1), ("model.norm.weight", 2)])]


def test_patch_leaves_gpu_and_server_mode_to_trl(patched, monkeypatch):
    sync, calls = patched
    monkeypatch.setattr(vllm_cpu, "is_cpu_platform", lambda: False)
    gpu = FakeGeneration("colocate")
    sync(gpu)
    monkeypatch.setattr(vllm_cpu, "is_cpu_platform", lambda: True)
    server = FakeGeneration("server")
    sync(server)
    assert (gpu.original_calls, server.original_calls) == (1, 1)
    assert calls == []
