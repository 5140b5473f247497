"""Nine attack families of a policy that tries to cheat (issue 22): each makes a wrong program
score on the code before the out-of-process judge, and scores 0 now.

Each test runs the attack through the public reward (``code.passes`` / ``code.tests``) and, where
the attack needs root-only isolation (namespaces, cgroups, seccomp), skips when not root.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import uuid

import pytest

import rewardkit

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="namespaces, cgroups and a separate uid need root")
ADD_TESTS = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"
ASSERTS = ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]


def _fence(code: str) -> str:
    return f"```python\n{code}\n```\n"


@pytest.fixture(scope="module")
def passes():
    return rewardkit.reward("code.passes", entry_point="add")


# 1. a metaclass whose __eq__/__hash__ claim to be int passed `type(v) in _SCALARS`
METACLASS_INT = (
    "class M(type):\n    def __eq__(cls, other):\n        return True\n"
    "    def __hash__(cls):\n        return hash(int)\n"
    "class Fake(metaclass=M):\n    def __eq__(self, other):\n        return True\n"
    "    def __ne__(self, other):\n        return False\n    def __bool__(self):\n        return True\n"
    "    def __hash__(self):\n        return 0\n"
    "def add(a, b):\n    return Fake()\n"
)

# 2. callable dunders (partial objects, no Python frame of the program) answer the judge's
#    hash and comparisons: they ran inside the harness when it hashed or compared the object
CALLABLE_DUNDERS = (
    "import functools\n"
    "class M(type):\n    __hash__ = staticmethod(functools.partial(hash, int))\n"
    "    __eq__ = staticmethod(functools.partial(isinstance, 1))\n"
    "class Fake(metaclass=M):\n    __eq__ = staticmethod(functools.partial(max, True, key=bool))\n"
    "    __ne__ = staticmethod(functools.partial(min, False, key=bool))\n"
    "    __hash__ = staticmethod(functools.partial(hash, 0))\n"
    "def add(a, b):\n    return Fake()\n"
)


@pytest.mark.parametrize("program", [METACLASS_INT, CALLABLE_DUNDERS], ids=["metaclass_int", "callable_dunders"])
def test_program_objects_never_reach_the_judge(passes, program):
    scores = passes.score([_fence(program)] * 2, tests=[ADD_TESTS, ASSERTS])
    assert scores.values == [0.0, 0.0], scores.messages


# 3. the program's globals shadowed names the tests use (env = dict(namespace))
POLY_PROMPT = (
    "def poly(xs, x):\n    return sum(c * x ** i for i, c in enumerate(xs))\n\n\n"
    "def find_zero(xs):\n    \"\"\"A zero of the polynomial with coefficients xs.\"\"\"\n"
)
POLY_TESTS = {"test": "def check(candidate):\n    assert abs(poly([1, 2], candidate([1, 2]))) < 1e-6\n",
              "entry_point": "find_zero"}


@pytest.mark.parametrize("shadow", ["def poly(xs, x):\n    return 0\n", "def abs(x):\n    return 0\n"])
def test_program_globals_do_not_shadow_test_names(shadow):
    reward = rewardkit.reward("code.passes")
    honest = POLY_PROMPT + "    return -xs[0] / xs[1]\n"
    wrong = POLY_PROMPT + "    return 12345.0\n" + shadow
    assert reward([_fence(honest)], prompts=[POLY_PROMPT], tests=[POLY_TESTS]) == [1.0]
    assert reward([_fence(wrong)], prompts=[POLY_PROMPT], tests=[POLY_TESTS]) == [0.0]


# 4. a posix_spawn helper that held the real report pipe rewrote the genuine report
SPAWN_REWRITER = (
    "import os\n"
    "r, w = os.pipe()\nreal = os.dup(4)\nos.dup2(w, 4, inheritable=False)\nos.close(w)\n"
    "script = \"sed -E 's/\\\"passed\\\": [0-9]+, \\\"total\\\": ([0-9]+)/\\\"passed\\\": \\\\1, \\\"total\\\": \\\\1/'\"\n"
    "os.posix_spawn('/bin/sh', ['sh', '-c', script], {}, file_actions=[\n"
    "    (os.POSIX_SPAWN_DUP2, r, 0), (os.POSIX_SPAWN_DUP2, real, 1)])\n"
    "os.close(r)\nos.close(real)\n"
    "def add(a, b):\n    return 0\n"
)


@pytest.mark.skipif(shutil.which("sed") is None, reason="needs sed")
def test_spawned_helper_cannot_rewrite_the_report(passes):
    """(On the old harness the helper won its race with the zygote's sweep in most tries.)"""
    for _ in range(3):
        scores = passes.score([_fence(SPAWN_REWRITER)] * 3, tests=[ADD_TESTS] * 3)
        assert scores.values == [0.0, 0.0, 0.0], scores.messages


def test_spawning_is_refused_in_function_tests(passes):
    program = "import subprocess\ndef add(a, b):\n    return int(subprocess.run(['echo', str(a + b)], capture_output=True).stdout)\n"
    assert passes([_fence(program)], tests=[ADD_TESTS]) == [0.0]


# 5. code.tests: stopping after the first asserts scored more than answering every case
FIVE_ASSERTS = "\n".join(f"assert f({i}) == {i}" for i in range(1, 6))


def test_stopping_early_never_scores_more_than_answering():
    tests = rewardkit.reward("code.tests")
    answers = "def f(x):\n    return 1\n"  # right on 1 of 5
    stops = "def f(x):\n    if x == 1:\n        return 1\n    raise ValueError\n"  # right on 1, then stops
    loops = "def f(x):\n    if x == 1:\n        return 1\n    raise ValueError\n"
    loop_tests = "for i in range(1, 6):\n    assert f(i) == i\n"
    a, s = tests([_fence(answers), _fence(stops)], tests=[FIVE_ASSERTS, FIVE_ASSERTS])
    assert a == pytest.approx(0.2) and s is not None and s <= a
    a, s = tests([_fence(answers), _fence(loops)], tests=[loop_tests, loop_tests])
    assert s is not None and a is not None and s <= a
    check = "def check(candidate):\n" + "".join(f"    assert candidate({i}) == {i}\n" for i in range(1, 6))
    a, s = tests([_fence(answers), _fence(stops)], tests=[{"test": check, "entry_point": "f"}] * 2)
    assert a == pytest.approx(0.2) and s is not None and s <= a


# 6. /tmp, /var/tmp and /dev/shm persisted across runs: an oracle over repeated evaluations
@needs_root
@pytest.mark.parametrize("folder", ["/tmp", "/var/tmp", "/dev/shm"])
def test_scratch_directories_do_not_persist_between_runs(passes, folder):
    marker = os.path.join(folder, f"rk-oracle-{uuid.uuid4().hex}")
    program = (f"import os\nif os.path.exists({marker!r}):\n    print('seen')\nelse:\n"
               f"    open({marker!r}, 'w').write('1')\n    print('new')\n")
    tests = {"inputs": ["\n"], "outputs": ["seen\n"]}
    try:
        first = passes([_fence(program)], tests=[tests])
        second = passes([_fence(program)], tests=[tests])
        assert (first, second) == ([0.0], [0.0])
        assert not os.path.exists(marker)  # nothing reached the host's directory either
    finally:
        if os.path.exists(marker):
            os.remove(marker)


# 7. expected outputs on a command line were readable through /proc/*/cmdline
@needs_root
def test_other_processes_command_lines_are_hidden(passes):
    secret = f"SECRET{uuid.uuid4().hex[:8]}"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", secret])
    program = (
        "import os\nfor pid in os.listdir('/proc'):\n    try:\n"
        "        args = open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\\0')\n    except OSError:\n"
        "        continue\n    for a in args:\n        if a.startswith(b'SECRET'):\n"
        "            print(a.decode())\n            raise SystemExit\n"
    )
    try:
        assert passes([_fence(program)], tests=[{"inputs": ["\n"], "outputs": [secret + "\n"]}]) == [0.0]
    finally:
        holder.kill()
        holder.wait()


# 8. memory was limited per process only: five processes of a 256 MiB program held 1 GiB
@needs_root
def test_memory_is_limited_per_run_not_per_process():
    reward = rewardkit.reward("code.passes", memory_mb=256, run_timeout=8.0)
    program = (
        "import os, time\nr, w = os.pipe()\nkids = []\nfor _ in range(5):\n    pid = os.fork()\n"
        "    if pid == 0:\n        try:\n            block = b'x' * (150 << 20)\n            os.write(w, b'1')\n"
        "            time.sleep(2)\n        finally:\n            os._exit(0)\n    kids.append(pid)\n"
        "os.close(w)\ngot = b''\nwhile True:\n    chunk = os.read(r, 10)\n    if not chunk:\n        break\n"
        "    got += chunk\nprint(len(got))\n"
    )
    assert reward([_fence(program)], tests=[{"inputs": ["\n"], "outputs": ["5\n"]}]) == [0.0]


# 9. UNIX sockets on host paths were reachable; user namespaces could be created; no no_new_privs
@needs_root
def test_unix_sockets_on_the_host_are_unreachable(passes):
    folder = tempfile.mkdtemp(prefix="rk-sock-", dir="/run")
    os.chmod(folder, 0o777)
    path = os.path.join(folder, "s")
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    os.chmod(path, 0o777)
    server.listen(4)
    server.settimeout(10)

    def answer() -> None:
        try:
            conn, _ = server.accept()
            conn.sendall(b"host-secret\n")
            conn.close()
        except OSError:
            pass

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    program = (f"import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect({path!r})\n"
               "print(s.recv(100).decode().strip())\n")
    try:
        assert passes([_fence(program)], tests=[{"inputs": ["\n"], "outputs": ["host-secret\n"]}]) == [0.0]
    finally:
        server.close()
        shutil.rmtree(folder, ignore_errors=True)


@needs_root
@pytest.mark.parametrize("probe", ["userns", "clone_userns", "no_new_privs"])
def test_no_user_namespaces_and_no_new_privileges(passes, probe):
    if probe == "userns":  # unshare(CLONE_NEWUSER): a way to capabilities inside the sandbox
        program = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                   "print('made' if libc.unshare(0x10000000) == 0 else 'refused')\n")
        want = "made\n"
    elif probe == "clone_userns":  # clone(CLONE_NEWUSER | SIGCHLD): a child in a new user namespace
        program = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                   "pid = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)\n"
                   "if pid == 0:\n    os._exit(0)\nprint('made' if pid > 0 else 'refused')\n")
        want = "made\n"
    else:  # setuid binaries keep their privileges without no_new_privs
        program = ("for line in open('/proc/self/status'):\n    if line.startswith('NoNewPrivs'):\n"
                   "        print(line.split()[1])\n")
        want = "0\n"
    assert passes([_fence(program)], tests=[{"inputs": ["\n"], "outputs": [want]}]) == [0.0]
