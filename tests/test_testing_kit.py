"""The contract test kit (rewardkit.testing) finds each kind of contract break, and passes good rewards."""

from __future__ import annotations

import math
import textwrap
import time

import pytest

import rewardkit
from rewardkit import isolation
from rewardkit.errors import RewardkitError
from rewardkit.plugins import register_plugin, unregister_plugin
from rewardkit.testing import (
    RULES,
    ContractResult,
    SampleList,
    assert_contract,
    check_plugin,
    check_reward,
    plugin_rewards,
    reward_names,
)


def good(*, completions, prompts, answer, strict=False):
    return [1.0 if a in c else 0.0 for c, a in zip(completions, answer)]


def wrong_length(*, completions, prompts):
    return [0.5] * (len(completions) + 1)


def out_of_range(*, completions, prompts):
    return [2.0 for _ in completions]


def nan(*, completions, prompts):
    return [math.nan for _ in completions]


def raises_on_empty(*, completions, prompts):
    out = []
    for c in completions:
        if not c:
            raise ValueError("empty completion")
        out.append(1.0)
    return out


def raises_on_whitespace(*, completions, prompts):
    return [1.0 / len(c.strip()) if c.strip() else 1.0 / 0 for c in completions]


def ascii_only(*, completions, prompts):
    return [float(len(c.encode("ascii")) > 0) for c in completions]


_calls = {"n": 0}


def flaky(*, completions, prompts):
    _calls["n"] += 1
    return [(_calls["n"] % 7) / 7 for _ in completions]


def batch_relative(*, completions, prompts):
    longest = max(len(c) for c in completions) or 1
    return [len(c) / longest for c in completions]


def needs_undeclared(*, completions, prompts, reference):
    return [0.0 for _ in completions]


def slow_on_long(*, completions, prompts):
    if any(len(c) > 100_000 for c in completions):
        start = time.process_time()
        while time.process_time() - start < 0.4:  # busy: the kit counts CPU time, not waiting
            sum(range(1000))
    return [0.0 for _ in completions]


def slow_fast_path(*, completions, prompts):
    slow_on_long(completions=completions, prompts=prompts)
    return [0.5 for _ in completions]  # decides every item inline: the worker pool is never used


def string_scores(*, completions, prompts):
    return ["1" for _ in completions]


def sampler(*, completions, prompts):
    import random

    return [random.random() for _ in completions]


class Plugin:
    """An in-process plugin with one good and many broken rewards."""

    @rewardkit.hookimpl
    def rewardkit_register_rewards(self, register):
        register(good, name="kit.good", description="Gold answer appears", columns=("answer",),
                 params={"strict": False})
        register(wrong_length, name="kit.wrong_length", description="One value too many")
        register(out_of_range, name="kit.out_of_range", description="Above its range")
        register(nan, name="kit.nan", description="NaN")
        register(raises_on_empty, name="kit.raises_on_empty", description="Raises on empty text")
        register(raises_on_whitespace, name="kit.raises_on_whitespace", description="Divides by zero on blanks")
        register(ascii_only, name="kit.ascii_only", description="Encodes as ASCII")
        register(flaky, name="kit.flaky", description="Changes between calls")
        register(batch_relative, name="kit.batch_relative", description="Relative to the batch")
        register(needs_undeclared, name="kit.needs_undeclared", description="Needs a column it did not declare")
        register(slow_on_long, name="kit.slow_on_long", description="Busy on long text", timeout=0.1)
        register(slow_fast_path, name="kit.slow_fast_path", description="cpu reward, slow inline fast_path",
                 cost="cpu", fast_path=slow_fast_path, timeout=0.1)
        register(string_scores, name="kit.string_scores", description="Returns strings")
        register(sampler, name="kit.sampler", description="Random, and says so", deterministic=False)
        register(good, name="other.prefix", description="Named after another plugin", columns=("answer",))


@pytest.fixture(scope="module")
def kit_plugin():
    register_plugin(Plugin(), name="kit")
    yield "kit"
    unregister_plugin("kit")


def failed(name: str, **kw) -> dict[str, str]:
    return {c.rule: c.message for c in check_reward(name, long_chars=200_000, **kw).failures}


def test_good_reward_passes_every_rule(kit_plugin):
    result = check_reward("kit.good", columns={"answer": "42"})
    assert result.passed, str(result)
    assert [c.rule for c in result.checks] == list(RULES)
    assert result.rewards == ["kit.good"]
    assert {c.reward for c in result.checks} == {"kit.good"}
    assert assert_contract("kit.good").passed  # gsm8k sample answers when no columns= are given


def test_wrong_length(kit_plugin):
    fails = failed("kit.wrong_length")
    assert "length" in fails
    assert "returned 9 values for 8 completions" in fails["length"]
    assert "kit.wrong_length" in fails["length"]


@pytest.mark.parametrize("name, text", [("kit.out_of_range", "outside its declared range [0.0, 1.0]"),
                                        ("kit.nan", "NaN"),
                                        ("kit.string_scores", "returned str, expected float or None")])
def test_bad_values_break_the_range_rule(kit_plugin, name, text):
    fails = failed(name)
    assert text in fails["range"]
    assert "length" not in fails


def test_raises_on_hostile_inputs(kit_plugin):
    fails = failed("kit.raises_on_empty")
    assert set(fails) == {"empty"}
    assert "raised ValueError: empty completion" in fails["empty"]
    fails = failed("kit.raises_on_whitespace")
    assert {"empty", "whitespace"} <= set(fails)
    assert "ZeroDivisionError" in fails["whitespace"]
    fails = failed("kit.ascii_only")
    assert set(fails) == {"non-ascii", "whitespace"}  # the whitespace sample has a no-break space
    assert "UnicodeEncodeError" in fails["non-ascii"]


