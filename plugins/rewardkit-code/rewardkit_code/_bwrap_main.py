"""Entry point inside bubblewrap: ``python -I -B /rk/_bwrap_main.py MODE`` runs /sandbox/solution.py."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _harness  # noqa: E402

if __name__ == "__main__":
    with open("solution.py", encoding="utf-8") as fh:
        program = fh.read()
    os.remove("solution.py")
    sys.path[0:1] = []
    mode = sys.argv[1]
    sys.argv = ["solution.py"]
    status = _harness.run_stdio(program) if mode == "stdio" else _harness.run_function(program)
    os._exit(status)
