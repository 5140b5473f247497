"""The C++ runner: compiled once per completion in the sandbox, run per stdin/stdout case."""

from __future__ import annotations

import os
import shutil

import pytest

import rewardkit
from rewardkit_code.sandbox import leftover_processes

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")

WATERMELON = {"input": ["8\n", "2\n", "1\n", "100\n"], "output": ["YES\n", "NO\n", "NO\n", "YES\n"]}
RIGHT = (
    "#include <iostream>\nint main() {\n  int w; std::cin >> w;\n"
    "  std::cout << (w % 2 == 0 && w > 2 ? \"YES\" : \"NO\") << \"\\n\";\n}\n"
)
WRONG = RIGHT.replace(" && w > 2", "")


def fence(code: str) -> str:
    return f"```cpp\n{code}```\n"


@pytest.mark.parametrize("backend", ["fork", "bwrap"])
def test_cpp_stdio_and_partial_credit(backend):
    if backend == "bwrap" and shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    share = rewardkit.reward("code.tests", language="cpp", backend=backend)
    assert share([fence(RIGHT), fence(WRONG)], tests=[WATERMELON, WATERMELON]) == [1.0, 0.75]


@pytest.mark.parametrize("program", [
    "int main() { this is not C++ }\n",
    "int main() { for (;;) {} }\n",
    "#include <unistd.h>\nint main() { for (;;) fork(); }\n",
    "#include <cstdlib>\n#include <cstring>\nint main() { char* p = (char*)malloc(20000000000ULL); memset(p, 1, 20000000000ULL); }\n",
], ids=["compile-error", "infinite-loop", "fork-bomb", "20GB"])
def test_cpp_failures_score_zero_and_leave_nothing(program):
    passes = rewardkit.reward("code.passes", language="cpp", run_timeout=1.0)
    assert passes([fence(program)], tests=[WATERMELON]) == [0.0]
    assert leftover_processes(os.getpid()) == []


def test_cpp_rejects_function_tests_with_a_counted_error():
    scores = rewardkit.reward("code.tests", language="cpp").score([fence(RIGHT)], tests=[["assert f(1) == 1"]])
    assert scores.counts["error"] == 1 and "stdin/stdout" in scores.messages[0]
