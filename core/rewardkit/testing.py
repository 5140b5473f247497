"""The contract test kit: check that a registered reward keeps the reward contract.

Plugin authors call it from their own test suites::

    import pytest
    from rewardkit.testing import assert_contract, reward_names

    @pytest.mark.parametrize("name", reward_names("keywords"))
    def test_contract(name):
        assert_contract(name, columns={"keywords": ["apple", "pear"]})

and ``rewardkit check-plugin NAME`` runs the same checks from the command line. Each check
is one :class:`Check` row (reward, rule, passed, message); :func:`check_reward` and
:func:`check_plugin` return them in a :class:`ContractResult`.

Sample column values come from ``columns=`` when given, else from the ``examples`` the reward
registered (``register(..., examples={"keywords": ["apple", "pear"]})``: a reward with structured
columns passes ``rewardkit check-plugin`` with no arguments that way), else from fallbacks
(GSM8K rows for ``answer``/``reference``/``question``, the string ``"42"`` for anything else).

The rules (see ``RULES``): complete metadata, a keyword signature that accepts what the host
passes, one value per completion, values that are finite floats inside the declared range
or ``None``, no error on sample input, the same output for the same input (deterministic
rewards), the same value for an item whether it is scored alone or in a batch
(deterministic rewards), empty, whitespace-only, very long (1 MB by default) and non-ASCII
completions scored without error within the declared deadline, a clear
:class:`rewardkit.MissingColumnError` for each missing declared column, and no passing score for
a non-finite number (``nan``, ``inf``, ``1e400``, JSON ``NaN``) put where the sample completions
hold numbers, wherever a non-number in the same place fails (deterministic rewards).

The kit calls rewards the way the host does (``rewardkit.reward(name)``, so ``cpu`` rewards
run in worker processes with their deadline) and calls the raw ``fn`` of ``fast`` and
``model`` rewards as well, to see contract breaks that the host would turn into error
outcomes.
"""

from __future__ import annotations

import inspect
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import MissingColumnError, RewardkitError
from .outcomes import Reason, Scores, Status, check_batch_length, check_value
from .spec import NAME_RE, RewardSpec
from .trajectory import TRAJECTORY, as_trajectory

__all__ = [
    "RULES",
    "SampleList",
    "Check",
    "ContractResult",
    "assert_contract",
    "check_plugin",
    "check_reward",
    "plugin_rewards",
    "reward_names",
    "NONFINITE_TOKENS",
    "MASTER_KEYS",
]

#: Every rule the kit checks, with what it means.
RULES: dict[str, str] = {
    "metadata": "name '<plugin>.<reward>', one-line description, finite range, JSON-serialisable metadata",
    "signature": "fn (and fast_path) accept completions, prompts, the declared columns and params as keywords",
    "length": "returns one value per completion",
    "range": "every value is a finite float inside the declared range, or None",
    "errors": "scores the sample batch without error or timeout",
    "deterministic": "the same input gives the same output (rewards declared deterministic)",
    "batch": "an item scores the same alone and in a batch (rewards declared deterministic)",
    "empty": "an empty completion is scored without error within the deadline",
    "whitespace": "a whitespace-only completion is scored without error within the deadline",
    "long": "a very long completion is scored without error within the deadline",
    "non-ascii": "a non-ASCII completion is scored without error within the deadline",
    "missing-column": "a missing declared column raises MissingColumnError naming it",
    "non-finite": "a non-finite number (nan, inf, -Infinity, 1e400, JSON NaN) in place of a completion's numbers "
                  "never passes where a non-number in their place fails (deterministic rewards)",
}

#: The probe's "master keys" (``:``, ``Thought process:``, ``The answer is`` and translations), for
#: plugin tests and plugin probe families: none is an answer to anything.
from .probe.families import MASTER_KEYS  # noqa: E402

#: Non-finite number spellings the ``non-finite`` rule puts where a completion's numbers were.
NONFINITE_TOKENS = ("nan", "NaN", "inf", "-Infinity", "Infinity", "1e400", "-1e999")
#: What stands in for a number that is not one: the baseline a non-finite number may not beat.
NOT_A_NUMBER = "qqq"


