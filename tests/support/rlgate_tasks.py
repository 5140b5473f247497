"""Built-in rewards as rlgate environments: a workspace whose ``completion.txt`` the policy edits, a
grader that scores it with the reward against a gold it cannot read (``tests/``, mode 700), and a gold
patch of two hunks far apart, each of which the reward must need.

rlgate (``rlgate.pipeline.audit``) then checks the baseline (the gold completion passes, the unedited
one fails, k times alike), reverts each hunk of the gold patch (a completion missing one part must
fail: "unguarded hunk"), and looks for world-readable graders and leaked git objects.

:class:`InProcessSandbox` is rlgate's local sandbox (real temp copies, real ``git apply``) whose grader
command runs in this process instead of a new Python each time; any other command (``git fsck``) runs
as a subprocess, as rlgate's own local backend does. :func:`write_task` also writes a descriptor
(``task.rlgate.yaml``) whose grader is ``python3 tests/grade.py``, for the ``rlgate audit`` command.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GRADER = "python3 tests/grade.py"
BLANK = [""] * 8  # context between the two hunks: far enough apart to stay two hunks


def _answer_task(answer_lines: tuple[str, str]) -> tuple[list[str], list[str]]:
    """A reasoning line and an answer line, as the unedited completion and as the gold one."""
    head = ["<think>", "Read the question: what is 6 times 7?"]
    nop = head + ["6 * 7 = ?"] + BLANK + ["</think>", answer_lines[0]]
    gold = head + ["6 * 7 = 42"] + BLANK + ["</think>", answer_lines[1]]
    return nop, gold


ANSWER = _answer_task(("<answer>?</answer>", "<answer>42</answer>"))
#: Rewards that grade the final answer only: the reasoning hunk (``completion.txt#hunk0``) is not
#: graded by design (DESIGN.md: the answer span only), and rlgate says so.
REASONING_NOT_GRADED = "completion.txt#hunk0"


@dataclass(frozen=True)
class Env:
    nop: list[str]
    gold: list[str]
    columns: dict[str, Any] = field(default_factory=dict)  # the row's columns (the gold)
    params: dict[str, Any] = field(default_factory=dict)
    pass_score: float = 1.0  # the grader passes at this score or more
    trajectory: bool = False  # completion.txt is the final answer of a one-call calculator trajectory
    trajectory_file: bool = False  # completion.txt is a whole trajectory (JSON)


def _traj(args: tuple[str, str]) -> list[str]:
    call = '    {{"role": "assistant", "content": "", "tool_calls": [{{"id": "c{0}", "type": "function", ' \
           '"function": {{"name": "calculate", "arguments": {1}}}}}]}},'
    tool = '    {{"role": "tool", "tool_call_id": "c{0}", "name": "calculate", "content": "42"}},'
    return (["[", '    {"role": "user", "content": "What is 6 times 7?"},', call.format(1, json.dumps(args[0])),
             tool.format(1)] + BLANK + [call.format(2, json.dumps(args[1])), tool.format(2),
                                         '    {"role": "assistant", "content": "<answer>42</answer>"}', "]"])


_CODE_NOP = ["```python", "a, b = map(int, input().split())", "if a == 6:", "    print(0)"] + \
            [f"# note {i}" for i in range(8)] + ["else:", "    print(0)", "```"]
_CODE_GOLD = ["```python", "a, b = map(int, input().split())", "if a == 6:", "    print(a * b)"] + \
             [f"# note {i}" for i in range(8)] + ["else:", "    print(a * b)", "```"]
_TESTS = {"test_cases": [{"input": "6 7\n", "output": "42\n"}, {"input": "2 3\n", "output": "6\n"}]}
_JSON_NOP = ["{", '  "product": ?,'] + BLANK + ['  "factors": ?', "}"]
_JSON_GOLD = ["{", '  "product": 42,'] + BLANK + ['  "factors": [6, 7]', "}"]
_SCHEMA = {"type": "object", "required": ["product", "factors"],
           "properties": {"product": {"type": "integer"}, "factors": {"type": "array", "items": {"type": "integer"}}}}
_YES = {"model": "auditor-yes-judge", "cache": "off"}
_FORMAT = (["<think>", "6 * 7 = 42", "(still thinking)"] + BLANK + ["<answer></answer>"],
           ["<think>", "6 * 7 = 42", "</think>"] + BLANK + ["<answer>42</answer>"])
_LONG = "word " * 120

ENVS: dict[str, Env] = {
    **{name: Env(*ANSWER, {"answer": "42"}) for name in ("math.equivalence", "judge.equivalence")},
    "math.parseable": Env(*ANSWER),
    **{f"text.{m}": Env(*ANSWER, {"reference": "42"}, pass_score=0.999)
       for m in ("exact", "token_f1", "bleu", "chrf", "rouge")},
    "format.tags": Env(*_FORMAT, pass_score=0.999),
    "format.strict": Env(*_FORMAT),
    "format.overlong": Env(["The answer is 42.", _LONG] + BLANK + [_LONG], ["The answer is 42.", "Short."] + BLANK
                           + ["Done."], params={"max_length": 60, "buffer": 20}, pass_score=0.999),
    "format.repetition": Env(["The answer is 42.", "la " * 30] + BLANK + ["la " * 30],
                             ["The answer is 42.", "Six sevens make forty two."] + BLANK + ["I checked it twice."],
                             pass_score=0.999),
    "json.valid": Env(_JSON_NOP, _JSON_GOLD, pass_score=0.999),
    "json.schema": Env(_JSON_NOP, _JSON_GOLD, {"schema": _SCHEMA}, pass_score=0.999),
    "json.match": Env(_JSON_NOP, _JSON_GOLD, {"gold": {"product": 42, "factors": [6, 7]}}, pass_score=0.999),
    **{name: Env(["Hello, here it is."] + BLANK + ["The answer is 42."],
                 ["Hello here it is."] + BLANK + ["The answer is 42. Any other questions?"],
                 {"instruction_id_list": ["punctuation:no_comma", "startend:end_checker"],
                  "kwargs": [{}, {"end_phrase": "Any other questions?"}]}) for name in ("ifeval.strict", "ifeval.loose")},
    **{name: Env(*ANSWER, {"task": "products", "answer": "42", "metadata": {
        "source_dataset": "products", "source_index": 67, "expression": "6 * 7", "num_terms": 2, "num_digits": 1,
        "difficulty": {"num_terms": [2, 2], "num_digits": [1, 5]}}}) for name in ("gym.score", "gym.score_sandboxed")},
    "tools.result_used": Env(*ANSWER, trajectory=True),
    **{name: Env(_traj(("{expression: 6*7", "{expression: 6*7")), _traj(('{"expression": "6*7"}',) * 2),
                 {"tools": [{"type": "function", "function": {"name": "calculate", "parameters": {
                     "type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}]},
                 trajectory_file=True) for name in ("tools.call_format", "tools.efficiency")},
    "code.compiles": Env([line.replace("print(0)", "print(0") for line in _CODE_NOP], _CODE_GOLD),
    "code.passes": Env(_CODE_NOP, _CODE_GOLD, {"tests": _TESTS}),
    "code.tests": Env(_CODE_NOP, _CODE_GOLD, {"tests": _TESTS}, pass_score=0.999),
    "judge.rubric": Env(*ANSWER, {"rubric": "5: the answer is 42; 1: anything else"}, params=_YES),
    "judge.pairwise": Env(*ANSWER, {"pair_a": "<answer>?</answer>", "pair_b": "<answer>?</answer>"}, params=_YES),
    "rm.similarity": Env(*ANSWER, {"reference": "42"}, pass_score=0.9),
}


def score(name: str, env: Env, completion: str, **extra: Any) -> float:
    """The reward's score for ``completion`` (None, an error or a timeout: 0, which fails the grader)."""
    from auditors import tool_trajectory  # tests/support is on sys.path (see tests/test_auditors.py)

    import rewardkit

    cols = {k: [v] for k, v in env.columns.items()}
    text: Any = completion
    if env.trajectory:
        cols["trajectory"] = [tool_trajectory(completion, "42")]
    if env.trajectory_file:
        try:
            text = json.loads(completion)
        except ValueError:
            return 0.0
    s = rewardkit.reward(name, **{**env.params, **extra}).score([text], prompts=["What is 6 times 7?"], **cols)
    return 0.0 if s.values[0] is None else float(s.values[0])


