"""Read the ``tests`` column into a test suite: stdin/stdout cases, assert code or ``check``.

Accepted values (a JSON string of any of them too):

* stdin/stdout: open-r1 ``verification_info`` (``{"test_cases": [{"input", "output"}]}``),
  APPS ``input_output`` (``{"inputs": [...], "outputs": [...]}``), CodeContests
  (``{"input": [...], "output": [...]}``), LiveCodeBench (``[{"input", "output"}, ...]``);
* assert style: a list of assert statements (MBPP ``test_list``), ``{"test_list": [...],
  "test_setup_code": "..."}``, or a code string of asserts;
* function tests: human-eval test code defining ``check(candidate)``, as a string or
  ``{"test": ..., "entry_point": ...}``.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any


class SuiteError(ValueError):
    """The tests column holds something this plugin cannot read (names what and where)."""


@dataclass(frozen=True)
class Suite:
    """One item's tests, normalised."""

    kind: str  # "stdio", "assert" or "check"
    cases: tuple[Any, ...] = ()  # stdio: (input, output) pairs; assert: source strings
    code: str = ""  # check: the test code
    entry_point: str = ""
    setup: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return 1 if self.kind == "check" else len(self.cases)


def parse_suite(value: Any, entry_point: str = "") -> Suite | None:
    """The suite in ``value``; None when it holds no test at all (the reward is not applicable)."""
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8")
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in "[{":
            try:
                value = json.loads(text)
            except ValueError:
                pass
            else:
                return _structured(value, entry_point)
        return _code(value, entry_point)
    return _structured(value, entry_point)


def _structured(value: Any, entry_point: str) -> Suite | None:
    if isinstance(value, dict):
        return _from_dict(value, entry_point)
    if isinstance(value, (list, tuple)):
        if not value:
            return None
        if all(isinstance(v, str) for v in value):
            return Suite("assert", tuple(value), entry_point=_name(entry_point))
        if all(isinstance(v, dict) for v in value):
            return _stdio([(_text(v, "input"), _text(v, "output")) for v in value])
        raise SuiteError("tests: a list must hold only assert strings or only {input, output} objects")
    raise SuiteError(f"tests: expected a string, list or object, got {type(value).__name__}")


def _from_dict(value: dict[str, Any], entry_point: str) -> Suite | None:
    if "test_cases" in value:  # open-r1 verification_info
        language = value.get("language", "python")
        if language not in ("python", "python3"):
            raise SuiteError(f"tests: language {language!r} has no runner (only python)")
        return _stdio([(_text(c, "input"), _text(c, "output")) for c in value["test_cases"]])
    if "fn_name" in value:
        return _call_based(value)
    for ins, outs in (("inputs", "outputs"), ("input", "output")):
        if ins in value and outs in value:
            if len(value[ins]) != len(value[outs]):
                raise SuiteError(f"tests: {len(value[ins])} {ins!r} but {len(value[outs])} {outs!r}")
            return _stdio(list(zip(map(_as_text, value[ins]), map(_as_text, value[outs]))))
    if "test" in value:
        return _code(value["test"], value.get("entry_point") or entry_point)
    for key in ("test_list", "tests"):
        if key in value:
            suite = _structured(value[key], value.get("entry_point") or entry_point)
            setup = value.get("test_setup_code") or value.get("setup") or ""
            return (Suite("assert", suite.cases, entry_point=suite.entry_point, setup=setup)
                    if suite is not None else None)
    raise SuiteError(f"tests: an object without known keys ({', '.join(map(repr, list(value)[:6]))})")


def _call_based(value: dict[str, Any]) -> Suite | None:
    """APPS/TACO call-based tests: call ``fn_name(*inputs[i])`` (or ``Solution().fn_name``),
    compare with ``outputs[i]`` (a one-element list also matches its element)."""
    name, ins, outs = value["fn_name"], value.get("inputs"), value.get("outputs")
    if not isinstance(name, str) or not name.isidentifier():
        raise SuiteError(f"tests: fn_name must be a Python name, got {name!r}")
    if not isinstance(ins, list) or not isinstance(outs, list) or len(ins) != len(outs):
        raise SuiteError("tests: call-based tests need 'inputs' and 'outputs' lists of the same length")
    cases = []
    for args, want in zip(ins, outs):
        args = args if isinstance(args, list) else [args]
        cases.append(f"assert __rk_apps(__rk_call({name!r}, __rk_json({json.dumps(args)!r})), "
                     f"__rk_json({json.dumps(want)!r}))")
    return Suite("assert", tuple(cases)) if cases else None


def _code(code: Any, entry_point: str) -> Suite | None:
    if not isinstance(code, str):
        raise SuiteError(f"tests: test code must be a string, got {type(code).__name__}")
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError) as exc:
        raise SuiteError(f"tests: the test code does not parse: {exc}") from None
    defines_check = any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body)
    if defines_check:
        return Suite("check", code=code, entry_point=_name(entry_point))
    if not any(isinstance(n, ast.Assert) for n in ast.walk(tree)):
        return None
    return Suite("assert", (code,), entry_point=_name(entry_point))


def _name(entry_point: Any) -> str:
    """The row's entry point: a Python name, or "" when the row has none."""
    if entry_point in (None, ""):
        return ""
    if not isinstance(entry_point, str) or not entry_point.isidentifier():
        raise SuiteError(f"tests: entry_point must be a Python name, got {entry_point!r}")
    return entry_point


def _stdio(cases: list[tuple[str, str]]) -> Suite | None:
    return Suite("stdio", tuple(cases)) if cases else None


def _text(case: Any, key: str) -> str:
    if not isinstance(case, dict) or key not in case:
        raise SuiteError(f"tests: a test case without {key!r}")
    return _as_text(case[key])


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value)
    raise SuiteError(f"tests: stdin/stdout cases must be text, got {type(value).__name__}")


def prompt_entry_point(prompt: str) -> str:
    """The function a ``check(candidate)`` test calls, read from the prompt's signature: the last
    top-level ``def`` of a Python prompt (human-eval), else the last ``def NAME(`` in its text (a
    chat prompt quoting the signature); "" when it shows none. Never read from the program: a
    program must not choose what is tested."""
    name = _last_def(prompt)
    if name:
        return name
    found = _SIGNATURE.findall(prompt or "")
    return found[-1] if found else ""


_SIGNATURE = re.compile(r"\bdef\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def missing_entry_point() -> SuiteError:
    return SuiteError("tests: check(candidate) tests need the name of the function they test: an 'entry_point' "
                      "in the tests object (human-eval's entry_point column), the entry_point parameter, or a "
                      "prompt showing the function's signature (the program never chooses what is tested)")


def _last_def(source: str) -> str:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return names[-1] if names else ""


def same_output(got: str, want: str) -> bool:
    """stdout equals the expected output, ignoring trailing blanks of lines and at the end."""
    a = [line.rstrip() for line in got.rstrip().split("\n")]
    b = [line.rstrip() for line in want.rstrip().split("\n")]
    return a == b
