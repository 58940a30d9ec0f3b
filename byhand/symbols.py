"""Symbols by hand: a cell may hold ``w11``, ``x_1``, ``a + b/2``, ``2*c`` or ``c^2``.

A small grammar of our own reads a cell's text and builds sympy objects directly: numbers (whole,
decimal, ``a/b``), names (a letter, then letters, digits and ``_``, at most 16 characters), ``+ − * /
^`` (``**`` is ``^``), parentheses and a unary minus. Nothing in the text is ever evaluated as Python
(no ``eval``, no ``sympy.sympify`` or ``parse_expr``): a name is only ever a ``Symbol`` of that name,
so ``os`` is a symbol like any other. Everything is bounded before anything is built: the text's
length, the depth of parentheses, the digits of a number, an exponent (a whole number, ``|n| ≤ 10``)
and the names of one example.

>>> parse_expression('2*w11 + b1/2')
b1/2 + 2*w11
>>> parse_expression('−(a^2)')
-a**2
>>> parse_expression('x_1 ** 2 - x_1 * x_1')
0
>>> show(parse_expression('w1*x + b1'))
'b₁ + w₁·x'

The engine's side: ``relu``, ``relu_slope``, ``softmax_column`` and ``layer_norm_column`` are the
exact symbolic forms the ops in ``byhand.ops`` use; ``substitute`` puts numbers back in a cell.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy
from sympy.printing.str import StrPrinter

from .numbers import MAX_ABS, ByHandError, as_matrix, is_symbolic, quote

__all__ = ["MAX_TEXT", "MAX_DEPTH", "MAX_POWER", "MAX_NUMBER_DIGITS", "MAX_NAME", "MAX_NAMES", "MAX_DEGREE",
           "MAX_ANSWER", "FUNCTIONS", "parse_expression", "parse_cell", "read_answer", "symbol", "names_in",
           "check_names", "read_symbolic", "symbol_names", "symbolize", "show", "compact_name", "latex",
           "relu", "relu_slope", "softmax_column", "layer_norm_column", "exact_number", "equivalent",
           "substitute", "value_table", "to_number", "adopt"]

MAX_TEXT = 200  # longest text of one cell
MAX_DEPTH = 8  # deepest nesting of parentheses
MAX_POWER = 10  # largest |n| of a power x^n (n a whole number)
MAX_NUMBER_DIGITS = 12  # most digits of one number in an expression
MAX_NAME = 16  # longest name
MAX_NAMES = 64  # most distinct names in one example
MAX_DEGREE = 30  # highest total degree of a cell (x^10 · y^10 is 20)
_MAX_BITS = 256  # largest numerator or denominator, in bits, of a number worked out inside a cell
_RESERVED = {"nan", "inf", "infinity"}  # not names: a learner who types them means a number

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?|\.\d+)|(?P<name>[A-Za-z][A-Za-z0-9_]*)"
                    r"|(?P<op>\*\*|[-+*/^(),])|(?P<bad>\S))")
# the functions an answer may use: name -> (number of arguments, how sympy builds it)
FUNCTIONS = {
    "max": (2, lambda a, b: relu(b) if a == 0 else relu(a) if b == 0 else sympy.Max(a, b)),  # max(0, e): ReLU
    "relu": (1, lambda e: relu(e)),
    "exp": (1, lambda e: sympy.exp(e)),
    "sqrt": (1, lambda e: sympy.sqrt(e)),
}
_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00b7": "*", "\u00d7": "*", "\u22c5": "*"})
_HOW = "type a number such as 2 or 1/3, or an expression such as 2*w11 + b1"


def symbol(name: str) -> sympy.Symbol:
    """The real symbol ``name`` (every symbol of ByHand is real, so ``max(0, x^2)`` is ``x^2``)."""
    return sympy.Symbol(name, real=True)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) of each token: a number, a name or an operator; anything else is refused."""
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        tok = m[kind]
        where = m.start(kind) + 1
        if kind == "bad":
            what = "a quote" if tok in "'\"" else repr(tok)
            raise ValueError(f"{what} at character {where} is not part of an expression")
        if kind == "num" and len(tok.replace(".", "")) > MAX_NUMBER_DIGITS:
            raise ValueError(f"the number at character {where} has more than {MAX_NUMBER_DIGITS} digits")
        if kind == "name":
            if len(tok) > MAX_NAME:
                raise ValueError(f"the name {tok[:MAX_NAME]}… at character {where} is longer than "
                                 f"{MAX_NAME} characters")
            if tok.lower() in _RESERVED:
                raise ValueError(f"{tok!r} is not a finite number")
        out.append((kind, "^" if tok == "**" else tok, where))
    return out


