"""Exact and float numbers: reading a user's matrix, checking it, printing it.

Exact values are Python ``int`` and ``fractions.Fraction`` in numpy object arrays;
float values are ``float64`` arrays. ``numpy.asarray(m, dtype=float)`` works on both.
Symbolic values (``w11``, read by ``byhand.symbols``) are sympy expressions in object arrays; sympy is
imported only when a symbol is read, so numbers never pay for it.
"""

from __future__ import annotations

import math
import numbers
import re
import sys
from fractions import Fraction

import numpy as np

__all__ = ["ByHandError", "MAX_DIM", "MAX_ABS", "as_matrix", "is_exact", "is_symbolic", "fmt",
           "parse_number", "read_matrix_text", "MAX_PASTE", "quote", "MAX_DIGITS", "MAX_EXPONENT"]

MAX_DIM = 64  # largest number of rows or columns of any input matrix
MAX_ABS = 1e6  # largest magnitude of any input value


class ByHandError(ValueError):
    """A bad input: the message names the matrix, the cell (1-based) and the problem.

    ``matrix``, ``row`` and ``col`` (1-based, or None) say where, for a page to point at it.
    """

    def __init__(self, message: str, matrix: str | None = None, row: int | None = None,
                 col: int | None = None):
        super().__init__(message)
        self.matrix, self.row, self.col = matrix, row, col


def _tidy(v):
    """A Fraction with denominator 1 becomes an int, so integers stay fast and print plainly."""
    if isinstance(v, Fraction) and v.denominator == 1:
        return int(v.numerator)
    return v


MAX_DIGITS = 17  # most significant digits of a typed number, or of its denominator (a float in full)
MAX_EXPONENT = 12  # exponents of a typed number lie within ±12
MAX_NUMBER_TEXT = 40  # longest text read as one number
NUMBER_LIMITS = f"at most {MAX_DIGITS} digits, exponents within ±{MAX_EXPONENT}"
_NUMBER = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?|([+-]?)(\d+)/(\d+)")


def quote(text, limit: int = MAX_NUMBER_TEXT) -> str:
    """``text`` quoted for a message, cut to ``limit`` characters with "…" (a 100 kB cell stays short).

    >>> quote("1/3"), quote("9" * 50)
    ("'1/3'", "'9999999999999999999999999999999999999999…'")
    """
    s = str(text).strip()
    return repr(s if len(s) <= limit else s[:limit] + "…")


def parse_number(text: str):
    """Read ``'3'``, ``'-1/3'``, ``'0.25'``, ``'−2'``, ``'1e-5'`` exactly (decimals become fractions).

    The size is checked on the text before any number is built (``1e-10000000`` would be a
    ten-million-digit denominator): at most ``MAX_DIGITS`` digits in each part, exponents within
    ±``MAX_EXPONENT``.

    >>> parse_number('-1/3'), parse_number('0.25'), parse_number(' 4 '), parse_number('1e-5')
    (Fraction(-1, 3), Fraction(1, 4), 4, Fraction(1, 100000))
    >>> parse_number('1e-10000000')
    Traceback (most recent call last):
    ...
    ValueError: too long (at most 17 digits, exponents within ±12)
    """
    s = text.strip().replace("\u2212", "-").replace(" ", "")
    if not s:
        raise ValueError("empty")
    if s.lower().lstrip("+-") in {"nan", "inf", "infinity"}:
        raise ValueError("not finite")
    m = _NUMBER.fullmatch(s) if len(s) <= MAX_NUMBER_TEXT else None
    if m is None or not (m[2] or m[3] or m[6]):
        raise ValueError(f"too long ({NUMBER_LIMITS})" if len(s) > MAX_NUMBER_TEXT else "not a number")
    whole, decimals, exponent, num, den = m[2], m[3] or "", m[4], m[6], m[7]
    power = int(exponent) if exponent else 0
    if len((whole or num or "").lstrip("0")) > MAX_DIGITS or power > MAX_EXPONENT:
        raise ValueError(f"too large ({NUMBER_LIMITS})")
    digits = ((whole or "") + decimals).lstrip("0")  # 0.000123 has 3 digits: the text bounds its zeros
    if len(digits) > MAX_DIGITS or len((den or "").lstrip("0")) > MAX_DIGITS or power < -MAX_EXPONENT:
        raise ValueError(f"too long ({NUMBER_LIMITS})")
    try:
        return _tidy(Fraction(s))
    except ZeroDivisionError:
        raise ValueError("a fraction with a zero denominator") from None
    except ValueError:
        raise ValueError("not a number") from None


