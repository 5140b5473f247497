"""rewardkit-format: soft tag credit, strict layout, hacking resistance, over-length, repetition."""

from __future__ import annotations

import pytest

import rewardkit
from rewardkit_format.tags import analyse, has_tag

FULL = "<think>\n6 times 7 is 42.\n</think>\n<answer>\n42\n</answer>"


def tags(completions, prompts=None, **params):
    return rewardkit.reward("format.tags", **params)(completions, prompts=prompts)


def strict(completions, prompts=None, **params):
    return rewardkit.reward("format.strict", **params)(completions, prompts=prompts)


def one(completion, prompt="", **params):
    return tags([completion], [prompt], **params)[0]


# -- soft credit ---------------------------------------------------------------------------


def test_full_layout_scores_one_in_both_rewards():
    assert tags([FULL]) == [1.0]
    assert strict([FULL]) == [1.0]
    assert strict(["  <think>a</think>\n\n<answer>4</answer>\n"]) == [1.0]


def test_partial_credit_grows_think_then_answer_then_layout():
    nothing = one("just 42")
    think = one("<think>a</think> 42")
    answer = one("<answer>42</answer>")
    both_wrong_order = one("<answer>42</answer><think>a</think>")
    full = one(FULL)
    assert nothing == 0.0
    assert 0 < think < answer < both_wrong_order < full == 1.0
    assert think == pytest.approx(1 / 6) and answer == pytest.approx(1 / 3)
    assert both_wrong_order == pytest.approx(0.5)


def test_custom_tags_and_weights():
    assert one("<reasoning>r</reasoning><final>7</final>", tags=["reasoning", "final"]) == 1.0
    assert one("<final>7</final>", tags=["reasoning", "final"], weights=[0.1, 0.6, 0.3]) == pytest.approx(0.6)
    assert one("<answer>7</answer>", tags=["answer"]) == 1.0


@pytest.mark.parametrize(
    "params",
    [{"tags": []}, {"tags": ["think", "THINK"]}, {"tags": ["a b"]}, {"weights": [1, 1]}, {"weights": [1, -1, 1]}],
)
def test_bad_parameters_fail_when_the_reward_is_built(params):
    with pytest.raises(rewardkit.ParameterError):
        rewardkit.reward("format.tags", **params)


# -- pre-filled assistant prefix --------------------------------------------------------------


def test_prefilled_think_tag_is_detected_from_the_prompt():
    prompt = "<|im_start|>user\nWhat is 6*7?<|im_end|>\n<|im_start|>assistant\n<think>\n"
    completion = "6 times 7 is 42.\n</think>\n<answer>42</answer>"
    assert one(completion, prompt) == 1.0
    assert strict([completion], [prompt]) == [1.0]
    # without the prefix the same completion has an unbalanced </think>
    assert one(completion, "What is 6*7?") < 1.0
    assert one(completion, prompt, prefill="none") < 1.0


def test_trl_think_format_reward_scores_prefilled_completions_zero():
    trl_rewards = pytest.importorskip("trl.rewards")
    completion = "6 times 7 is 42.\n</think>\n<answer>42</answer>"
    assert trl_rewards.think_format_reward([[{"role": "assistant", "content": completion}]]) == [0.0]
    assert one(completion, "Q?\n<think>") == 1.0


def test_explicit_prefill_and_a_tag_mid_prompt():
    completion = "r</think><answer>4</answer>"
    assert one(completion, "", prefill="<think>") == 1.0
    # a tag mentioned inside the prompt, not at its end, is not a prefill
    assert one(completion, "Use <think> tags, please.") < 1.0
    # a prefilled tag repeated by the model is a duplicate, never full credit
    assert one("<think>" + completion, "Q <think>") < 1.0


# -- hacking resistance -------------------------------------------------------------------


def test_empty_tags_earn_no_answer_credit():
    assert one("<think>a</think><answer></answer>") == pytest.approx(1 / 6)
    assert one("<think>a</think><answer> \n\t</answer>") == pytest.approx(1 / 6)
    assert one("<think></think><answer></answer>") == 0.0
    assert strict(["<think>a</think><answer> </answer>"]) == [0.0]


