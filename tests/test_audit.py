"""rewardkit audit: the review queue, verdicts appended as made, reopening, merge with Wilson intervals."""

import json

import pytest
from click.testing import CliRunner

from rewardkit.audit import AuditError, build_queue, load_run, merge, wilson
from rewardkit.bench import run, testing
from rewardkit.cli import cli

pytest.importorskip("pyarrow")
pytest.importorskip("fastapi")


@pytest.fixture
def plugin():
    testing.register("1.0")
    yield
    testing.unregister()


# exact: last line ends with the answer; length (scale 10): >= 5 characters says yes
ROWS = [
    {"completion": "A: 4", "answer": "4", "ok": True},  # exact yes, length no -> rewards disagree
    {"completion": "so it is\nA: 12", "answer": "12", "ok": False},  # both yes, label no -> label
    {"completion": "so it is\nA: 5", "answer": "6", "ok": False},  # exact no, length yes, label no
    {"completion": "long enough\nA: 7", "answer": "7", "ok": True},  # all agree with the label
    {"completion": "x", "answer": "9", "ok": False},  # all agree (no, no, false)
]


@pytest.fixture
def bench_out(plugin, tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    out = tmp_path / "out"
    run(data, rewards=["benchtest.exact", "benchtest.length:scale=10"], label="ok", out=out, plots=False)
    return out


def test_wilson_hand_checked():
    lo, hi = wilson(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=1e-4)
    assert wilson(0, 0) is None


def test_queue_orders_label_disagreements_first(bench_out):
    r = load_run(bench_out)
    q = build_queue(r, n=10)
    # 0: label, rewards and near (length 0.4 against 0.5); 2: label and rewards; 1: label only
    assert [c["item"] for c in q] == [0, 2, 1]
    assert q[0]["reasons"] == ["label", "rewards", "near"] and q[1]["reasons"] == ["label", "rewards"]
    assert q[2]["reasons"] == ["label"] and q[2]["completion"] == "so it is\nA: 12" and q[2]["label"] is False
    says = {s["column"]: s["says"] for s in q[2]["scores"]}
    assert says == {"benchtest.exact": True, "benchtest.length": True}
    assert len(build_queue(r, n=1)) == 1


def test_verdicts_are_saved_as_made_and_reopening_continues(bench_out):
    from fastapi.testclient import TestClient

    from rewardkit.audit.app import create_app

    client = TestClient(create_app(load_run(bench_out)))
    assert "rewardkit audit" in client.get("/").text
    q = client.get("/api/queue").json()
    assert [c["item"] for c in q["cards"]] == [0, 2, 1] and q["verdicts"] == {}
    assert client.post("/api/verdict", json={"item": 1, "verdict": "correct"}).json()["saved"]
    lines = (bench_out / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["verdict"] == "correct"  # on disk at once
    assert client.post("/api/verdict", json={"item": 1, "verdict": "wrong"}).status_code == 200
    assert client.post("/api/verdict", json={"item": 3, "verdict": "wrong"}).status_code == 422  # not queued
    assert client.post("/api/verdict", json={"item": 2, "verdict": "maybe"}).status_code == 422
    # a new server (the tab was closed, the command restarted) sees what was decided; the last verdict wins
    again = TestClient(create_app(load_run(bench_out))).get("/api/queue").json()
    assert again["verdicts"] == {"1": "wrong"}


def test_merge_gives_labels_and_rates(bench_out, tmp_path):
    from rewardkit.audit.store import VerdictStore

    store = VerdictStore(bench_out)
    store.append({"item": 0, "verdict": "correct"})
    store.append({"item": 1, "verdict": "wrong"})
    store.append({"item": 2, "verdict": "correct"})  # the label said False: a label changed
    store.append({"item": 4, "verdict": "skip"})
    with (bench_out / "audit.jsonl").open("a") as fh:
        fh.write('{"item": 3, "verd')  # a torn line from a crash is ignored
    s = merge(bench_out, tmp_path / "labelled.jsonl")
    assert s["verdicts"] == 3 and s["skipped"] == 1
    assert s["label_changed"]["k"] == 1 and s["label_changed"]["n"] == 3
    exact = s["rewards"]["benchtest.exact"]  # says yes on 0, 1; no on 2
    assert exact["false_positive"]["k"] == 1 and exact["false_positive"]["n"] == 1  # item 1
    assert exact["false_negative"]["k"] == 1 and exact["false_negative"]["n"] == 2  # item 2
    assert exact["false_negative"]["ci95"] == pytest.approx(list(wilson(1, 2)))
    labels = [json.loads(x) for x in (bench_out / "audit_labels.jsonl").read_text().splitlines()]
    assert [(x["item"], x["label"], x["previous_label"]) for x in labels] == [
        (0, True, True),
        (1, False, False),
        (2, True, False),
    ]
    rows = [json.loads(x) for x in (tmp_path / "labelled.jsonl").read_text().splitlines()]
    assert [r["ok"] for r in rows] == [True, False, True, True, False]
    assert [r["audited"] for r in rows] == [True, True, True, False, False]


def test_cli_merge_and_errors(bench_out, tmp_path):
    from rewardkit.audit.store import VerdictStore

    VerdictStore(bench_out).append({"item": 1, "verdict": "wrong"})
    res = CliRunner().invoke(cli, ["audit", "merge", str(bench_out)])
    assert res.exit_code == 0, res.output
    assert "false-positive rate" in res.output and "benchtest.exact" in res.output
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AuditError, match="not a finished bench run"):
        load_run(empty)
    res = CliRunner().invoke(cli, ["audit", str(bench_out), "--host", "0.0.0.0", "--no-open"])
    assert res.exit_code == 2 and "loopback" in res.output


def test_changed_data_is_refused(bench_out, tmp_path):
    (tmp_path / "d.jsonl").write_text(
        "".join(json.dumps({**r, "completion": r["completion"] + "!"}) + "\n" for r in ROWS)
    )
    with pytest.raises(AuditError, match="changed since the bench run"):
        load_run(bench_out)
