"""Every built-in reward as a ``(completion, reference) -> float`` verifier, for the public auditors
(reward-doctor, rlgate): the wrapper puts the reference where the reward reads its gold (``answer``,
``reference``, ``gold``, a tool's result, a test's expected output, ...).

A ``None`` outcome (not applicable) is returned as 0.0: nothing is paid. An error or timeout outcome
raises, so the auditor records it as a crash (a finding).

``SPECS[name]`` says how each reward is audited: its parameters, the columns built from the reference,
the completion's wrapping where the reward reads one format (``gym.*``: the ``<answer>`` tag;
``json.match``: ``{"answer": ...}``), the part of reward-doctor's corpus that measures it (``scope``: None = all of it, else attack names),
and the score that counts as accepted (``threshold``: a score above it; shaped rewards are accepted
only at full credit).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: The trajectory's tool (rewardkit-tools' probe table declares the same one).
CALCULATE = {
    "type": "function",
    "function": {"name": "calculate", "description": "Evaluate an arithmetic expression.",
                 "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                                "required": ["expression"]}},
}
IFEVAL = {"instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
          "kwargs": [{}, {"relation": "less than", "num_words": 300}]}
GYM_METADATA = {"source_dataset": "products", "source_index": 67, "expression": "6 * 7", "num_terms": 2,
                "num_digits": 1, "difficulty": {"num_terms": [2, 2], "num_digits": [1, 5]}}
FULL = 0.999  # shaped rewards: accepted only at full credit


def tool_trajectory(completion: str, result: str, call: bool = True) -> list[dict[str, Any]]:
    """A question, one ``calculate`` call that returned ``result``, and ``completion`` as the final answer."""
    turns: list[dict[str, Any]] = [{"role": "user", "content": "What is 6 times 7? Use the calculator."}]
    if call:
        tc = {"id": "c1", "type": "function", "function": {"name": "calculate", "arguments": '{"expression": "6*7"}'}}
        turns += [{"role": "assistant", "content": "", "tool_calls": [tc]},
                  {"role": "tool", "tool_call_id": "c1", "name": "calculate", "content": result}]
    return turns + [{"role": "assistant", "content": completion}]


def _tools(ref: str, completion: str) -> dict[str, Any]:
    return {"trajectory": [tool_trajectory(completion, ref)], "tools": [[CALCULATE]]}


@dataclass(frozen=True)
class Spec:
    columns: Callable[[str, str], dict[str, Any]]  # (reference, completion) -> column lists of one row
    params: dict[str, Any] = field(default_factory=dict)
    scope: tuple[str, ...] | None = None  # reward-doctor attacks that measure it; None: the whole corpus
    threshold: float = 0.0
    trajectory: bool = False  # the completion travels inside the columns (trajectory rewards)
    wrap: Callable[[str], str] | None = None  # the completion as the reward's format wants it


def _one(**cols: Any) -> Callable[[str, str], dict[str, Any]]:
    return lambda ref, comp: {k: [v(ref) if callable(v) else v] for k, v in cols.items()}


EMPTY = ("empty",)
SPECS: dict[str, Spec] = {
    "math.equivalence": Spec(_one(answer=str)),
    "math.parseable": Spec(_one(), scope=EMPTY),
    "text.exact": Spec(_one(reference=str)),
    "text.token_f1": Spec(_one(reference=str), threshold=FULL),
    "text.bleu": Spec(_one(reference=str), threshold=FULL),
    "text.chrf": Spec(_one(reference=str), threshold=FULL),
    "text.rouge": Spec(_one(reference=str), threshold=FULL),
    "format.tags": Spec(_one(), scope=("empty", "format_farming"), threshold=FULL),
    "format.strict": Spec(_one(), scope=("empty", "format_farming")),
    "format.overlong": Spec(_one(), scope=("padding",), threshold=FULL),
    "format.repetition": Spec(_one(), scope=("padding",), threshold=FULL),
    "json.valid": Spec(_one(), scope=EMPTY),
    "json.match": Spec(_one(gold=lambda r: {"answer": r}), wrap=lambda c: json.dumps({"answer": c})),
    "json.schema": Spec(_one(schema={"type": "object", "properties": {"answer": {}}, "required": ["answer"]}),
                        scope=EMPTY),
    "ifeval.strict": Spec(_one(**{k: v for k, v in IFEVAL.items()}), scope=EMPTY),
    "ifeval.loose": Spec(_one(**{k: v for k, v in IFEVAL.items()}), scope=EMPTY),
    "gym.score": Spec(_one(task="products", answer=str, metadata=GYM_METADATA), wrap=lambda c: f"<answer>{c}</answer>"),
    "gym.score_sandboxed": Spec(_one(task="products", answer=str, metadata=GYM_METADATA),
                                wrap=lambda c: f"<answer>{c}</answer>"),
    "tools.result_used": Spec(lambda ref, comp: {"trajectory": [tool_trajectory(comp, ref)]}, trajectory=True),
    "tools.call_format": Spec(_tools, scope=EMPTY, trajectory=True),
    "tools.efficiency": Spec(_tools, scope=EMPTY, trajectory=True),
    "code.compiles": Spec(_one(), scope=EMPTY),
    "code.passes": Spec(_one(tests=lambda r: {"test_cases": [{"input": "", "output": r + "\n"}]})),
    "code.tests": Spec(_one(tests=lambda r: {"test_cases": [{"input": "", "output": r + "\n"}]}), threshold=FULL),
    "judge.equivalence": Spec(_one(answer=str), params={"model": "auditor-yes-judge", "cache": "off"}),
    "judge.rubric": Spec(_one(rubric=lambda r: f"5: the answer is {r}; 1: anything else"), scope=EMPTY,
                         params={"model": "auditor-yes-judge", "cache": "off"}),
    "judge.pairwise": Spec(_one(pair_a=lambda r: f"The answer is {r}.", pair_b=lambda r: f"The answer is {r}."),
                           scope=EMPTY, threshold=0.5, params={"model": "auditor-yes-judge", "cache": "off"}),
    "rm.similarity": Spec(_one(reference=str), threshold=0.9),
    "rm.classifier": Spec(_one(), scope=EMPTY, threshold=0.5),
}


def yes_judge() -> None:
    """Wire the stub judge the judge rewards are audited with: it says Yes (level 5, A) to everything, the
    worst judge there is, so what the audit finds is what the rewards' own defences let through."""
    from rewardkit_judge.backends import ScriptedBackend
    from rewardkit_judge.judge import register_backend
    from rewardkit_judge.rewards import equivalence_params

    defaults = {k: p.default for k, p in equivalence_params().items()}
    register_backend({**defaults, "model": "auditor-yes-judge"},
                     ScriptedBackend(lambda q: q.choices[0] if q.choices[0] != "1" else q.choices[-1], "auditor-yes"))


