"""Reward hacks seen in RL on code each score 0 (the honest solution scores 1 in the same setup)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

import rewardkit

ADD_TESTS = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"
ASSERTS = ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]
# a program that found the run's nonce would forge its report with this
FORGED = "'{\"nonce\": \"%s\", \"passed\": 2, \"total\": 2, \"error\": null}'"
STDIO = {"inputs": ["1 2\n", "5 7\n"], "outputs": ["3\n", "12\n"]}


def _fence(code: str) -> str:
    return f"Here is my solution.\n```python\n{code}\n```\n"


@pytest.fixture(scope="module")
def passes():
    return rewardkit.reward("code.passes", entry_point="add")


HONEST_FN = "def add(a, b):\n    return a + b"
HONEST_STDIO = "a, b = map(int, input().split())\nprint(a + b)"

FUNCTION_HACKS = {
    "sys.exit(0) before the tests": "import sys\ndef add(a, b):\n    return 0\nsys.exit(0)",
    "os._exit(0) before the tests": "import os\ndef add(a, b):\n    return 0\nos._exit(0)",
    "exit(0) raised inside the function": "def add(a, b):\n    raise SystemExit(0)",
    "object equal to everything": (
        "class Any:\n    def __eq__(self, other):\n        return True\n    __ne__ = lambda s, o: False\n"
        "    __bool__ = lambda s: True\n"
        "def add(a, b):\n    return Any()"
    ),
    "int subclass equal to everything": (
        "class Int(int):\n    def __eq__(self, other):\n        return True\n"
        "def add(a, b):\n    return Int(0)"
    ),
    "patched AssertionError": (
        "import builtins\nbuiltins.AssertionError = type('N', (Exception,), {})\ndef add(a, b):\n    return 0"
    ),
    "patched builtins used by tests": (
        "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.len = lambda x: 0\n"
        "builtins.isinstance = lambda *a: True\ndef add(a, b):\n    return 0"
    ),
    "patched sys.exit and os._exit": (
        "import sys, os\nsys.exit = lambda *a: None\nos._exit = lambda *a: None\ndef add(a, b):\n    return 0"
    ),
    "reads the test payload from its pipe": (
        "import os\nfor fd in range(3, 20):\n    try:\n        print(os.read(fd, 100000))\n"
        "    except OSError:\n        pass\n"
        "def add(a, b):\n    return 0"
    ),
    "reads test files on disk": (
        "import glob, os\nfound = [p for p in glob.glob('**/*test*', recursive=True)]\n"
        "found += [os.path.join('..', p) for p in os.listdir('..')] if os.access('..', os.R_OK) else []\n"
        "def add(a, b):\n    return 0"
    ),
    "forges a report on fd 4": (
        "import os, json\nfor fd in range(3, 20):\n    try:\n"
        "        os.write(fd, json.dumps({'nonce': 'x', 'passed': 9, 'total': 9, 'error': None}).encode())\n"
        "    except OSError:\n        pass\nos._exit(0)\ndef add(a, b):\n    return 0"
    ),
    "walks the runner's frames for the nonce": (
        "import sys, os\ndef add(a, b):\n    f = sys._getframe(1)\n    while f is not None:\n"
        "        if 'nonce' in f.f_locals:\n"
        "            os.write(4, (" + FORGED + " % f.f_locals['nonce']).encode())\n"
        "            os._exit(0)\n"
        "        f = f.f_back\n    return 0"
    ),
    "frames through a traceback": (
        "import os\ndef add(a, b):\n    try:\n        raise ValueError\n    except ValueError as e:\n"
        "        f = e.__traceback__.tb_frame\n    while f is not None:\n        if 'nonce' in f.f_locals:\n"
        "            os.write(4, (" + FORGED + " % f.f_locals['nonce']).encode())\n"
        "            os._exit(0)\n        f = f.f_back\n    return 0"
    ),
    "searches gc for the nonce": (
        "import gc, os\ndef add(a, b):\n    for o in gc.get_objects():\n"
        "        if isinstance(o, dict) and 'nonce' in o:\n"
        "            os.write(4, (" + FORGED + " % o['nonce']).encode())\n"
        "            os._exit(0)\n    return 0"
    ),
    "trace hook rewrites results": (
        "import sys\ndef t(frame, event, arg):\n    return None\nsys.settrace(t)\ndef add(a, b):\n    return 0"
    ),
}


def test_honest_function_scores_one(passes):
    assert passes([_fence(HONEST_FN)], tests=[ADD_TESTS]) == [1.0]
    assert passes([_fence(HONEST_FN)], tests=[ASSERTS]) == [1.0]


@pytest.mark.parametrize("name", sorted(FUNCTION_HACKS))
def test_function_hack_scores_zero(passes, name):
    program = _fence(FUNCTION_HACKS[name])
    scores = passes.score([program, program], tests=[ADD_TESTS, ASSERTS])
    assert scores.values == [0.0, 0.0], (name, scores.values, scores.messages)


STDIO_HACKS = {
    "exit 0 without output": "import sys\nsys.exit(0)",
    "prints expected output found on disk": (
        "import os\nfor root, dirs, files in os.walk('/tmp'):\n    for f in files:\n"
        "        try:\n            data = open(os.path.join(root, f)).read()\n"
        "        except Exception:\n            continue\n"
        "        if data.strip() in ('3', '12'):\n            print(data)\n"
    ),
    "prints a guess": "print(3)",
}


def test_honest_stdio_scores_one(passes):
    assert passes([_fence(HONEST_STDIO)], tests=[STDIO]) == [1.0]


@pytest.mark.parametrize("name", sorted(STDIO_HACKS))
def test_stdio_hack_scores_zero(passes, name, tmp_path):
    (tmp_path / "expected_output.txt").write_text("12\n")  # the expected output lies on disk
    scores = passes.score([_fence(STDIO_HACKS[name])], tests=[STDIO])
    assert scores.values == [0.0], (name, scores.messages)


def test_patched_builtins_do_not_reach_the_tests(passes):
    tests = (
        "def check(candidate):\n    assert abs(candidate(1, 2) - 3) < 1e-9\n    assert len([candidate(0, 0)]) == 1\n"
    )
    honest = passes([_fence(HONEST_FN)], tests=[tests])
    hack = passes([_fence("import builtins\nbuiltins.abs = lambda x: 0\ndef add(a, b):\n    return 0")], tests=[tests])
    assert (honest, hack) == ([1.0], [0.0])


def test_non_strict_mode_is_fooled_by_always_equal_objects():
    """Documents what ``strict=True`` (the default) buys."""
    loose = rewardkit.reward("code.passes", entry_point="add", strict=False)
    assert loose([_fence(FUNCTION_HACKS["object equal to everything"])], tests=[ADD_TESTS]) == [1.0]


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_bwrap_hides_expected_output_even_when_world_readable():
    """Without bwrap a world-readable file is readable by the program (docs/code.md says so)."""
    folder = Path(tempfile.mkdtemp(prefix="rk-expected-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        (folder / "expected_output.txt").write_text("12\n")
        (folder / "expected_output.txt").chmod(0o644)
        program = _fence(f"print(open({str(folder / 'expected_output.txt')!r}).read().strip())")
        wrapped = rewardkit.reward("code.passes", backend="bwrap")
        tests = {"inputs": ["5 7\n"], "outputs": ["12\n"]}
        assert wrapped([program], tests=[tests]) == [0.0]
        assert wrapped([_fence(HONEST_STDIO)], tests=[tests]) == [1.0]
    finally:
        shutil.rmtree(folder)


@pytest.mark.parametrize("backend", ["fork", "bwrap"])
def test_own_process_memory_holds_no_tests(backend):
    """Reading its own memory gains a program nothing: the tests live in the judge process.
    (fork: the uid change makes the process non-dumpable; bwrap: a fresh exec, readable.)"""
    if backend == "bwrap" and shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    passes = rewardkit.reward("code.passes", entry_point="add", backend=backend)
    tests = "def check(candidate):\n    assert candidate(1, 2) == 987654321\n"
    # passes exactly when the test source (its expected value) is somewhere in its own memory
    program = (
        "import re\ndef add(a, b):\n    try:\n        maps = open('/proc/self/maps').read().splitlines()\n"
        "        mem = open('/proc/self/mem', 'rb', buffering=0)\n    except OSError:\n        return 0\n"
        "    for line in maps:\n        span, perms = line.split()[:2]\n        if not perms.startswith('r'):\n"
        "            continue\n        lo, hi = (int(x, 16) for x in span.split('-'))\n        try:\n"
        "            mem.seek(lo)\n            found = re.search(rb'candidate\\(1, 2\\) == (\\d+)', mem.read(hi - lo))\n"
        "        except (OSError, ValueError, OverflowError, MemoryError):\n            continue\n"
        "        if found:\n            return int(found.group(1))\n    return 0"
    )
    assert passes([_fence(program)], tests=[tests]) == [0.0]


HARNESS_HACKS = {
    "patches the harness module": (
        "import sys\nh = sys.modules.get('_harness') or getattr(__import__('__main__'), '_harness', None)\n"
        "if h is not None:\n    h._check_plain = lambda v: v\n    h._apps_equal = lambda *a: True\n"
        "    h._is_plain = lambda *a: True\n"
        "class Any:\n    __eq__ = lambda s, o: True\n"
        "def add(a, b):\n    return Any()\n"
        "def twoSum(nums, target):\n    return Any()\n"
    ),
    "patches builtins the harness uses": (
        "import builtins\n_type = builtins.type\n"
        "builtins.type = lambda x, *a: int if a == () and _type(x).__name__ == 'Any' else _type(x, *a)\n"
        "class Any:\n    __eq__ = lambda s, o: True\n"
        "def add(a, b):\n    return Any()\n"
        "def twoSum(nums, target):\n    return Any()\n"
    ),
    "patches ast and json": (
        "import ast, json\n_parse = ast.parse\nast.parse = lambda *a, **k: _parse('assert True')\n"
        "json.loads = lambda s: [0, 1]\n"
        "def add(a, b):\n    return 0\n"
        "def twoSum(nums, target):\n    return [0, 1]\n"
    ),
}
APPS_TWO_SUM = {"fn_name": "twoSum", "inputs": [[[2, 7, 11, 15], 9], [[3, 2, 4], 6]], "outputs": [[[0, 1]], [[1, 2]]]}


@pytest.mark.parametrize("name", sorted(HARNESS_HACKS))
def test_harness_tampering_scores_zero(passes, name):
    program = _fence(HARNESS_HACKS[name])
    scores = passes.score([program] * 3, tests=[ADD_TESTS, ASSERTS, APPS_TWO_SUM])
    assert scores.values == [0.0, 0.0, 0.0], (name, scores.values, scores.messages)


@pytest.mark.parametrize("attempt", range(5))
def test_forked_copies_running_the_tests_are_no_valid_report(passes, attempt):
    """Guessing in several forked copies gains nothing: the harness of function tests never forks.

    (It used to rely on the two reports garbling each other, a race the guessing copy could win:
    a fresh-clone CI run scored this program 1.0.)"""
    program = (
        "import os\nGUESS = 1 if os.fork() == 0 else 0\n"
        "def add(a, b):\n    return a + b + GUESS\n"
    )
    assert passes([_fence(program)], tests=[ADD_TESTS]) == [0.0]
