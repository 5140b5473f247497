"""The three judge rewards: ``judge.equivalence``, ``judge.rubric`` and ``judge.pairwise``.

An invalid verdict (no allowed verdict, a swap check that disagrees) raises :class:`InvalidVerdict`:
the host records that item as an error outcome (dropped under ``on_error="drop"``), never as 0 or 1.
A Yes that the judge also gives to a wrong reference (the decoy check) is no evidence: 0, counted.
A batch in which some item is invalid is re-scored item by item by the host, so only the invalid items
fail; the answers the batch computed are handed to those calls and each question is counted once
(:mod:`rewardkit_judge.ledger`). A row with no gold (or no rubric) is None: not applicable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import prompts as P
from .backends import Answer, Query
from .golds import gold_text, missing
from .judge import BASE_URL_ENV, ask
from .ledger import batch, report
from .rules import decoy, final_answer, final_statement, no_answer, rule_verdicts


class InvalidVerdict(ValueError):
    """The judge gave no usable verdict for an item: an error outcome, never a score."""


def _fail(problems: dict[int, str], rows: Sequence[int]) -> None:
    """Raise for the invalid items (``rows``: each item's row in the host's batch, for the message)."""
    if not problems:
        return
    report(judge_invalid=len(problems))  # held back unless this call scores one item (see ledger)
    first = min(problems)
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    raise InvalidVerdict(f"item {rows[first]}: {problems[first]}{more}")


def _labelled(column: Sequence[Any], n: int, score: Callable[[list[int]], list[float]]) -> list[float | None]:
    """``score(rows)`` on the rows whose ``column`` holds a value; None (not applicable) on the others: a
    missing gold or rubric is never the text "None". Usage is counted once per question (see ledger)."""
    rows = [i for i in range(n) if not missing(column[i])]
    out: list[float | None] = [None] * n
    with batch(n):
        if rows:
            for i, value in zip(rows, score(rows)):
                out[i] = value
    return out


def _said(a: Answer) -> str:
    return repr(a.raw) if a.raw else "nothing"


# -- judge.equivalence ----------------------------------------------------------------------------


def equivalence(*, completions: list[str], prompts: list[str], answer: list[Any], **p: Any) -> list[float | None]:
    """1.0 when the final answer is equivalent to the gold answer, 0.0 when not, None with no gold;
    invalid -> error."""
    return _labelled(answer, len(completions), lambda rows: _equivalence(
        [completions[i] for i in rows], [prompts[i] for i in rows], [answer[i] for i in rows], p, rows))


def _equivalence(completions: list[str], prompts: list[str], answer: list[Any], p: dict[str, Any],
                 rows: list[int]) -> list[float]:
    n = len(completions)
    golds = [gold_text(a) for a in answer]
    finals = [final_statement(c, p["answer_only"], p["max_chars"]) for c in completions]
    decided: list[float | None] = (
        rule_verdicts(completions, finals, golds, prompts, answer) if p["rules"] else [None] * n
    )
    report(judge_rule_decisions=sum(d is not None for d in decided))
    todo = [i for i, d in enumerate(decided) if d is None]
    question = (lambda i: prompts[i]) if p["question"] else (lambda i: "")
    queries = [P.equivalence(golds[i], finals[i], question(i)) for i in todo]
    if p["swap"]:
        queries += [P.equivalence(finals[i], golds[i], question(i)) for i in todo]
    answers = ask(p, queries)
    out = [0.0 if d is None else d for d in decided]
    problems: dict[int, str] = {}
    accepted = []
    for j, i in enumerate(todo):
        said = [answers[j]] + ([answers[len(todo) + j]] if p["swap"] else [])
        verdicts = [a.verdict for a in said]
        if None in verdicts:
            problems[i] = f"the judge gave no Yes/No verdict (it said {_said(said[verdicts.index(None)])})"
        elif len(set(verdicts)) > 1:
            problems[i] = f"swap check: the judge said {verdicts[0]} and, with the answers exchanged, {verdicts[1]}"
        elif verdicts[0] == P.YES:
            accepted.append(i)
    if p["decoy"] and accepted:
        fooled = ask(p, [P.equivalence(decoy(golds[i], finals[i]), finals[i], question(i)) for i in accepted])
        for i, a in zip(accepted, fooled):
            if a.verdict is None:
                problems[i] = f"the judge gave no Yes/No verdict on the decoy check (it said {_said(a)})"
        report(judge_decoy_rejections=sum(a.verdict == P.YES for a in fooled))
        # a Yes also given to a wrong reference is no evidence: the answer is not shown equivalent (0)
        accepted = [i for i, a in zip(accepted, fooled) if a.verdict == P.NO]
    for i in accepted:
        out[i] = 1.0
    _fail(problems, rows)
    return out


# -- judge.rubric ----------------------------------------------------------------------------------


def rubric(*, completions: list[str], prompts: list[str], rubric: list[Any], **p: Any) -> list[float | None]:
    """The judge's level from 1 to ``levels`` by the item's rubric, mapped onto [0, 1]; None with no rubric."""
    return _labelled(rubric, len(completions), lambda rows: _rubric(
        [completions[i] for i in rows], [prompts[i] for i in rows], [rubric[i] for i in rows], p, rows))


def _rubric(completions: list[str], prompts: list[str], rubric: list[Any], p: dict[str, Any],
            rows: list[int]) -> list[float]:
    levels = p["levels"]
    responses = [final_answer(c, p["answer_only"], p["max_chars"]) for c in completions]
    out = [0.0] * len(responses)  # an empty answer (nothing, "\boxed{}", "Answer:") is the lowest level, unasked
    todo = [i for i, r in enumerate(responses) if not no_answer(r)]
    report(judge_rule_decisions=len(responses) - len(todo))
    queries = [P.rubric(P.clip(prompts[i], p["max_chars"]), responses[i], P.clip(str(rubric[i]), p["max_chars"]),
                        levels) for i in todo]
    problems: dict[int, str] = {}
    for i, a in zip(todo, ask(p, queries)):
        if a.verdict is None:
            problems[i] = f"the judge gave no level 1-{levels} (it said {_said(a)})"
        else:
            out[i] = (int(a.verdict) - 1) / (levels - 1)
    _fail(problems, rows)
    return out


# -- judge.pairwise --------------------------------------------------------------------------------


def opponents(completions: Sequence[str], pair_a: Sequence[Any], pair_b: Sequence[Any]) -> list[str]:
    """Each completion's opponent: ``pair_a`` when the completion is ``pair_b``, else ``pair_b``.

    With ``bench --pairs chosen,rejected --map pair_a=chosen --map pair_b=rejected`` the chosen item
    meets the rejected one and the other way round; in training, ``pair_b`` is a fixed opponent.
    """
    from rewardkit.utils import completion_text

    out = []
    for i, c in enumerate(completions):
        a = completion_text(pair_a[i], where=f"pair_a row {i}")
        b = completion_text(pair_b[i], where=f"pair_b row {i}")
        out.append(a if c == b else b)
    return out


def pairwise(*, completions: list[str], prompts: list[str], pair_a: list[Any], pair_b: list[Any],
             **p: Any) -> list[float]:
    """1.0 when the judge prefers this completion to its opponent in both orders, 0.0 in neither,
    0.5 for a tie (identical texts, or a judge whose preference follows the position)."""
    with batch(len(completions)):
        return _pairwise(completions, prompts, pair_a, pair_b, p)


def _pairwise(completions: list[str], prompts: list[str], pair_a: list[Any], pair_b: list[Any],
              p: dict[str, Any]) -> list[float]:
    opp = opponents(completions, pair_a, pair_b)
    mine = [final_answer(c, p["answer_only"], p["max_chars"]) for c in completions]
    theirs = [final_answer(o, p["answer_only"], p["max_chars"]) for o in opp]
    out = [0.5] * len(mine)
    for i in range(len(mine)):  # an empty answer loses to one that states something, unasked
        if no_answer(mine[i]) != no_answer(theirs[i]):
            out[i] = 0.0 if no_answer(mine[i]) else 1.0
    todo = [i for i in range(len(mine)) if mine[i] != theirs[i] and no_answer(mine[i]) == no_answer(theirs[i])]
    report(judge_rule_decisions=sum(no_answer(m) != no_answer(t) for m, t in zip(mine, theirs)))
    question = [P.clip(q, p["max_chars"]) for q in prompts]
    queries: list[Query] = [P.pairwise(question[i], mine[i], theirs[i]) for i in todo]
    if p["swap"]:
        queries += [P.pairwise(question[i], theirs[i], mine[i]) for i in todo]
    answers = ask(p, queries)
    problems: dict[int, str] = {}
    for j, i in enumerate(todo):
        first = answers[j]
        second = answers[len(todo) + j] if p["swap"] else None
        said = [first] + ([second] if second is not None else [])
        if any(a.verdict is None for a in said):
            problems[i] = f"the judge gave no A/B verdict (it said {_said(next(a for a in said if a.verdict is None))})"
            continue
        wins = (first.verdict == "A") + (second is not None and second.verdict == "B")
        out[i] = wins / len(said)
    _fail(problems, range(len(out)))
    return out


# -- parameters ------------------------------------------------------------------------------------


def check_params(params: dict[str, Any]) -> None:
    """Fail at build time on an openai backend with no URL, or an empty cache setting."""
    import os

    if params["backend"] == "openai" and not (params["base_url"] or os.environ.get(BASE_URL_ENV)):
        exc = ValueError(f"backend 'openai' needs base_url= or ${BASE_URL_ENV} (e.g. http://127.0.0.1:8000/v1)")
        exc.param = "base_url"  # type: ignore[attr-defined]
        raise exc
    if not params["cache"].strip():
        exc = ValueError("cache must be auto, off or a folder")
        exc.param = "cache"  # type: ignore[attr-defined]
        raise exc


def common_params(max_chars: int) -> dict[str, Any]:
    from rewardkit import Param

    return {
        "backend": Param("transformers", help="transformers (in process) or openai (an OpenAI-compatible server)",
                         choices=("transformers", "openai"), kind="resource"),
        "model": Param("smollm2-135m-instruct", help="in process: a local checkpoint folder or the embedded alias "
                       "smollm2-135m-instruct (a weak 135M judge, for tests and examples); openai: the served model name",
                       kind="path"),
        "base_url": Param(None, help=f"openai: the server's /v1 URL (default ${BASE_URL_ENV})", type=str, nullable=True,
                          kind="path"),
        "api_key_env": Param("OPENAI_API_KEY", help="openai: the NAME of the environment variable holding the API key",
                             kind="path"),
        "concurrency": Param(8, help="openai: requests in flight at once", min=1, max=256, kind="resource"),
        "retries": Param(3, help="openai: retries on connection errors, 429 and 5xx (exponential backoff)", min=0, max=10,
                         kind="resource"),
        "request_timeout": Param(60.0, help="openai: seconds per request", min=1.0, kind="resource"),
        "batch_size": Param(8, help="transformers: prompts per forward pass", min=1, kind="resource"),
        "device": Param("cpu", help="transformers: cpu, cuda, cuda:N or mps", kind="resource"),
        "seed": Param(0, help="sampling seed sent with every request (decoding is greedy: temperature 0)", min=0),
        "cache": Param("auto", help="disk cache of verdicts: auto ($REWARDKIT_CACHE/judge), off, or a folder",
                       kind="path"),
        "answer_only": Param("auto", help="what the judge sees: auto (the <answer> span, else the text after "
                             "</think>), yes (the span only), no (everything, reasoning included)",
                             choices=("auto", "yes", "no")),
        "max_chars": Param(max_chars, help="characters of each judged text shown (start and end kept)", min=16),
    }


def equivalence_params() -> dict[str, Any]:
    from rewardkit import Param

    return {
        **common_params(1000),
        "rules": Param(True, help="text.exact / math.equivalence decide first when they are sure; no-content answers score 0"),
        "swap": Param(True, help="ask again with the answers exchanged; disagreement is an invalid verdict"),
        "decoy": Param(True, help="after a Yes, ask with a wrong reference; a Yes to that too is no evidence: 0"),
        "question": Param(False, help="show the judge the prompt too"),
    }


def rubric_params() -> dict[str, Any]:
    from rewardkit import Param

    return {**common_params(4000), "levels": Param(5, help="rubric levels 1..levels, mapped onto [0, 1]", min=2, max=9)}


def pairwise_params() -> dict[str, Any]:
    from rewardkit import Param

    return {**common_params(4000), "swap": Param(True, help="judge both orders; a split verdict is a tie (0.5)")}
