"""A calculator environment for TRL's tool loop: one ``calculate`` tool over a safe arithmetic evaluator.

The expression is parsed with :mod:`ast` and only numbers, ``+ - * / // % **``, unary signs and
parentheses are evaluated (never ``eval``); powers and results are bounded, so a hostile expression
(``9**9**9``, a 10,000-deep nesting) is refused quickly instead of hanging the trainer.
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any

MAX_CHARS = 200
MAX_EXPONENT = 64
MAX_MAGNITUDE = 1e15

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_UNARY: dict[type, Any] = {ast.UAdd: operator.pos, ast.USub: operator.neg}


class CalculatorError(ValueError):
    """The expression is not plain arithmetic, or its value is out of bounds."""


def evaluate(expression: str) -> float:
    """The value of an arithmetic expression: numbers, + - * / // % **, signs and parentheses only."""
    if not isinstance(expression, str) or not expression.strip():
        raise CalculatorError("an expression is a non-empty string")
    if len(expression) > MAX_CHARS:
        raise CalculatorError(f"expression longer than {MAX_CHARS} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise CalculatorError(f"not an arithmetic expression: {expression!r}") from None
    return _value(tree.body)


def _value(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return _bounded(float(node.value))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        unary: Any = _UNARY[type(node.op)]
        return float(unary(_value(node.operand)))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise CalculatorError(f"exponent {right:g} is larger than {MAX_EXPONENT}")
        try:
            return _bounded(_BINARY[type(node.op)](left, right))
        except (ZeroDivisionError, OverflowError) as exc:
            raise CalculatorError(str(exc)) from None
    raise CalculatorError(f"only numbers and + - * / // % ** are allowed, not {type(node).__name__}")


def _bounded(value: Any) -> float:
    if isinstance(value, complex) or not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise CalculatorError("the value is out of range")
    return float(value)


def format_number(value: float) -> str:
    """``12`` for 12.0, else a short decimal."""
    return str(int(value)) if value.is_integer() else f"{value:.10g}"


class Calculator:
    """The tools of one rollout (TRL makes one instance per rollout and calls ``reset`` before it)."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {"evaluated": 0}

    def reset(self, **row: Any) -> None:
        self.state = {"evaluated": 0}

    def calculate(self, expression: str) -> str:
        """Evaluate an arithmetic expression.

        Args:
            expression: The arithmetic expression to evaluate, e.g. "(3 + 4) * 2".

        Returns:
            The value of the expression.
        """
        value = evaluate(expression)
        self.state["evaluated"] += 1
        return format_number(value)
