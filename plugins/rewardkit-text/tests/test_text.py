"""rewardkit-text: values equal sacrebleu's and rouge-score's, documented fixes, bad input, batching."""

from __future__ import annotations

import random

import pytest

import rewardkit
from rewardkit_text import batch
from rewardkit_text.rouge_metric import _masks, lcs_indices, lcs_length

REF = "The cat is sitting on the mat.\nIt looks happy."
HYPS = [
    "The cat sat on the mat.",
    "The cat is sitting on the mat.\nIt looks happy.",
    "A dog ran in the park today",
    "",
    "the the the the",
    "cat",
    "It looks happy. The cat is on the mat!",
]


@pytest.fixture(scope="module")
def gsm8k_pairs():
    """(completion, reference) pairs from the stored GSM8K completions, ASCII letters only."""
    from rewardkit.tasks import gsm8k

    rows = gsm8k.load("completions")
    rng = random.Random(0)
    pairs = [(r["completion"], r["reference"]) for r in rng.sample(rows, 200)]
    # rouge-score drops non-ASCII letters and digits (e.g. '¾'); keep texts where it cannot matter
    return [p for p in pairs if not any(ch.isalnum() and not ch.isascii() for ch in p[0] + p[1])][:120]


def score(name, hyps, refs, **params):
    return rewardkit.reward(name, **params)(hyps, reference=refs)


# -- equal to sacrebleu -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, kwargs",
    [
        ({}, {}),
        ({"smooth": "floor", "smooth_value": 0.1}, {"smooth_method": "floor", "smooth_value": 0.1}),
        ({"smooth": "add-k"}, {"smooth_method": "add-k"}),
        ({"smooth": "none"}, {"smooth_method": "none"}),
        ({"tokenize": "intl"}, {"tokenize": "intl"}),
        ({"tokenize": "char"}, {"tokenize": "char"}),
    ],
)
def test_bleu_equals_sacrebleu_sentence_score(gsm8k_pairs, params, kwargs):
    from sacrebleu.metrics import BLEU

    metric = BLEU(effective_order=True, **kwargs)
    hyps = [h for h, _ in gsm8k_pairs] + HYPS
    refs = [r for _, r in gsm8k_pairs] + [REF] * len(HYPS)
    ours = score("text.bleu", hyps, refs, **params)
    theirs = [metric.sentence_score(h, [r]).score / 100 for h, r in zip(hyps, refs)]
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert len(set(ours)) > 20


def test_bleu_and_chrf_with_several_references_and_lowercase():
    from sacrebleu.metrics import BLEU, CHRF

    refs = ["The cat sat on a mat.", "A cat was sitting on the mat", "There is a cat on the mat."]
    ours = score("text.bleu", HYPS, [refs] * len(HYPS), ignore_case=True)
    assert ours == pytest.approx([BLEU(effective_order=True, lowercase=True).sentence_score(h, refs).score / 100
                                  for h in HYPS], abs=1e-12)
    ours = score("text.chrf", HYPS, [refs] * len(HYPS), word_order=2)
    assert ours == pytest.approx([CHRF(word_order=2).sentence_score(h, refs).score / 100 for h in HYPS], abs=1e-12)


@pytest.mark.parametrize("params", [{}, {"word_order": 2}, {"whitespace": True}, {"eps_smoothing": True},
                                    {"char_order": 3, "beta": 1}])
def test_chrf_equals_sacrebleu_sentence_score(gsm8k_pairs, params):
    from sacrebleu.metrics import CHRF

    metric = CHRF(**params)
    hyps = [h for h, _ in gsm8k_pairs] + HYPS
    refs = [r for _, r in gsm8k_pairs] + [REF] * len(HYPS)
    ours = score("text.chrf", hyps, refs, **params)
    assert ours == pytest.approx([metric.sentence_score(h, [r]).score / 100 for h, r in zip(hyps, refs)], abs=1e-12)