# text that can only mean a number (2, -1/3, 1e400, 1/0): its error is a number's, even with symbols
_NUMBERISH = re.compile(r"\s*[+\-\u2212]?\s*(?:\d[\d.]*|\.\d+)\s*(?:/\s*\d*)?\s*"
                        r"(?:[eE]\s*[+\-\u2212]?\s*\d+)?\s*")


def _sympy_basic():
    """sympy's ``Basic`` once sympy is imported (by ``byhand.symbols``), else None: no value can be one."""
    sp = sys.modules.get("sympy")
    return getattr(sp, "Basic", None)


def _cell(name: str, v, r: int, c: int, symbols: bool = False):
    """One checked cell value: int, Fraction or float (or a sympy expression: text with ``symbols``, or
    given as one)."""
    where = f"{name}, row {r + 1}, column {c + 1}"

    def bad(problem: str) -> ByHandError:
        return ByHandError(f"{where}: {problem}.", name, r + 1, c + 1)

    if v is None or (isinstance(v, str) and not v.strip()):
        raise bad("the cell is empty; type a number such as 2, -1 or 1/3")
    if isinstance(v, (bool, np.bool_)):
        raise bad(f"{v!r} is not a number")
    if isinstance(v, str):
        try:
            v = parse_number(v)
        except ValueError as e:
            if not symbols or _NUMBERISH.fullmatch(v):
                raise bad(f"{quote(v)} is {e}; type a number such as 2, -1 or 1/3") from None
            from .symbols import parse_cell  # sympy only when a cell holds a symbol

            v = parse_cell(v, name, r + 1, c + 1)
            if not isinstance(v, (int, Fraction)):
                return v
    elif isinstance(v, numbers.Integral):
        v = int(v)
    elif isinstance(v, numbers.Rational):  # Fraction, sympy Rational
        v = _tidy(Fraction(int(v.numerator), int(v.denominator)))
    elif isinstance(v, numbers.Real):
        v = float(v)
        if not math.isfinite(v):
            raise bad(f"{v} is not a finite number")
    elif (basic := _sympy_basic()) is not None and isinstance(v, basic):
        from .symbols import adopt

        try:
            v = adopt(v)
        except ValueError as e:
            raise bad(str(e)) from None
        if not isinstance(v, (int, Fraction, float)):
            return v
        return _cell(name, v, r, c)
    else:
        raise bad(f"{v!r} is not a number")
    if abs(v) > MAX_ABS:
        shown = f"{float(v):g}" if abs(v) < 1e300 else "a number with over 300 digits"  # float() overflows
        raise bad(f"{shown} is too large (values must lie within ±{MAX_ABS:,.0f})")
    return v


def _ragged(name: str, rows) -> None:
    """Raise ByHandError at the first row whose length differs from row 1's (numpy keeps them as lists)."""
    lengths = [len(v) if isinstance(v, (list, tuple)) else 1 for v in rows]
    for r, k in enumerate(lengths):
        if k != lengths[0]:
            col = min(k, lengths[0]) + 1
            raise ByHandError(f"{name}, row {r + 1}, column {col}: row {r + 1} has {k} cells but row 1 "
                              f"has {lengths[0]}; every row needs the same number of columns.",
                              name, r + 1, col)


