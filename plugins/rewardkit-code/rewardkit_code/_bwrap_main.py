"""Entry point inside bubblewrap: ``python -I -B /rk/_bwrap_main.py MODE`` runs /sandbox/solution.py."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness  # noqa: E402
import _isolate  # noqa: E402

if __name__ == "__main__":
    with open("solution.py", encoding="utf-8") as fh:
        program = fh.read()
    os.remove("solution.py")
    sys.path[0:1] = []
    mode = sys.argv[1]
    sys.argv = ["solution.py"]
    if mode == "serve":  # function tests: no new process (bubblewrap installed the base filter)
        import ctypes

        _isolate.Seccomp(ctypes.CDLL(None, use_errno=True), True).install()
    runs = {"stdio": _harness.run_stdio, "serve": _harness.serve_program, "function": _harness.run_function}
    status = runs[mode](program)
    os._exit(status)
