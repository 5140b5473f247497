"""rewardkit-gym: gym.score on generated items, the data source, and the per-generator check."""

from __future__ import annotations

import json
import os

import pytest

import rewardkit
from rewardkit.data import load_source
from rewardkit.errors import DataError
from rewardkit_gym import REFUSED, extract_answer, tasks
from rewardkit_gym.checks import check_generator, perturb

#: Generators checked in the default suite (fast to generate and score); REWARDKIT_GYM_ALL=1 checks all.
FAST = ["basic_arithmetic", "chain_sum", "leg_counting", "count_bits", "gcd", "lcm", "letter_counting",
        "number_sorting", "products", "simple_equations", "fraction_simplification", "base_conversion",
        "word_sorting", "spell_backward", "prime_factorization", "power_function",
        "rearc"]  # rearc: grids in metadata are tuples; JSON turns them into lists (restored for the scorer)
_NO_GOLD = "no single gold answer: the item's answer is None and the scorer checks a solution's validity"
#: Generators the check cannot pass, with why (see docs/gym.md); from `python -m rewardkit_gym.checks`.
UNCHECKABLE: dict[str, str] = {
    "boxnet": _NO_GOLD, "graph_color": _NO_GOLD, "propositional_logic": _NO_GOLD, "rubiks_cube": _NO_GOLD,
    "rush_hour": _NO_GOLD,
    "composite": "a meta-generator: its config must list the datasets it mixes",
    "game_of_life_halting": "reasoning-gym's scorer compares bool(answer) == bool(gold): every non-empty answer "
                            "scores 1 when the gold is 'True' or 'False' (a scorer bug; a perturbed answer is not rejected)",
}


def rows(task: str = "basic_arithmetic", n: int = 5, **config):
    if task in REFUSED:
        config["allow_untrusted"] = True
    return load_source(f"reasoning-gym:{task}", {"size": n, "seed": 3, "config": config}).rows


def score(completions, rs, **params):
    r = rewardkit.reward("gym.score", **params)
    return r(completions, task=[x["task"] for x in rs], answer=[x["answer"] for x in rs],
             metadata=[x["metadata"] for x in rs])


def test_gold_scores_one_and_wrong_zero():
    rs = rows()
    assert score([f"<think>hmm</think><answer>{x['answer']}</answer>" for x in rs], rs) == [1.0] * 5
    assert score([f"<answer>{perturb(x['answer'])}</answer>" for x in rs], rs) == [0.0] * 5


def test_answer_tag_required_unless_fallback():
    rs = rows(n=1)
    gold = rs[0]["answer"]
    assert score([gold], rs) == [0.0]
    assert score([gold], rs, fallback=True) == [1.0]


def test_prefilled_answer_tag_in_prompt():
    rs = rows(n=1)
    r = rewardkit.reward("gym.score")
    got = r([rs[0]["answer"] + "</answer>"], prompts=["Q?<|im_start|>assistant\n<answer>"], task=["basic_arithmetic"],
            answer=[rs[0]["answer"]], metadata=[rs[0]["metadata"]])
    assert got == [1.0]


def test_extraction_ignores_think_and_takes_last():
    assert extract_answer("<think><answer>1</answer></think><answer>2</answer> <ANSWER> 3 </answer>") == "3"
    assert extract_answer("<answer>unclosed") is None
    assert extract_answer("<answer>unclosed", fallback=True) == "unclosed"


def test_metadata_as_dict_or_json():
    rs = rows(n=2)
    as_dicts = [dict(x, metadata=json.loads(x["metadata"])) for x in rs]
    assert score([f"<answer>{x['answer']}</answer>" for x in rs], as_dicts) == [1.0, 1.0]


def test_bad_metadata_and_unknown_task_are_counted_errors():
    r = rewardkit.reward("gym.score")
    out = r.score(["<answer>1</answer>", "<answer>1</answer>"], task=["basic_arithmetic", "no_such_task"],
                  answer=["1", "1"], metadata=[[1, 2], "{}"])
    assert out.counts["error"] == 2
    assert "metadata" in out.messages[0] and "no_such_task" in out.messages[1]


def test_source_split_seed_and_config():
    train = load_source("reasoning-gym:basic_arithmetic", {"size": 30, "seed": 1, "config": {"max_terms": 2}}).rows
    again = load_source("reasoning-gym:basic_arithmetic", {"size": 30, "seed": 1, "config": {"max_terms": 2}}).rows
    test = load_source("reasoning-gym:basic_arithmetic",
                       {"size": 30, "seed": 1, "split": "test", "config": {"max_terms": 2}}).rows
    assert train == again and set(train[0]) == {"question", "answer", "task", "metadata"}
    assert not {r["question"] for r in train} & {r["question"] for r in test}
    with pytest.raises(DataError, match="basic_arithmetic"):
        load_source("reasoning-gym:basic_arithmetc", {})
    with pytest.raises(DataError, match="config"):
        load_source("reasoning-gym:basic_arithmetic", {"config": {"no_such_key": 1}})


def test_train_config_accepts_the_source(tmp_path):
    from rewardkit.train.config import load_config

    cfg = load_config(data={"task": {"dataset": "reasoning-gym:chain_sum", "size": 12, "seed": 5,
                                     "config": {"min_terms": 2, "max_terms": 2}},
                            "reward": [{"name": "gym.score"}], "output": {"dir": str(tmp_path / "r")}})
    assert len(cfg.rows) == 12 and cfg.rows[0]["task"] == "chain_sum"


