"""rewardkit probe: attack families from real rows, accept rates, --fail-above, plugin families and
check-plugin --probe."""

import json

import pytest
from click.testing import CliRunner

import rewardkit
from rewardkit.cli import cli
from rewardkit.plugins import register_plugin, unregister_plugin
from rewardkit.probe import ProbeError, families, probe
from rewardkit.probe.families import BUILTIN, ProbeRow
from rewardkit.utils import answer_span


def contains_gold(*, completions, prompts, answer):
    """Deliberately weak: passes when the gold answer appears anywhere in the completion."""
    return [1.0 if str(a) in c else 0.0 for c, a in zip(completions, answer)]


def final_answer(*, completions, prompts, answer):
    """Strict: the final <answer> span must be exactly the gold answer."""
    return [1.0 if answer_span(c) == str(a) else 0.0 for c, a in zip(completions, answer)]


def shout(row, target):
    return [("caps", f"<answer>{row.wrong}</answer> NO WAIT IT IS {row.gold}")]


class Plugin:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        register(contains_gold, name="probetest.weak", description="gold anywhere", columns=("answer",))
        register(final_answer, name="probetest.strict", description="final answer span", columns=("answer",))

    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_probes(register):
        register("probetest.shout", shout, description="gold shouted after a wrong answer", targets=("answer",))


@pytest.fixture
def plugin():
    register_plugin(Plugin, "probetest", version="1.0")
    yield
    unregister_plugin("probetest")


def test_every_builtin_family_makes_text_for_each_target():
    row = ProbeRow(0, "How many?", "18", "25", "3 * 6 = 18")
    for fam in BUILTIN:
        for target in fam.targets:
            made = fam.generate(row, target)
            assert made and all(isinstance(v, str) and isinstance(t, str) for v, t in made), fam.name


def test_a_weak_reward_is_caught_and_a_strict_one_is_not(plugin):
    result = probe(["probetest.weak", "probetest.strict"], rows=8)
    assert result["rows"] == 8 and result["source"].endswith("test.jsonl")
    weak = result["rewards"]["probetest.weak"]["families"]
    assert weak["several_answers"]["rate"] > 0.5 and weak["gold_in_reasoning"]["rate"] == 1.0
    ex = weak["several_answers"]["examples"][0]
    assert ex["gold"] in ex["completion"] and ex["score"] == 1.0 and ex["variant"]
    strict = result["rewards"]["probetest.strict"]["families"]
    assert {f: c["rate"] for f, c in strict.items()} == dict.fromkeys(strict, 0.0)
    assert "probetest.shout" in strict  # the plugin's family ran too
    assert weak["probetest.shout"]["rate"] == 1.0


def test_format_rewards_get_the_format_families(plugin):
    result = probe(["format.tags"], rows=3)
    d = result["rewards"]["format.tags"]
    assert d["kind"] == "format"
    assert set(d["families"]) == {"empty_shell", "lookalike_tags", "padding", "extreme_length", "master_keys", "truncated"}


def test_cli_fail_above_exits_non_zero_and_writes_json(plugin, tmp_path):
    out = tmp_path / "p.json"
    res = CliRunner().invoke(
        cli, ["probe", "probetest.weak", "--rows", "4", "--fail-above", "0.02", "--json", str(out)]
    )
    assert res.exit_code == 1, res.output
    assert "FAIL: probetest.weak accepts" in res.output
    assert json.loads(out.read_text())["rewards"]["probetest.weak"]["families"]["prompt_echo"]["attacks"] == 12
    res = CliRunner().invoke(cli, ["probe", "probetest.strict", "--rows", "4", "--fail-above", "0.02", "--markdown"])
    assert res.exit_code == 0, res.output
    assert "| probetest.strict | 0.0% (0/" in res.output


