"""The restricted parser: forms it reads, what it refuses, its bounds."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rewardkit_math.parse import MAX_CHARS, ParseError, parse, plain_number, tokenize


@pytest.mark.parametrize(
    "text, node",
    [
        ("18", ("num", Fraction(18))),
        ("1,234.5", ("num", Fraction(2469, 2))),
        ("1.5e3", ("num", Fraction(1500))),
        (r"1\,000", ("num", Fraction(1000))),
        ("12\u2009345\u2009678", ("num", Fraction(12345678))),
        (r"\$18", ("num", Fraction(18))),
        ("18 dollars per day", ("num", Fraction(18))),
        (r"5\text{ cm}^2", ("num", Fraction(5))),
        ("3 km/h", ("num", Fraction(3))),
        (r"\frac{3}{4}", ("/", ("num", Fraction(3)), ("num", Fraction(4)))),
        (r"\dfrac34", ("/", ("num", Fraction(3)), ("num", Fraction(4)))),
        (r"2\frac{1}{2}", ("mixed", ("num", Fraction(2)), ("/", ("num", Fraction(1)), ("num", Fraction(2))))),
        ("2 1/2", ("mixed", ("num", Fraction(2)), ("/", ("num", Fraction(1)), ("num", Fraction(2))))),
        ("x = 5", ("rel", ("=",), (("sym", "x"), ("num", Fraction(5))))),
        (r"\left(1, 2\right)", ("tuple", (("num", Fraction(1)), ("num", Fraction(2))))),
        ("[1,2)", ("interval", True, False, ("num", Fraction(1)), ("num", Fraction(2)))),
        (r"\{1,2\}", ("set", (("num", Fraction(1)), ("num", Fraction(2))))),
        ("50%", ("%", ("num", Fraction(50)))),
        ("9**9**9", ("^", ("num", Fraction(9)), ("^", ("num", Fraction(9)), ("num", Fraction(9))))),
        ("x_{12}", ("sym", "x_12")),
    ],
)
def test_parses(text, node):
    assert parse(text) == node


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hi')",
        "().__class__.__mro__",
        "lambda: 0",
        "open('/etc/passwd').read()",
        r"\input{/etc/passwd}",
        r"\def\x{1}\x",
        "10+John's age",
        "",
        r"\frac{1}{",
        "(1, 2",
        "1 +",
    ],
)
def test_refuses_what_is_not_an_answer(text):
    with pytest.raises(ParseError):
        parse(text)


def test_bounds():
    with pytest.raises(ParseError, match="nested"):
        parse("(" * 200 + "1" + ")" * 200)
    with pytest.raises(ParseError):
        parse("(" * 3000 + "1" + ")" * 3000)
    with pytest.raises(ParseError, match="characters"):
        parse("1+" * MAX_CHARS + "1")
    with pytest.raises(ParseError, match="digits"):
        tokenize("1" * 1000)
    with pytest.raises(ParseError, match="exponent"):
        parse("1e99999999")
    with pytest.raises(ParseError, match="nested"):
        parse("-" * 300 + "1")


def test_unicode_digits_are_read_by_value():
    assert parse("１２") == parse("١٢") == parse("𝟏𝟐") == ("num", Fraction(12))
    assert parse("−5") == ("neg", ("num", Fraction(5)))
    assert parse("x²") == parse("x^2") and parse("10⁻³") == parse("10^{-3}")


def test_plain_number():
    assert plain_number("-1,234.50") == Fraction(-123450, 100)
    assert plain_number("$18.") == 18
    assert plain_number("1/2") is None
    assert plain_number("1,23") is None