@pytest.mark.parametrize(
    "completion",
    [
        "<think>a</think><answer>4</answer><answer>5</answer>",  # several answers
        "<think>a</think><answer>4</answer>\n<answer>4</answer>",
        "<think>a<answer>4</answer></think>",  # nested
        "<think>a</think><answer>4<answer>5</answer></answer>",
        "<think>a<answer>4</answer>",  # unbalanced
        "<think>a</think><answer>4",
        "<think>a</think>4</answer>",
        "a</think><answer>4</answer>",
        "<think>a</think><answer>4</answer> and also 5",  # text after the answer
        "Sure! <think>a</think><answer>4</answer>",  # text before
        "<think>a</think> so <answer>4</answer>",  # text between
        "</answer><think>a</think><answer>4</answer><answer>",
    ],
)
def test_broken_layouts_never_earn_full_credit(completion):
    assert one(completion) < 1.0
    assert strict([completion]) == [0.0]


def test_several_answers_earn_no_answer_credit():
    assert one("<think>a</think><answer>4</answer><answer>5</answer>") == pytest.approx(1 / 6)
    assert one("<think>a<answer>4</answer></think>") == 0.0  # nested blocks count for neither


def test_repeating_the_completion_gains_nothing():
    single = one(FULL)
    for k in (2, 3, 10):
        assert one(FULL * k) < single
        assert one("\n".join([FULL] * k)) < single
        assert one(f"<think>{FULL * k}</think><answer>42</answer>") < single
    partial = "<answer>42</answer>"
    assert one(partial * 5) < one(partial)


def test_tag_case_and_attribute_rule():
    # another letter case or attributes: a look-alike, never a tag
    assert one("<THINK>a</THINK><ANSWER>4</ANSWER>") == 0.0
    assert one("<Think>a</Think><Answer>4</Answer>") == 0.0
    assert one('<think>a</think><answer id="1">4</answer>') == pytest.approx(1 / 6)
    assert one("<think>a</think>< answer>4</answer>") == pytest.approx(1 / 6)
    # a look-alike inside a block spoils that block; anywhere it breaks the layout
    assert one("<think>a</think><answer>4 <ANSWER>5</ANSWER></answer>") == pytest.approx(1 / 6)
    assert one("<think>a <Answer></think><answer>4</answer>") == pytest.approx(1 / 3)
    # longer names are plain text
    assert one("<thinking>a</thinking><answer>4</answer>") == pytest.approx(1 / 3)
    assert one("<think>a < b > c</think><answer>4</answer>") == 1.0


# -- linear time ------------------------------------------------------------------------------


@pytest.mark.timeout(20)
def test_megabyte_completions_and_many_tags_scan_linearly():
    big = "<think>" + "x" * 1_000_000 + "</think><answer>4</answer>"
    assert one(big) == 1.0
    spam = "<think></think>" * 8_000  # 16,000 tags
    assert one(spam) == 0.0
    lookalikes = "<ANSWER>" * 16_000 + "<think>a</think><answer>4</answer>"
    assert analyse(lookalikes, ("think", "answer")).blocks == {"think": True, "answer": True}
    names = ("think", "answer")
    assert not has_tag("<" * 1_000_000 + "answer", names) and has_tag("<" * 1_000_000 + "answer>", names)
    assert has_tag("<answer " * 100_000 + "<ANSWER>", names) and not has_tag("<answer " * 100_000, names)
    hostile = ["<" * 1_000_000, "< " * 500_000, "<think" + " " * 1_000_000, "<answer " + "a" * 1_000_000,
               "</" * 500_000, ("<think>" + "\t" * 100) * 10_000]
    assert all(0.0 <= v <= 1.0 for v in tags(hostile))
    assert strict(hostile) == [0.0] * len(hostile)


def test_control_characters_and_non_ascii():
    assert one("<think>\f\x00思考</think>\v<answer>四十二</answer>\f") == 1.0


# -- overlong ---------------------------------------------------------------------------------


def test_overlong_char_estimate():
    r = rewardkit.reward("format.overlong", max_length=10, buffer=4, chars_per_token=1.0)
    assert r(["x" * 6, "x" * 8, "x" * 10, "x" * 11, ""]) == [1.0, 0.5, 0.0, 0.0, 1.0]
    default = rewardkit.reward("format.overlong")  # 4 characters per token, 4096 tokens
    assert default(["x" * 4 * 3072, "x" * 4 * 3584, "x" * 4 * 5000]) == [1.0, 0.5, 0.0]


@pytest.fixture(scope="module")
def tiny_tokenizer_dir(tmp_path_factory):
    from rewardkit.tiny import tiny_tokenizer

    path = tmp_path_factory.mktemp("tok")
    tiny_tokenizer().save_pretrained(path)
    return path


