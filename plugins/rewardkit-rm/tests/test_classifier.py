"""rm.classifier on a tiny random reward model built from a config."""

from __future__ import annotations

import json
import math
import shutil

import pytest

import rewardkit
from rewardkit_rm.classifier import load_classifier, raw_scores, squash
from rewardkit_rm.encoding import encode, format_text, truncate
from rewardkit_rm.models import META_FILE, cache

COMPLETIONS = ["<think>2 + 2 = 4</think><answer>4</answer>", "The answer is 5.", "4"]
PROMPTS = ["What is 2 + 2?"] * 3


def test_scores_are_values_in_range(tiny_rm):
    r = rewardkit.reward("rm.classifier", model=str(tiny_rm), device="cpu")
    s = r.score(COMPLETIONS, prompts=PROMPTS)
    assert s.statuses == [rewardkit.Status.VALUE] * 3
    assert all(0.0 < v < 1.0 for v in s.values)
    assert len(set(s.values)) == 3  # the model reads the text


def test_batch_and_alone_agree(tiny_rm):
    """Padding must not change a score: each item alone equals the item in a mixed-length batch."""
    r = rewardkit.reward("rm.classifier", model=str(tiny_rm), device="cpu", batch_size=3)
    batch = r(COMPLETIONS, prompts=PROMPTS)
    alone = [r([c], prompts=[p])[0] for c, p in zip(COMPLETIONS, PROMPTS)]
    assert batch == pytest.approx(alone, abs=1e-5)


def test_squash_uses_stored_calibration_and_overrides(tiny_rm, tmp_path):
    folder = tmp_path / "rm"
    shutil.copytree(tiny_rm, folder)
    loaded = load_classifier(str(folder), "cpu")
    logits = raw_scores(loaded, PROMPTS, COMPLETIONS)
    plain = rewardkit.reward("rm.classifier", model=str(folder), device="cpu")(COMPLETIONS, prompts=PROMPTS)
    assert plain == pytest.approx([1 / (1 + math.exp(-x)) for x in logits])

    (folder / META_FILE).write_text(json.dumps({"calibration": {"mean": 0.5, "std": 0.25}}))
    cache.clear()
    calibrated = rewardkit.reward("rm.classifier", model=str(folder), device="cpu")(COMPLETIONS, prompts=PROMPTS)
    assert calibrated == pytest.approx([squash(x, 0.5, 0.25, 1.0) for x in logits])
    explicit = rewardkit.reward("rm.classifier", model=str(folder), device="cpu", center=0, scale=1, temperature=2.0)
    assert explicit(COMPLETIONS, prompts=PROMPTS) == pytest.approx([squash(x, 0.0, 1.0, 2.0) for x in logits])


def test_squash_is_overflow_safe():
    assert squash(1e6, 0, 1, 1) == 1.0
    assert squash(-1e6, 0, 1, 1) == 0.0
    assert squash(0.0, 0, 1, 1) == 0.5


def test_chat_template_is_applied(tiny_rm):
    tok = load_classifier(str(tiny_rm), "cpu").tokenizer
    text, templated = format_text(tok, "What is 2 + 2?", "4")
    assert templated
    assert text == "<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n"


def test_long_and_empty_completions_are_truncated_not_fatal(tiny_rm):
    r = rewardkit.reward("rm.classifier", model=str(tiny_rm), device="cpu", max_length=64)
    long_a = "1 2 3 " + "x " * 20_000 + "so the answer is 4"
    long_b = "9 8 7 " + "x " * 20_000 + "so the answer is 4"
    s = r.score(["", " ", long_a, long_b], prompts=["q"] * 4)
    assert s.statuses == [rewardkit.Status.VALUE] * 4
    # left truncation keeps the end of the completion: texts that differ only at the start score the same
    assert s.values[2] == pytest.approx(s.values[3], abs=1e-6)
    right = rewardkit.reward("rm.classifier", model=str(tiny_rm), device="cpu", max_length=64, truncation="right")
    vals = right([long_a, long_b], prompts=["q", "q"])
    assert vals[0] != pytest.approx(vals[1], abs=1e-6)


