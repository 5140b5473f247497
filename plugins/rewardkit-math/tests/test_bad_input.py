"""Hostile input: every item gets a verdict within the deadline, nothing runs, the pool stays healthy."""

from __future__ import annotations

from pathlib import Path

from rewardkit import Status
from rewardkit.isolation import get_pool


def test_hostile_completions_get_verdicts(eq, tmp_path: Path):
    marker = tmp_path / "pwned"
    hostile = {
        "import": f"__import__('os').system('touch {marker}')",
        "boxed import": rf"\boxed{{__import__('os').system('touch {marker}')}}",
        "attribute chain": "().__class__.__mro__[1].__subclasses__()",
        "power tower": "9**9**9",
        "boxed tower": r"\boxed{9^{9^{9}}}",
        "factorial tower": r"\boxed{((3!)!)!}",
        "factorial tower 2": r"\boxed{(((3!)!)!)!}",
        "big factorials": r"\boxed{24! \times 24!}",
        "nested parens": "(" * 3000 + "1" + ")" * 3000,
        "1 MB": "x" * 1_000_000 + "\nA: 5",
        "ones": "1" * 5000,
        "several boxed": r"\boxed{5} \boxed{6} \boxed{7}",
        "empty boxed": r"The answer is \boxed{}",
        "huge exponent": r"\boxed{10^{10^{10}}}",
        "exp overflow": r"\boxed{e^{e^{e^{e^{10}}}}}",
        "deep minus": r"\boxed{" + "-" * 5000 + "5}",
    }
    scores = eq.score(list(hostile.values()), answer=["5"] * len(hostile))
    got = dict(zip(hostile, scores.values))
    assert all(s is Status.VALUE for s in scores.statuses), dict(zip(hostile, scores.statuses))
    assert got == {**{k: 0.0 for k in hostile}, "1 MB": 1.0}
    assert not marker.exists()


def test_exact_answers_beyond_floats_are_still_compared(eq):
    fact24 = 620448401733239439360000
    assert eq([r"\boxed{24! \times 24!}"], answer=[str(fact24 * fact24)]) == [1.0]
    assert eq([r"\boxed{9^{9^{9}}}"], answer=[r"9^{9^{9}}"]) == [1.0]  # the same tower, structurally
    assert eq([r"\boxed{\sqrt{2^{5000}}}", r"\boxed{\sqrt{2^{16000}}}"], answer=["2^{2500}", "2^{8000}"]) == [1.0, 1.0]


def test_unicode_digits_are_read_by_value(eq):
    assert eq([r"\boxed{１２}", "A: ١٢", "The answer is 𝟏𝟐.", r"\boxed{12}"], answer=["12"] * 4) == [1.0] * 4


def test_unparseable_gold_gives_none(eq):
    assert eq([r"\boxed{1}"] * 3, answer=[r"\frac{", "().__class__", r"\boxed{}"]) == [None] * 3


def test_pool_is_healthy_afterwards(eq):
    hard = r"\boxed{\frac{2^{100000}}{2^{99999}}}"
    eq([r"\boxed{(((3!)!)!)!}", r"\boxed{10^{10^{10}}}"], answer=["5", "5"])
    pool = get_pool()
    before = list(pool.pids)
    assert eq([hard, hard], answer=["2", "4"]) == [1.0, 0.0]
    assert all(pid in pool.pids for pid in before)  # no worker had to be killed and replaced