def as_matrix(name: str, data, *, column: bool = True, max_dim: int | None = MAX_DIM,
              symbols: bool = False) -> np.ndarray:
    """Check ``data`` and return it as a 2-D matrix of exact numbers (object) or floats.

    A 1-D input becomes a column (``column=True``) or a row. Raises ByHandError naming
    ``name`` and the cell for an empty, non-numeric, non-finite or too large value, and for
    more than ``max_dim`` rows or columns (None: no limit). With ``symbols=True`` a text cell that
    is not a number is read by ``byhand.symbols.parse_cell`` (``w11``, ``2*a + b``) into a sympy
    expression; a sympy expression given as a value is kept whatever the flag.

    >>> as_matrix('b', [1, '1/2'])
    array([[1],
           [Fraction(1, 2)]], dtype=object)
    """
    try:
        arr = np.array(data, dtype=None if isinstance(data, np.ndarray) else object)
    except ValueError:
        raise ByHandError(f"{name}: the rows have different lengths.", name) from None
    if arr.ndim == 1 and arr.dtype == object and any(isinstance(v, (list, tuple)) for v in arr):
        _ragged(name, arr)
    if arr.ndim == 0:
        arr = arr.reshape(1, 1)
    elif arr.ndim == 1:
        arr = arr.reshape(-1, 1) if column else arr.reshape(1, -1)
    if arr.ndim != 2:
        raise ByHandError(f"{name} must be a matrix (2-D), not {arr.ndim}-D.", name)
    rows, cols = arr.shape
    if rows == 0 or cols == 0:
        raise ByHandError(f"{name} is empty ({rows}×{cols}).", name)
    if max_dim is not None and (rows > max_dim or cols > max_dim):
        raise ByHandError(f"{name} is {rows}×{cols}: at most {max_dim} rows and {max_dim} "
                          "columns are supported.", name)
    if arr.dtype.kind == "f":  # fast path for float arrays: check all at once
        arr = arr.astype(float)  # float16/float32 would overflow in the range check
        bad = ~np.isfinite(arr) | (np.abs(arr) > MAX_ABS)
        if bad.any():
            r, c = map(int, np.argwhere(bad)[0])
            _cell(name, float(arr[r, c]), r, c)
        return arr
    out = np.empty(arr.shape, dtype=object)
    for (r, c), v in np.ndenumerate(arr):
        out[r, c] = _cell(name, v, r, c, symbols)
    return out


def is_exact(m: np.ndarray) -> bool:
    """True when every entry is an int or a Fraction."""
    return m.dtype == object and all(isinstance(v, (int, Fraction)) for v in m.flat)


def is_symbolic(m: np.ndarray) -> bool:
    """True when some entry is a sympy expression (a cell holding a symbol such as ``w11``)."""
    basic = _sympy_basic()
    return basic is not None and m.dtype == object and any(isinstance(v, basic) for v in m.flat)


def unify(*mats: np.ndarray) -> tuple[bool, list[np.ndarray]]:
    """Make matrices share one number type: all exact (object) or, if any float, all float64.

    Symbolic matrices make all of them exact (object): a float then stays a float inside an expression.
    """
    symbolic = [m for m in mats if is_symbolic(m)]
    if symbolic:
        from .symbols import MAX_NAMES, names_in

        if len(names := names_in(*symbolic)) > MAX_NAMES:
            raise ByHandError(f"an example may use at most {MAX_NAMES} different names, not {len(names)}.",
                              "names")
    exact = bool(symbolic) or all(is_exact(m) for m in mats)
    if exact:
        return True, [m.astype(object) for m in mats]
    return False, [np.asarray(m, dtype=float) for m in mats]


def tidy(m: np.ndarray) -> np.ndarray:
    """Exact results with integer values as ints (fast, prints plainly); floats untouched."""
    if m.dtype != object:
        return m
    out = np.empty(m.shape, dtype=object)
    for idx, v in np.ndenumerate(m):
        out[idx] = _tidy(v)
    return out


def fmt(v, decimals: int = 3, minus: str = "\u2212") -> str:
    """Print a value by hand: ``2``, ``1/3``, ``−1/2``; floats to ``decimals`` places.

    >>> fmt(Fraction(-1, 3)), fmt(2), fmt(0.333333), fmt(-0.0)
    ('−1/3', '2', '0.333', '0')
    """
    if isinstance(v, (int, np.integer)):
        s = str(int(v))
    elif isinstance(v, Fraction):
        s = str(v)
    elif not isinstance(v, float) and (basic := _sympy_basic()) is not None and isinstance(v, basic):
        from .symbols import show

        return show(v, minus)
    else:
        s = f"{float(v):.{decimals}f}".rstrip("0").rstrip(".") if decimals > 0 else f"{float(v):.0f}"
        if s in {"-0", ""}:
            s = "0"
    return s.replace("-", minus)


MAX_PASTE = 4000  # longest text ``read_matrix_text`` reads (an 8 × 8 matrix of long fractions fits)