def verifier(name: str, cases: Any = (), **extra: Any) -> Callable[[str, str], float]:
    """``name`` as a reward-doctor verifier ``f(completion, reference) -> float``. The ``cases`` (reward-doctor
    cases) are scored ahead in one batch, as a trainer would, and answered from it; others one by one."""
    import rewardkit
    from rewardkit import Status

    spec = SPECS[name]
    bound = rewardkit.reward(name, **{**spec.params, **extra})

    def run(pairs: list[tuple[str, str]]) -> list[float | Exception]:
        texts = [spec.wrap(c) if spec.wrap else c for c, _ in pairs]
        cols: dict[str, list[Any]] = {}
        for (_, ref), text in zip(pairs, texts):
            for k, v in spec.columns(ref, text).items():
                cols.setdefault(k, []).extend(v)
        s = bound.score(texts, prompts=["What is 6 times 7?"] * len(texts), **cols)
        return [RuntimeError(s.messages.get(i, st.value)) if st in (Status.ERROR, Status.TIMEOUT)
                else 0.0 if v is None else float(v) for i, (v, st) in enumerate(zip(s.values, s.statuses))]

    pairs = list(dict.fromkeys((c.completion, c.reference) for c in cases))
    ahead = dict(zip(pairs, run(pairs))) if pairs else {}

    def check(completion: str, reference: str) -> float:
        got = ahead[(completion, reference)] if (completion, reference) in ahead else run([(completion, reference)])[0]
        if isinstance(got, Exception):
            raise got
        return got

    check.__name__ = name
    return check
