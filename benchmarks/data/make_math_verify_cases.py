"""Write ``math_verify_cases.jsonl``: every (gold, pred, expected) case of math-verify's own tests.

math-verify (https://github.com/huggingface/Math-Verify, MIT licence, Copyright (c) 2024 The
HuggingFace Team) checks its grader with ``tests/test_all.py``, ``tests/test_boxed.py``,
``tests/test_numina_cases.py`` and ``tests/test_open_thoughts.py``: 254 test items, each a call of
``compare_strings(gold, pred, ...) == expected``. This script collects them with pytest from a
checkout of that repository and writes one JSON line per item: ``id`` (the pytest node id),
``gold``, ``pred``, ``expected`` (0/1) and ``options`` (the keyword arguments the test passes:
``precision``, ``allow_set_relation_comp``, ``match_types``). Data only; no code is copied.

    python benchmarks/data/make_math_verify_cases.py /path/to/Math-Verify
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent / "math_verify_cases.jsonl"
FILES = ("tests/test_all.py", "tests/test_boxed.py", "tests/test_numina_cases.py", "tests/test_open_thoughts.py")

# run inside the checkout: records each compare_strings call of each test item with its outcome
_RECORDER = '''
import json, sys, pytest
import tests.test_all as ta
_real = ta.compare_strings
_calls = []
def _record(gold, pred, match_types=["latex", "expr"], precision=6, strict=True, allow_set_relation_comp=False):
    _calls.append({"gold": gold, "pred": pred, "options": {"match_types": list(match_types), "precision": precision,
                   "allow_set_relation_comp": allow_set_relation_comp}})
    return _real(gold, pred, match_types, precision, strict, allow_set_relation_comp)
ta.compare_strings = _record
class Plugin:
    def __init__(self):
        self.rows = []
    def pytest_runtest_call(self, item):
        _calls.clear()
    def pytest_runtest_makereport(self, item, call):
        if call.when != "call":
            return
        params = dict(item.callspec.params) if hasattr(item, "callspec") else {}
        for c in list(_calls)[-1:]:  # the item's (last) compare_strings call is what it asserts on
            expected = params.get("expected", 1)
            self.rows.append({"id": item.nodeid, **c, "expected": int(expected), "math_verify_passed": call.excinfo is None})
plugin = Plugin()
pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[2:]], plugins=[plugin])
json.dump(plugin.rows, open(sys.argv[1], "w"))
'''


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not (Path(argv[0]) / "tests" / "test_all.py").is_file():
        print(__doc__)
        return 2
    repo = Path(argv[0]).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "rows.json"
        script = Path(tmp) / "recorder.py"
        script.write_text(_RECORDER, encoding="utf-8")
        subprocess.run([sys.executable, str(script), str(dump), *FILES], cwd=repo, check=False,
                       env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"})
        rows = json.loads(dump.read_text(encoding="utf-8"))
    with OUT.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} cases -> {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