def test_lists_every_generator():
    assert len(tasks()) > 90 and "basic_arithmetic" in tasks()


@pytest.mark.parametrize("task", FAST)
def test_generator_check_fast(task):
    import shutil

    from rewardkit_gym import EXECUTING

    if task in EXECUTING and shutil.which("bwrap") is None:
        pytest.skip(f"{task}'s scorer executes text: checked in bubblewrap, which is not installed")
    c = check_generator(task)
    assert c.passed, (c.error, c.failures)


@pytest.mark.skipif(not os.environ.get("REWARDKIT_GYM_ALL"), reason="set REWARDKIT_GYM_ALL=1 to check every generator")
@pytest.mark.parametrize("task", sorted(set(tasks()) - set(FAST)))
def test_generator_check_all(task):
    if task in UNCHECKABLE:
        pytest.skip(UNCHECKABLE[task])
    c = check_generator(task)
    assert c.passed, (c.error, c.failures)


# -- universal answers (issue 23) ---------------------------------------------------------------------


def test_nan_no_longer_passes_complex_arithmetic():
    # reasoning-gym's scorer gives min(1, exp(-nan)) = 1.0 for 'nan' (checked: 1.0 before the guard)
    rs = rows("complex_arithmetic", n=4)
    for bad in ("nan", "NaN", "inf", "-inf", "nan + nan i", "1e400"):
        assert score([f"<answer>{bad}</answer>"] * 4, rs) == [0.0] * 4, bad
    assert score([f"<answer>{x['answer']}</answer>" for x in rs], rs) == [1.0] * 4


def test_nonfinite_token_in_the_gold_is_not_guarded():
    from rewardkit_gym.trust import nonfinite_answer

    assert nonfinite_answer("nan", "42") and nonfinite_answer("x = -Infinity", "3")
    assert not nonfinite_answer("nan", "nan") and not nonfinite_answer("banana", "1") and not nonfinite_answer("7", "7")


def test_refused_task_is_an_error_naming_it_unless_allowed():
    rs = rows("coin_flip", n=3)
    r = rewardkit.reward("gym.score")
    cols = {k: [x[k] for x in rs] for k in ("task", "answer", "metadata")}
    out = r.score(["<answer>0</answer>"] * 3, **cols)
    assert out.statuses == [rewardkit.Status.ERROR] * 3
    assert "'coin_flip' is refused" in out.messages[0] and "allow_untrusted" in out.messages[0]
    allowed = rewardkit.reward("gym.score", allow_untrusted=True)(["<answer>0</answer>"] * 3, **cols)
    assert all(v is not None for v in allowed)


def test_data_source_refuses_untrusted_tasks():
    with pytest.raises(DataError, match="'game_of_life_halting' is refused"):
        load_source("reasoning-gym:game_of_life_halting", {"size": 2})
    got = load_source("reasoning-gym:game_of_life_halting", {"size": 2, "config": {"allow_untrusted": True}})
    assert len(got.rows) == 2


def test_scorer_exception_on_a_malformed_answer_scores_zero():
    # prime_factorization's scorer raises ValueError on '[]' (an error outcome before: neutral under drop)
    rs = rows("prime_factorization", n=2)
    r = rewardkit.reward("gym.score")
    out = r.score(["<answer>[]</answer>", "<answer>*</answer>"], **{k: [x[k] for x in rs] for k in ("task", "answer", "metadata")})
    assert out.values == [0.0, 0.0] and out.statuses == [rewardkit.Status.VALUE] * 2


def test_scorer_exception_on_the_gold_too_is_an_error(monkeypatch):
    from rewardkit_gym import score as score_mod

    def broken(answer, entry):
        raise KeyError("metadata field")

    monkeypatch.setattr(score_mod, "scorer", lambda task: broken)
    with pytest.raises(ValueError, match="on the row's own gold answer too"):
        score_mod.score_one("<answer>x</answer>", "", "products", "42", {}, False)


def test_trust_table_covers_every_generator_and_matches_a_rescan():
    from rewardkit_gym.trust_scan import scan_task
    from rewardkit_gym.trust_table import ITEMS, SCAN, SEED

    assert set(SCAN) == set(tasks())
    for task in ("coin_flip", "complex_arithmetic"):
        again = scan_task(task, ITEMS, SEED)
        assert {k: again[k] for k in ("items", "hits", "guarded")} == {k: SCAN[task][k] for k in ("items", "hits", "guarded")}


def test_no_served_task_passes_a_universal_answer_on_half_the_items():
    from rewardkit_gym.trust import REFUSED, weakness
    from rewardkit_gym.trust_table import SCAN

    assert {"coin_flip", "game_of_life_halting"} <= set(REFUSED)
    assert "complex_arithmetic" not in REFUSED  # fixed by the non-finite guard instead
    served_weak = [t for t in SCAN if t not in REFUSED and weakness(t) is not None]
    assert served_weak == []


def test_probe_families_bring_items_and_pass_nothing():
    from rewardkit.probe import probe

    result = probe(["gym.score"], rows=6, family=["gym.master_keys", "gym.universal_answers"])
    cells = result["rewards"]["gym.score"]["families"]
    for fam in ("gym.master_keys", "gym.universal_answers"):
        assert cells[fam]["attacks"] > 50 and cells[fam]["accepted"] == 0, cells[fam]["examples"]
