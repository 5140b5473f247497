"""Each reward-health alarm fires on a made-up run that should raise it and stays quiet otherwise."""

from __future__ import annotations

from rewardkit.health import AlarmSettings, Monitor


def term(mean, std=0.1, value=8, none=0, error=0, timeout=0, dropped=0):
    return {"mean": mean, "std": std, "n": value, "value": value, "none": none, "error": error,
            "timeout": timeout, "dropped": dropped}


def step(i, total, terms=None, audit=None, groups=(8, 0), length=100.0, dropped=0):
    return {"step": i, "total": term(total, dropped=dropped), "terms": terms or {"a": term(total)},
            "audit": audit or {}, "groups": {"count": groups[0], "zero_std": groups[1]}, "length": length}


def run(monitor, records):
    return [(a.step, a.name, a.subject) for r in records for a in monitor.observe(r)]


def test_hacking_fires_where_the_total_rises_and_the_audit_falls():
    totals = [0.2, 0.2, 0.2, 0.2, 0.6, 0.7, 0.8]
    audits = [0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.0]
    recs = [step(i + 1, t, audit={"strict": term(a)}) for i, (t, a) in enumerate(zip(totals, audits))]
    fired = run(Monitor(), recs)
    assert fired == [(5, "hacking", "strict")]  # once, at the step the curves part


def test_hacking_quiet_when_the_audit_rises_too():
    recs = [step(i + 1, 0.2 + 0.1 * i, audit={"strict": term(0.3 + 0.1 * i)}) for i in range(6)]
    assert run(Monitor(), recs) == []


def test_failure_spike_on_errors_and_on_dropped_rows():
    recs = [step(1, 0.5), step(2, 0.5, terms={"a": term(0.5, value=6, timeout=2)}),
            step(3, 0.5, dropped=3), step(4, 0.5, dropped=1)]
    fired = run(Monitor(max_dropped_fraction=0.25), recs)
    assert fired == [(2, "failure_spike", "a"), (3, "failure_spike", "dropped")]


def test_failure_spike_quiet_under_the_threshold():
    recs = [step(i, 0.5, terms={"a": term(0.5, value=19, error=1)}) for i in range(1, 5)]
    assert run(Monitor(), [{**r, "terms": {"a": term(0.5, value=19, error=1)}} for r in recs]) == []


def test_no_signal_when_most_groups_have_zero_variance():
    recs = [step(i, 0.5, groups=(4, 4)) for i in range(1, 5)]
    assert run(Monitor(), recs) == [(3, "no_signal", None)]  # needs its window of 3 steps
    assert run(Monitor(), [step(i, 0.5, groups=(4, 2)) for i in range(1, 5)]) == []


def test_no_signal_reads_trls_share_on_old_runs():
    recs = [{"step": i, "total": term(0.5), "terms": {"a": term(0.5)}, "trl": {"frac_reward_zero_std": 1.0}}
            for i in range(1, 4)]
    assert run(Monitor(), recs) == [(3, "no_signal", None)]


def test_dominance_when_one_term_carries_the_variance():
    terms = {"fmt": term(0.5, std=0.4), "acc": term(0.0, std=0.0)}
    recs = [step(i, 0.5, terms=terms) for i in range(1, 4)]
    assert run(Monitor(weights={"fmt": 0.5, "acc": 1.0}), recs) == [(3, "dominance", "fmt")]
    even = {"fmt": term(0.5, std=0.2), "acc": term(0.2, std=0.1)}
    assert run(Monitor(weights={"fmt": 0.5, "acc": 1.0}), [step(i, 0.5, terms=even) for i in range(1, 4)]) == []


def test_length_drift_only_while_the_reward_rises():
    rising = [step(i + 1, 0.2 + 0.1 * i, length=ln) for i, ln in enumerate([100, 100, 200, 220])]
    assert run(Monitor(), rising) == [(4, "length_drift", None)]
    falling = [step(i + 1, 0.5 - 0.1 * i, length=ln) for i, ln in enumerate([100, 100, 200, 220])]
    assert run(Monitor(), falling) == []


def test_alarms_can_be_turned_off():
    recs = [step(i, 0.5, groups=(4, 4)) for i in range(1, 5)]
    assert run(Monitor(AlarmSettings(off=("no_signal",))), recs) == []
