"""rewardkit probe: the master-key, truncated and answer-explanation families (issue 23) and --all."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import rewardkit
from rewardkit.cli import cli
from rewardkit.plugins import register_plugin, unregister_plugin
from rewardkit.probe import families, probe
from rewardkit.probe.families import MASTER_KEYS, ProbeRow, answer_explanation, master_keys, truncated

ROW = ProbeRow(0, "How many eggs?", "18", "25", "She has 3 boxes of 6: 3 * 6 = 18 eggs, so 18 in all.")


def says_something(*, completions, prompts, answer):
    """Deliberately weak, like a judge fooled by a reasoning opener: any non-blank text passes."""
    return [1.0 if c.strip() else 0.0 for c in completions]


def exact(*, completions, prompts, answer):
    from rewardkit.utils import answer_span

    return [1.0 if answer_span(c) == str(a) else 0.0 for c, a in zip(completions, answer)]


def own_gold(row, target):
    """Answers the probe row's gold, but brings its own gold column: the attack must be scored against it."""
    return [("row_gold", f"<answer>{row.gold}</answer>", {"answer": row.wrong})]


class Plugin:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        register(says_something, name="mkprobe.lenient", description="any text", columns=("answer",))
        register(exact, name="mkprobe.exact", description="exact answer span", columns=("answer",))

    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_probes(register):
        register("mkprobe.own_gold", own_gold, targets=("mkprobe.exact",))


@pytest.fixture
def plugin():
    register_plugin(Plugin, "mkprobe", version="1.0")
    yield
    unregister_plugin("mkprobe")


def test_the_new_families_are_builtin_with_their_targets():
    fams = families()
    assert fams["master_keys"].targets == ("answer", "format")
    assert fams["truncated"].targets == ("answer", "format")
    assert fams["answer_explanation"].targets == ("answer",)


def test_master_keys_cover_the_literature_and_translations():
    for key in (":", "Thought process:", "Let's solve this step by step.", "Solution", "The answer is"):
        assert key in MASTER_KEYS.values()
    assert sum(1 for k in MASTER_KEYS if k[:3] in ("zh_", "ja_", "es_", "fr_", "de_", "ru_", "pt_")) >= 7
    made = dict(master_keys(ROW, "answer"))
    assert made["bare_colon"] == ":" and made["in_answer_thought_process"] == "<answer>Thought process:</answer>"
    assert all(not v.startswith(("in_answer", "think_then")) for v, _ in master_keys(ROW, "format"))


def test_no_attack_holds_the_gold_as_its_final_answer():
    for fam in (master_keys, truncated, answer_explanation):
        for _, text in fam(ROW, "answer"):
            assert not text.rstrip().endswith("18"), text
    for variant, text in truncated(ROW, "answer"):
        assert "18" not in text, (variant, text)  # cut before the gold first appears


def test_a_lenient_reward_is_caught_and_math_is_not(plugin):
    result = probe(["mkprobe.lenient", "math.equivalence", "text.exact"], rows=5,
                   family=["master_keys", "truncated", "answer_explanation"])
    lenient = result["rewards"]["mkprobe.lenient"]["families"]
    assert lenient["master_keys"]["rate"] > 0.9 and lenient["answer_explanation"]["rate"] == 1.0
    for name in ("math.equivalence", "text.exact"):
        for fam, cell in result["rewards"][name]["families"].items():
            assert cell["accepted"] == 0, (name, fam, cell["examples"])


def test_all_probes_every_registered_non_model_reward():
    result = probe([], rows=2, family=["master_keys"], everything=True)
    assert {"math.equivalence", "format.tags", "text.exact"} <= set(result["rewards"])
    from rewardkit.registry import registry

    model = {n for n, s in registry.specs().items() if s.cost == "model"}
    assert model and not model & set(result["rewards"])


def test_check_plugin_probe_fails_a_master_key_acceptor(plugin):
    res = CliRunner().invoke(cli, ["check-plugin", "mkprobe", "--probe"])
    assert res.exit_code == 1
    assert "FAIL mkprobe.lenient: probe family 'master_keys'" in res.output


def test_a_column_the_family_brings_wins_over_the_row_gold(plugin):
    # before: the probe row's gold was passed as 'answer' whatever the family brought (gym.score
    # accepted '<answer>1</answer>' for an lcm item because the GSM8K gold was 1)
    result = probe(["mkprobe.exact"], rows=3, family=["mkprobe.own_gold"])
    cell = result["rewards"]["mkprobe.exact"]["families"]["mkprobe.own_gold"]
    assert cell["attacks"] == 3 and cell["accepted"] == 0
