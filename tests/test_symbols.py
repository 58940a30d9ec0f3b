"""Symbols by hand (issue 12 §1): a cell's text read by our own small grammar, never by Python.

Expected values are sympy objects built directly from ``Symbol`` and ``Rational`` (never parsed from
text), so they do not depend on the parser under test.
"""

import builtins
import contextlib
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy

from byhand.numbers import ByHandError, as_matrix, unify
from byhand.symbols import (
    MAX_DEPTH,
    MAX_NAME,
    MAX_NAMES,
    MAX_TEXT,
    parse_cell,
    read_symbolic,
    symbol,
)

a, b, c, w11, x_1, b1 = (symbol(n) for n in ("a", "b", "c", "w11", "x_1", "b1"))
R = sympy.Rational


@pytest.mark.parametrize("text, value", [
    ("w11", w11), ("x_1", x_1), ("a + b/2", a + b / 2), ("2*c", 2 * c), ("c^2", c ** 2), ("c**2", c ** 2),
    ("\u2212a", -a), ("-a", -a), ("a \u2212 b", a - b), ("(a + b)*c", (a + b) * c), ("a/3", a * R(1, 3)),
    ("0.5*a", a / 2), (".25*b", b / 4), ("2*w11 + b1/2", 2 * w11 + b1 / 2), ("a^-1", 1 / a),
    ("a^(-2)", a ** -2), ("-(a^2)", -a ** 2), ("-a^2", -a ** 2), ("2^3*a", 8 * a), ("a·b", a * b),
    ("a × b", a * b), ("x_1 ** 2 - x_1 * x_1", 0), ("a - a + 1/2", Fraction(1, 2)), ("3", 3),
    ("((a))", a), ("+a", a), ("a*b*c", a * b * c),
])
def test_the_grammar(text, value):
    got = parse_cell(text, "W", 1, 1)
    assert got == value and type(got) is type(value)


def test_names_are_only_symbols():
    """A name is a real Symbol of that name, whatever it means to sympy or Python (E, pi, I, os)."""
    for name in ("E", "pi", "I", "oo", "os", "lambda", "exp", "S", "N", "Q", "beta", "zeta"):
        got = parse_cell(name, "X", 1, 1)
        assert isinstance(got, sympy.Symbol) and got.name == name and got.is_real
    assert parse_cell("E^2", "X", 1, 1) == sympy.Symbol("E", real=True) ** 2 != sympy.exp(2)
    assert parse_cell("I*I", "X", 1, 1) != -1


def test_name_length_is_bounded():
    ok = "w" * MAX_NAME
    assert parse_cell(ok, "W", 1, 1) == symbol(ok)
    with pytest.raises(ByHandError, match=f"longer than {MAX_NAME}"):
        parse_cell(ok + "1", "W", 1, 1)


HOSTILE = {
    "import": "__import__('os').system('touch /tmp/sym/pwned')",
    "lambda": "lambda: 0",
    "attribute": "x.__class__",
    "index": "a[0]",
    "10 kB": "a+" * 5000,
    "deep": "(" * 500 + "a" + ")" * 500,
    "deep, short": "(" * 60 + "a" + ")" * 60,
    "many signs": "-" * 100 + "a",
    "call": "exp(1)",
    "string": "'a'",
    "semicolon": "a; import os",
    "backslash": "a\\b",
    "dunder name": "__class__",
    "comma": "a, b",
    "power tower": "2^10^10",
    "huge power": "9^1000000",
    "huge base": "999999999999^10",
    "degree": "a^10*b^10*c^10*a",
    "float power": "a^0.5",
    "symbol power": "a^b",
    "divide by zero": "a/0",
    "divide by a zero": "a/(b - b)",
    "zero to a minus": "0^-1",
    "many digits": "1234567890123*a",
    "nan": "nan*a",
    "inf": "inf",
    "empty": "  ",
    "dangling": "a +",
    "two names": "a b",
    "unmatched": "(a + b",
    "closing": "a + b)",
    "unicode letter": "\u00e9",
    "fullwidth": "\uff41",
    "nul": "a\x00",
    "at": "a @ b",
    "percent": "a % b",
    "equals": "a = 1",
    "less": "a < 1",
    "ampersand": "a & b",
}


@contextlib.contextmanager
def no_python():
    """Inside: sympy's parsers, Python's eval/exec/compile and a shell raise if called at all, and
    sympify raises if given text (sympy calls it on its own objects, which is harmless)."""
    import sympy.parsing.sympy_parser

    core = sys.modules["sympy.core.sympify"]  # the module (sympy.core.sympify is the function)
    called = []

    def refuse(*args, **kwargs):
        called.append(args)
        raise AssertionError("a parsing entry point was called")

    def no_text(original):
        def guarded(*args, **kwargs):
            if any(isinstance(v, (str, bytes)) for v in (*args, *kwargs.values())):
                refuse(*args)
            return original(*args, **kwargs)
        return guarded

    with pytest.MonkeyPatch.context() as mp:
        for target, name in ((sympy, "sympify"), (sympy, "S"), (core, "sympify")):
            mp.setattr(target, name, no_text(getattr(target, name)))
        for target, name in ((sympy, "parse_expr"), (sympy.parsing.sympy_parser, "parse_expr"),
                             (sympy.parsing.sympy_parser, "eval_expr"), (builtins, "eval"),
                             (builtins, "exec"), (builtins, "compile"), (os, "system"), (os, "popen"),
                             (subprocess, "Popen")):
            mp.setattr(target, name, refuse)
        yield called
    assert not called


