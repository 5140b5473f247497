"""reasoning-gym tasks whose scorers execute text, and how rewardkit-gym scores them: only in bubblewrap.

reasoning-gym's own scorers call ``eval`` on model answers (``string_insertion``, ``spiral_matrix``,
``binary_matrix``, ``n_queens``), on the row's gold (``number_sorting``) or metadata
(``bitwise_arithmetic``), and sympy's ``parse_expr`` (itself an ``eval``) on answers, golds and metadata
(``countdown``, ``puzzle24``, ``polynomial_multiplication``, ``simple_integration``,
``intermediate_integration``). :data:`EXECUTING` lists them, as :mod:`rewardkit_gym.exec_scan` finds them
in the pinned reasoning-gym; a test keeps the two equal.

* ``gym.score`` refuses these tasks (:class:`ExecutingTaskError`, an error outcome naming the task): it
  never runs them in the trainer's or the server's process.
* ``gym.score_sandboxed`` (``executes_inputs=True``) scores them in a fresh ``bwrap`` per item
  (the host's :func:`rewardkit.utils.run_sandboxed`), and inside it the scorer's module sees an ``eval`` that reads only
  literals and integer arithmetic, and a ``parse_expr`` that refuses text other than plain math
  (numbers, operators, short names and common function names): the scorer's result is computed
  without running any code the answer wrote. Whatever the answer causes there (a crash, a timeout,
  an out-of-memory kill, no verdict) scores 0; only a sandbox that cannot start is an error.
"""

from __future__ import annotations

import functools
import json
import math
import secrets
import subprocess
import sys
from typing import Any

from rewardkit.utils import SandboxError, SandboxRun, run_sandboxed

#: task -> what its scorer reaches (from ``python -m rewardkit_gym.exec_scan`` on reasoning-gym 0.1.25).
EXECUTING: dict[str, frozenset[str]] = {
    "binary_matrix": frozenset({"eval"}),
    "bitwise_arithmetic": frozenset({"eval"}),
    "countdown": frozenset({"sympy.parse_expr"}),
    "intermediate_integration": frozenset({"sympy.diff", "sympy.parse_expr", "sympy.simplify"}),
    "n_queens": frozenset({"eval"}),
    "number_sorting": frozenset({"eval"}),
    "polynomial_multiplication": frozenset({"sympy.parse_expr"}),
    "puzzle24": frozenset({"sympy.parse_expr"}),
    "simple_integration": frozenset({"sympy.diff", "sympy.parse_expr", "sympy.simplify"}),
    "spiral_matrix": frozenset({"eval"}),
    "string_insertion": frozenset({"eval"}),
}
#: Seconds a sandbox may take to start (interpreter, reasoning-gym's task module, sympy): a slower start
#: is an error (the machine, not the answer), and the seconds the scorer then has for the answer.
START_SECONDS = 60.0
ANSWER_SECONDS = 5.0
MAX_INPUT_CHARS = 100_000


class ExecutingTaskError(ValueError):
    """``gym.score`` refuses a task whose scorer executes text (the message names the task)."""


def check_not_executing(task: str) -> None:
    """Raise :class:`ExecutingTaskError` for a task of :data:`EXECUTING`."""
    if task in EXECUTING:
        raise ExecutingTaskError(
            f"reasoning-gym task {task!r}: its scorer executes text ({', '.join(sorted(EXECUTING[task]))} on the "
            "answer, the gold or the metadata), so gym.score refuses it rather than run it in this process. "
            "Use gym.score_sandboxed, which scores it inside bubblewrap (docs/gym.md)."
        )


#: Runs inside the sandbox: reads the request, imports only the task's module, swaps in the safe
#: evaluators, says "started", then scores. Its last stdout line is ``<nonce> <json>``.
HARNESS = r'''
import ast, importlib, json, os, re, sys, types
req = json.loads(sys.stdin.buffer.read())
os.close(0)
nonce = req.pop("nonce")
root = req["root"]

def _stub(name, path):
    mod = types.ModuleType(name)
    mod.__path__ = [path]
    sys.modules[name] = mod

_stub("reasoning_gym", root)
parts = req["module"].split(".")
for i in range(2, len(parts)):
    _stub(".".join(parts[:i]), os.path.join(root, *parts[1:i]))
module = importlib.import_module(req["module"])
OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
       ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b, ast.BitAnd: lambda a, b: a & b,
       ast.BitOr: lambda a, b: a | b, ast.BitXor: lambda a, b: a ^ b,
       ast.LShift: lambda a, b: a << b if 0 <= b <= 4096 else 1 // 0, ast.RShift: lambda a, b: a >> b}
UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: +a, ast.Invert: lambda a: ~a}

def _value(node):
    if isinstance(node, ast.BinOp) and type(node.op) in OPS:
        a, b = _value(node.left), _value(node.right)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (a, b)):
            raise ValueError("arithmetic on integers only")
        return OPS[type(node.op)](a, b)
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return UNARY[type(node.op)](_value(node.operand))
    return ast.literal_eval(node)

def safe_eval(source, *args, **kwargs):
    """eval for literals and integer arithmetic only: nothing the text says is run."""
    if not isinstance(source, str) or len(source) > 100000:
        raise ValueError("not a literal")
    return _value(ast.parse(source.strip(), mode="eval").body)

MATH = re.compile(r"[0-9A-Za-z+\-*/^().,\s]*")
NAMES = {"sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp",
         "log", "ln", "sqrt", "pi", "Abs", "abs", "oo", "sign", "floor", "ceiling", "Rational", "Integer"}

def screened(real):
    def parse_expr(s, *args, **kwargs):
        if not isinstance(s, str) or len(s) > 2000 or not MATH.fullmatch(s) or re.search(r"\.\s*[A-Za-z]", s) \
                or any(len(w) > 2 and w not in NAMES for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", s)):
            raise ValueError("not plain math")
        return real(s, *args, **kwargs)
    return parse_expr

ours = [m for n, m in list(sys.modules.items()) if n.split(".")[0] == "reasoning_gym"]
for m in ours:  # every reasoning-gym module's eval (its helpers' too) reads literals only
    m.eval = safe_eval
if any(k.startswith("sympy") for k in req["kinds"]):
    import sympy
    import sympy.parsing.sympy_parser as sp_parser
    safe = screened(sp_parser.parse_expr)
    sp_parser.parse_expr = sympy.parse_expr = safe
    for m in ours:
        if getattr(m, "parse_expr", None) is not None:
            m.parse_expr = safe
cls = getattr(module, req["cls"])
scorer = cls(config=getattr(module, req["config"])()).score_answer
print(nonce, "started", flush=True)
import resource
used = resource.getrusage(resource.RUSAGE_SELF)
cpu = int(used.ru_utime + used.ru_stime) + req["answer_seconds"]
resource.setrlimit(resource.RLIMIT_CPU, (cpu, resource.getrlimit(resource.RLIMIT_CPU)[1]))
try:
    out = {"value": float(scorer(req["answer"], req["entry"]))}
except Exception as exc:
    out = {"raised": type(exc).__name__, "message": str(exc)[:200]}
print(nonce, json.dumps(out), flush=True)
'''