def test_pure_python_fallback_for_large_alphabets_is_equal_too(gsm8k_pairs, monkeypatch):
    """Alphabets too large for integer n-gram keys (e.g. long CJK references) use Counters."""
    from sacrebleu.metrics import BLEU, CHRF

    from rewardkit_text import ngrams

    rng = random.Random(2)
    cjk = ["".join(chr(rng.randrange(0x4E00, 0x9FFF)) for _ in range(700)) for _ in range(3)]
    far = "tag \U000e0041\U000e0042 text \U0001f600"  # code points beyond the lookup table
    hyps = [h for h, _ in gsm8k_pairs[:30]] + [cjk[0], cjk[1][:300] + cjk[0][:300], far, "tag text"]
    refs = [r for _, r in gsm8k_pairs[:30]] + [cjk[0], cjk[1], far[:12] + " more", far]
    expected = {
        "text.chrf": [CHRF(word_order=2).sentence_score(h, [r]).score / 100 for h, r in zip(hyps, refs)],
        "text.bleu": [BLEU(effective_order=True).sentence_score(h, [r]).score / 100 for h, r in zip(hyps, refs)],
    }
    params = {"text.chrf": {"word_order": 2}, "text.bleu": {}}
    for name, want in expected.items():
        assert score(name, hyps, refs, **params[name]) == pytest.approx(want, abs=1e-12)
    monkeypatch.setattr(ngrams, "KEY_BITS", 1)  # force the Counter path everywhere
    batch.make_scorer.cache_clear()
    for name, want in expected.items():
        assert score(name, hyps, refs, **params[name]) == pytest.approx(want, abs=1e-12)
    assert score("text.chrf", [cjk[0]], [cjk[0]]) == [1.0]


def test_13a_tokenizer_equals_sacrebleus():
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    from rewardkit_text.sacre import tokenize_13a

    rng = random.Random(3)
    alphabets = ["abc XYZ 0123456789.,-$%&;:/()'\"\n\t\f", "..,,--0123 ab", "&amp;&lt;&gt;&quot;<skipped>-\n"]
    texts = ["".join(rng.choice(a) for _ in range(rng.randint(0, 40))) for a in alphabets for _ in range(3000)]
    texts += ["a..b", "5..", "x,.y", "1-2-3", "a-\nb", "a..5", ".5", ",", "..", "a\f.b", "é’–"]
    tok = Tokenizer13a()
    assert [tokenize_13a(t) for t in texts] == [tok(t) for t in texts]


# -- equal to rouge-score -------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["rouge1", "rouge2", "rougeL", "rougeLsum"])
@pytest.mark.parametrize("measure", ["f1", "precision", "recall"])
def test_rouge_equals_rouge_score(gsm8k_pairs, variant, measure):
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    scorer = rouge_scorer.RougeScorer([variant])
    hyps = [h for h, _ in gsm8k_pairs[:60]] + HYPS
    refs = [r for _, r in gsm8k_pairs[:60]] + [REF] * len(HYPS)
    key = {"f1": "fmeasure"}.get(measure, measure)
    theirs = [getattr(scorer.score(r, h)[variant], key) for h, r in zip(hyps, refs)]
    assert score("text.rouge", hyps, refs, variant=variant, measure=measure, tokenizer="ascii") == theirs
    # the unicode tokenizer gives the same tokens on these (ASCII-letter) texts
    assert score("text.rouge", hyps, refs, variant=variant, measure=measure) == theirs


def test_rouge_stemmer_and_several_references():
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    refs = ["The cats are sitting on the mats", "cats sat\non mats"]
    for variant in ("rouge1", "rougeL", "rougeLsum"):
        scorer = rouge_scorer.RougeScorer([variant], use_stemmer=True)
        theirs = [scorer.score_multi(refs, h)[variant].fmeasure for h in HYPS]
        assert score("text.rouge", HYPS, [refs] * len(HYPS), variant=variant, stemmer=True,
                     tokenizer="ascii") == theirs


def test_rouge_scores_identical_non_ascii_strings_one():
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    texts = ["今天天气很好", "Η γάτα κάθεται στο χαλί.", "Кошка сидит на ковре", "café au lait"]
    scorer = rouge_scorer.RougeScorer(["rougeL"])
    assert [scorer.score(t, t)["rougeL"].fmeasure for t in texts[:3]] == [0, 0, 0]  # the bug we fix
    for variant in ("rouge1", "rouge2", "rougeL", "rougeLsum"):
        assert score("text.rouge", texts, texts, variant=variant) == [1.0] * 4
    # CJK is split per character, so overlapping Chinese gets graded credit
    partial = score("text.rouge", ["今天天气不好"], ["今天天气很好"], variant="rouge1")[0]
    assert partial == pytest.approx(5 / 6)


