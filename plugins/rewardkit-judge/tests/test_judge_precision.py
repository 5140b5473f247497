"""Issue 32, the judge's cases: each test fails on the code before it and passes now.

- the rules decide a 1 only for a plain-math gold: unit and word swaps reach the judge;
- a missing gold is None (not applicable), never the text "None";
- a non-finite log-prob is no verdict; an answer without a verdict is not cached;
- the in-process cache key names the weights' content; usage is counted once per question;
- a server that accepts and never answers does not hold a batch past the reward's deadline.
"""

from __future__ import annotations

import math
import shutil
import socket
import threading

import httpx
import pytest

import rewardkit
from rewardkit import Status
from rewardkit_judge.backends import Answer, OpenAIBackend
from rewardkit_judge.golds import plain_math
from rewardkit_judge.judge import register_backend
from rewardkit_judge.prompts import fenced
from rewardkit_judge.rewards import rubric_params

#: (gold, answer): the same number with another unit, word, time of day or formula. Before, the math
#: rule read both sides as the same number and its 1 decided: 12/12 accepted with a judge saying No.
SWAPS = [("100 km", "100 miles"), ("100 miles", "100 km"), ("5 kg", "5 g"), ("5 g", "5 kg"),
         ("3:00 pm", "3:00 am"), ("3:00 am", "3:00 pm"), ("5 apples", "5 oranges"), ("5 oranges", "5 apples"),
         ("CO2", "2CO"), ("2 hours", "2 minutes"), ("4:30 p.m.", "4:30 a.m."), ("30^\\circ", "30 radians")]


def no(q):
    return "No"


def test_unit_and_word_swaps_reach_the_judge(fake):
    params, backend = fake(no)
    r = rewardkit.reward("judge.equivalence", **params)
    s = r.score([f"The answer is {a}." for _, a in SWAPS], answer=[g for g, _ in SWAPS])
    assert s.values == [0.0] * len(SWAPS) and s.usage.get("judge_rule_decisions", 0) == 0
    asked = {fenced(q, "Reference answer") for q in backend.asked}
    assert {g for g, _ in SWAPS} <= asked  # the judge was asked about every one


def test_plain_math_golds_are_still_decided_by_the_rules(fake):
    params, backend = fake(no)
    r = rewardkit.reward("judge.equivalence", **params)
    golds = ["42", "\\frac{1}{2}", "x^2+1", "2\\sqrt{3}", "15%"]
    comps = ["The answer is 42.", "<answer>0.5</answer>", "<answer>x^2 + 1</answer>", "\\boxed{2\\sqrt{3}}",
             "<answer>15\\%</answer>"]
    assert r(comps, answer=golds) == [1.0] * 5 and backend.asked == []
    # an answer equal to a non-math gold, punctuation and case and all, is still a rule's 1
    assert r(["<answer>3:00 pm</answer>", "yes."], answer=["3:00 pm", "Yes"]) == [1.0, 1.0] and backend.asked == []
    assert r(["<answer>5 Mg</answer>"], answer=["5 mg"]) == [0.0] and len(backend.asked) == 2  # the judge's call


@pytest.mark.parametrize("gold", ["42", "-3.5", "1,000", "$\\frac{1}{2}$", "x^2+1", "\\pi r^2", "(1, 2)", "15%",
                                  "[-2, 5)", "\\infty", "y = 2x + 3", "\\sqrt[3]{2}", "1 \\le x \\le 2"])
def test_plain_math(gold):
    assert plain_math(gold)


@pytest.mark.parametrize("gold", ["100 km", "5 g", "3:00 pm", "5 apples", "CO2", "2CO", "H2O", "30^\\circ",
                                  "\\text{5 cm}", "$5", "\\$5", "5 \\mathrm{kg}", "Paris", "7 dozen", "30°", ""])
def test_not_plain_math(gold):
    assert not plain_math(gold)


def test_a_missing_gold_is_none_and_never_the_text_none(fake):
    params, backend = fake(lambda q: "Yes")
    r = rewardkit.reward("judge.equivalence", **params)
    s = r.score(["\\boxed{None}", "The answer is None.", "<answer>Paris</answer>", "\\boxed{7}"],
                answer=[None, float("nan"), "  ", "7"])
    assert s.values == [None, None, None, 1.0] and s.statuses[:3] == [Status.NONE] * 3
    assert backend.asked == []
    rub, rb = fake(lambda q: "5")  # the backend's key is the same for every judge reward
    assert rewardkit.reward("judge.rubric", **rub)(["fine", "fine"], rubric=[None, "5: fine"]) == [None, 1.0]
    assert len(rb.asked) == 1


