"""Bench metrics on small hand-checked data."""

import math

import pytest

from rewardkit.bench import metrics as m

T, F = True, False


def test_classification_counts_and_rates():
    # predictions at 0.5: yes, no, yes, (no score), no
    k = m.classification([0.9, 0.2, 0.7, None, 0.4], [T, F, F, T, T], threshold=0.5)
    assert (k["tp"], k["fp"], k["tn"], k["fn"], k["skipped"], k["n"]) == (1, 1, 1, 1, 1, 4)
    assert k["accuracy"] == k["precision"] == k["recall"] == k["f1"] == 0.5


def test_classification_threshold_is_inclusive_and_precision_undefined_without_positives():
    k = m.classification([0.5, 0.1], [T, F], threshold=0.5)
    assert (k["tp"], k["tn"], k["accuracy"]) == (1, 1, 1.0)
    k = m.classification([0.1, 0.2], [T, F], threshold=0.5)
    assert k["precision"] is None and k["recall"] == 0.0 and k["f1"] == 0.0 and k["accuracy"] == 0.5


def test_f1_hand_checked():
    # tp=2, fp=1, fn=1 -> precision 2/3, recall 2/3, f1 2/3
    k = m.classification([1, 1, 1, 0, 0], [T, T, F, T, F], threshold=0.5)
    assert k["precision"] == pytest.approx(2 / 3) and k["recall"] == pytest.approx(2 / 3)
    assert k["f1"] == pytest.approx(2 / 3)


def test_roc_auc_hand_checked_with_ties_half():
    # positives 0.9, 0.4; negatives 0.2, 0.7: pairs won 3 of 4
    assert m.roc_auc([0.9, 0.2, 0.7, 0.4], [T, F, F, T]) == pytest.approx(0.75)
    assert m.roc_auc([0.5, 0.5], [T, F]) == pytest.approx(0.5)
    assert m.roc_auc([0.1, None, 0.3], [F, T, T]) == pytest.approx(1.0)
    assert m.roc_auc([0.1, 0.2], [T, T]) is None


def test_roc_auc_matches_curve_area():
    vals = [0.1, 0.4, 0.35, 0.8, 0.8, 0.2, 0.9]
    labs = [F, F, T, T, F, F, T]
    fpr, tpr = m.roc_curve(vals, labs)
    area = sum((fpr[i + 1] - fpr[i]) * (tpr[i + 1] + tpr[i]) / 2 for i in range(len(fpr) - 1))
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert area == pytest.approx(m.roc_auc(vals, labs))


def test_pairwise_ties_count_half_and_missing_are_skipped():
    p = m.pairwise([1.0, 0.5, 0.2, None], [0.0, 0.5, 0.3, 1.0])
    assert (p["wins"], p["ties"], p["losses"], p["skipped"], p["n"]) == (1, 1, 1, 1, 3)
    assert p["accuracy"] == pytest.approx(0.5)
    assert m.pairwise([None], [1.0])["accuracy"] is None


def test_spearman_hand_checked():
    assert m.spearman([1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)
    # ranks with a tie: a -> 1, 2.5, 2.5, 4; b -> 1, 2, 3, 4: 4.5 / sqrt(4.5 * 5)
    assert m.spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(4.5 / math.sqrt(22.5))
    assert m.spearman([1, None, 3], [2, 5, 1]) == pytest.approx(-1.0)
    assert m.spearman([1, 1, 1], [1, 2, 3]) is None
    mat = m.rank_matrix({"a": [1, 2, 3], "b": [3, 2, 1]})
    assert mat["a"]["a"] == pytest.approx(1.0) and mat["a"]["b"] == mat["b"]["a"] == pytest.approx(-1.0)


def test_distribution_and_histogram():
    d = m.distribution([0.0, 0.5, 1.0, None], 0.0, 1.0, bins=2)
    assert (d["count"], d["n"], d["min"], d["max"]) == (4, 3, 0.0, 1.0)
    assert d["mean"] == pytest.approx(0.5) and d["std"] == pytest.approx(math.sqrt(1 / 6))
    assert d["histogram"] == {"edges": [0.0, 0.5, 1.0], "counts": [1, 2]}
    d = m.distribution([None], float("-inf"), float("inf"))
    assert d["mean"] is None and sum(d["histogram"]["counts"]) == 0


def test_percentiles_and_latency():
    assert m.percentile([1, 2, 3, 4], 50) == 2.5
    assert m.percentile(list(range(101)), 95) == 95
    lat = m.latency([0.001, 0.002, 0.003, 0.004], total_seconds=0.002)
    assert lat["items_per_second"] == pytest.approx(2000)
    assert lat["p50_ms"] == pytest.approx(2.5) and lat["max_ms"] == pytest.approx(4.0)
    assert m.latency([])["p50_ms"] is None


def test_disagreements_are_both_kinds_and_seeded():
    d = m.disagreements([0.9, 0.1, 0.8, 0.2, None], [F, T, T, F, T], 0.5)
    assert d == {"reward_yes_label_no": [0], "reward_no_label_yes": [1]}
    vals, labs = [1.0] * 50, [F] * 50
    a = m.disagreements(vals, labs, 0.5, k=5)
    assert len(a["reward_yes_label_no"]) == 5 and a == m.disagreements(vals, labs, 0.5, k=5)


@pytest.mark.parametrize("raw,want", [(True, T), (0, F), (1.0, T), ("false", F), ("Yes", T), ("1", T), (None, None)])
def test_parse_label(raw, want):
    assert m.parse_label(raw) is want


def test_parse_label_rejects_other_values():
    with pytest.raises(ValueError, match="row 3"):
        m.parse_label("maybe", "row 3")
    with pytest.raises(ValueError):
        m.parse_label(0.5)


def test_graded():
    assert not m.is_graded([0.0, 1.0, 1.0, None])
    assert m.is_graded([0.0, 0.5, 1.0])


def test_chunked_histogram_and_sampled_rank_correlation_on_large_inputs(monkeypatch):
    import random

    from rewardkit.bench import metrics

    rng = random.Random(1)
    a = [rng.random() if i % 9 else None for i in range(5000)]
    b = [None if v is None else v + rng.random() * 0.1 for v in a]
    whole = metrics.distribution(a, 0.0, 1.0)
    exact = metrics.spearman(a, b)
    monkeypatch.setattr(metrics, "CHUNK", 333)
    monkeypatch.setattr(metrics, "MAX_SAMPLE", 1000)
    assert metrics.distribution(a, 0.0, 1.0) == whole
    sampled = metrics.spearman(a, b)
    assert sampled != exact and sampled == pytest.approx(exact, abs=0.02)
    assert sampled == metrics.spearman(a, b)  # seeded
    labels = [v is not None and v > 0.5 for v in a]
    fpr, tpr = metrics.roc_curve(a, labels, sample=True)
    assert len(fpr) <= 1001 and fpr[-1] == 1.0 and tpr[-1] == 1.0
