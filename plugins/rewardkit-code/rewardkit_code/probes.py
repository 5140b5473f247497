"""``rewardkit probe`` families for the code rewards: a policy trying to cheat (docs/code.md).

Each attack brings its own ``tests`` column and is a program that scores exactly when a defence
is missing: program objects reaching the judge, program names shadowing the tests', a spawned
helper rewriting the report, stopping early in ``code.tests``, scratch directories or System V IPC
persisting between runs, the host's files or processes visible, memory limited per process only,
AF_UNIX sockets, user namespaces or setuid privileges available, and (issue 30) the program choosing
the entry point or a builtin standing in for a tested name. Families whose defence turns an error
into the program's 0 (a crash of the cleanup) cannot show in an accept rate: tests/test_issue30.py. ``rewardkit check-plugin code
--probe`` fails when any is accepted.
"""

from __future__ import annotations

import uuid
from typing import Any

ADD = {"test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"
       "    assert candidate(20, 22) == 42\n", "entry_point": "add"}
SHADOWED = {"test": "def check(candidate):\n    assert abs(candidate(1, 2) - 3) < 1e-9\n"
            "    assert abs(candidate(20, 22) - 42) < 1e-9\n", "entry_point": "add"}
STOP_EARLY = {"test": "def check(candidate):\n" + "".join(f"    assert candidate({i}, 0) == {i}\n" for i in range(1, 6)),
              "entry_point": "add"}


def _stdio(want: str) -> dict[str, Any]:
    return {"inputs": ["\n"], "outputs": [want + "\n"]}


def _fence(code: str) -> str:
    return f"```python\n{code}\n```"


FUNCTION_ATTACKS = {
    "metaclass_int": (
        "class M(type):\n    def __eq__(cls, other):\n        return True\n    def __hash__(cls):\n"
        "        return hash(int)\nclass Fake(metaclass=M):\n    __eq__ = lambda s, o: True\n"
        "    __ne__ = lambda s, o: False\n    __bool__ = lambda s: True\n    __hash__ = lambda s: 0\n"
        "def add(a, b):\n    return Fake()\n"
    ),
    "callable_dunders": (
        "import functools\nclass M(type):\n    __hash__ = staticmethod(functools.partial(hash, int))\n"
        "    __eq__ = staticmethod(functools.partial(isinstance, 1))\n"
        "class Fake(metaclass=M):\n    __eq__ = staticmethod(functools.partial(max, True, key=bool))\n"
        "    __ne__ = staticmethod(functools.partial(min, False, key=bool))\n"
        "    __hash__ = staticmethod(functools.partial(hash, 0))\ndef add(a, b):\n    return Fake()\n"
    ),
    "spawned_rewriter": (
        "import os\nr, w = os.pipe()\nreal = os.dup(4)\nos.dup2(w, 4, inheritable=False)\nos.close(w)\n"
        "script = \"sed -E 's/\\\"passed\\\": [0-9]+, \\\"total\\\": ([0-9]+)/\\\"passed\\\": \\\\1, \\\"total\\\": \\\\1/'\"\n"
        "os.posix_spawn('/bin/sh', ['sh', '-c', script], {}, file_actions=[\n"
        "    (os.POSIX_SPAWN_DUP2, r, 0), (os.POSIX_SPAWN_DUP2, real, 1)])\n"
        "os.close(r)\nos.close(real)\ndef add(a, b):\n    return 0\n"
    ),
}
# scores 2/3 on the old rule for code.tests (asserts never reached did not count), 2/5 now
STOP_EARLY_PROGRAM = "def add(a, b):\n    if a <= 2:\n        return a\n    raise ValueError\n"