def _refused(f, *args, **kwargs) -> ByHandError:
    """The ByHandError ``f`` raises, with no parsing entry point called and no file made."""
    before = set(os.listdir("/tmp/sym")) if os.path.isdir("/tmp/sym") else set()
    err = None
    with no_python():
        try:
            f(*args, **kwargs)
        except ByHandError as e:
            err = e
    after = set(os.listdir("/tmp/sym")) if os.path.isdir("/tmp/sym") else set()
    assert after == before and not os.path.exists("/tmp/sym/pwned")
    assert err is not None, "no ByHandError"
    return err


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_is_refused_naming_matrix_and_cell(text):
    err = _refused(parse_cell, text, "W1", 2, 3)
    assert (err.matrix, err.row, err.col) == ("W1", 2, 3)
    assert str(err).startswith("W1, row 2, column 3: ")
    assert len(str(err)) < 400  # a 10 kB paste is quoted by its start only


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_in_an_example(text):
    """Through as_matrix(symbols=True), the path every example read with symbols takes."""
    err = _refused(as_matrix, "X", [["a", "1"], ["2", text]], symbols=True)
    assert (err.matrix, err.row, err.col) == ("X", 2, 2)


def test_the_parser_works_with_parsing_refused():
    """The grammar needs none of the entry points refused; the guard itself catches a call."""
    with no_python():
        got = parse_cell("2*w11 + b1/2 - (a^2)", "W", 1, 1)
    assert got == 2 * w11 + b1 / 2 - a ** 2
    with pytest.raises(AssertionError):
        with no_python():
            try:
                sympy.sympify("1")
            except AssertionError:
                pass


def test_bounds_are_what_they_say():
    assert parse_cell("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH, "X", 1, 1) == a
    with pytest.raises(ByHandError, match="nested"):
        parse_cell("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1), "X", 1, 1)
    assert parse_cell("a" + " " * (MAX_TEXT - 1), "X", 1, 1) == a
    with pytest.raises(ByHandError, match=f"at most {MAX_TEXT}"):
        parse_cell("a" + " " * MAX_TEXT, "X", 1, 1)
    assert parse_cell("a^10*b^10*c^10", "X", 1, 1) == a ** 10 * b ** 10 * c ** 10
    with pytest.raises(ByHandError, match="too large"):
        parse_cell("2000000", "X", 1, 1)


def test_numbers_keep_the_number_path():
    """With symbols allowed a number is still an int or a Fraction, and a bad number gets a number's error."""
    m = as_matrix("X", [["1/3", "2", "-0.5", "a"]], symbols=True)
    assert m[0, :3].tolist() == [Fraction(1, 3), 2, Fraction(-1, 2)]
    assert [type(v) for v in m[0, :3]] == [Fraction, int, Fraction] and m[0, 3] == a
    for bad in ("1/0", "1e400", "1e-10000000"):
        with pytest.raises(ByHandError, match="X, row 1, column 1"):
            as_matrix("X", [[bad]], symbols=True)
    with pytest.raises(ByHandError, match="X, row 1, column 1"):
        as_matrix("X", [["a"]])  # symbols are only read when asked for


def test_sympy_values_are_adopted():
    """A sympy value given directly is kept, its symbols made real, a rational made a Fraction."""
    m = as_matrix("X", [[sympy.Symbol("q"), sympy.Rational(1, 3), sympy.Integer(2)]])
    assert m.tolist() == [[symbol("q"), Fraction(1, 3), 2]] and m[0, 0].is_real
    for bad in (sympy.oo, sympy.zoo, sympy.nan, sympy.Symbol("q") < 1):
        with pytest.raises(ByHandError, match="X, row 1, column 1"):
            as_matrix("X", [[bad]])


def test_the_count_of_names_is_bounded():
    names = [[f"n{i}" for i in range(MAX_NAMES)]]
    assert len(read_symbolic({"X": names})["X"][0]) == MAX_NAMES
    with pytest.raises(ByHandError) as e:
        read_symbolic({"X": names, "W": [["1", "extra"]]})
    assert (e.value.matrix, e.value.row, e.value.col) == ("W", 1, 2)
    many = {f"M{k}": np.array([[symbol(f"m{k}_{i}") for i in range(9)]], dtype=object) for k in range(8)}
    with pytest.raises(ByHandError, match=f"at most {MAX_NAMES}"):
        unify(*many.values())  # the check every block's inputs pass through