def test_nondeterminism_and_batch_dependence(kit_plugin):
    assert "deterministic" in failed("kit.flaky")
    fails = failed("kit.batch_relative")
    assert set(fails) == {"batch"}
    assert "in the batch" in fails["batch"] and "alone" in fails["batch"]


def test_declared_nondeterministic_rewards_skip_those_rules(kit_plugin):
    result = check_reward("kit.sampler", long_chars=1000)
    assert result.passed
    skipped = {c.rule for c in result.checks if c.skipped}
    assert {"deterministic", "batch"} <= skipped


def test_signature_names_the_undeclared_argument(kit_plugin):
    fails = failed("kit.needs_undeclared")
    assert "signature" in fails and "reference" in fails["signature"]
    assert "errors" in fails  # and the host saw it raise TypeError


def test_a_reward_outside_the_plugin_prefix_is_rejected_by_the_host(kit_plugin):
    with pytest.raises(rewardkit.UnknownRewardError, match="other.prefix"):
        rewardkit.reward("other.prefix")
    rows = [c for c in check_plugin("kit", long_chars=1000, columns={"answer": "42"}).checks if c.rule == "registration"]
    assert len(rows) == 1 and not rows[0].passed
    assert "'other.prefix' rejected" in rows[0].message and "'kit.'" in rows[0].message


def test_inline_reward_over_its_deadline_fails_long(kit_plugin):
    fails = failed("kit.slow_on_long")
    assert set(fails) == {"long"}
    assert "deadline" in fails["long"]


def test_cpu_fast_path_is_held_to_the_deadline(kit_plugin):
    fails = failed("kit.slow_fast_path")
    assert set(fails) == {"long"}
    assert "fast_path took" in fails["long"] and "DEFER" in fails["long"]


def test_missing_columns_rule(kit_plugin):
    row = {c.rule: c for c in check_reward("kit.good").checks}["missing-column"]
    assert row.passed and not row.skipped
    row = {c.rule: c for c in check_reward("kit.nan").checks}["missing-column"]
    assert row.skipped


def test_columns_and_sample_lists(kit_plugin):
    result = check_reward("kit.good", completions=["7", "8"], columns={"answer": SampleList(["7", "9"])})
    assert result.passed
    with pytest.raises(ValueError, match="1 sample values for 2 completions"):
        check_reward("kit.good", completions=["7", "8"], columns={"answer": SampleList(["7"])})


def test_params_are_bound_and_checked(kit_plugin):
    assert check_reward("kit.good", params={"strict": True}).passed
    bad = check_reward("kit.good", params={"strikt": True})
    assert not bad.passed and "strikt" in bad.failures[0].message


def test_assert_contract_lists_every_broken_rule(kit_plugin):
    with pytest.raises(AssertionError) as info:
        assert_contract("kit.raises_on_whitespace", long_chars=1000)
    text = str(info.value)
    assert "reward 'kit.raises_on_whitespace' breaks the contract" in text
    assert "  empty: " in text and "  whitespace: " in text


def test_check_plugin_and_result_object(kit_plugin):
    names = plugin_rewards("kit")
    assert "kit.good" in names and "other.prefix" not in names
    assert reward_names("kit") == names
    result = check_plugin("kit", long_chars=1000, columns={"answer": "42"})
    assert isinstance(result, ContractResult) and not result.passed
    assert set(result.rewards) == set(names) | {"kit (registration)"}
    assert result.for_reward("kit.good").passed
    assert result.failed_rules("kit.wrong_length")[0] == "length"
    assert "break the contract" in result.summary() and "kit.wrong_length (length, empty" in result.summary()
    rows = result.to_dicts()
    assert {"reward", "rule", "passed", "skipped", "message"} <= set(rows[0])
    assert "FAIL" in str(result)


def test_unknown_plugin_is_named():
    with pytest.raises(RewardkitError, match="plugin 'no_such_plugin' is not installed"):
        plugin_rewards("no_such_plugin")


CPU_MODULE = '''
import time

def hangs_on_long(*, completions, prompts):
    if any(len(c) > 100_000 for c in completions):
        time.sleep(60)
    return [1.0 for _ in completions]
'''


def test_cpu_reward_that_hangs_is_killed_and_fails_long(tmp_path, monkeypatch):
    """A cpu reward runs in a worker process; overrunning its deadline on the long text fails 'long'."""
    import importlib

    (tmp_path / "rk_kit_hang.py").write_text(textwrap.dedent(CPU_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("rk_kit_hang")
    pool = isolation.WorkerPool(size=1)  # started with tmp_path on sys.path
    monkeypatch.setattr(isolation, "_pool", pool)

    class Cpu:
        @rewardkit.hookimpl
        def rewardkit_register_rewards(self, register):
            register(module.hangs_on_long, name="kitcpu.hangs", description="Hangs on long text",
                     cost="cpu", timeout=1.0)

    register_plugin(Cpu(), name="kitcpu")
    try:
        result = check_reward("kitcpu.hangs", items=2, long_chars=200_000)
    finally:
        unregister_plugin("kitcpu")
        pool.close()
    assert result.failed_rules() == ["long"], str(result)
    assert "timed out" in result.failures[0].message


def test_failures_carry_the_reason_code(kit_plugin):
    """The kit reads reason codes (issue 19), and its messages show them."""
    assert "[length]" in failed("kit.wrong_length")["length"]
    assert "[range]" in failed("kit.out_of_range")["range"]
    assert "[raised]" in failed("kit.raises_on_empty")["empty"]