@functools.cache
def _where(task: str) -> dict[str, Any]:
    """The task's module, class, config class, reasoning-gym root and the packages its module imports."""
    import reasoning_gym
    from reasoning_gym.factory import DATASETS

    cls, config = DATASETS[task]
    root = list(reasoning_gym.__path__)[0]
    return {"module": cls.__module__, "cls": cls.__name__, "config": config.__name__, "root": root,
            "packages": _imports(cls.__module__, root)}


#: Lists the top-level packages a module of reasoning-gym loads (run in a plain subprocess: trusted input).
_DISCOVER = r'''
import importlib, json, os, sys, sysconfig, types
root, name = sys.argv[1], sys.argv[2]
def stub(n, p):
    m = types.ModuleType(n); m.__path__ = [p]; sys.modules[n] = m
stub("reasoning_gym", root)
parts = name.split(".")
for i in range(2, len(parts)):
    stub(".".join(parts[:i]), os.path.join(root, *parts[1:i]))
importlib.import_module(name)
import sympy.parsing.sympy_parser  # the harness's screen imports it
site = sysconfig.get_paths()["purelib"]
top = {os.path.relpath(f, site).split(os.sep)[0] for m in list(sys.modules.values())
       if (f := getattr(m, "__file__", None)) and f.startswith(site + os.sep)}
print(json.dumps(sorted(t.removesuffix(".py") for t in top if not t.endswith((".libs", ".pth")))))
'''


def _imports(module: str, root: str) -> tuple[str, ...]:
    done = subprocess.run([sys.executable, "-I", "-c", _DISCOVER, root, module], capture_output=True, text=True,
                          timeout=START_SECONDS, check=False)
    if done.returncode != 0:
        raise SandboxError(f"gym sandbox: cannot list what {module} imports: {done.stderr.strip()[-300:]}")
    return tuple(json.loads(done.stdout))


def sandboxed_score(task: str, answer: str | None, entry: dict[str, Any]) -> tuple[float | None, str | None]:
    """``(value, None)`` or ``(None, exception name)`` from the task's scorer run in a fresh sandbox.

    Anything the answer causes (no verdict, a crash, a timeout) is ``(0.0, None)``; a sandbox that
    cannot start raises :class:`rewardkit.utils.SandboxError`.
    """
    where = _where(task)
    nonce = secrets.token_hex(16)
    request = {**where, "nonce": nonce, "kinds": sorted(EXECUTING.get(task, ())), "answer": answer,
               "entry": entry, "answer_seconds": int(ANSWER_SECONDS)}
    text = json.dumps(request)
    if len(text) > 4 * MAX_INPUT_CHARS:
        return 0.0, None
    try:
        run = run_sandboxed(HARNESS, text.encode(), packages=where["packages"], wall=START_SECONDS + ANSWER_SECONDS,
                            memory_mb=1536, cpu=int(START_SECONDS))
    except SandboxError as exc:
        raise SandboxError(f"{exc} (or use gym.score, which refuses the tasks that execute text)") from None
    return _verdict(run, nonce, task)


def _verdict(run: SandboxRun, nonce: str, task: str) -> tuple[float | None, str | None]:
    lines = [x for x in run.stdout.decode("utf-8", "replace").splitlines() if x.startswith(nonce + " ")]
    if not lines or lines[0] != f"{nonce} started":
        raise SandboxError(f"gym sandbox for {task!r} did not start (exit {run.exit}, timeout {run.timeout}): "
                           f"{run.stderr.decode('utf-8', 'replace').strip()[-400:]}")
    if len(lines) < 2:
        return 0.0, None  # the answer crashed or stalled the scorer: the answer's verdict
    try:
        out = json.loads(lines[-1][len(nonce) + 1:])
    except ValueError:
        return 0.0, None
    if "raised" in out:
        return None, str(out["raised"])
    value = out.get("value")
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0.0, None
    return float(value), None