CAPABILITY_ATTACKS = {  # stdin/stdout programs that print the expected output only when a defence is missing
    "host_proc_visible": ("import os\nprint(len([p for p in os.listdir('/proc') if p.isdigit()]) > 20)\n", "True"),
    "unix_socket": ("import socket\ntry:\n    socket.socket(socket.AF_UNIX).close()\n    print('unix')\n"
                    "except OSError:\n    print('refused')\n", "unix"),
    "user_namespace": ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                       "print('made' if libc.unshare(0x10000000) == 0 else 'refused')\n", "made"),
    "setuid_allowed": ("for line in open('/proc/self/status'):\n    if line.startswith('NoNewPrivs'):\n"
                       "        print(line.split()[1])\n", "0"),
    "memory_per_process": (
        "import os, time\nr, w = os.pipe()\nfor _ in range(5):\n    if os.fork() == 0:\n        try:\n"
        "            block = b'x' * (300 << 20)\n            os.write(w, b'1')\n            time.sleep(1)\n"
        "        finally:\n            os._exit(0)\nos.close(w)\ngot = b''\nwhile True:\n    c = os.read(r, 8)\n"
        "    if not c:\n        break\n    got += c\nprint(len(got))\n", "5"),
}


def _oracle(row_index: int) -> tuple[str, dict[str, Any]]:
    marker = f"/tmp/rk-probe-{uuid.uuid4().hex}-{row_index}"
    code = (f"import os\nif os.path.exists({marker!r}):\n    print('seen')\nelse:\n"
            f"    open({marker!r}, 'w').write('1')\n    print('new')\n")
    return code, _stdio("seen")


def _ipc_oracle(row_index: int) -> tuple[str, dict[str, Any]]:
    key = 1000 + (uuid.uuid4().int % 1_000_000) * 8 + row_index % 8
    code = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            f"if libc.shmget({key}, 4096, 0) >= 0:\n    print('seen')\nelse:\n"
            f"    libc.shmget({key}, 4096, 0o1666)\n    print('new')\n")
    return code, _stdio("seen")


def _host_file() -> str:
    """A host file every process of this machine could read, were the host visible (the plugin itself)."""
    import os

    return os.path.realpath(__file__)


ISSUE30_ATTACKS: dict[str, tuple[str, Any]] = {  # (program, tests): score only where a defence of issue 30 is missing
    # assert rows whose tested name is a builtin resolved it to the judge's builtin
    "builtin_named_test": ("print('no function')\n", ["assert pow(2, 3) == 8", "assert pow(3, 2) == 9"]),
    # a check row without entry_point took the program's last def (here: abs) as the entry point
    "program_chosen_entry": ("def add(a, b):\n    return 0\ndef abs(*a):\n    return 0\n",
                             {"test": SHADOWED["test"]}),
}


def code_cheats(row: Any, target: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The attacks for one probe row (the row's text is not needed: every attack brings its tests)."""
    out = [(name, _fence(code), {"tests": ADD}) for name, code in FUNCTION_ATTACKS.items()]
    out.append(("shadowed_names", _fence("def abs(x):\n    return 0\ndef add(a, b):\n    return 0\n"),
                {"tests": SHADOWED}))
    out.append(("stop_early", _fence(STOP_EARLY_PROGRAM), {"tests": STOP_EARLY}))
    oracle, tests = _oracle(row.index)
    out += [("scratch_oracle_first", _fence(oracle), {"tests": tests}),
            ("scratch_oracle_again", _fence(oracle), {"tests": tests})]
    ipc, ipc_tests = _ipc_oracle(row.index)
    out += [("ipc_oracle_first", _fence(ipc), {"tests": ipc_tests}),
            ("ipc_oracle_again", _fence(ipc), {"tests": ipc_tests})]
    out += [(name, _fence(code), {"tests": cell}) for name, (code, cell) in ISSUE30_ATTACKS.items()]
    host = _host_file()
    out.append(("host_files_visible", _fence(f"import os\nprint(os.path.exists({host!r}))\n"),
                {"tests": _stdio("True")}))
    for name, (code, want) in CAPABILITY_ATTACKS.items():
        if name == "memory_per_process" and row.index % 8:
            continue  # 1.5 GB where the defence is missing: a few rows are enough
        out.append((name, _fence(code), {"tests": _stdio(want)}))
    return out