def _not_a_number(token: str) -> tuple[str, ...]:
    """The baselines for ``token``: ``qqq``, and the token with every letter made ``q`` or ``Q`` (case,
    length, signs and digits kept: ``NaN`` -> ``QqQ``, ``-Infinity`` -> ``-Qqqqqqqq``, ``1e400`` ->
    ``1q400``). The non-finite token is blamed only when it beats all of them, so a reward that scores
    length or case, matches digits as text, or checks Python syntax is not blamed on it: what is left
    is reading the token as a number."""
    shaped = "".join(("Q" if ch.isupper() else "q") if ch.isalpha() else ch for ch in token)
    return (NOT_A_NUMBER,) if shaped == NOT_A_NUMBER else (NOT_A_NUMBER, shaped)


#: Answer layouts the ``non-finite`` rule fills besides the sample completions (``{}`` is the number).
NONFINITE_SHAPES = (
    "{}",
    "<think>\nDone.\n</think>\n<answer>\n{}\n</answer>",
    "The answer is \\boxed{{{}}}.",
    "#### {}",
    '{{"x": {}}}',
    '{{"answer": {}, "score": {}}}',
    "[{}]",
    "```json\n{{\"value\": {}}}\n```",
)
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z0-9_])")

#: Sample completions used after the GSM8K rows: answer formats rewards commonly look for.
SAMPLE_COMPLETIONS = (
    "<think>\n6 times 7 is 42.\n</think>\n<answer>\n42\n</answer>",
    "Six sevens make 42, so the answer is \\boxed{42}.",
    "Let me compute: 40 + 2 = 42.\n#### 42",
    "I am not sure.",
)

#: Fallback sample values for common column names (after ``columns=`` and the reward's registered
#: ``examples``); any other column gets the string "42".
SAMPLE_COLUMNS: dict[str, Any] = {
    "answer": "42",
    "reference": "6 * 7 = 42\n#### 42",
    "solution": "6 * 7 = 42\n#### 42",
    "question": "What is 6 times 7?",
}

HOSTILE: dict[str, Callable[[int], str]] = {
    "empty": lambda n: "",
    "whitespace": lambda n: " \n\t \r\n  \u00a0 ",
    "long": lambda n: _long_text(n),
    "non-ascii": lambda n: "Ünïcödé ½ ∑ √2 ≈ 1.414 — 数学 答案 ٤٢ עברית 🤖🔥 \u200b\u200d\ufeff \x00 e\u0301 <answer>四十二</answer>",
}

_SEED_TEXT = (
    "<think> Step 1: 6 * 7 = 42. (((( [[ {{ \\boxed{ $$ ** __ </think> The answer is 42. "
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa! 0.000000000001 1e308 -- "
)