def _diff(nop: list[str], gold: list[str]) -> str:
    import difflib

    lines = difflib.unified_diff([x + "\n" for x in nop], [x + "\n" for x in gold], "a/completion.txt",
                                 "b/completion.txt", n=3)
    return "".join(lines)


def write_task(root: Path, name: str) -> Path:
    """An rlgate environment for reward ``name`` under ``root``; returns its folder."""
    env = ENVS[name]
    task, repo = root / name, root / name / "repo"
    (repo / "tests").mkdir(parents=True)
    (repo / "completion.txt").write_text("\n".join(env.nop) + "\n")
    (repo / "tests" / "gold.json").write_text(json.dumps({"name": name}))
    support = str(Path(__file__).parent)
    (repo / "tests" / "grade.py").write_text(
        f"import json, sys\nsys.path.insert(0, {support!r})\nimport rlgate_tasks as t\n"
        "name = json.load(open('tests/gold.json'))['name']\n"
        "sys.exit(t.grade_here(name, '.'))\n")
    os.chmod(repo / "tests", 0o700)
    (task / "solution").mkdir()
    (task / "solution" / "fix.patch").write_text(_diff(env.nop, env.gold))
    (task / "task.rlgate.yaml").write_text(
        f"id: {name}\nworkspace: ./repo\ngold_patch: ./solution/fix.patch\ngrader:\n  run: \"{GRADER}\"\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(git + ["-C", str(repo), "add", "-A"], check=True)
    subprocess.run(git + ["-C", str(repo), "commit", "-qm", "task"], check=True)
    return task


def grade_here(name: str, root: str, **extra: Any) -> int:
    """The grader: exit status 0 when the completion in ``root`` scores at least the pass score."""
    env = ENVS[name]
    text = (Path(root) / "completion.txt").read_text()
    return 0 if score(name, env, text, **extra) >= env.pass_score else 1


def in_process_sandbox(workspace: Path, name: str, **extra: Any) -> Any:
    """rlgate's local sandbox whose grader command runs :func:`grade_here` in this process."""
    from rlgate.sandbox.base import ExecResult
    from rlgate.sandbox.local import LocalOverlay, LocalSandbox

    class Overlay(LocalOverlay):
        def exec(self, cmd: str, timeout: int = 900) -> ExecResult:
            if cmd == GRADER:
                return ExecResult(grade_here(name, str(self.root), **extra), "", "")
            return super().exec(cmd, timeout)

    class Sandbox(LocalSandbox):
        def overlay(self, patch_text: str | None = None) -> Overlay:
            base = super().overlay(patch_text)
            return Overlay(base.root)

    return Sandbox(workspace)