def test_max_length_is_capped_by_the_model(tiny_rm):
    loaded = load_classifier(str(tiny_rm), "cpu")
    assert loaded.max_positions <= 1024
    ids = encode(loaded.tokenizer, "q", "x " * 10_000, 10**6, "left")
    assert len(ids) > 1024
    assert raw_scores(loaded, ["q"], ["x " * 10_000], max_length=10**6)  # capped, no index error


def test_truncate_keeps_special_tokens():
    special = {0, 1}
    ids = [0, 5, 6, 7, 8, 9, 1]
    assert truncate(ids, 5, "left", special) == [0, 7, 8, 9, 1]
    assert truncate(ids, 5, "right", special) == [0, 5, 6, 7, 1]
    assert truncate(ids, 10, "left", special) == ids


def test_missing_folder_fails_at_build(tmp_path):
    with pytest.raises(rewardkit.ParameterError, match="no such model folder"):
        rewardkit.reward("rm.classifier", model=str(tmp_path / "nope"))


def test_causal_lm_is_not_a_classifier(tiny_lm):
    with pytest.raises(rewardkit.ParameterError, match="not a sequence classifier.*Qwen2ForCausalLM"):
        rewardkit.reward("rm.classifier", model=str(tiny_lm))


def test_folder_without_config_and_uncached_hub_id(tmp_path):
    with pytest.raises(rewardkit.ParameterError, match="no config.json"):
        rewardkit.reward("rm.classifier", model=str(tmp_path))
    with pytest.raises(rewardkit.ParameterError, match="never downloads"):
        rewardkit.reward("rm.classifier", model="nobody-here/no-such-reward-model")


def test_two_label_classifier_is_rejected(tiny_rm, tmp_path):
    folder = tmp_path / "two"
    shutil.copytree(tiny_rm, folder)
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {"0": "LABEL_0", "1": "LABEL_1"}
    config.pop("num_labels", None)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(rewardkit.ParameterError, match="2 labels"):
        rewardkit.reward("rm.classifier", model=str(folder))


def test_bad_params_fail_at_build(tiny_rm):
    with pytest.raises(rewardkit.ParameterError, match="device"):
        rewardkit.reward("rm.classifier", model=str(tiny_rm), device="tpu")
    with pytest.raises(rewardkit.ParameterError, match="truncation"):
        rewardkit.reward("rm.classifier", model=str(tiny_rm), truncation="middle")
    with pytest.raises(rewardkit.ParameterError, match="temperature"):
        rewardkit.reward("rm.classifier", model=str(tiny_rm), temperature=0.0)


def test_no_model_is_an_error_outcome_not_a_crash():
    s = rewardkit.reward("rm.classifier").score(["a", "b"])
    assert s.statuses == [rewardkit.Status.ERROR] * 2
    assert "needs a model" in s.messages[0]


def test_model_loads_once_per_process(tiny_rm):
    key_count = len(cache.keys())
    loads = cache.loads
    for _ in range(3):  # several bound rewards, same model
        r = rewardkit.reward("rm.classifier", model=str(tiny_rm), device="cpu", batch_size=64)
        for _ in range(40):
            assert len(r(["4"] * 25, prompts=["q"] * 25)) == 25  # 3,000 completions in all
    assert cache.loads - loads <= 1  # at most the first load, if no earlier test loaded it
    assert len(cache.keys()) - key_count == cache.loads - loads


def test_composes_with_non_negative_shaping(tiny_rm):
    comp = rewardkit.Composite.from_config([
        {"name": "rm.classifier", "weight": 1.0, "params": {"model": str(tiny_rm), "device": "cpu"}},
    ])
    result = comp.score(COMPLETIONS, prompts=PROMPTS)
    assert all(t is not None and t >= 0 for t in result.total)


def test_contract_kit(tiny_rm):
    from rewardkit.testing import assert_contract

    assert_contract("rm.classifier", params={"model": str(tiny_rm), "device": "cpu", "max_length": 128},
                    long_chars=100_000)
