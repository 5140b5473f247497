"""Entry point inside bubblewrap: ``python -I -S -B /rk/_bwrap_main.py MODE [PATH...]`` runs /sandbox/solution.py
(``PATH``: folders put on ``sys.path``, the packages a caller of ``run_python`` named)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness  # noqa: E402

if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "serve":  # function tests: no new process (bubblewrap installed the base filter)
        import ctypes

        import _isolate
        import _wire  # noqa: F401  (imported while /rk is on sys.path)

        _isolate.Seccomp(ctypes.CDLL(None, use_errno=True), True).install()
    elif mode == "function":
        import _inproc
    with open("solution.py", encoding="utf-8") as fh:
        program = fh.read()
    os.remove("solution.py")
    sys.path[0:1] = []
    sys.path[:0] = sys.argv[2:]  # run_python's packages (bound read-only by bubblewrap)
    sys.argv = ["solution.py"]
    if mode == "function":
        status = _inproc.run_function(program)
    else:
        status = (_harness.serve_program if mode == "serve" else _harness.run_stdio)(program)
    os._exit(status)