class _NaNJudge:
    """A backend whose top choice scores NaN (a broken checkpoint or server)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def identity(self):
        return {"backend": "nan", "model": self.name}

    def run(self, queries):
        return [Answer(q.choices[-1], q.choices[-1], {q.choices[-1]: math.nan, q.choices[0]: -3.0}, 5, 1, 0.0)
                for q in queries]


def test_a_non_finite_log_prob_is_no_verdict():
    defaults = {k: p.default for k, p in rubric_params().items()}
    register_backend({**defaults, "model": "nan-judge"}, _NaNJudge("nan-judge"))
    s = rewardkit.reward("judge.rubric", model="nan-judge", cache="off").score(["wrong"], rubric=["5: right; 1: wrong"])
    assert s.statuses == [Status.ERROR] and "non-finite" in s.messages[0]  # before: 1.0


def test_a_nan_log_prob_from_a_server_is_no_verdict():
    def handle(request):
        return httpx.Response(200, content=b'{"choices": [{"message": {"content": "5"}, "logprobs": {"content": '
                              b'[{"token": "5", "logprob": NaN, "top_logprobs": [{"token": "5", "logprob": NaN}, '
                              b'{"token": "1", "logprob": -2.0}]}]}}]}')

    backend = OpenAIBackend("m", base_url="http://nan/v1", transport=httpx.MockTransport(handle))
    defaults = {k: p.default for k, p in rubric_params().items()}
    register_backend({**defaults, "backend": "openai", "base_url": "http://nan/v1", "model": "m"}, backend)
    s = rewardkit.reward("judge.rubric", backend="openai", base_url="http://nan/v1", model="m", cache="off").score(
        ["wrong"], rubric=["5: right; 1: wrong"])
    assert s.statuses == [Status.ERROR] and "non-finite" in s.messages[0]


def test_an_answer_without_a_verdict_is_not_cached(fake, tmp_path):
    said = iter([None, None, "Yes", "Yes", "No"])  # a transient empty reply, then a working judge
    params, backend = fake(lambda q: next(said), cache="tmp")
    r = rewardkit.reward("judge.equivalence", **params)
    first = r.score(["<answer>The City of Light</answer>"], answer=["Paris"])
    assert first.statuses == [Status.ERROR]
    again = r.score(["<answer>The City of Light</answer>"], answer=["Paris"])
    assert again.values == [1.0] and len(backend.asked) == 5  # asked again, not an error forever
    assert r(["<answer>The City of Light</answer>"], answer=["Paris"]) == [1.0] and len(backend.asked) == 5


def test_the_cache_key_names_the_weights_content(tiny_lm, tmp_path):
    from rewardkit_judge.backends import TransformersBackend

    copy = tmp_path / "judge"
    shutil.copytree(tiny_lm, copy)
    before = TransformersBackend(str(copy)).identity()
    weights = next(p for p in copy.iterdir() if p.suffix in (".safetensors", ".bin"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # the same file names and sizes, other weights
    weights.write_bytes(bytes(data))
    after = TransformersBackend(str(copy)).identity()
    assert before["weights"] != after["weights"] and before["model"] == after["model"]


def test_usage_is_counted_once_when_a_batch_is_re_scored(fake):
    params, backend = fake(lambda q: None if "BROKEN" in q.messages[-1][1] else "No")
    s = rewardkit.reward("judge.equivalence", **params).score(
        ["<answer>Lyon</answer>", "<answer>BROKEN</answer>", "<answer>Marseille</answer>"], answer=["Paris"] * 3)
    assert s.statuses == [Status.VALUE, Status.ERROR, Status.VALUE] and s.values[0] == 0.0
    assert len(backend.asked) == 6  # 3 items x (question, swapped question), each asked once
    assert s.usage["judge_calls"] == 6 and s.usage["judge_model_calls"] == 6 and s.usage["judge_invalid"] == 1


def test_a_server_that_never_answers_does_not_hold_the_batch():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def accept_and_never_answer() -> None:
        try:
            while True:
                held.append(server.accept()[0])
        except OSError:  # closed at the end of the test
            return

    threading.Thread(target=accept_and_never_answer, daemon=True).start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    r = rewardkit.reward("judge.equivalence", backend="openai", base_url=url, model="m", cache="off", rules=False,
                         request_timeout=5.0, retries=0, timeout=0.25)
    try:
        s = r.score(["<answer>Lyon</answer>"] * 4, answer=["Paris"] * 4)
    finally:
        server.close()
        for c in held:
            c.close()
    assert s.statuses == [Status.TIMEOUT] * 4 and "deadline" in s.messages[0]  # before: 25 s, then errors


EMPTY_ANSWERS = ["", "   \n", "\\boxed{}", "Answer:", "<think>I need 6 times 7.</think>"]


def test_an_empty_answer_earns_nothing_from_rubric_or_pairwise_even_with_a_gullible_judge(fake):
    """reward-doctor's "empty" attacks: a judge that gives the top level (or prefers A) to anything paid
    an empty answer 1.0 in judge.rubric before; now no judge is asked and it is the lowest level / a loss."""
    params, backend = fake(lambda q: q.choices[-1] if q.choices[0] == "1" else q.choices[0])
    rub = rewardkit.reward("judge.rubric", **params).score(EMPTY_ANSWERS, rubric=["5: says 42; 1: anything else"] * 5)
    assert rub.values == [0.0] * 5 and backend.asked == [] and rub.usage["judge_rule_decisions"] == 5
    pair = rewardkit.reward("judge.pairwise", **params)
    n = len(EMPTY_ANSWERS)
    assert pair(EMPTY_ANSWERS, pair_a=["The answer is 42."] * n, pair_b=["The answer is 42."] * n) == [0.0] * n
    assert pair(["The answer is 42."], pair_a=["The answer is 42."], pair_b=["\\boxed{}"]) == [1.0]
    assert backend.asked == []
    eq = rewardkit.reward("judge.equivalence", **params)
    assert eq(["\\boxed{}", "Answer:"], answer=["Paris", "Paris"]) == [0.0, 0.0] and backend.asked == []
