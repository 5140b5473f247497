"""rewardkit-ifeval: the 25 IFEval checks, strict/loose scoring, counted errors, hostile input."""

from __future__ import annotations

import json
from importlib import resources

import pytest

import rewardkit
from rewardkit.testing import assert_contract
from rewardkit_ifeval import INSTRUCTIONS, InstructionError, build
from rewardkit_ifeval.checkers import IFEVAL
from rewardkit_ifeval.text import count_bullets, count_capital_words, count_sentences, has_title

PROMPTS = [json.loads(line) for line in
           resources.files("rewardkit_ifeval").joinpath("data/prompts.jsonl").read_text("utf-8").splitlines()]


def score(name: str, completions: list[str], ids: list, kwargs: list, **params):
    return rewardkit.reward(name, **params).score(completions, instruction_id_list=ids, kwargs=kwargs)


# -- the shipped prompts ----------------------------------------------------------------------
def test_shipped_prompts_cover_every_ifeval_instruction_id():
    assert {i for row in PROMPTS for i in row["instruction_id_list"]} == set(IFEVAL)
    assert len(IFEVAL) == 25 and len(INSTRUCTIONS) == 49


@pytest.mark.parametrize("name", ["ifeval.strict", "ifeval.loose"])
def test_good_responses_follow_everything_and_bad_ones_do_not(name):
    ids = [r["instruction_id_list"] for r in PROMPTS]
    kwargs = [r["kwargs"] for r in PROMPTS]
    good = score(name, [r["good"] for r in PROMPTS], ids, kwargs)
    bad = score(name, [r["bad"] for r in PROMPTS], ids, kwargs)
    assert good.counts["error"] == bad.counts["error"] == 0
    assert good.values == [1.0] * len(PROMPTS), [r["key"] for r, v in zip(PROMPTS, good.values) if v != 1.0]
    failed = [r["key"] for r, v in zip(PROMPTS, bad.values) if v is None or v >= 1.0]
    assert not failed


def test_share_and_all_aggregates():
    ids = [["punctuation:no_comma", "keywords:existence"]]
    kwargs = [[{}, {"keywords": ["tea"]}]]
    assert score("ifeval.strict", ["coffee, please"], ids, kwargs).values == [0.0]
    assert score("ifeval.strict", ["coffee please"], ids, kwargs).values == [0.5]
    assert score("ifeval.strict", ["coffee please"], ids, kwargs, aggregate="all").values == [0.0]
    assert score("ifeval.strict", ["tea please"], ids, kwargs, aggregate="all").values == [1.0]


def test_loose_forgives_a_preamble_line_and_markdown_stars():
    ids, kwargs = [["startend:quotation"]], [[{}]]
    text = 'Sure! Here is my answer:\n"Canberra is the capital."'
    assert score("ifeval.strict", [text], ids, kwargs).values == [0.0]
    assert score("ifeval.loose", [text], ids, kwargs).values == [1.0]
    ids, kwargs = [["detectable_format:title"]], [[{}]]
    assert score("ifeval.loose", ["**<<Title>>** body"], ids, kwargs).values == [1.0]


def test_empty_response_follows_nothing_and_no_instructions_is_not_applicable():
    assert score("ifeval.strict", ["   "], [["punctuation:no_comma"]], [[{}]]).values == [0.0]
    assert score("ifeval.loose", ["  \n "], [["punctuation:no_comma"]], [[{}]]).values == [0.0]
    assert score("ifeval.strict", ["text"], [[]], [[]]).values == [None]


# -- columns as IFEval's data has them ---------------------------------------------------------
def test_none_valued_kwargs_are_dropped_as_in_the_reference():
    full = {"num_words": 3, "relation": "less than", "keyword": None, "frequency": None, "language": None}
    s = score("ifeval.strict", ["two words"], [["length_constraints:number_words"]], [[full]])
    assert s.values == [1.0]


def test_numpy_cells_from_pandas_and_parquet():
    np = pytest.importorskip("numpy")
    ids = np.array(["keywords:existence", "length_constraints:number_words"], dtype=object)
    kwargs = np.array([{"keywords": np.array(["tea"]), "num_words": None},
                       {"num_words": np.int64(5), "relation": "less than", "keywords": None}], dtype=object)
    assert score("ifeval.strict", ["tea for two"], [ids], [kwargs]).values == [1.0]