def test_bit_parallel_lcs_matches_the_dynamic_programme():
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    rng = random.Random(1)
    for _ in range(300):
        ref = [rng.choice("abcde") for _ in range(rng.randint(1, 30))]
        can = [rng.choice("abcdef") for _ in range(rng.randint(1, 30))]
        table = rouge_scorer._lcs_table(ref, can)
        assert lcs_length(_masks(ref), len(ref), can) == table[-1][-1]
        assert lcs_indices(ref, _masks(ref), can) == rouge_scorer._backtrack_norec(table, ref, can)


# -- exact and token F1 ---------------------------------------------------------------------------


def test_exact_match_normalisation():
    refs = ["The Eiffel Tower", ["Paris", "paris, France"], "42"]
    hyps = ["<answer> the eiffel   tower! </answer>", "paris, France.", "<answer>41</answer>"]
    assert score("text.exact", hyps, refs) == [1.0, 1.0, 0.0]
    assert score("text.exact", hyps, refs, ignore_case=False) == [0.0, 1.0, 0.0]
    assert score("text.exact", ["Eiffel Tower"], ["The Eiffel Tower"], ignore_articles=True) == [1.0]
    assert score("text.exact", ["42"], [42]) == [1.0]  # numbers in the column are text


def test_token_f1_is_squad_f1():
    assert score("text.token_f1", ["the cat sat"], ["a cat sat down"]) == [pytest.approx(2 * (2 / 3) * (2 / 4) / (2 / 3 + 2 / 4))]
    assert score("text.token_f1", ["the cat sat"], ["a cat sat down"], ignore_articles=True) == [pytest.approx(0.8)]
    assert score("text.token_f1", ["x", ""], [["y", "x"], "y"]) == [1.0, 0.0]


# -- answer extraction, references, bad input ----------------------------------------------------------


def test_answer_content_is_scored_when_present():
    ref = "Paris is the capital of France"
    with_tags = "<think>France... hmm</think><answer>Paris is the capital of France</answer>"
    assert score("text.bleu", [with_tags], [ref]) == [1.0]
    assert score("text.bleu", [with_tags], [ref], answer_only="no")[0] < 1.0
    assert score("text.bleu", ["Paris is the capital of France"], [ref], answer_only="yes") == [0.0]
    last = "<answer>Rome</answer> no wait <answer>Paris is the capital of France</answer>"
    assert score("text.exact", [last], [ref]) == [1.0]


def test_missing_column_is_named():
    r = rewardkit.reward("text.rouge")
    with pytest.raises(rewardkit.MissingColumnError, match="'reference'"):
        r(["a"], answer=["a"])


@pytest.mark.parametrize("name", ["text.bleu", "text.chrf", "text.rouge", "text.exact", "text.token_f1"])
def test_bad_input(name):
    r = rewardkit.reward(name)
    big = "lorem ipsum dolor sit amet " * 40_000  # ~1 MB
    hyps = ["", "answer\fwith\x00control\x1b chars\v", big, "a b c", "a b c", "x"]
    refs = ["a b c", "answer with control chars", "lorem ipsum dolor sit amet", "", None, [" ", ""]]
    out = r.score(hyps, reference=refs)
    assert out.counts["error"] == 0 and out.counts["timeout"] == 0
    assert out.values[0] == 0.0  # empty completion
    assert out.values[3:] == [None, None, None]  # no usable reference: not applicable
    assert 0.0 <= out.values[1] <= 1.0 and 0.0 <= out.values[2] <= 1.0


def test_bad_reference_type_is_an_error_naming_the_row():
    out = rewardkit.reward("text.exact").score(["a", "b"], reference=["a", {"x": 1}])
    assert out.values[0] == 1.0 and out.statuses[1] == rewardkit.Status.ERROR
    assert "row 0" in out.messages[1] and "dict" in out.messages[1]  # row within the retried item


# -- batching -----------------------------------------------------------------------------------


