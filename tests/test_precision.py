"""``dtype = "auto"``: bf16 only where the hardware runs it natively, float32 elsewhere (one rule for every command)."""

import pytest

from rewardkit import dtypes as precision


@pytest.fixture(autouse=True)
def fresh_probe():
    precision.cpu_bf16.cache_clear()
    yield
    precision.cpu_bf16.cache_clear()


def test_auto_is_bf16_on_a_cpu_with_native_bf16(monkeypatch):
    monkeypatch.setattr(precision, "cpu_probe", lambda: ("AVX512", True, "AMX"))
    choice = precision.pick_dtype("auto", "cpu")
    assert choice.dtype == "bfloat16" and choice.requested == "auto"
    assert "native bf16" in choice.reason and "AMX" in choice.reason
    assert choice.line().startswith("dtype: bfloat16 (auto: CPU with native bf16")
    assert choice.record() == {"dtype": "bfloat16", "requested": "auto", "device": "cpu", "reason": choice.reason}


@pytest.mark.parametrize("probe", [("AVX2", False, ""), ("AVX2", True, "AVX512-BF16"), ("AVX512", True, ""),
                                   ("AVX512", False, "AMX")])
def test_auto_is_float32_on_a_cpu_without_it(monkeypatch, probe):
    monkeypatch.setattr(precision, "cpu_probe", lambda: probe)
    choice = precision.pick_dtype("auto", "cpu")
    assert choice.dtype == "float32"
    assert "without native bf16" in choice.reason


def test_unknown_cpus_measure(monkeypatch):
    monkeypatch.setattr(precision, "cpu_probe", lambda: None)
    monkeypatch.setattr(precision, "measured_bf16", lambda: (False, "bf16 at 0.02x fp32 speed"))
    assert precision.pick_dtype().dtype == "float32"
    precision.cpu_bf16.cache_clear()
    monkeypatch.setattr(precision, "measured_bf16", lambda: (True, "bf16 at 1.80x fp32 speed"))
    choice = precision.pick_dtype()
    assert choice.dtype == "bfloat16" and "measured" in choice.reason


def test_the_measurement_runs():
    fast, text = precision.measured_bf16(size=32, seconds=0.01)
    assert isinstance(fast, bool) and "fp32 speed" in text


def test_full_finetune_keeps_float32_weights_even_with_native_bf16(monkeypatch):
    monkeypatch.setattr(precision, "cpu_probe", lambda: ("AVX512", True, "AMX"))
    choice = precision.pick_dtype("auto", "cpu", full_finetune=True)
    assert choice.dtype == "float32" and "trained in full" in choice.reason


def test_an_explicit_dtype_is_kept_with_a_warning_where_bf16_is_slow(monkeypatch):
    monkeypatch.setattr(precision, "cpu_probe", lambda: ("AVX2", False, ""))
    choice = precision.pick_dtype("bfloat16", "cpu")
    assert choice.dtype == "bfloat16" and "warning" in choice.reason
    assert precision.pick_dtype("float32").reason == "set in the config"
    with pytest.raises(ValueError, match="dtype must be one of"):
        precision.pick_dtype("fp8")


def test_cuda_follows_torch(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert precision.pick_dtype("auto", "cuda").dtype == "bfloat16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert precision.pick_dtype("auto", "cuda:0").dtype == "float32"
    assert precision.pick_dtype("auto", "mps").dtype == "float32"


def test_the_shipped_configs_say_auto():
    import tomllib
    from importlib import resources

    from rewardkit.train.config import MODEL_KEYS

    assert MODEL_KEYS["dtype"].default == "auto"
    for cfg in (resources.files("rewardkit") / "configs").iterdir():
        if cfg.name.endswith(".toml"):
            dtype = tomllib.loads(cfg.read_text(encoding="utf-8")).get("model", {}).get("dtype", "auto")
            assert dtype == "auto", cfg.name


def test_a_run_records_and_prints_its_choice(monkeypatch):
    from types import SimpleNamespace

    from rewardkit.train import grpo

    monkeypatch.setattr(precision, "cpu_probe", lambda: ("AVX2", False, ""))
    monkeypatch.setattr(grpo, "_cuda", lambda: False)
    cfg = SimpleNamespace(model={"dtype": "auto", "lora": {"r": 8}}, precision=None)
    choice = grpo.precision(cfg)  # type: ignore[arg-type]
    assert choice.dtype == "float32" and cfg.precision is choice and grpo.precision(cfg) is choice  # type: ignore[arg-type]


def test_the_real_probe_answers():
    probe = precision.cpu_probe()
    assert probe is None or (isinstance(probe[0], str) and isinstance(probe[1], bool))
    assert precision.pick_dtype().dtype in ("float32", "bfloat16")