def _long_text(n: int) -> str:
    """``n`` characters of text with unbalanced brackets and long runs (hostile to regexes)."""
    return (_SEED_TEXT * (n // len(_SEED_TEXT) + 1))[:n]


@dataclass(frozen=True)
class Check:
    """One row of a contract check: which reward, which rule, and what happened."""

    reward: str
    rule: str
    passed: bool
    message: str = ""
    skipped: bool = False

    @property
    def status(self) -> str:
        return "skip" if self.skipped else ("pass" if self.passed else "FAIL")

    def __str__(self) -> str:
        text = f"{self.status:4}  {self.reward}  {self.rule}"
        return f"{text}: {self.message}" if self.message else text


@dataclass
class ContractResult:
    """The checks of one or more rewards, in order; ``passed`` when no check failed."""

    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def rewards(self) -> list[str]:
        return list(dict.fromkeys(c.reward for c in self.checks))

    def for_reward(self, name: str) -> ContractResult:
        return ContractResult([c for c in self.checks if c.reward == name])

    def failed_rules(self, reward: str | None = None) -> list[str]:
        return [c.rule for c in self.failures if reward is None or c.reward == reward]

    def extend(self, other: ContractResult) -> None:
        self.checks.extend(other.checks)

    def to_dicts(self) -> list[dict[str, Any]]:
        return [
            {"reward": c.reward, "rule": c.rule, "passed": c.passed, "skipped": c.skipped, "message": c.message}
            for c in self.checks
        ]

    def summary(self) -> str:
        bad = [r for r in self.rewards if self.for_reward(r).failures]
        n = len(self.rewards)
        if not bad:
            return f"{n} reward(s) keep the contract ({len(self.checks)} checks)"
        return f"{len(bad)} of {n} reward(s) break the contract: " + ", ".join(
            f"{r} ({', '.join(self.failed_rules(r))})" for r in bad
        )

    def __str__(self) -> str:
        width = max([len(c.reward) for c in self.checks] + [6])
        lines = [f"{'reward':{width}}  {'rule':14}  result  message"]
        for c in self.checks:
            lines.append(f"{c.reward:{width}}  {c.rule:14}  {c.status:6}  {c.message}".rstrip())
        lines.append(self.summary())
        return "\n".join(lines)

    def __bool__(self) -> bool:
        return self.passed


# -- discovery ---------------------------------------------------------------------------
def plugin_rewards(plugin: str) -> list[str]:
    """Names of the rewards that the installed plugin ``plugin`` registers (sorted).

    Raises :class:`rewardkit.RewardkitError` naming the plugin when it is not installed, failed
    to load, or registers no rewards.
    """
    from .plugins import plugin_infos
    from .registry import registry

    specs = registry.specs()
    names = sorted(n for n, s in specs.items() if s.plugin == plugin)
    if names:
        return names
    infos = {i.name: i for i in plugin_infos()}
    errors = registry.errors()
    if plugin in errors:
        raise RewardkitError(f"plugin {plugin!r} registered no rewards: {errors[plugin]}")
    if plugin in infos and infos[plugin].error:
        raise RewardkitError(f"plugin {plugin!r} failed to load: {infos[plugin].error}")
    if plugin in infos:
        raise RewardkitError(f"plugin {plugin!r} registers no rewards")
    known = ", ".join(sorted(infos)) or "none"
    raise RewardkitError(
        f"plugin {plugin!r} is not installed (installed plugins: {known}); "
        f"install it with: pip install -e path/to/rewardkit-{plugin}"
    )


def reward_names(*plugins: str) -> list[str]:
    """Reward names of the given plugins, for ``pytest.mark.parametrize``."""
    return [name for plugin in plugins for name in plugin_rewards(plugin)]


# -- sample inputs -----------------------------------------------------------------------
def _sample_rows(n: int) -> list[dict[str, Any]]:
    """``n`` sample rows: stored GSM8K model completions first, then the format samples."""
    rows: list[dict[str, Any]] = []
    try:
        from .tasks import gsm8k

        stored = gsm8k.load("completions", limit=60)[::6]
    except (OSError, ValueError):  # a stripped install without the bundled data
        stored = []
    fixed = [{"completion": c, **SAMPLE_COLUMNS} for c in SAMPLE_COMPLETIONS]
    # interleave so that even a small n sees both kinds
    for a, b in zip(stored, fixed):
        rows += [a, b]
    rows += stored[len(fixed):] + fixed[len(stored):]
    while len(rows) < n:
        rows += rows
    return rows[:n]


def _sample_inputs(
    spec: RewardSpec,
    items: int,
    completions: Sequence[str] | None,
    prompts: Sequence[str] | None,
    columns: Mapping[str, Any] | None,
) -> tuple[list[str], list[str], dict[str, list[Any]]]:
    columns = dict(columns or {})
    if completions is not None:
        comps = list(completions)
        rows = _sample_rows(len(comps))
    else:
        rows = _sample_rows(items)
        comps = [str(r["completion"]) for r in rows]
    n = len(comps)
    if prompts is not None:
        prms = list(prompts)
        if len(prms) != n:
            raise ValueError(f"{len(prms)} prompts for {n} completions")
    else:
        prms = [str(r.get("question", "")) for r in rows]
    cols: dict[str, list[Any]] = {}
    for col in spec.columns:
        if col == TRAJECTORY and col not in columns:  # the host's view of each completion as messages
            cols[col] = [as_trajectory(c) for c in comps]
            continue
        if col in columns:
            value = columns[col]
            if isinstance(value, SampleList):
                values = list(value)
                if len(values) != n:
                    raise ValueError(f"column {col!r}: {len(values)} sample values for {n} completions")
            else:
                values = [value] * n
        elif col in spec.examples:
            values = [spec.examples[col]] * n
        else:
            values = [r.get(col, SAMPLE_COLUMNS.get(col, "42")) for r in rows]
        cols[col] = values
    return comps, prms, cols


class SampleList(list):
    """Per-item sample values for a column (a plain list is one value shared by every item).

    ``columns={"keywords": ["a", "b"]}`` gives every item the list ``["a", "b"]``;
    ``columns={"answer": SampleList(["1", "2"])}`` gives item 0 ``"1"`` and item 1 ``"2"``.
    """


# -- the checks --------------------------------------------------------------------------
class _Checker:
    def __init__(self, spec: RewardSpec, bound: Any, comps, prms, cols, long_chars: int, timeout: float):
        self.spec, self.bound = spec, bound
        self.comps, self.prms, self.cols = comps, prms, cols
        self.long_chars, self.timeout = long_chars, timeout
        self.rows: list[Check] = []

    def add(self, rule: str, passed: bool, message: str = "", skipped: bool = False) -> None:
        self.rows.append(Check(self.spec.name, rule, passed, message, skipped))

    # the raw function, as the host would call it for a batch
    def call_raw(self, fn: Callable[..., Any], comps, prms, cols) -> Any:
        return fn(completions=list(comps), prompts=list(prms), **{k: list(v) for k, v in cols.items()},
                  **self.bound.params)

    def metadata(self) -> None:
        s = self.spec
        problems = []
        if not NAME_RE.match(s.name):
            problems.append(f"name {s.name!r} is not '<plugin>.<reward>' in lower case")
        elif s.plugin not in ("__main__", "") and s.name.split(".", 1)[0] != s.plugin:
            problems.append(f"name {s.name!r} should start with the plugin name {s.plugin + '.'!r}")
        if not s.description.strip():
            problems.append("description is empty")
        elif len(s.description) > 120:
            problems.append(f"description is {len(s.description)} characters; keep it to one line of <= 120")
        if not (math.isfinite(s.lo) and math.isfinite(s.hi)):
            problems.append(f"range {list(s.range)} is not finite (unit shaping needs finite bounds)")
        if s.cost not in ("fast", "cpu", "model"):
            problems.append(f"cost {s.cost!r} is not fast, cpu or model")
        if s.fast_path is not None and s.cost != "cpu":
            problems.append("fast_path is only used by cpu rewards")
        try:
            json.dumps(s.describe())
        except (TypeError, ValueError) as exc:
            problems.append(f"metadata is not JSON-serialisable ({exc}); use plain parameter defaults")
        self.add("metadata", not problems, "; ".join(problems))

    def signature(self) -> None:
        wanted = ["completions", "prompts", *self.spec.columns, *self.spec.params]
        problems = []
        for label, fn in (("fn", self.spec.fn), ("fast_path", self.spec.fast_path)):
            if fn is None:
                continue
            try:
                sig = inspect.signature(fn)
            except (TypeError, ValueError):
                continue  # builtins and C callables: nothing to inspect
            ps = sig.parameters
            var_kw = any(p.kind is p.VAR_KEYWORD for p in ps.values())
            missing = [w for w in wanted if w not in ps and not var_kw]
            if missing:
                problems.append(f"{label} does not accept {', '.join(missing)}")
            positional = [w for w in wanted if w in ps and ps[w].kind is inspect.Parameter.POSITIONAL_ONLY]
            if positional:
                problems.append(f"{label} takes {', '.join(positional)} positionally only")
            required = [
                n for n, p in ps.items()
                if n not in wanted and p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_ONLY)
            ]
            if required:
                problems.append(
                    f"{label} requires {', '.join(required)}, which the host never passes "
                    "(declare it in columns= or params=)"
                )
        self.add("signature", not problems, "; ".join(problems))

    def sample(self) -> Scores | None:
        """length, range and errors on the sample batch."""
        n = len(self.comps)
        raw_length = raw_range = ""
        if self.spec.cost != "cpu":
            try:
                raw = self.call_raw(self.spec.fn, self.comps, self.prms, self.cols)
            except Exception as exc:  # noqa: BLE001 - reported as the errors rule below
                raw = exc
            if not isinstance(raw, Exception):
                items, msg = check_batch_length(self.spec.name, raw, n)
                if items is None:
                    raw_length = f"[{Reason.LENGTH.value}] {msg or 'wrong length'}"
                else:
                    checked = [(i, check_value(self.spec.name, self.spec.lo, self.spec.hi, v)) for i, v in enumerate(items)]
                    bad = [(i, out) for i, out in checked if out.reason is not None]
                    if bad:
                        raw_range = _first(f"item {i} [{out.reason.value}]: {out.message}" for i, out in bad if out.reason)
        try:
            scores = self.bound.score(self.comps, prompts=self.prms, **self.cols)
        except RewardkitError as exc:
            self.add("errors", False, f"scoring the sample batch raised {type(exc).__name__}: {exc}")
            return None
        kind = {i: _RULE_OF_REASON.get(r, "errors") for i, r in scores.reasons.items()}
        length = [f"[{_reason(scores, i)}] {m}" for i, m in scores.messages.items() if kind.get(i) == "length"]
        rng = [f"[{_reason(scores, i)}] {m}" for i, m in scores.messages.items() if kind.get(i) == "range"]
        other = {i: m for i, m in scores.messages.items() if kind.get(i, "errors") == "errors"}
        if len(other) == n and not (raw_length or raw_range):
            # nothing came back to look at: say so rather than pass
            self.add("length", True, "not assessed: every sample item failed (see errors)", skipped=True)
            self.add("range", True, "not assessed: every sample item failed (see errors)", skipped=True)
        else:
            self.add("length", not (raw_length or length), raw_length or _first(length))
            self.add("range", not (raw_range or rng), raw_range or _first(rng))
        self.add("errors", not other, _first(f"item {i} [{_reason(scores, i)}]: {m}" for i, m in other.items()))
        return scores

    def deterministic(self, first: Scores | None) -> None:
        if not self.spec.deterministic:
            self.add("deterministic", True, "declared non-deterministic", skipped=True)
            self.add("batch", True, "declared non-deterministic", skipped=True)
            return
        if first is None:
            self.add("deterministic", False, "the sample batch could not be scored")
            self.add("batch", False, "the sample batch could not be scored")
            return
        second = self.bound.score(self.comps, prompts=self.prms, **self.cols)
        diff = _differences(first, second, self.spec.cost)
        self.add("deterministic", not diff, _first(f"item {i}: {a!r} then {b!r}" for i, a, b in diff))
        singles: list[Any] = []
        for i in range(len(self.comps)):
            one = self.bound.score([self.comps[i]], prompts=[self.prms[i]], **{k: [v[i]] for k, v in self.cols.items()})
            singles.append((one.values[0], one.statuses[0]))
        alone = Scores(first.reward, first.signature, [v for v, _ in singles], [s for _, s in singles])
        diff = _differences(first, alone, self.spec.cost)
        self.add("batch", not diff, _first(f"item {i}: {a!r} in the batch, {b!r} alone" for i, a, b in diff))

    def hostile(self) -> None:
        cols = {k: [v[0]] for k, v in self.cols.items()}
        for rule, make in HOSTILE.items():
            text = make(self.long_chars)
            if TRAJECTORY in cols:
                cols[TRAJECTORY] = [as_trajectory(text)]
            inline = self._fast_path_seconds(text, cols)
            start, cpu = time.perf_counter(), time.process_time()
            try:
                scores = self.bound.score([text], prompts=[self.prms[0]], **cols)
            except RewardkitError as exc:
                self.add(rule, False, f"raised {type(exc).__name__}: {exc}")
                continue
            # Wall time overstates the work on a busy machine and process time overstates it for
            # multi-threaded code (torch); the smaller of the two is what the reward itself took.
            wall = time.perf_counter() - start
            elapsed = wall if self.spec.cost == "cpu" else min(wall, time.process_time() - cpu)
            status = scores.statuses[0]
            if status is Status.TIMEOUT:
                self.add(rule, False, f"timed out: {scores.messages.get(0, '')}")
            elif status is Status.ERROR:
                self.add(rule, False, f"[{_reason(scores, 0)}] {scores.messages.get(0, 'error')}")
            elif self.spec.cost != "cpu" and elapsed > self.timeout:
                self.add(rule, False, f"took {elapsed:.1f}s, more than its {self.timeout:g}s deadline")
            elif inline > self.timeout:
                self.add(rule, False, f"fast_path took {inline:.1f}s inline, more than the {self.timeout:g}s "
                                      "deadline (no worker deadline holds there: return DEFER instead)")
            else:
                size = f"{len(text):,} chars, " if rule == "long" else ""
                self.add(rule, True, f"{size}{elapsed:.2f}s: {scores.values[0]!r}")

    def _fast_path_seconds(self, text: str, cols: dict[str, list[Any]]) -> float:
        """Time a cpu reward's ``fast_path`` takes on ``text``: it runs inline, outside the deadline."""
        if self.spec.cost != "cpu" or self.spec.fast_path is None:
            return 0.0
        start, cpu = time.perf_counter(), time.process_time()
        try:
            self.call_raw(self.spec.fast_path, [text], self.prms[:1], cols)
        except Exception:  # noqa: BLE001 - the host path reports the error itself
            pass
        return min(time.perf_counter() - start, time.process_time() - cpu)

    def nonfinite(self) -> None:
        """Non-finite numbers where the sample completions (and a few answer layouts) hold numbers:
        none may pass (score above the middle of the range) where a non-number in their place fails
        (``qqq``; ``1q400`` for ``1e400``, so digits matched as text are not blamed on the exponent)."""
        if not self.spec.deterministic:
            self.add("non-finite", True, "declared non-deterministic", skipped=True)
            return
        if any(c.rule in ("deterministic", "batch") and not c.passed for c in self.rows):
            self.add("non-finite", True, "not assessed: scores depend on the batch or the call", skipped=True)
            return
        model = self.spec.cost == "model"
        templates = [(_NUMBER.sub("{}", c.replace("{", "{{").replace("}", "}}")), i) for i, c in enumerate(self.comps)]
        templates = [(t, i) for t, i in templates if "{}" in t]
        templates += [(shape, 0) for shape in NONFINITE_SHAPES[: 2 if model else None]]
        tokens = NONFINITE_TOKENS[:2] if model else NONFINITE_TOKENS
        texts: list[str] = []
        prms: list[str] = []
        cols: dict[str, list[Any]] = {k: [] for k in self.cols}
        groups: list[list[int]] = []  # the baselines' indices, then the non-finite variant's
        for t, i in templates:
            for token in tokens:
                groups.append([])
                for filler in (*_not_a_number(token), token):
                    groups[-1].append(len(texts))
                    texts.append(t.replace("{}", filler).replace("{{", "{").replace("}}", "}"))
                    prms.append(self.prms[i])
                    for k, v in self.cols.items():
                        cols[k].append(v[i])
        try:
            scores = self.bound.score(texts, prompts=prms, **cols)
        except RewardkitError as exc:
            self.add("non-finite", False, f"raised {type(exc).__name__}: {exc}")
            return
        from .bench.job import default_threshold

        thr = default_threshold(self.spec.lo, self.spec.hi)
        bad = []
        for *bases, j in groups:
            v = scores.values[j]
            if v is not None and v > thr and all(scores.values[b] is None or scores.values[b] <= thr for b in bases):
                bad.append(f"{texts[j][:120]!r} scores {v:g} ({texts[bases[-1]][:60]!r}: {scores.values[bases[-1]]!r})")
        n = len(groups)
        self.add("non-finite", not bad, _first(bad) if bad else f"{n} non-finite answers, none passes")

    def missing_columns(self) -> None:
        if not self.spec.columns:
            self.add("missing-column", True, "declares no columns", skipped=True)
            return
        problems = []
        for col in self.spec.columns:
            if col == TRAJECTORY:
                continue  # the host fills it from the completion: never missing
            rest = {k: v[:1] for k, v in self.cols.items() if k != col}
            try:
                self.bound.score(self.comps[:1], prompts=self.prms[:1], **rest)
            except MissingColumnError as exc:
                if col not in str(exc):
                    problems.append(f"the error for missing {col!r} does not name it: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - any other outcome breaks the rule
                problems.append(f"missing {col!r} raised {type(exc).__name__}: {exc}")
                continue
            problems.append(f"scoring without column {col!r} did not raise MissingColumnError")
        self.add("missing-column", not problems, "; ".join(problems))


#: The contract rule that an error's reason code breaks (any other reason: the "errors" rule).
_RULE_OF_REASON = {Reason.LENGTH: "length", Reason.RANGE: "range", Reason.TYPE: "range"}


def _first(messages: Iterable[str]) -> str:
    items = list(messages)
    if not items:
        return ""
    more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
    return items[0][:400] + more


def _reason(scores: Scores, i: int) -> str:
    reason = scores.reasons.get(i)
    return reason.value if reason is not None else "error"


def _shown(value: float | None, status: Status) -> Any:
    return value if status in (Status.VALUE, Status.NONE) else status.value


def _differences(a: Scores, b: Scores, cost: str) -> list[tuple[int, Any, Any]]:
    rel, abs_ = (1e-4, 1e-5) if cost == "model" else (1e-9, 1e-12)
    out = []
    for i, (va, vb, sa, sb) in enumerate(zip(a.values, b.values, a.statuses, b.statuses)):
        if sa is not sb or (va is None) != (vb is None):
            out.append((i, _shown(va, sa), _shown(vb, sb)))
        elif va is not None and vb is not None and not math.isclose(va, vb, rel_tol=rel, abs_tol=abs_):
            out.append((i, va, vb))
    return out


def check_reward(
    name: str,
    *,
    params: Mapping[str, Any] | None = None,
    columns: Mapping[str, Any] | None = None,
    completions: Sequence[str] | None = None,
    prompts: Sequence[str] | None = None,
    items: int | None = None,
    long_chars: int = 1_000_000,
    timeout: float | None = None,
) -> ContractResult:
    """Run every contract rule on the registered reward ``name``.

    ``params`` bind the reward's parameters; ``columns`` gives a sample value for a declared
    column (one value for every item; wrap per-item values in :class:`SampleList`); columns not
    given take the reward's registered ``examples`` (one value for every item), else come from
    stored GSM8K rows (``answer``, ``reference``, ``question``) or are the string ``"42"``.
    ``completions``/``prompts`` replace the sample batch of ``items`` completions (default 8;
    3 for ``model`` rewards). ``long_chars`` is the size of the long
    completion; ``timeout`` the per-item deadline (default: the reward's declared one).
    """
    from .registry import registry
    from .reward import Reward

    spec = registry.get(name)
    checker_rows: list[Check] = []
    try:
        bound = Reward(spec, params, timeout=timeout)
    except (RewardkitError, ValueError) as exc:
        return ContractResult([Check(name, "metadata", False, f"cannot bind the reward: {exc}")])
    if items is None:
        items = 3 if spec.cost == "model" else 8
    if items < 1:
        raise ValueError(f"items must be >= 1, got {items}")
    comps, prms, cols = _sample_inputs(spec, items, completions, prompts, columns)
    if not comps:
        raise ValueError("completions must not be empty")
    c = _Checker(spec, bound, comps, prms, cols, long_chars, bound.timeout)
    c.metadata()
    c.signature()
    first = c.sample()
    c.deterministic(first)
    c.hostile()
    c.missing_columns()
    c.nonfinite()
    checker_rows += c.rows
    return ContractResult(checker_rows)


def check_plugin(plugin: str, *, params: Mapping[str, Mapping[str, Any]] | None = None, **kw: Any) -> ContractResult:
    """Run :func:`check_reward` on every reward of ``plugin``.

    ``params`` maps reward names to their parameters; other keywords (``columns``, ``items``,
    ``long_chars``, ``timeout``, ...) apply to every reward.
    """
    from .registry import registry

    result = ContractResult()
    for name in plugin_rewards(plugin):
        result.extend(check_reward(name, params=(params or {}).get(name), **kw))
    rejected = registry.errors().get(plugin)
    if rejected:
        result.extend(ContractResult([Check(f"{plugin} (registration)", "registration", False, rejected)]))
    return result


def assert_contract(name: str, **kw: Any) -> ContractResult:
    """:func:`check_reward`, raising ``AssertionError`` that lists every broken rule."""
    result = check_reward(name, **kw)
    if not result.passed:
        lines = "\n".join(f"  {c.rule}: {c.message}" for c in result.failures)
        raise AssertionError(f"reward {name!r} breaks the contract:\n{lines}")
    return result
