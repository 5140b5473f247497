"""Scorers that execute text (issue 30 item 6, issue 31 item 1) and precision rules (issue 32) of rewardkit-gym."""

from __future__ import annotations

import builtins
import json
import shutil

import pytest

import rewardkit
from rewardkit_gym import EXECUTING, ExecutingTaskError
from rewardkit_gym.score import score_one
from rewardkit_gym.source import generate

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
SECRET = "rk-test-secret-4242"


def _cols(rows):
    return {k: [x[k] for x in rows] for k in ("task", "answer", "metadata")}


def test_exec_scan_matches_the_known_list():
    # fails when a reasoning-gym version adds (or drops) an eval/exec/compile/parse_expr in a scorer:
    # such a task must then be listed in EXECUTING, so gym.score refuses it and gym.score_sandboxed sandboxes it
    from rewardkit_gym.exec_scan import scan_all

    assert scan_all() == EXECUTING


def test_the_scan_sees_an_eval_in_a_helper_and_a_method():
    from rewardkit_gym.exec_scan import scan_function

    class Fake:
        def score_answer(self, answer, entry):
            return self._parse(answer)

        def _parse(self, text):
            return eval(text)  # noqa: S307 - what the scan must find

    Fake.__module__ = Fake.score_answer.__module__ = Fake._parse.__module__ = "reasoning_gym.fake"
    assert "eval" in scan_function(Fake.score_answer, Fake)

    class Parsed:
        def __init__(self, text):
            self.value = exec(text)  # noqa: S102 - what the scan must find

    def score_answer(answer, entry):
        return Parsed(answer).value

    Parsed.__module__ = Parsed.__init__.__module__ = score_answer.__module__ = "reasoning_gym.fake"
    score_answer.__globals__["Parsed"] = Parsed  # module-level name, as a scorer's own class would be
    try:
        assert "exec" in scan_function(score_answer)
    finally:
        del score_answer.__globals__["Parsed"]


@pytest.mark.parametrize("task", ["string_insertion", "number_sorting", "countdown"])
def test_gym_score_refuses_executing_tasks_naming_them(task):
    rows = generate(task, size=2, seed=0)
    out = rewardkit.reward("gym.score").score([f"<answer>{r['answer']}</answer>" for r in rows], **_cols(rows))
    assert out.statuses == [rewardkit.Status.ERROR] * 2
    assert f"{task!r}" in out.messages[0] and "gym.score_sandboxed" in out.messages[0]
    with pytest.raises(ExecutingTaskError, match=task):
        score_one("<answer>1</answer>", "", task, rows[0]["answer"], rows[0]["metadata"], False)


def test_sandboxed_reward_declares_it_and_serve_refuses_it_by_default():
    from rewardkit.serve.policy import Policy, PolicyError

    assert rewardkit.rewards()["gym.score_sandboxed"]["executes_inputs"] is True
    assert rewardkit.rewards()["gym.score"]["executes_inputs"] is False
    with pytest.raises(PolicyError, match="executes_inputs"):
        Policy().apply("gym.score_sandboxed", {}, None)
    assert Policy.from_dict({"executes_inputs": ["gym.score_sandboxed"]}).apply("gym.score_sandboxed", {}, None)


@needs_bwrap
@pytest.mark.parametrize("task", sorted(EXECUTING))
def test_sandboxed_gold_scores_one_and_no_eval_runs_in_this_process(task, monkeypatch):
    ran: list[tuple] = []

    def no_eval(*args, **kwargs):
        ran.append(args)  # recorded: a scorer's own try/except would swallow the raise
        raise RuntimeError("eval ran in the host process")

    rows = generate(task, size=1, seed=1)
    gold = rows[0]["answer"]
    monkeypatch.setattr(builtins, "eval", no_eval)
    assert score_one(f"<answer>{gold}</answer>", "", task, gold, rows[0]["metadata"], False, True, True) == 1.0
    assert ran == []


HOSTILE = [
    "__import__('os').environ['RK_TEST_SECRET']",
    "[c for c in __import__('os').environ['RK_TEST_SECRET']]",
    "open('{probe}', 'w').write('pwned') and list('x')",
    "list(open('{secret_file}').read())",
    "__import__('subprocess').run(['touch', '{probe}'])",
]


@needs_bwrap
@pytest.mark.parametrize("attack", HOSTILE)
@pytest.mark.parametrize("task", ["string_insertion", "spiral_matrix"])
def test_eval_tasks_cannot_reach_the_host(task, attack, tmp_path, monkeypatch):
    # string_insertion evals the completion; with the secret as the gold, reading it would score 0.1
    probe = tmp_path / "pwned"
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    monkeypatch.setenv("RK_TEST_SECRET", SECRET)
    row = generate(task, size=1, seed=0)[0]
    answer = attack.format(probe=probe, secret_file=secret_file)
    gold = SECRET if task == "string_insertion" else row["answer"]
    value = score_one(f"<answer>{answer}</answer>", "", task, gold, row["metadata"], False, True, True)
    assert value == 0.0 and not probe.exists()