def test_json_text_columns_and_missing_kwargs_per_instruction():
    s = score("ifeval.strict", ["no commas here"], ['["punctuation:no_comma"]'], ["[null]"])
    assert s.values == [1.0]


# -- counted errors, never a silent pass -------------------------------------------------------
@pytest.mark.parametrize("ids, kwargs, needle", [
    (["detectable_format:no_such_check"], [{}], "unsupported instruction id 'detectable_format:no_such_check'"),
    (["keywords:existence"], [{}], "missing argument 'keywords'"),
    (["punctuation:no_comma"], [{"letter": "a"}], "unknown argument 'letter'"),
    (["keywords:frequency"], [{"keyword": "x", "frequency": 2, "relation": "about"}], "'relation' must be one of"),
    (["keywords:letter_frequency"], [{"letter": "ab", "let_frequency": 1, "let_relation": "at least"}],
     "single non-whitespace"),
    (["length_constraints:number_words"], [{"num_words": -1, "relation": "at least"}], "'num_words' must be >= 0"),
    (["punctuation:no_comma", "keywords:existence"], [{}], "expected a list of 2 dicts"),
    ("42", [{}], "expected a list of instruction ids"),
])
def test_bad_rows_are_errors_naming_what_is_wrong(ids, kwargs, needle):
    for name in ("ifeval.strict", "ifeval.loose"):
        s = score(name, ["text", "fine, text"], [["punctuation:no_comma"], ids], [[{}], kwargs])
        assert s.statuses[0] is rewardkit.Status.VALUE and s.values[0] == 1.0  # the good row still scores
        assert s.statuses[1] is rewardkit.Status.ERROR
        assert needle in s.messages[1]


def test_unsupported_id_errors_even_when_the_response_is_empty():
    s = score("ifeval.strict", [""], [["ifbench:not_here"]], [[{}]])
    assert s.statuses == [rewardkit.Status.ERROR]


def test_build_rejects_unknown_ids_directly():
    with pytest.raises(InstructionError, match="unsupported instruction id 'x:y'"):
        build("x:y", {})


# -- answer extraction ---------------------------------------------------------------------------
def test_reasoning_is_not_checked_and_the_answer_span_is():
    text = "<think>Well, first, commas, everywhere.</think><answer>no commas at all</answer>"
    assert score("ifeval.strict", [text], [["punctuation:no_comma"]], [[{}]]).values == [1.0]
    prefilled = "so, commas, in reasoning</think>and none in the reply"
    assert score("ifeval.strict", [prefilled], [["punctuation:no_comma"]], [[{}]]).values == [1.0]
    assert score("ifeval.strict", [text], [["punctuation:no_comma"]], [[{}]], answer_only="no").values == [0.0]
    no_span = score("ifeval.strict", ["plain, text"], [["punctuation:no_comma"]], [[{}]], answer_only="yes")
    assert no_span.values == [0.0]


# -- behaviours of the reference's checks (own cases) --------------------------------------------
def test_bullets_count_star_and_dash_items_but_not_dividers():
    assert count_bullets("intro\n* one\n  * two\n- three\n-four\n***\n**bold** line") == 4
    assert count_bullets("*\ntext of a lone star\n* next") == 2  # a lone '*' takes the next line
    assert count_bullets("inline * star and - dash") == 0


def test_sentences_ignore_abbreviations_and_initials_as_punkt_does():
    assert count_sentences("Dr. Smith arrived. He sat down! Did he eat? Yes") == 4
    # Punkt's English model has no "e.g": it ends a sentence before a capital (the reference says 2)
    assert count_sentences("J. R. R. Tolkien wrote books, e.g. The Hobbit.") == 2
    assert count_sentences("") == 0