class _Parser:
    """Recursive descent over the tokens, building sympy objects; each node carries its degree."""

    def __init__(self, tokens, functions: bool = False):
        self.tokens, self.i, self.depth, self.functions = tokens, 0, 0, functions

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise ValueError("the expression ends too early")
        self.i += 1
        return tok

    def expression(self):
        """expr := term (('+' | '-') term)*"""
        value, degree = self.term()
        while (tok := self.peek()) and tok[1] in "+-":
            self.take()
            right, d = self.term()
            value, degree = (value + right if tok[1] == "+" else value - right), max(degree, d)
            _check_number(value)
        return value, degree

    def term(self):
        """term := unary (('*' | '/') unary)*"""
        value, degree = self.unary()
        while (tok := self.peek()) and tok[1] in "*/":
            self.take()
            right, d = self.unary()
            if tok[1] == "/":
                if right == 0:
                    raise ValueError(f"division by zero at character {tok[2]}")
                value = value / right
            else:
                value = value * right
            degree += d
            _check_degree(degree)
            _check_number(value)
        return value, degree

    def unary(self):
        """unary := ('+' | '-') unary | power"""
        tok = self.peek()
        if tok and tok[1] in "+-":
            self.take()
            self.enter(tok)
            value, degree = self.unary()
            self.depth -= 1
            return (-value if tok[1] == "-" else value), degree
        return self.power()

    def power(self):
        """power := atom ('^' exponent)?   (the exponent a whole number, |n| ≤ MAX_POWER)"""
        value, degree = self.atom()
        tok = self.peek()
        if tok and tok[1] == "^":
            self.take()
            n = self.exponent()
            if value == 0 and n < 0:
                raise ValueError(f"0 to a negative power at character {tok[2]} divides by zero")
            if value.is_Number:
                p, q = value.as_numer_denom()
                if (abs(int(p)).bit_length() + int(q).bit_length()) * abs(n) > 2 * _MAX_BITS:
                    raise ValueError(f"the power at character {tok[2]} is too large")
            value, degree = value ** n, degree * abs(n)
            _check_degree(degree)
            _check_number(value)
        nxt = self.peek()
        if nxt and nxt[1] == "^":
            raise ValueError(f"write (a^m)^n with parentheses: '^' at character {nxt[2]} follows a power")
        return value, degree

    def exponent(self) -> int:
        """A whole number, with an optional sign, optionally in parentheses: ``2``, ``-1``, ``(-2)``."""
        opened = self.peek() and self.peek()[1] == "("
        if opened:
            self.take()
        sign = 1
        tok = self.take()
        if tok[1] in "+-":
            sign = -1 if tok[1] == "-" else 1
            tok = self.take()
        if tok[0] != "num" or not tok[1].isdigit() or int(tok[1]) > MAX_POWER:
            raise ValueError(f"an exponent must be a whole number from −{MAX_POWER} to {MAX_POWER}; "
                             f"{tok[1]!r} at character {tok[2]} is not")
        if opened:
            close = self.take()
            if close[1] != ")":
                raise ValueError(f"')' expected at character {close[2]}")
        return sign * int(tok[1])

    def atom(self):
        """atom := number | name | '(' expr ')'"""
        kind, tok, where = self.take()
        if kind == "num":
            value = sympy.Rational(*_fraction(tok))
            return value, 0
        if kind == "name":
            nxt = self.peek()
            if self.functions and tok in FUNCTIONS and nxt and nxt[1] == "(":
                return self.call(tok, where)
            return symbol(tok), 1
        if tok == "(":
            self.enter((kind, tok, where))
            value = self.expression()
            close = self.take()
            if close[1] != ")":
                raise ValueError(f"')' expected at character {close[2]}, found {close[1]!r}")
            self.depth -= 1
            return value
        raise ValueError(f"{tok!r} at character {where} cannot start a term")

    def call(self, name: str, where: int):
        """call := function '(' expr (',' expr)* ')'   (only the functions of ``FUNCTIONS``)"""
        arity, f = FUNCTIONS[name]
        self.enter(self.take())
        args = [self.expression()]
        while (tok := self.peek()) and tok[1] == ",":
            self.take()
            args.append(self.expression())
        close = self.take()
        if close[1] != ")":
            raise ValueError(f"')' expected at character {close[2]}, found {close[1]!r}")
        self.depth -= 1
        if len(args) != arity:
            raise ValueError(f"{name} at character {where} takes {arity} argument{'s' if arity > 1 else ''}, "
                             f"not {len(args)}")
        value = f(*(a for a, _ in args))
        _check_number(value)
        return value, max(d for _, d in args)

    def enter(self, tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ValueError(f"more than {MAX_DEPTH} nested parentheses or signs at character {tok[2]}")


def _fraction(tok: str) -> tuple[int, int]:
    f = Fraction(tok)  # digits only (the tokenizer's number): never an exponent, never huge
    return f.numerator, f.denominator


def _check_degree(degree: int) -> None:
    if degree > MAX_DEGREE:
        raise ValueError(f"the expression's degree is over {MAX_DEGREE}")


def _check_number(value) -> None:
    """A number worked out inside a cell stays small (``999999^10`` is refused before it grows)."""
    if value.is_Rational:
        if max(abs(int(value.p)).bit_length(), int(value.q).bit_length()) > _MAX_BITS:
            raise ValueError("a number in it is too large")
    elif value.has(sympy.zoo, sympy.nan, sympy.oo):
        raise ValueError("it divides by zero")


def parse_expression(text: str, functions: bool = False, max_text: int = MAX_TEXT):
    """The sympy expression (or number) a cell's text means; ValueError saying what is wrong.

    The text is bounded before it is read: at most ``max_text`` characters. ``functions`` also
    reads the few functions of ``FUNCTIONS`` (an answer such as ``max(0, w11*x1 + b1)``), each
    built directly as its sympy function.

    >>> parse_expression('max(0, a - 1) + exp(b)', functions=True)
    exp(b) + Max(0, a - 1)
    """
    if not isinstance(text, str):
        raise ValueError(f"{type(text).__name__} is not text")
    if len(text) > max_text:
        raise ValueError(f"the text is {len(text):,} characters long; a cell holds at most {max_text}")
    tokens = _tokens(text.translate(_SIGNS))
    if not tokens:
        raise ValueError("the cell is empty")
    p = _Parser(tokens, functions)
    value, _ = p.expression()
    extra = p.peek()
    if extra:
        if extra[0] in ("name", "num") or extra[1] == "(":
            raise ValueError(f"an operator is missing before {extra[1]!r} at character {extra[2]} "
                             "(write 2*x for a product)")
        raise ValueError(f"{extra[1]!r} at character {extra[2]} does not fit here")
    if value.is_Number and abs(value) > MAX_ABS:
        raise ValueError(f"too large (values must lie within ±{MAX_ABS:,.0f})")
    return value


def parse_cell(text: str, matrix: str = "", row: int | None = None, col: int | None = None):
    """A cell's text read as a number (int or Fraction) or a sympy expression in real symbols.

    Raises ByHandError naming ``matrix`` and the cell (``row``, ``col`` 1-based) when the text is not
    an expression of the grammar.

    >>> parse_cell('1/2'), parse_cell('a + a')
    (Fraction(1, 2), 2*a)
    >>> parse_cell('x.__class__', 'X', 1, 2)
    Traceback (most recent call last):
      ...
    byhand.numbers.ByHandError: X, row 1, column 2: 'x.__class__' cannot be read: '.' at character 2 \
is not part of an expression; type a number such as 2 or 1/3, or an expression such as 2*w11 + b1.
    """
    where = f"{matrix}, row {row}, column {col}" if row is not None else matrix or "the cell"
    try:
        value = parse_expression(text)
    except ValueError as e:
        shown = quote(text) if isinstance(text, str) else repr(type(text).__name__)
        raise ByHandError(f"{where}: {shown} cannot be read: {e}; {_HOW}.", matrix or None, row,
                          col) from None
    return to_number(value)


def to_number(v):
    """A sympy value as ByHand keeps it: a rational as int or Fraction, any other number as float, an
    expression in symbols as itself."""
    if not isinstance(v, sympy.Basic):
        return v
    if v.is_Rational:
        return int(v.p) if v.q == 1 else Fraction(int(v.p), int(v.q))
    if not v.free_symbols:
        return float(v)
    return v


def adopt(v):
    """A sympy value given to ``as_matrix`` as ByHand keeps it (``to_number``), its symbols made real;
    ValueError for what is not a finite expression (``x < 1``, ``oo``, ``zoo``)."""
    if not isinstance(v, sympy.Expr) or v.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        raise ValueError(f"{show(v)!r} is not a number or an expression")
    foreign = {s: symbol(s.name) for s in v.free_symbols if not (isinstance(s, sympy.Symbol) and s.is_real)}
    if foreign:
        v = v.xreplace(foreign)
    return to_number(v)


def names_in(*mats: np.ndarray) -> list[str]:
    """The names of the symbols in the matrices, sorted."""
    found = set()
    for m in mats:
        if m.dtype == object:
            for v in m.flat:
                if isinstance(v, sympy.Basic):
                    found.update(s.name for s in v.free_symbols)
    return sorted(found)


def check_names(named: dict[str, np.ndarray]) -> None:
    """At most ``MAX_NAMES`` distinct names in one example; ByHandError at the cell bringing one too many."""
    seen: set[str] = set()
    for name, m in named.items():
        if not is_symbolic(m):
            continue
        for (r, c), v in np.ndenumerate(m):
            if isinstance(v, sympy.Basic):
                seen.update(s.name for s in v.free_symbols)
                if len(seen) > MAX_NAMES:
                    raise ByHandError(f"{name}, row {r + 1}, column {c + 1}: an example may use at most "
                                      f"{MAX_NAMES} different names; this cell brings one more.",
                                      name, r + 1, c + 1)


def read_symbolic(named: dict) -> dict[str, np.ndarray]:
    """Read an example's matrices (name → rows of text or values) allowing symbols in any cell.

    >>> m = read_symbolic({'W': [['w11', '1/2']], 'b': ['b1']})
    >>> m['W'].tolist(), m['b'].tolist()
    ([[w11, Fraction(1, 2)]], [[b1]])
    """
    mats = {name: as_matrix(name, data, symbols=True) for name, data in named.items()}
    check_names(mats)
    return mats


def symbol_names(matrix: str, rows: int, cols: int) -> list[list[str]]:
    """The names of a matrix's cells in its own letter: ``W1`` 2×2 → ``w1_11 … w1_22``, ``X`` → ``x11``.

    A 1×1 matrix is its lower-case name; a column has one index; a name ending in a digit gets ``_``
    before the indices; beyond 9 rows or columns the indices are separated (``x_10_2``).

    >>> symbol_names('X', 2, 2), symbol_names('b1', 2, 1), symbol_names('W2', 1, 1)
    ([['x11', 'x12'], ['x21', 'x22']], [['b1_1'], ['b1_2']], [['w2']])
    """
    base = re.sub(r"[^a-z0-9_]", "", matrix.lower()) or "m"
    if not base[0].isalpha():
        base = "m" + base
    if rows == cols == 1:
        return [[base]]
    sep = "_" if base[-1].isdigit() else ""
    wide = rows > 9 or cols > 9

    def name(i: int, j: int) -> str:
        idx = (f"{i + 1}" if cols == 1 else f"{i + 1}_{j + 1}" if wide else f"{i + 1}{j + 1}")
        return f"{base}{'_' if wide else sep}{idx}"[:MAX_NAME]

    return [[name(i, j) for j in range(cols)] for i in range(rows)]


def symbolize(inputs: dict, which=None) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Replace the matrices ``which`` (default: all) of an example by symbols in their own letter.

    Returns the symbolic inputs and the values of their symbols, so that building a block from the
    first and calling ``wt.substitute(values)`` gives the walkthrough of ``inputs``.

    >>> sym, values = symbolize({'X': [[1, 2]], 'W': [[3]]}, ['X'])
    >>> sym['X'].tolist(), sym['W'].tolist(), values
    ([[x11, x12]], [[3]], {'x11': 1, 'x12': 2})
    """
    chosen = set(inputs if which is None else which)
    out, values = {}, {}
    for name, data in inputs.items():
        m = as_matrix(name, data)
        if name in chosen:
            names = symbol_names(name, *m.shape)
            for (i, j), v in np.ndenumerate(m):
                values[names[i][j]] = v
            m = np.array([[symbol(n) for n in row] for row in names], dtype=object)
        out[name] = m
    check_names(out)
    return out, values


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def compact_name(name: str) -> str:
    """A symbol's name as written by hand: its last digits as a subscript.

    >>> compact_name('w11'), compact_name('x_1'), compact_name('w1_23'), compact_name('b')
    ('w₁₁', 'x₁', 'w1₂₃', 'b')
    >>> compact_name('w1_1_23')  # cell (2, 3) of conv's kernel w1_1
    'w1_1₂₃'
    """
    m = re.fullmatch(r"(.*?[A-Za-z][A-Za-z0-9_]*?)_?(\d+)", name)
    if m is None or not m[1]:
        return name
    return m[1] + m[2].translate(_SUB)


class _Printer(StrPrinter):
    """sympy's str printer written by hand: subscripts (``w₁₁``), ``x²``, ``√2``, ``max(0, e)`` for ReLU
    and ``[e > 0]`` for ReLU′ (Heaviside); products keep ``*`` for ``show`` to make them ``·``."""

    def _print_Symbol(self, expr):
        return compact_name(expr.name)

    _print_Dummy = _print_Symbol

    def _print_Max(self, expr):
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Heaviside(self, expr):
        return f"[{self._print(expr.args[0])} > 0]"

    def _print_Pow(self, expr, rational=False):
        base, e = expr.args
        if e == sympy.S.Half:
            inner = self._print(base)
            return f"√{inner}" if base.is_Atom else f"√({inner})"
        if e.is_Integer and 1 < e <= 99:
            return self.parenthesize(base, 60) + str(int(e)).translate(_SUP)  # 60: tighter than a product
        return super()._print_Pow(expr, rational)


_PRINTER = _Printer({"order": None})


def show(v, minus: str = "\u2212") -> str:
    """A symbolic cell written compactly by hand: ``w₁₁·x₁ + b₁``, ``x²``, ``√2``, ``−`` for minus.

    >>> show(parse_expression('w11*x1 + b1 - c^2/2'))
    'b₁ − c²/2 + w₁₁·x₁'
    >>> show(sympy.sqrt(2) * symbol('a') / 2), show(relu(symbol('a') - 1))
    ('√2·a/2', 'max(0, a − 1)')
    """
    s = _PRINTER.doprint(v)
    return s.replace("**", "^").replace("*", "\u00b7").replace("-", minus)


def _tex_symbol(name: str) -> str:
    r"""A name in TeX: ``w11`` → ``w_{11}``, ``x_1`` → ``x_{1}``, ``w1_23`` (W1's cell) → ``w^{(1)}_{23}``,
    ``delta1`` → ``\delta_{1}``.

    >>> _tex_symbol('w1_23'), _tex_symbol('delta1'), _tex_symbol('ab')
    ('w^{(1)}_{23}', '\\delta_{1}', 'ab')
    """
    m = re.fullmatch(r"([A-Za-z]+)(\d*)(?:_(\d+))?", name)
    if m is None or not (m[2] or m[3]):
        return sympy.latex(sympy.Symbol(name))
    letters = sympy.latex(sympy.Symbol(m[1]))
    if m[3] is None:
        return f"{letters}_{{{m[2]}}}"
    return f"{letters}^{{({m[2]})}}_{{{m[3]}}}" if m[2] else f"{letters}_{{{m[3]}}}"


def latex(v) -> str:
    r"""A symbolic cell in LaTeX (``sympy.latex``; ReLU′ as the indicator ``\mathbb{1}[e > 0]``).

    >>> latex(parse_expression('w11*x1 + b1'))
    'b_{1} + w_{11} \\cdot x_{1}'
    """
    v = sympy.sympify(v) if not isinstance(v, sympy.Basic) else v
    marks = {}

    def mark(e):
        marks[k := sympy.Dummy()] = e.args[0]
        return k

    v = v.replace(lambda e: isinstance(e, sympy.Heaviside), mark)
    names = {x: _tex_symbol(x.name) for x in v.free_symbols if isinstance(x, sympy.Symbol)}
    names.update({k: f"IVERSONMARK{i}" for i, k in enumerate(marks)})  # a name no symbol prints as
    s = sympy.latex(v, mul_symbol="dot", symbol_names=names)
    for k, e in marks.items():
        inner = sympy.latex(e, mul_symbol="dot", symbol_names=names)
        s = s.replace(names[k], rf"\mathbb{{1}}[{inner} > 0]")
    return s.replace(r"\max", r"\operatorname{max}")


# ---- the ops' symbolic maths -------------------------------------------------------------------------

def relu(e):
    """ReLU of one cell: a number as usual; ``e`` or 0 when e's sign is known; ``max(0, e)`` otherwise."""
    if not isinstance(e, sympy.Basic) or e.is_Number:
        return to_number(e) if e > 0 else 0
    if e.is_nonnegative:
        return e
    if e.is_nonpositive:
        return sympy.Integer(0)
    return sympy.Max(0, e, evaluate=False)


def relu_slope(e):
    """ReLU′ of one cell: 1 where e > 0, else 0 (ReLU′(0) = 0, as PyTorch); ``[e > 0]`` (Heaviside(e, 0))
    for an expression of unknown sign."""
    if not isinstance(e, sympy.Basic) or e.is_Number:
        return 1 if e > 0 else 0
    if e.is_positive:
        return 1
    if e.is_nonpositive:
        return 0
    return sympy.Heaviside(e, 0)


def softmax_column(col, scale=1):
    """softmax of one column exactly: ``exp(s·x_i) / Σ_k exp(s·x_k)``."""
    es = [sympy.exp(sympy.nsimplify(scale) * x if isinstance(scale, float) else scale * x) for x in col]
    total = sympy.Add(*es)
    return [e / total for e in es]


def layer_norm_column(col, gamma, beta, eps):
    """LayerNorm of one column exactly: ``(x_i − μ) / √(σ² + ε) · γ_i + β_i`` with the square root kept."""
    n = len(col)
    mu = sympy.Add(*col) / n
    var = sympy.Add(*[(x - mu) ** 2 for x in col]) / n
    root = sympy.sqrt(var + exact_number(eps))
    return [(x - mu) / root * exact_number(g) + exact_number(b) for x, g, b in zip(col, gamma, beta)]


def exact_number(x):
    """A constant (ε, γ, β) as a sympy number, a float as the rational its decimal text says: 1e-05 →
    1/100000; a sympy expression as itself."""
    if isinstance(x, (float, np.floating)):
        x = Fraction(repr(float(x)))  # the shortest decimal that gives this float
    if isinstance(x, (int, np.integer, Fraction)):
        x = Fraction(x)
        return sympy.Rational(x.numerator, x.denominator)
    return x


# ---- answers: a learner's expression checked by equivalence ------------------------------------------

MAX_ANSWER = 600  # longest answer text (a whole cell of a Jacobian fits)
_SIMPLIFY_OPS = 120  # simplify only a difference this small; larger ones go to the spot check
_SPOT_CHECKS = 12  # random points of the numeric spot check


@lru_cache(maxsize=1024)
def read_answer(text: str):
    """A learner's typed answer: a number or an expression, with the functions of ``FUNCTIONS``;
    ValueError saying what is wrong. Read once per text (a check and a diagnosis read the same answers).

    >>> read_answer('b1 + x1*w11') == read_answer('w11*x1 + b1')
    True
    """
    return to_number(parse_expression(text, functions=True, max_text=MAX_ANSWER))


def equivalent(a, b, seed: int = 0) -> bool:
    """Whether two values are the same expression: ``simplify(a − b) == 0``, with a numeric spot check
    at random rational points as the fallback (for what simplify cannot decide, or is too big for).
    The points are looked at first, exactly (``_look``): values that differ at one are different, values
    equal at all of them are what the spot check would accept, in milliseconds where expand and simplify
    take seconds on ``max``; only the rest go to simplify.

    >>> x, y = symbol('x'), symbol('y')
    >>> equivalent((x + y) ** 2, x**2 + 2*x*y + y**2), equivalent(sympy.Max(0, 2*x + 2), 2*relu(x + 1))
    (True, True)
    >>> equivalent(x * y, x + y)
    False
    """
    return _equivalent(_sym(a), _sym(b), seed)


@lru_cache(maxsize=4096)
def _equivalent(a: sympy.Basic, b: sympy.Basic, seed: int) -> bool:
    import random

    names = sorted(a.free_symbols | b.free_symbols, key=lambda v: v.name)  # cancelled ones too
    rng = random.Random(seed)
    points = [{v: Fraction(rng.randint(-30, 30), rng.randint(1, 7)) for v in names}
              for _ in range(_SPOT_CHECKS if names else 1)]
    looks = []  # exact values at the points: what the spot check would say, in milliseconds
    for p in points:
        looks.append(_look(a, b, p))
        if looks[-1] == "apart":
            return False
    if all(k == "same" for k in looks):
        return True
    diff = sympy.expand(a - b)
    if diff == 0:
        return True
    if sympy.count_ops(diff) <= _SIMPLIFY_OPS and sympy.simplify(diff) == 0:
        return True
    for point in points:
        exact = {v: sympy.Rational(q.numerator, q.denominator) for v, q in point.items()}
        try:
            u, w = complex(a.xreplace(exact).evalf(30)), complex(b.xreplace(exact).evalf(30))
        except (TypeError, ValueError, OverflowError):
            return False
        if not abs(u - w) <= 1e-9 * max(1.0, abs(u), abs(w)):
            return False
    return True


def _look(a, b, point: dict) -> str:
    """Two values at a point (symbol → Fraction): ``same`` (equal exactly while rational, within the spot
    check's 1e-9 otherwise), ``apart`` (unequal exactly, or by more than a millionth), or ``unsure``
    (in between, or where either cannot be worked out there by ``_value_at``)."""
    try:
        u, w = _value_at(a, point), _value_at(b, point)
        if isinstance(u, Fraction) and isinstance(w, Fraction):
            return "same" if u == w else "apart"
        u, w = float(u), float(w)
    except (ArithmeticError, ValueError, TypeError, KeyError, RecursionError):
        return "unsure"
    if not (math.isfinite(u) and math.isfinite(w)):
        return "unsure"
    gap, scale = abs(u - w), max(1.0, abs(u), abs(w))
    return "same" if gap <= 1e-9 * scale else "apart" if gap > 1e-6 * scale else "unsure"


def _value_at(e: sympy.Basic, point: dict):
    """An expression's value at a point: a Fraction while it stays rational, else a float. Raises
    (TypeError for a function it does not know, ArithmeticError, ValueError) where it has none there."""
    if not e.args:
        if e.is_Symbol:
            return point[e]
        if e.is_Rational:
            return Fraction(int(e.p), int(e.q))
        return float(e)  # E, pi, a Float
    args = [_value_at(x, point) for x in e.args]
    if e.is_Add:
        return sum(args[1:], args[0])
    if e.is_Mul:
        out = args[0]
        for x in args[1:]:
            out *= x
        return out
    if e.is_Pow:
        base, power = args
        if isinstance(power, Fraction) and power.denominator == 1:
            if abs(power) > 4 * MAX_DEGREE:  # no such power in an answer or a block: not worked out here
                raise ValueError("a power too large to work out")
            return base ** int(power)
        if base < 0:
            raise ValueError("a root of a negative number")
        return float(base) ** float(power)
    if isinstance(e, (sympy.Max, sympy.Min)):
        return (max if isinstance(e, sympy.Max) else min)(args)
    if isinstance(e, sympy.exp):
        return math.exp(float(args[0]))
    if isinstance(e, sympy.Heaviside) and len(args) == 2:
        return Fraction(1) if args[0] > 0 else Fraction(0) if args[0] < 0 else args[1]
    if isinstance(e, sympy.Abs):
        return abs(args[0])
    raise TypeError(f"no value at a point for {type(e).__name__}")


def _sym(v):
    """A number or an expression as a sympy value."""
    return exact_number(v) if not isinstance(v, sympy.Basic) else v


# ---- substitution ------------------------------------------------------------------------------------

def _value(v):
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    if isinstance(v, (bool, np.bool_)):
        raise TypeError
    if isinstance(v, (int, np.integer)):
        return sympy.Integer(int(v))
    if isinstance(v, (float, np.floating)):
        return sympy.Float(float(v))
    raise TypeError


def substitute(m: np.ndarray, table: dict, exact: bool = True) -> np.ndarray:
    """The matrix ``m`` with each symbol replaced by its value (``table`` from ``value_table``).

    A cell that becomes a number is an int or a Fraction when rational (``exact``), a float
    otherwise (``exp(1)``); a cell with names left keeps them. ``exact=False`` gives a float64 matrix
    (every cell must then become a number).
    """
    out = np.empty(m.shape, dtype=object)
    for idx, v in np.ndenumerate(m):
        if isinstance(v, sympy.Basic):
            v = v.xreplace(table)
            if v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
                raise ValueError(f"a cell divides by zero ({show(v)})")
            v = to_number(v)
        out[idx] = v
    return out if exact else np.asarray(out, dtype=float)


def value_table(values: dict) -> dict:
    """``{name: value}`` checked (names of the grammar, values numbers) as ``{Symbol: sympy number}``."""
    out = {}
    for k, v in values.items():
        if not isinstance(k, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", k) or len(k) > MAX_NAME:
            raise ByHandError(f"{k!r} is not a name: a letter, then letters, digits or _ "
                              f"(at most {MAX_NAME} characters).", str(k))
        try:
            out[symbol(k)] = _value(v)
        except TypeError:
            raise ByHandError(f"{k} = {v!r}: a value must be a number (int, Fraction or float).", k) from None
    return out