@needs_bwrap
def test_number_sorting_gold_column_is_not_executed(tmp_path):
    # the client's `answer` column is eval'd by the library when it is not JSON (inside `rewardkit serve`)
    probe = tmp_path / "pwned"
    row = generate("number_sorting", size=1, seed=0)[0]
    evil = f"__import__('pathlib').Path('{probe}').write_text('x') or ['1.0']"
    out = rewardkit.reward("gym.score_sandboxed").score(["<answer>['1.0']</answer>"], task=["number_sorting"],
                                                        answer=[evil], metadata=[row["metadata"]])
    assert out.values != [1.0] and not probe.exists()


@needs_bwrap
def test_a_crash_or_stall_in_the_sandbox_is_the_answers_zero_and_a_missing_bwrap_an_error(monkeypatch):
    from rewardkit import sandbox
    from rewardkit_gym import executes

    monkeypatch.setattr(executes, "ANSWER_SECONDS", 1.0)  # CPU seconds the answer gets once the scorer is loaded
    row = generate("countdown", size=1, seed=0)[0]
    huge = "9" * 50 + "**" + "9" * 50  # parse_expr's screen lets plain math through; the CPU limit ends it
    assert score_one(f"<answer>{huge}</answer>", "", "countdown", row["answer"], row["metadata"], False, True,
                     True) == 0.0
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxError, match=r"apt install bubblewrap.*or use gym\.score"):
        score_one(f"<answer>{row['answer']}</answer>", "", "countdown", row["answer"], row["metadata"], False,
                  True, True)


# -- issue 32: partial credit and missing gold ------------------------------------------------------


def test_letter_counting_containment_credit_is_zero():
    row = next(r for r in generate("letter_counting", size=40, seed=0) if r["answer"] == "1")
    r = rewardkit.reward("gym.score")
    cols = {"task": ["letter_counting"] * 3, "answer": ["1"] * 3, "metadata": [row["metadata"]] * 3}
    assert r(["<answer>-1</answer>", "<answer>11</answer>", "<answer>1</answer>"], **cols) == [0.0, 0.0, 1.0]


def test_partial_credit_kept_only_where_no_wrong_answer_earns_it():
    from rewardkit_gym.trust import library_default_scorer, partial_credit_kept

    assert library_default_scorer("letter_counting") and not partial_credit_kept("letter_counting")
    assert not partial_credit_kept("acre")  # 'None' held the gold 'on': 0.5 on 7/20 items before
    assert not partial_credit_kept("countdown")  # 0.05 for a wrong expression that uses the numbers
    assert not partial_credit_kept("aiw")  # the scan's perturbed golds earned 0.15 on average


def test_missing_gold_is_not_applicable_never_the_text_none():
    row = generate("basic_arithmetic", size=1, seed=0)[0]
    r = rewardkit.reward("gym.score")
    out = r(["<answer>None</answer>"] * 3 + ["<answer>4</answer>"], task=["basic_arithmetic"] * 4,
            answer=[None, "None", float("nan"), None], metadata=[row["metadata"]] * 4)
    assert out == [None, None, None, None]
    graph = generate("graph_color", size=1, seed=0)[0]
    assert graph["answer"] is None  # was the text "None"
    assert r(["<answer>None</answer>"], **_cols([graph])) == [0.0]  # no-gold tasks still score validity


def test_serve_runs_no_client_text_through_eval(tmp_path, monkeypatch):
    # issue 31 item 1: number_sorting's scorer evaluated a client's `answer` column inside `rewardkit serve`
    from fastapi.testclient import TestClient

    from rewardkit.serve.app import create_app
    from rewardkit.serve.limits import ServeSettings

    probe = tmp_path / "pwned"
    row = generate("number_sorting", size=1, seed=0)[0]
    evil = f"__import__('pathlib').Path('{probe}').write_text('x') or ['1.0']"
    body = {"reward": "gym.score", "completions": ["<answer>['1.0']</answer>"],
            "columns": {"task": ["number_sorting"], "answer": [evil], "metadata": [row["metadata"]]}}
    with TestClient(create_app(ServeSettings())) as client:
        scored = client.post("/v1/score", json=body)
        refused = client.post("/v1/score", json={**body, "reward": "gym.score_sandboxed"})
    assert scored.status_code == 200 and "'number_sorting'" in json.dumps(scored.json()), scored.text
    assert [i["status"] for i in scored.json()["items"]] == ["error"]
    assert refused.status_code == 403 and "executes_inputs" in refused.text
    assert not probe.exists()


@pytest.mark.parametrize("task", sorted(__import__("rewardkit_gym").FAST_TASKS))
def test_tasks_scored_inline_run_no_compiler_on_their_inputs(task, monkeypatch):
    # FAST_TASKS are scored in the server's (or trainer's) own process: at run time, not only by the scan,
    # their scorers must not reach eval/exec/compile/literal_eval on the answer, the gold or the metadata
    import ast

    from rewardkit_gym.checks import perturb

    ran: list[str] = []

    def refuse(name):
        def entry(*args, **kwargs):
            ran.append(name)  # recorded: a scorer's own try/except would swallow the raise below
            raise RuntimeError(f"{task}: {name} ran in the host process")
        return entry

    rows = generate(task, size=2, seed=0)
    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, refuse(name))
    monkeypatch.setattr(ast, "literal_eval", refuse("literal_eval"))
    for row in rows:
        gold = row["answer"]
        for answer in (gold, perturb(gold), "[1, 2]", "__import__('os')"):
            score_one(f"<answer>{answer}</answer>", "", task, gold, row["metadata"], False, True)
    assert ran == []