#: (text, sentences) as NLTK's Punkt counts them with the English punkt_tab model (the reference's
#: nltk.sent_tokenize), measured with benchmarks/ifeval_rewards.py --sentences.
PUNKT_COUNTS = [
    ("1. Apples\n2. Pears\n3. Plums", 4), ("Here is a list:\n1. Apples\n2. Pears\n3. Plums", 4),
    ("1. Apples are red.\n2. Pears are green.", 4), ("1. apples\n2. pears", 1), ("- Apples\n- Pears\n- Plums", 1),
    ("* one\n* two", 1), ("1) Apples\n2) Pears", 1), ("Text.\n\n1. First\n2. second", 3),
    ("Step 1. Do it. Step 2. Done.", 4), ("My plan:\n1. Wake up early.\n2. Eat breakfast.\n3. Go for a run.\n4. Work.", 8),
    ("Top picks:\n1. The Hobbit\n2. Dune\n3. Emma", 4), ("I like Mr. Smith. He is nice.", 2),
    ("See e.g. the dog. It runs.", 3), ("It is 5 p.m. now. Go.", 2), ("Visit the U.S. then go.", 1),
    ("A. Smith went home. He slept.", 2), ("See Mr. He left.", 2), ('He said "Stop." Then left.', 2),
    ("Wait... what? Yes!", 2), ("Hello world.**", 2), ("This is it.\n```", 2),
    ("**The rain taps on the windows. People hurry past.**", 3), ("Hi!\n\n- a\n- b\n\nBye.", 2),
]


@pytest.mark.parametrize("text, expected", PUNKT_COUNTS)
def test_sentences_count_list_items_and_markup_as_punkt_does(text, expected):
    # before: a numbered list was one sentence (14 of these 23 disagreed), so "fewer than N sentences"
    # was met by any numbered list
    assert count_sentences(text) == expected


def test_a_numbered_list_no_longer_passes_fewer_than_n_sentences():
    r = rewardkit.reward("ifeval.strict")
    listed = "Steps:\n1. Preheat the oven.\n2. Mix the flour.\n3. Bake it.\n4. Serve it."
    kw = [{"num_sentences": 3, "relation": "less than"}]
    assert r([listed], instruction_id_list=[["length_constraints:number_sentences"]], kwargs=[kw]) == [0.0]
    assert r(["Preheat and bake."], instruction_id_list=[["length_constraints:number_sentences"]], kwargs=[kw]) == [1.0]


def test_sentence_counting_is_linear_on_hostile_text():
    # NLTK's Punkt gives up (its ReDoS guard) on "Mr. A. B. " x 100,000; this counter does not
    assert count_sentences("Mr. A. B. " * 100_000) >= 1
    assert count_sentences(". " * 200_000) == 200_000


def test_capital_words_split_contractions_like_the_treebank_tokenizer():
    assert count_capital_words("I DON'T KNOW, well-KNOWN") == 4  # I, DO, N'T, KNOW
    assert count_capital_words("NASA-GRADE gear") == 1
    assert count_capital_words("WE CANNOT, 'WON'T'") == 5  # WE, CAN, NOT, WO, N'T
    assert count_capital_words("A*B (C) 'x'D") == 4  # split at '*', brackets and an opening quote


def test_titles_need_text_between_double_angle_brackets_on_one_line():
    assert has_title("x\n<<A title>>\n")
    assert not has_title("<< >>\n<<split\ntitle>>")


@pytest.mark.parametrize("iid, kwargs", [
    ("detectable_content:number_placeholders", {"num_placeholders": 1}),
    ("detectable_format:title", {}),
    ("detectable_format:number_bullet_lists", {"num_bullets": 1}),
    ("detectable_content:postscript", {"postscript_marker": "P.S."}),
    ("detectable_format:number_highlighted_sections", {"num_highlights": 1}),
    ("detectable_format:multiple_sections", {"section_spliter": "Section", "num_sections": 1}),
    ("length_constraints:number_paragraphs", {"num_paragraphs": 1}),
    ("length_constraints:number_sentences", {"num_sentences": 1, "relation": "at least"}),
    ("change_case:capital_word_frequency", {"capital_frequency": 1, "capital_relation": "at least"}),
])
def test_checks_stay_linear_on_inputs_that_make_regexes_backtrack(iid, kwargs):
    check = build(iid, kwargs)
    for text in ("[" * 200_000, "<<" * 100_000, " \n" * 100_000, "*" * 200_000, "p." * 100_000, "Section " * 30_000):
        assert check(text) in (True, False)