def test_reference_side_is_computed_once_per_distinct_reference(monkeypatch):
    from rewardkit_text.sacre import Bleu

    calls = []
    original = Bleu.reference
    monkeypatch.setattr(Bleu, "reference", lambda self, refs: calls.append(refs) or original(self, refs))
    hyps = [f"the cat sat on mat {i}" for i in range(16)]
    refs = ["the cat sat on the mat"] * 8 + ["a dog"] * 8
    score("text.bleu", hyps, refs, smooth="floor")
    assert len(calls) == 2


def test_large_batches_use_worker_processes_with_equal_results(monkeypatch):
    monkeypatch.setattr(batch, "PARALLEL_MIN_ITEMS", 8)
    monkeypatch.setattr(batch, "_workers", lambda: 2)
    used = []
    real = batch.score_parallel
    monkeypatch.setattr(batch, "score_parallel", lambda *a: used.append(1) or real(*a))
    hyps = HYPS * 4
    refs = [REF, "The cat sat on the mat."] * (len(hyps) // 2)
    parallel = score("text.rouge", hyps, refs, variant="rougeLsum")
    assert used
    monkeypatch.setattr(batch, "PARALLEL_MIN_ITEMS", 10**9)
    assert parallel == score("text.rouge", hyps, refs, variant="rougeLsum")


def test_rewards_listed_and_contract_kit():
    listed = rewardkit.rewards()
    for name in ("text.bleu", "text.chrf", "text.rouge", "text.exact", "text.token_f1"):
        assert listed[name]["columns"] == ["reference"] and listed[name]["plugin"] == "text"
    testing = pytest.importorskip("rewardkit.testing")
    for name in testing.reward_names("text"):
        testing.assert_contract(name)


@pytest.mark.parametrize("name", ["text.bleu", "text.chrf", "text.rouge", "text.token_f1"])
def test_a_numeric_reference_is_matched_exactly(name):
    """Found by `rewardkit probe`: '626' (chrF), '623 thousand' and '626, 623' (token F1, ROUGE) passed for 623."""
    r = rewardkit.reward(name)
    got = r(["<answer>623</answer>", "<answer>626</answer>", "<answer>623 thousand</answer>",
             "<answer>626, 623</answer>", "<answer>1,234.</answer>", "the answer: 623"],
            reference=["623", "623", "623", "623", "1234", "623"])
    assert got == [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    overlap = rewardkit.reward(name, numbers="overlap")(["<answer>623 thousand</answer>"], reference=["623"])
    assert overlap[0] > 0.0
    assert r(["<answer>the cat</answer>"], reference=["the cat"]) == [1.0]  # text references unchanged


# -- issue 32: numbers are numbers under ignore_punct; a missing reference is not applicable ------------


@pytest.mark.parametrize("hyp, ref", [("-5", "5"), ("1.5", "15"), ("x-1", "x+1"), ("x - 1", "x + 1"),
                                      ("The answer is -5.", "The answer is 5."), ("0.5", "05"),
                                      ("3/4", "34"),
                                      # a comparison or approximation before the number stays (paid 1 before)
                                      ("\u22605", "5"), (">5", "5"), ("< 5", "5"), ("\u2265 5", "5"), ("~5", "5"),
                                      (">= 5", "5"), ("!=5", "5"), ("\u22675", "5"), ("\u2a7e5", "5")])
def test_exact_keeps_sign_and_decimal_point(hyp, ref):
    assert score("text.exact", [hyp], [ref]) == [0.0]


@pytest.mark.parametrize("hyp, ref", [("+5", "5"), ("1,000", "1000"), ("1.50", "1.5"), ("-0", "0"),
                                      ("x-1", "x - 1"), ("The answer is -5!", "the answer is -5"),
                                      ("\u22125", "-5"), ("x<5", "x < 5"), ("(5)", "5"), ("5!", "5")])
def test_exact_still_normalises_numbers(hyp, ref):
    assert score("text.exact", [hyp], [ref]) == [1.0]


def test_exact_without_ignore_punct_is_unchanged():
    assert score("text.exact", ["-5"], ["5"], ignore_punct=False) == [0.0]
    assert score("text.exact", ["1.50"], ["1.5"], ignore_punct=False) == [0.0]


@pytest.mark.parametrize("name", ["text.exact", "text.token_f1", "text.bleu"])
def test_a_missing_reference_is_not_applicable(name):
    assert score(name, ["None", "nan", r"\boxed{None}"], [None, float("nan"), [None]]) == [None, None, None]
