"""``rewardkit health RUN_DIR`` on metrics logs: the per-term table and the replayed alarms."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rewardkit.health.command import health


def write_run(folder, steps, start=None):
    folder.mkdir(parents=True, exist_ok=True)
    lines = [{"event": "start", "step": 0, **(start or {})}, *steps, {"event": "end", "step": len(steps)}]
    (folder / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return folder


def old_step(i, fmt, acc, length):
    """A line as the learning benchmark's run (before audit/dropped existed) wrote it."""
    term = lambda m, s: {"mean": m, "std": s, "n": 8, "none": 0, "error": 0, "timeout": 0}  # noqa: E731
    return {"step": i, "terms": {"format.tags": term(fmt, 0.3), "math.equivalence": term(acc, 0.0)},
            "total": term(0.5 * fmt + acc, 0.15),
            "trl": {"frac_reward_zero_std": 0.0, "completions/mean_length": length}}


def test_table_and_alarms_of_an_old_format_run(tmp_path):
    start = {"config": {"terms": [{"term": "format.tags", "weight": 0.5}, {"term": "math.equivalence", "weight": 1.0}]}}
    run = write_run(tmp_path / "run", [old_step(i + 1, 0.5 + 0.1 * i, 0.0, 110 - 10 * i) for i in range(4)], start)
    result = CliRunner().invoke(health, [str(run)])
    assert result.exit_code == 0, result.output
    assert "4 logged steps" in result.output and "format.tags" in result.output and "math.equivalence" in result.output
    assert "ALARM step 3: dominance: 'format.tags' carries 100%" in result.output
    data = json.loads(CliRunner().invoke(health, [str(run), "--json"]).output)
    fmt = next(r for r in data["terms"] if r["name"] == "format.tags")
    assert fmt["first"] == 0.5 and fmt["last"] == 0.8 and fmt["n"] == 32
    assert [a["alarm"] for a in data["alarms"]] == ["dominance"]


def test_overrides_and_fail_on_alarm(tmp_path):
    run = write_run(tmp_path / "run", [old_step(i + 1, 0.5, 0.0, 100) for i in range(4)])
    assert CliRunner().invoke(health, [str(run), "--fail-on-alarm"]).exit_code == 1
    quiet = CliRunner().invoke(health, [str(run), "--set", "off=[\"dominance\"]", "--fail-on-alarm"])
    assert quiet.exit_code == 0 and "no alarms" in quiet.output
    bad = CliRunner().invoke(health, [str(run), "--set", "hacking_windw=3"])
    assert bad.exit_code != 0 and "alarms.hacking_windw: not an alarm setting" in bad.output


def test_missing_or_broken_logs_are_named(tmp_path):
    result = CliRunner().invoke(health, [str(tmp_path)])
    assert result.exit_code != 0 and "metrics.jsonl: no such metrics log" in result.output
    (tmp_path / "metrics.jsonl").write_text('{"event": "start"}\n{"step": 1, "ter')
    result = CliRunner().invoke(health, [str(tmp_path)])
    assert "line 2: not JSON" in result.output
