"""Numbers: reading a user's matrix exactly, printing it by hand, and the named-part matrices."""

import time
from fractions import Fraction

import numpy as np
import pytest

from byhand import MAX_DIM, ByHandError, as_matrix, fmt, hstack, identity, ones, parse_number, part, vstack
from byhand.numbers import is_exact, tidy, unify
from byhand.stacked import multiply, zeros

# ---------------------------------------------------------------- parse_number


@pytest.mark.parametrize("text, value", [
    ("3", 3), (" 4 ", 4), ("-1/3", Fraction(-1, 3)), ("\u22122", -2), ("\u22121/2", Fraction(-1, 2)),
    ("0.25", Fraction(1, 4)), ("-0.5", Fraction(-1, 2)), ("2/4", Fraction(1, 2)), ("6/3", 2),
    ("1e2", 100), ("1.5e1", 15), ("0", 0), ("+7", 7), ("1 / 3", Fraction(1, 3)),
])
def test_parse_number_is_exact(text, value):
    got = parse_number(text)
    assert got == value
    assert type(got) is type(value)  # 6/3 is the int 2, not Fraction(2, 1)


@pytest.mark.parametrize("text, problem", [
    ("", "empty"), ("   ", "empty"), ("abc", "not a number"), ("1/0", "zero denominator"),
    ("nan", "not finite"), ("-inf", "not finite"), ("Infinity", "not finite"), ("1e308", "too large"),
    ("1e400", "too large"), ("1/3/4", "not a number"), ("1..2", "not a number"),
])
def test_parse_number_refuses(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_number(text)


# ---------------------------------------------------------------- fmt


@pytest.mark.parametrize("value, decimals, text", [
    (2, 3, "2"), (-3, 3, "\u22123"), (Fraction(1, 3), 3, "1/3"), (Fraction(-1, 2), 3, "\u22121/2"),
    (0.333333, 3, "0.333"), (2.0, 3, "2"), (-0.5, 3, "\u22120.5"), (-0.0, 3, "0"), (-0.0001, 3, "0"),
    (0.12345, 2, "0.12"), (np.int64(-3), 3, "\u22123"), (np.float64(1.25), 3, "1.25"), (7.6, 0, "8"),
])
def test_fmt(value, decimals, text):
    assert fmt(value, decimals) == text


def test_fmt_ascii_minus():
    assert fmt(Fraction(-1, 3), minus="-") == "-1/3"


# ---------------------------------------------------------------- as_matrix


def test_as_matrix_keeps_exact_values_exact():
    m = as_matrix("b", [1, "1/2", Fraction(3, 4), np.int64(2), "0.5", Fraction(4, 2)])
    assert m.dtype == object and m.shape == (6, 1)
    assert [type(v) for v in m.flat] == [int, Fraction, Fraction, int, Fraction, int]
    np.testing.assert_array_equal(m[:, 0], [1, Fraction(1, 2), Fraction(3, 4), 2, Fraction(1, 2), 2])
    assert is_exact(m)


def test_as_matrix_sympy_rational_becomes_fraction():
    sympy = pytest.importorskip("sympy")
    m = as_matrix("W", [[sympy.Rational(2, 6), sympy.Integer(3)]])
    assert m[0, 0] == Fraction(1, 3) and type(m[0, 0]) is Fraction
    assert m[0, 1] == 3 and type(m[0, 1]) is int


def test_as_matrix_floats_stay_floats():
    m = as_matrix("X", [[1.5, 2], [0, -1]])
    assert not is_exact(m)
    np.testing.assert_array_equal(np.asarray(m, dtype=float), [[1.5, 2], [0, -1]])
    f = as_matrix("X", np.array([[0.5, 1.0]]))
    assert f.dtype == np.float64


def test_as_matrix_shapes():
    assert as_matrix("b", [1, 2]).shape == (2, 1)
    assert as_matrix("b", [1, 2], column=False).shape == (1, 2)
    assert as_matrix("s", 5).shape == (1, 1)
    assert as_matrix("X", np.arange(6).reshape(2, 3)).shape == (2, 3)


def test_as_matrix_size_limit():
    assert MAX_DIM == 64
    assert as_matrix("X", np.ones((MAX_DIM, MAX_DIM), dtype=int)).shape == (64, 64)
    with pytest.raises(ByHandError, match="X is 65×1: at most 64 rows"):
        as_matrix("X", np.ones((65, 1), dtype=int))
    assert as_matrix("X", np.ones((65, 1), dtype=int), max_dim=None).shape == (65, 1)


def test_unify_and_tidy():
    exact, (a, b) = unify(np.array([[1]], dtype=object), np.array([[Fraction(1, 2)]], dtype=object))
    assert exact and a.dtype == object and b[0, 0] == Fraction(1, 2)
    exact, (a, b) = unify(np.array([[1]], dtype=object), np.array([[0.5]]))
    assert not exact and a.dtype == float and b.dtype == float
    t = tidy(np.array([[Fraction(4, 2), Fraction(1, 3)]], dtype=object))
    assert type(t[0, 0]) is int and t[0, 0] == 2 and t[0, 1] == Fraction(1, 3)
    floats = np.array([[1.0]])
    assert tidy(floats) is floats


# ---------------------------------------------------------------- stacked parts


def _obj(rows):
    return np.array(rows, dtype=object)


def test_identity_ones_zeros_parts():
    eye = identity(3)
    assert eye.role == "identity" and eye.name == "I" and eye.source is None
    np.testing.assert_array_equal(eye.values, [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert eye.values.dtype == object and identity(2, exact=False).values.dtype == float
    one = ones(4)
    assert one.role == "ones" and one.name == "1" and one.shape == (1, 4)
    np.testing.assert_array_equal(one.values, [[1, 1, 1, 1]])
    z = zeros(2, 3)
    assert z.role == "zeros" and z.source is None
    np.testing.assert_array_equal(z.values, np.zeros((2, 3)))
    assert eye.source_cell(1, 1) is None


def test_part_source_defaults_to_its_name():
    p = part("W", _obj([[1, 2], [3, 4]]), "weight")
    assert p.source == "W" and p.source_cell(1, 0) == ("W", 1, 0)
    cells = np.array([[[1, 0], [0, 0]], [[1, 1], [0, 1]]])  # a transposed copy of V
    q = part("Vᵀ", _obj([[1, 3], [2, 4]]), "computed", "V", cells)
    assert q.source_cell(0, 0) == ("V", 1, 0) and q.source_cell(1, 1) == ("V", 0, 1)


def test_stacked_spans_names_and_part_at():
    # [I | W2 | b2] with I 2×2, W2 2×3, b2 2×1: columns 0-1, 2-4, 5
    left = hstack(identity(2), part("W2", _obj([[1, 0, -1], [2, 1, 0]]), "weight"),
                  part("b2", _obj([[5], [6]]), "bias"))
    assert left.name == "[I | W2 | b2]" and left.shape == (2, 6)
    assert [(p.name, p.role, a, b) for p, a, b in left.spans()] == [
        ("I", "identity", 0, 2), ("W2", "weight", 2, 5), ("b2", "bias", 5, 6)]
    p, k = left.part_at(3)
    assert (p.name, k) == ("W2", 1)
    with pytest.raises(IndexError):
        left.part_at(6)
    np.testing.assert_array_equal(left.values, [[1, 0, 1, 0, -1, 5], [0, 1, 2, 1, 0, 6]])
    right = vstack(part("X", _obj([[1, 2]]), "input"), ones(2))
    assert right.name == "[X; 1]" and [(a, b) for _, a, b in right.spans()] == [(0, 1), (1, 2)]
    assert hstack(part("A", _obj([[1]]))).name == "A"


def test_multiply_by_hand():
    # [W | b]·[X; 1] = W·X + b:  W = [[1, 2]], b = [[1/2]], X = [[3], [4]]  ->  1·3 + 2·4 + 1/2 = 23/2
    left = hstack(part("W", _obj([[1, 2]]), "weight"), part("b", _obj([[Fraction(1, 2)]]), "bias"))
    right = vstack(part("X", _obj([[3], [4]]), "input"), ones(1))
    np.testing.assert_array_equal(multiply(left, right), [[Fraction(23, 2)]])


def test_multiply_names_both_shapes():
    left = hstack(part("W", _obj([[1, 2, 3]])))
    right = vstack(part("X", _obj([[1], [2]])))
    with pytest.raises(ByHandError, match=r"cannot multiply W \(1×3\) by X \(2×1\)"):
        multiply(left, right)


def test_stack_mismatch_names_both_parts():
    with pytest.raises(ByHandError, match="cannot stack X 2×1, 1 1×3"):
        vstack(part("X", _obj([[1], [2]])), ones(3))


HOSTILE_NUMBERS = ["1e-10000000", "1e-20000000", "0e1000000", "1e-999999999", "1e-5000", "9" * 400,
                   "9" * 4300 + "/3", "1/" + "7" * 4300, "1" + "0" * 18, "0." + "1" * 18, "1e13", "1e-13",
                   "5" * 100_000]


@pytest.mark.parametrize("text", HOSTILE_NUMBERS, ids=lambda t: t[:14])
def test_a_hostile_number_is_refused_by_its_text_at_once(text):
    # each of these once built a huge Fraction (seconds, or for ever) or raised "int too large"
    start = time.process_time()
    with pytest.raises(ValueError, match=r"^too (long|large) \(at most 17 digits, exponents within ±12\)$"):
        parse_number(text)
    with pytest.raises(ByHandError) as e:
        as_matrix("X", [["1", text]])
    assert str(e.value).startswith("X, row 1, column 2: '")
    assert len(str(e.value)) < 160  # the message quotes at most 40 characters of the cell
    assert time.process_time() - start < 1.0  # work bounded by the text, not by the number


@pytest.mark.parametrize("text, value", [
    ("1e12", 10**12), ("1e-12", Fraction(1, 10**12)), ("-1.5E+3", -1500), ("0.00012345678901234567",
     Fraction(12345678901234567, 10**20)), ("12345678901234567/3", Fraction(12345678901234567, 3)),
    ("3.059018075468904e-07", Fraction(3059018075468904, 10**22))])
def test_numbers_at_the_limits_are_read_exactly(text, value):
    assert parse_number(text) == value