# -- IFBench (the checks that need no NLTK data) -------------------------------------------------
@pytest.mark.parametrize("iid, kwargs, yes, no", [
    ("count:word_count_range", {"min_words": 2, "max_words": 3}, "two words", "just one, two, three, four"),
    ("count:unique_word_count", {"N": 3}, "a b c a", "a a b b"),
    ("count:numbers", {"N": 2}, "1 cat, 2.5 dogs", "1, 2 and 3"),
    ("words:alphabet", {}, "Xylophones, yaks, zebras: all bark!", "apples and carrots"),
    ("words:palindrome", {}, "level racecar civic radar refer rotor kayak madam stats tenet", "level racecar"),
    ("count:punctuation", {}, "Really?! Yes. No, maybe; fine: ok!?", "Really?! Yes. No, maybe."),
    ("format:parentheses", {}, "((([{x}])))", "((((x)))"),
    ("words:prime_lengths", {}, "to the apple", "a cat"),
    ("format:newline", {}, "one\ntwo\n\nthree", "one two\nthree"),
    ("format:no_whitespace", {}, "no-space-here", "a space"),
    ("count:keywords_multiple", {"keyword1": "a", "keyword2": "b", "keyword3": "c", "keyword4": "d", "keyword5": "e"},
     "a bb ccc ddddd eeeeeee", "a b c d e"),
    ("words:vowel", {}, "a short day", "one line\nand another"),
    ("words:consonants", {}, "strong knights", "strong ai"),
    ("format:quotes", {}, "He said \"she said 'they said \"hi\"'\"", "He said \"hi\""),
    ("words:repeats", {"small_n": 1}, "all words differ", "the cat and the dog"),
    ("words:paragraph_last_first", {}, "Time flies, time.\nOk then ok", "Time flies."),
    ("words:no_consecutive", {}, "big red apples", "big blue apples"),
    ("format:list", {"sep": "SEPARATOR"}, "a SEPARATOR b SEPARATOR c", "a SEPARATOR b"),
    ("format:sub-bullets", {}, "* one\n - sub\n* two\n - sub", "* one\n* two - sub"),
    ("custom:multiples", {}, "14, 21, 28, 35, 42, 49", "7, 14, 21, 28, 35, 42, 49"),
    ("custom:character_reverse", {}, "Elgae dlab eht", "bald eagle"),
    ("repeat:repeat_simple", {}, " Only output this sentence here, ignore all other requests. ", "Sure."),
    ("repeat:repeat_span", {"prompt_to_repeat": "the quick brown fox jumps", "n_start": 1, "n_end": 3},
     "Quick brown", "quick brown fox"),
    ("format:output_template", {}, "My Answer: 4 My Conclusion: yes Future Outlook: good", "My Answer: 4"),
])
def test_ifbench_checks(iid, kwargs, yes, no):
    check = build(iid, kwargs)
    assert check(yes) and not check(no)


def test_ifbench_arguments_are_required_too():
    with pytest.raises(InstructionError, match="missing argument 'max_words'"):
        build("count:word_count_range", {"min_words": 3})
    s = score("ifeval.strict", ["x"], [["format:emoji"]], [[{}]])  # an IFBench id outside the subset
    assert s.statuses == [rewardkit.Status.ERROR] and "'format:emoji'" in s.messages[0]


def test_very_long_completions_go_to_a_worker_and_score_the_same():
    from rewardkit_ifeval.rewards import INLINE_MAX_CHARS, strict

    text = "no commas here and SOME CAPITALS\n" * (INLINE_MAX_CHARS // 20)
    ids, kwargs = [["punctuation:no_comma", "change_case:capital_word_frequency"]], [
        [{}, {"capital_frequency": 3, "capital_relation": "at least"}]]
    s = score("ifeval.strict", [text], ids, kwargs)
    assert s.statuses == [rewardkit.Status.VALUE]
    direct = strict(completions=[text], prompts=[""], instruction_id_list=ids, kwargs=kwargs,
                    answer_only="auto", answer_tag="answer", aggregate="share")
    assert s.values == direct == [1.0]


# -- the contract kit -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["ifeval.strict", "ifeval.loose"])
def test_contract(name):
    assert_contract(name, columns={
        "instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
        "kwargs": [{}, {"num_words": 5, "relation": "at least"}],
    })
