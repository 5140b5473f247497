"""A newcomer's first hour (issue 35): bench's automatic pick, progress without a terminal, honest ETAs."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner

from rewardkit.cli import cli
from rewardkit.progress import Progress, format_seconds


def _rows(tmp_path, n=6):
    data = tmp_path / "rows.jsonl"
    rows = [{"prompt": "What is 6*7?", "completion": f"<answer>{40 + i}</answer>", "answer": "42",
             "reference": "42", "is_correct": i == 2} for i in range(n)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return data


def test_bench_without_reward_picks_fast_and_cpu_rewards_and_says_what_it_left_out(tmp_path):
    result = CliRunner().invoke(cli, ["bench", str(_rows(tmp_path)), "-o", str(tmp_path / "out"), "--no-plots",
                                      "--label", "is_correct"])
    assert result.exit_code == 0, result.output
    err = result.stderr
    picked = next(line for line in err.splitlines() if line.startswith("picked "))
    assert "(cost fast, cpu)" in picked and "format.tags" in picked and "math.equivalence" in picked
    assert "rm.similarity" not in picked and "judge.equivalence" not in picked and "rm.classifier" not in picked
    assert "left out (cost model): " in err and "rm.similarity" in err
    assert "--cost fast,cpu,model" in err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert not any(name.startswith(("rm.", "judge.")) for name in summary["rewards"])


def test_bench_model_rewards_only_when_asked(tmp_path):
    from rewardkit.bench.job import choose
    from rewardkit.registry import registry

    specs = registry.specs()
    picked, left = choose(specs, ["completion", "prompt", "answer", "reference"])
    assert "rm.similarity" not in picked and left["rm.similarity"] == "cost model"
    picked, _ = choose(specs, ["completion", "prompt", "answer", "reference"], ("fast", "cpu", "model"))
    assert "rm.similarity" in picked
    assert left["json.schema"].startswith("needs column schema")


def test_progress_without_a_terminal_prints_plain_periodic_lines():
    out = io.StringIO()
    with Progress(10, "scoring", stream=out, tty=False, every=0) as bar:
        for _ in range(10):
            bar.advance(1)
    lines = out.getvalue().splitlines()
    assert len(lines) >= 9  # one per advance (every=0) and a final one; no control characters
    assert lines[0].startswith("scoring: 1/10 items (10%), ") and "items/s" in lines[0] and "ETA" in lines[0]
    assert lines[-1].startswith("scoring: 10/10 items (100%)") and "done in" in lines[-1]
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()


def test_progress_eta_prices_each_part_at_its_own_rate_and_says_when_it_is_a_lower_bound(monkeypatch):
    clock = iter([0.0, 1.0, 101.0, 101.0, 101.0, 101.0])  # start, two advances, then the line
    monkeypatch.setattr("rewardkit.progress.time.perf_counter", lambda: next(clock))
    bar = Progress(300, "x", enabled=False, parts={"fast": 100, "slow": 100, "unseen": 100})
    bar.advance(100, "fast")  # 100 items in 1 s
    bar.advance(1, "slow")  # 1 item in 100 s
    eta, lower = bar.eta()
    assert lower and eta == 99 * 100.0  # the slow part's 99 items at its own rate; 'unseen' not timed yet
    assert "ETA >= 2h45m" in bar.line()


def test_format_seconds():
    assert [format_seconds(s) for s in (4, 75, 3700)] == ["4s", "1m15s", "1h01m"]


def test_probe_shows_progress_without_a_terminal_never_cuts_names_and_writes_a_heatmap(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    png = tmp_path / "probe.png"
    result = CliRunner().invoke(cli, ["probe", "math.equivalence", "format.tags", "--rows", "3", "--png", str(png)])
    assert result.exit_code == 0, result.output
    assert "probing 2 reward(s)" in result.stderr and "2/2 rewards (100%)" in result.stderr
    assert "math.equivalence" in result.stdout and "format.tags" in result.stdout
    assert "math.…" not in result.stdout and "forma…" not in result.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_baseline_comparison_is_a_heatmap_in_the_report(tmp_path):
    data = _rows(tmp_path)
    common = ["bench", str(data), "-r", "math.equivalence", "--label", "is_correct"]
    assert CliRunner().invoke(cli, [*common, "-o", str(tmp_path / "v1")]).exit_code == 0
    result = CliRunner().invoke(cli, [*common, "-o", str(tmp_path / "v2"), "--baseline", str(tmp_path / "v1")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "v2" / "plots" / "baseline.png").read_bytes()[:4] == b"\x89PNG"
    assert "plots/baseline.png" in (tmp_path / "v2" / "report.md").read_text()


def _train_config(tmp_path, model: str) -> str:
    cfg = tmp_path / "train.toml"
    cfg.write_text(f'[model]\nname = "{model}"\n\n[task]\ndataset = "gsm8k"\nlimit = 4\n\n'
                   f'[[reward]]\nname = "format.tags"\n\n[output]\ndir = "{tmp_path / "run"}"\n')
    return str(cfg)


def test_train_check_loads_the_models_config_and_tokenizer(tmp_path):
    from rewardkit.tiny import save_tiny

    model = save_tiny(tmp_path / "tiny")
    result = CliRunner().invoke(cli, ["train", _train_config(tmp_path, str(model)), "--check"])
    assert result.exit_code == 0, result.output
    assert "config (qwen2) and tokenizer" in result.output


def test_train_check_refuses_a_model_that_cannot_load(tmp_path):
    broken = tmp_path / "not-a-model"
    broken.mkdir()
    (broken / "README.md").write_text("weights elsewhere\n")
    result = CliRunner().invoke(cli, ["train", _train_config(tmp_path, str(broken)), "--check"])
    assert result.exit_code != 0
    assert "model.name" in result.output and "cannot be loaded" in result.output


def test_audit_ranking_reports_progress_without_a_terminal(tmp_path, capsys):
    from rewardkit.audit import build_queue, load_run

    out = tmp_path / "out"
    args = ["bench", str(_rows(tmp_path)), "-r", "math.equivalence", "--label", "is_correct", "-o", str(out), "-q"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    capsys.readouterr()
    build_queue(load_run(out), 10, progress=True)
    err = capsys.readouterr().err
    assert err.startswith("audit: ranking items: 6/6 items (100%)") and "items/s" in err


def test_a_bound_reward_is_a_trl_reward_function_named_after_the_reward():
    import rewardkit

    fmt, acc = rewardkit.reward("format.tags"), rewardkit.reward("math.equivalence")
    assert (fmt.__name__, acc.__name__) == ("format.tags", "math.equivalence")  # TRL: rewards/<__name__>/mean
    got = acc(prompts=["Q"], completions=["<answer>42</answer>"], answer=["42"], question=["Q"],
              completion_ids=[[1, 2]], trainer_state=None, log_metric=None)  # how GRPOTrainer calls it
    assert got == [1.0]
    funcs, weights = rewardkit.to_trl(rewardkit.Composite.from_config([{"name": "format.tags", "weight": 0.5}]))
    assert [f.__name__ for f in funcs] == ["format.tags"] and weights == [0.5]


def test_a_list_parameter_written_bare_gets_a_json_hint():
    result = CliRunner().invoke(cli, ["score", "-r", "math.equivalence:extract=boxed", "-c", "x", "--column", "answer=1"])
    assert result.exit_code != 0 and "write a list as JSON" in result.output
    assert "extract=[" in result.output
    result = CliRunner().invoke(cli, ["score", "-r", "format.tags:tags=think,answer", "-c", "x"])
    assert result.exit_code != 0 and 'tags=["think","answer"]' in result.output


def test_score_file_has_the_skip_bad_rows_its_error_suggests(tmp_path):
    data = tmp_path / "rows.jsonl"
    data.write_text('{"completion": "<answer>1</answer>"}\n{not json\n{"completion": "x"}\n')
    result = CliRunner().invoke(cli, ["score", "-r", "format.tags", "-f", str(data)])
    assert result.exit_code != 0 and "--skip-bad-rows" in result.output
    result = CliRunner().invoke(cli, ["score", "-r", "format.tags", "-f", str(data), "--skip-bad-rows", "--json"])
    assert result.exit_code == 0, result.output
    assert f"skipped {data}:2: malformed JSON line" in result.stderr
    assert len(result.stdout.splitlines()) == 2


def test_a_hub_dataset_id_gets_a_how_to_instead_of_a_bare_missing_file(tmp_path, monkeypatch):
    import pytest

    from rewardkit.data import read_rows
    from rewardkit.errors import DataError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"Hugging Face Hub dataset id .*save_to_disk\('data/gsm8k'\)"):
        read_rows("openai/gsm8k")
    with pytest.raises(DataError) as missing:
        read_rows("data/rows.jsonl")
    assert "Hub" not in str(missing.value)


def test_the_rewards_table_never_cuts_or_wraps_a_reward_name(monkeypatch):
    from rewardkit.registry import registry

    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(cli, ["rewards"])
    assert result.exit_code == 0
    for name in registry.specs():
        assert name in result.stdout, f"{name} cut or wrapped"