def test_family_selection_and_errors(plugin):
    result = probe(["probetest.weak"], rows=2, family=["prompt_echo"])
    assert list(result["rewards"]["probetest.weak"]["families"]) == ["prompt_echo"]
    with pytest.raises(ProbeError, match="unknown probe family 'nope'"):
        probe(["probetest.weak"], rows=2, family=["nope"])
    with pytest.raises(ProbeError, match="name at least one reward"):
        probe([], rows=2)


def test_a_duplicate_plugin_family_names_both_plugins(plugin):
    class Again:
        @staticmethod
        @rewardkit.hookimpl
        def rewardkit_register_probes(register):
            register("probetest.shout", shout)

    register_plugin(Again, "probeagain", version="1.0")
    try:  # rejected against the second plugin alone (issue 24: it used to raise for everyone)
        from rewardkit.probe.api import family_errors

        assert "registered by both 'probetest' and 'probeagain'" in family_errors()["probeagain"]
        assert families()["probetest.shout"].plugin == "probetest"
    finally:
        unregister_plugin("probeagain")


def test_own_data_file(plugin, tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"q{i}", "gold": str(i * 11)}) + "\n" for i in range(1, 6)))
    result = probe(["probetest.weak"], data=data, answer_col="gold", rows=5, family=["several_answers"])
    assert result["rows"] == 5 and result["rewards"]["probetest.weak"]["families"]["several_answers"]["rate"] > 0.5
    with pytest.raises(ProbeError, match="no gold column 'answer'"):
        probe(["probetest.weak"], data=data, rows=2)


def test_config_probes_the_composite_and_its_terms(plugin, tmp_path):
    cfg = tmp_path / "t.toml"
    cfg.write_text('[[reward]]\nname = "probetest.weak"\n\n[[reward]]\nname = "format.tags"\n')
    result = probe(config=cfg, rows=2, family=["gold_in_reasoning"])
    assert list(result["rewards"]) == ["probetest.weak", "format.tags", "composite"]
    comp = result["rewards"]["composite"]
    assert comp["threshold"] == 1.0 and comp["kind"] == "answer"
    assert comp["families"]["gold_in_reasoning"]["accepted"] > 0  # weak term + format credit pass half of 2


def test_check_plugin_probe(plugin):
    res = CliRunner().invoke(cli, ["check-plugin", "probetest.weak", "--probe"])
    assert res.exit_code == 1
    assert "FAIL probetest.weak: probe family" in res.output


def test_check_plugin_probe_passes_a_strict_reward(plugin):
    res = CliRunner().invoke(cli, ["check-plugin", "probetest.strict", "--probe"])
    assert res.exit_code == 0, res.output
    assert "probe: 0 reward/family pair(s) above 1%" in res.output


def test_check_plugin_probe_passes_the_format_plugin_with_its_style_terms():
    """format.overlong and format.repetition score length and repetition, which any text has: they
    declare checks='style', so no layout attack is counted against them (check-plugin failed before)."""
    res = CliRunner().invoke(cli, ["check-plugin", "format", "--probe"])
    assert res.exit_code == 0, res.output[-3000:]
    assert "format.overlong: skipped (style term" in " ".join(res.output.split())
    assert "probe: 0 reward/family pair(s) above 1%" in res.output


def test_style_terms_are_skipped_but_still_counted_in_the_composite(tmp_path):
    result = probe(["format.repetition", "format.tags"], rows=2, family=["empty_shell"])
    rep = result["rewards"]["format.repetition"]
    assert rep["kind"] == "style" and rep["families"] == {} and "style term" in rep["skipped"]
    assert result["rewards"]["format.tags"]["families"]["empty_shell"]["attacks"] > 0
    assert rewardkit.rewards()["format.overlong"]["checks"] == "style"
    assert rewardkit.rewards()["format.tags"]["checks"] == "format"


def test_checks_must_name_a_kind():
    with pytest.raises(rewardkit.RegistrationError, match="checks must be one of"):
        from rewardkit.spec import build_spec

        build_spec(final_answer, name="probetest.x", description="x", checks="length")