_LATEX_ENV = re.compile(r"\\(?:begin|end)\s*\{\s*[A-Za-z]*\*?\s*\}(?:\s*\{[lcr|\s]*\})?")  # array's {cc}
_LATEX_FRAC = re.compile(r"\\[dt]?frac\s*\{\s*([+-]?\s*\d+)\s*\}\s*\{\s*(\d+)\s*\}")  # whole numbers only
_LATEX_SPACE = re.compile(r"\\(?:left|right|[,;:!]|quad|qquad)|\$")  # \left[ keeps its [ (a bracket)
_ASSIGN = re.compile(r"^\s*[A-Za-z_]\w*\s*=(?!=)")  # MATLAB's or Python's ``X = …``
_CALL = re.compile(r"^\s*[A-Za-z_][\w.]*\s*\((.*)\)\s*;?\s*$", re.S)  # array(…), np.array(…), tensor(…)
_KEYWORDS = re.compile(r",\s*[A-Za-z_]\w*\s*=.*$", re.S)  # …, dtype=int64) or …, requires_grad=True)
_SPACES = str.maketrans({"\u2212": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\r": "\n",
                         "[": " ", "(": " ", "{": " ", "]": "\n", ")": "\n", "}": "\n"})


def _cells(row: str) -> list[str]:
    """One row's cells: tab-separated as a spreadsheet copies them (an empty cell stays empty), else
    separated by commas or spaces (a bracket's leading or trailing comma is dropped)."""
    if "\t" in row:
        return [c.strip() for c in row.split("\t")]
    row = re.sub(r"^\s*,?\s*|\s*,?\s*$", "", row)
    return re.split(r"\s*,\s*|\s+", row)


def read_matrix_text(name: str, text: str, max_dim: int = 8) -> list[list[str]]:
    r"""Read a whole matrix typed or pasted as text; return its rows of text as typed in an editor.

    Rows are separated by new lines or ``;``, cells by spaces, commas or tabs. Brackets and what
    spreadsheets, numpy, PyTorch, Python, MATLAB and LaTeX write around the numbers are dropped
    (``array(…)``, ``\begin{bmatrix} 1 & -\frac{1}{2} \\ … \end{bmatrix}``); blank lines are
    ignored. Every cell is read exactly by ``as_matrix`` (decimals become fractions), so the
    text is never evaluated. Raises ByHandError naming ``name`` (and the row, or the cell) for
    text over ``MAX_PASTE`` characters, nothing to read, ragged rows, more than ``max_dim`` rows
    or columns, and a bad number.

    >>> read_matrix_text('X', '1 2 3\n4 5 -0.5')
    [['1', '2', '3'], ['4', '5', '-1/2']]
    >>> read_matrix_text('X', 'array([[ 1. , -0.5],\n       [ 2. ,  3. ]])')
    [['1', '-1/2'], ['2', '3']]
    >>> read_matrix_text('W', r'\begin{bmatrix} 1 & \frac{1}{3} \\ −2 & 0 \end{bmatrix}')
    [['1', '1/3'], ['-2', '0']]
    """
    if not isinstance(text, str):
        raise ByHandError(f"{name}: a pasted matrix must be text, not {type(text).__name__}.", name)
    if len(text) > MAX_PASTE:
        raise ByHandError(f"{name}: the text is {len(text):,} characters long; at most {MAX_PASTE:,} are "
                          f"read (a matrix of at most {max_dim} × {max_dim} numbers).", name)
    s = _LATEX_ENV.sub(" ", text)
    s = _LATEX_FRAC.sub(lambda m: f"{m[1].replace(' ', '')}/{m[2]} ", s)
    s = _LATEX_SPACE.sub(" ", s)
    s = re.sub(r"\\\\(?:\[[^\]]*\])?", "\n", s).replace("&", ",")  # LaTeX's row break and cell separator
    if "\\" in s:
        command = re.search(r"\\[A-Za-z]*", s)[0]
        raise ByHandError(f"{name}: {command!r} is not read; write numbers such as 2, -1/2 or 0.25 "
                          "(\\frac{a}{b} of whole numbers works).", name)
    s = _ASSIGN.sub("", s, count=1)
    call = _CALL.match(s)
    if call:
        s = _KEYWORDS.sub("", call[1])
    s = s.translate(_SPACES)
    rows = [_cells(row) for row in re.split(r"[;\n]", s) if row.strip(" \t,")]
    if not rows:
        raise ByHandError(f"{name}: there is no number to read; type or paste rows such as 1 2 3 "
                          "(one row a line).", name)
    _ragged(name, rows)
    if len(rows) > max_dim or len(rows[0]) > max_dim:
        raise ByHandError(f"{name} is {len(rows)}×{len(rows[0])}: at most {max_dim} rows and {max_dim} "
                          "columns are supported.", name)
    return [[fmt(v, 12, minus="-") for v in row] for row in as_matrix(name, rows, max_dim=max_dim)]