def test_overlong_with_a_local_tokenizer_equals_one_plus_trl_penalty(tiny_tokenizer_dir):
    trl_rewards = pytest.importorskip("trl.rewards")
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tiny_tokenizer_dir))
    texts = ["Let me think step by step. " * k for k in (1, 3, 5, 8, 20)]
    ids = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
    max_len, cache = 40, 16
    trl = trl_rewards.get_soft_overlong_punishment(max_len, cache)(ids)
    for path in (tiny_tokenizer_dir, tiny_tokenizer_dir / "tokenizer.json"):
        ours = rewardkit.reward("format.overlong", max_length=max_len, buffer=cache, tokenizer=str(path))(texts)
        assert ours == pytest.approx([1.0 + p for p in trl])
    assert len({round(v, 6) for v in ours}) >= 3  # the batch spans the soft range


@pytest.mark.parametrize("params", [{"tokenizer": "Qwen/Qwen2.5-0.5B-Instruct"}, {"buffer": 10, "max_length": 5}])
def test_overlong_rejects_hub_names_and_bad_buffers(params):
    with pytest.raises(rewardkit.ParameterError, match="local|buffer"):
        rewardkit.reward("format.overlong", **params)


# -- repetition -------------------------------------------------------------------------------


def test_repetition_equals_one_plus_trl_penalty():
    trl_rewards = pytest.importorskip("trl.rewards")
    texts = ["the cat sat on the mat", "go go go go go go", "a b c a b c a b c d", "one two", ""]
    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(w, len(vocab)) for w in t.lower().split()] for t in texts]
    trl = trl_rewards.get_repetition_penalty_reward(ngram_size=3, max_penalty=-1.0)(ids)
    ours = rewardkit.reward("format.repetition", n=3)(texts)
    assert ours == pytest.approx([1.0 + p for p in trl])
    assert ours[0] == 1.0 and ours[1] == 0.25


def test_repetition_repeated_text_scores_lower_and_chars_unit():
    r = rewardkit.reward("format.repetition")
    base = "Natalia sold 48 clips in April and half as many in May."
    assert r([base])[0] == 1.0
    assert r([base * 4])[0] < 0.5
    assert r([f"<answer>{base} {base}</answer>"])[0] < 1.0
    zh = rewardkit.reward("format.repetition", unit="chars", n=2)
    assert zh(["我爱北京天安门", "哈哈哈哈哈哈"]) == [1.0, 0.2]
    assert r(["x " * 500_000])[0] == pytest.approx(1 / (500_000 - 2))


# -- host integration -------------------------------------------------------------------------


def test_rewards_are_listed_and_compose_non_negatively():
    listed = rewardkit.rewards()
    for name in ("format.tags", "format.strict", "format.overlong", "format.repetition"):
        assert listed[name]["plugin"] == "format" and listed[name]["range"] == [0.0, 1.0]
    comp = rewardkit.Composite.from_config(
        [{"name": "format.tags", "weight": 0.5}, {"name": "format.repetition", "weight": 0.5},
         {"name": "format.overlong", "weight": 1.0}]
    )
    assert comp.nonnegative
    total = comp([FULL, "junk"], prompts=["q", "q"])
    assert total[0] == pytest.approx(2.0) and total[1] >= 0


def test_cli_lists_the_format_rewards():
    from click.testing import CliRunner

    from rewardkit.cli import cli

    out = CliRunner().invoke(cli, ["rewards", "--json"])
    assert out.exit_code == 0, out.output
    assert {"format.tags", "format.strict", "format.overlong", "format.repetition"} <= {
        r["name"] for r in __import__("json").loads(out.output)
    }


def test_contract_kit():
    testing = pytest.importorskip("rewardkit.testing")
    for name in testing.reward_names("format"):
        testing.assert_contract(name)


@pytest.mark.parametrize("blank", ["\u200b", " \u200d\t", "\ufeff\n\u2060", "\u00ad"])
def test_invisible_characters_are_not_content(blank):
    """Found by `rewardkit probe` (empty_shell/zero_width): zero-width content used to earn full credit."""
    shell = f"<think>{blank}</think>\n<answer>{blank}</answer>"
    assert rewardkit.reward("format.tags")([shell]) == [0.0]
    assert rewardkit.reward("format.strict")([shell]) == [0.0]
    visible = f"<think>a{blank}</think>\n<answer>\u200b42</answer>"
    assert rewardkit.reward("format.strict")([visible]) == [1.0]
