"""Element-wise operations: each op owns its maths, its words and its spreadsheet formula.

An op follows a multiply (``ReLU(W·X + b)``) or stands alone (softmax, LayerNorm). Like a
micrograd ``Value`` op, everything about one op sits in one class: ``apply`` (exact where the
maths allows), ``label`` and ``latex``, the practice ``hint``, the spreadsheet ``formula`` and
whether exact numbers stay exact. A new op is one new class here; no renderer changes.

Symbolic cells (sympy expressions, ``byhand.symbols``) take each op's exact symbolic path: ReLU of an
expression of unknown sign stays ``max(0, e)``, ReLU′ stays ``[e > 0]``, softmax is a ratio of ``exp``,
LayerNorm keeps its square root. The number paths are untried-first and unchanged: a symbolic cell is
noticed by the ``TypeError`` of its conversion to float, so numbers never pay for symbols.

>>> RELU.apply(np.array([[Fraction(-1, 2), 3]], dtype=object)).tolist()
[[0, 3]]
>>> RELU.formula("B4", "B4:B6", 0)
'=IF(B4>0,B4,0)'
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np

from .numbers import fmt, is_symbolic, tidy

__all__ = ["Op", "Identity", "ReLU", "ReLUPrime", "GELU", "Tanh", "Sigmoid", "Softmax", "LayerNorm", "Scale",
           "NONE", "RELU", "RELU_PRIME", "GELU_OP", "TANH", "SIGMOID", "spreadsheet_number"]


def spreadsheet_number(x) -> str:
    """A constant written into a spreadsheet formula: ``(1/3)`` stays exact, floats in full."""
    if isinstance(x, Fraction):
        return f"({x.numerator}/{x.denominator})"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return repr(float(x))


class Op:
    """The identity op: the base class every op overrides (``name`` says which op it is)."""

    name = "none"
    label = ""
    whole_column = False  # True when a result cell depends on its whole column (softmax, LayerNorm)

    @property
    def exact(self) -> bool:
        """Whether exact inputs give exact outputs."""
        return True

    def apply(self, m: np.ndarray) -> np.ndarray:
        return m

    @property
    def latex(self) -> str:
        return rf"\text{{{self.label}}}"

    def hint(self, x_name: str, i: int, j: int, x: str, decimals: int = 3) -> str:
        """How to work out result cell (i, j) from cell (i, j) of ``x_name`` (shown as ``x``)."""
        return f"Copy {x_name}, row {i + 1}, column {j + 1}."

    def formula(self, x: str, column: str | None, i: int) -> str | None:
        """The spreadsheet formula of result cell (i, ·) from its input cell ``x`` and its column's
        range ``column`` (None when the column is not one contiguous range)."""
        return f"={x}"

    def detail(self, src: str, out: str) -> str:
        """The tooltip of a result cell: ``ReLU of −2 = 0``."""
        return f"{self.label} of {src} = {out}"

    def zeroed(self, m: np.ndarray) -> np.ndarray:
        """Which cells the op sets to 0 from a value that was not 0 (drawn struck out by hand)."""
        return np.zeros(np.shape(m), dtype=bool)

    def symbolic_note(self, result: np.ndarray) -> str:
        """What a step must say about its symbolic result (``max(0, e)`` left standing), or ""."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Op):
    """No op: the product is the step's result."""


class ReLU(Op):
    """max(x, 0) cell by cell; exact values stay exact."""

    name, label = "relu", "ReLU"

    def apply(self, m):
        try:
            return tidy(np.where(_floats(m) > 0, m, 0 * m))
        except TypeError:  # a symbolic cell: max(0, e) where e's sign is unknown
            from .symbols import relu

            return _cellwise(relu, m)

    @property
    def latex(self) -> str:
        return r"\mathrm{ReLU}"

    def zeroed(self, m):
        try:
            return _floats(m) < 0
        except TypeError:
            return np.vectorize(lambda v: bool(v.is_negative) if hasattr(v, "is_negative") else v < 0,
                                otypes=[bool])(m)

    def symbolic_note(self, result):
        if not any(type(v).__name__ == "Max" for v in np.ravel(result)):
            return ""
        return ("ReLU of a cell whose sign depends on the symbols stays max(0, e): it is e where e > 0 "
                "and 0 otherwise.")

    def hint(self, x_name, i, j, x, decimals=3):
        return (f"ReLU keeps a positive number and turns a negative one into 0: look at {x_name}, "
                f"row {i + 1}, column {j + 1} ({x}).")

    def formula(self, x, column, i):
        return f"=IF({x}>0,{x},0)"


class ReLUPrime(Op):
    """ReLU′, the slope of ReLU, cell by cell: 1 where x > 0, else 0 (ReLU′(0) = 0, as PyTorch).

    Applied to ``diag(z)`` it builds ``D = diag(ReLU′(z))``: the zeros off the diagonal stay 0.

    >>> RELU_PRIME.apply(np.array([[-1, 0], [0, Fraction(1, 2)]], dtype=object)).tolist()
    [[0, 0], [0, 1]]
    >>> RELU_PRIME.formula("C7", None, 0)
    '=IF(C7>0,1,0)'
    """

    name, label = "relu_prime", "ReLU′"

    def apply(self, m):
        try:
            x = _floats(m)
        except TypeError:  # a symbolic cell: [e > 0] where e's sign is unknown
            from .symbols import relu_slope

            return _cellwise(relu_slope, m)
        out = (x > 0).astype(int)
        return out.astype(object) if np.asarray(m).dtype == object else out.astype(float)

    def symbolic_note(self, result):
        if not any(type(v).__name__ == "Heaviside" for v in np.ravel(result)):
            return ""
        return ("ReLU′ of a cell whose sign depends on the symbols stays [e > 0]: 1 where e > 0 and 0 "
                "otherwise (also at e = 0, as PyTorch).")

    @property
    def latex(self) -> str:
        return r"\mathrm{ReLU}'"

    def hint(self, x_name, i, j, x, decimals=3):
        return (f"ReLU′ is ReLU's slope: 1 where the number is positive, 0 where it is negative or exactly 0 "
                f"(as PyTorch): look at {x_name}, row {i + 1}, column {j + 1} ({x}).")

    def formula(self, x, column, i):
        return f"=IF({x}>0,1,0)"

    def detail(self, src, out):
        return f"slope of ReLU at {src} = {out}"


class _FloatActivation(Op):
    """An activation worked out in floats cell by cell, as PyTorch's; a symbolic cell gets its exact form.

    A subclass gives ``numeric`` (of a float array), ``symbolic`` (of one sympy cell), ``rule`` (how to
    work out one cell, for the hint), ``latex`` and ``formula``."""

    rule = ""

    @property
    def exact(self) -> bool:
        return False

    def numeric(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def symbolic(self, e):
        raise NotImplementedError

    def apply(self, m):
        try:
            x = _floats(m)
        except TypeError:  # a symbolic cell
            return _cellwise(self.symbolic, m)
        return self.numeric(x)

    def hint(self, x_name, i, j, x, decimals=3):
        return f"{self.rule}, for x = {x_name}, row {i + 1}, column {j + 1} ({x})."


class GELU(_FloatActivation):
    """x·Φ(x) with the exact normal CDF, as ``torch.nn.functional.gelu`` (floats)."""

    name, label, latex = "gelu", "GELU", r"\mathrm{GELU}"
    rule = "GELU(x) = x·Φ(x), Φ the normal CDF"

    def numeric(self, x):
        return x * 0.5 * (1.0 + np.vectorize(math.erf, otypes=[float])(x / math.sqrt(2.0)))

    def symbolic(self, e):
        import sympy

        return e * (1 + sympy.erf(e / sympy.sqrt(2))) / 2

    def formula(self, x, column, i):
        return f"={x}*(1+ERF({x}/SQRT(2)))/2"


class Tanh(_FloatActivation):
    """tanh cell by cell (floats), as ``torch.tanh``."""

    name, label, latex = "tanh", "tanh", r"\tanh"
    rule = "tanh(x) = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ), between −1 and 1"

    def numeric(self, x):
        return np.tanh(x)

    def symbolic(self, e):
        import sympy

        return sympy.tanh(e)

    def formula(self, x, column, i):
        return f"=TANH({x})"


class Sigmoid(_FloatActivation):
    """The logistic sigmoid 1/(1 + e⁻ˣ) cell by cell (floats), as ``torch.sigmoid``."""

    name, label, latex = "sigmoid", "sigmoid", r"\sigma"
    rule = "sigmoid(x) = 1/(1 + e⁻ˣ), between 0 and 1"

    def numeric(self, x):
        return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1/(1 + e^−x), without overflow for large |x|

    def symbolic(self, e):
        import sympy

        return 1 / (1 + sympy.exp(-e))

    def formula(self, x, column, i):
        return f"=1/(1+EXP(-{x}))"


class Softmax(Op):
    """softmax(scale·x) down each column, so that every column sums to 1 (floats).

    ``symbolic=True`` (or a symbolic cell) gives exact ``exp`` expressions: ``exp(x_i) / Σ exp(x_k)``.
    """

    name, label, whole_column = "softmax", "softmax (each column)", True

    def __init__(self, scale: float = 1.0, symbolic: bool = False):
        self.scale, self.symbolic = scale, symbolic

    @property
    def exact(self) -> bool:
        return self.symbolic

    def apply(self, m):
        try:
            if self.symbolic:
                raise TypeError("exact exp expressions asked for")
            x = _floats(m) * self.scale
        except TypeError:
            from .symbols import softmax_column

            return _columnwise(lambda col: softmax_column(col, self.scale), m)
        e = np.exp(x - x.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    def hint(self, x_name, i, j, x, decimals=3):
        return (f"Softmax down column {j + 1} of {x_name}: e^x of this cell divided by the sum of e^x "
                "over the whole column.")

    def formula(self, x, column, i):
        if column is None:
            return None
        k = "" if self.scale == 1 else f"*{spreadsheet_number(self.scale)}"
        top = f"MAX({column}){k}"  # subtracted, as the engine does, so that EXP never overflows
        return f"=EXP({x}{k}-{top})/SUMPRODUCT(EXP({column}{k}-{top}))"

    def detail(self, src, out):
        return f"{self.label}: {out}"


class LayerNorm(Op):
    """Normalise each column (one position's features) to mean 0, variance 1, then γ·x + β."""

    name, label, whole_column = "layernorm", "LayerNorm (each column)", True

    def __init__(self, gamma, beta, eps: float):
        self.gamma = np.asarray(gamma, dtype=float).reshape(-1)
        self.beta = np.asarray(beta, dtype=float).reshape(-1)
        self.eps = float(eps)

    @property
    def exact(self) -> bool:
        return False

    def apply(self, m):
        try:
            x = _floats(m)
        except TypeError:  # a symbolic cell: μ, σ² and the square root kept exact
            from .symbols import layer_norm_column

            return _columnwise(lambda col: layer_norm_column(col, self.gamma, self.beta, self.eps), m)
        mu, var = x.mean(axis=0, keepdims=True), x.var(axis=0, keepdims=True)
        return (x - mu) / np.sqrt(var + self.eps) * self.gamma.reshape(-1, 1) + self.beta.reshape(-1, 1)

    def hint(self, x_name, i, j, x, decimals=3):
        return (f"LayerNorm of column {j + 1} of {x_name}: subtract the column's mean, divide by "
                "√(variance + ε), then multiply by γ and add β for this row.")

    def formula(self, x, column, i):
        if column is None:
            return None
        n = spreadsheet_number
        return (f"=({x}-AVERAGE({column}))/SQRT(VARP({column})+{n(self.eps)})"
                f"*{n(float(self.gamma[i]))}+{n(float(self.beta[i]))}")

    def detail(self, src, out):
        return f"{self.label}: {out}"


class Scale(Op):
    """Multiply every cell by one number (``× 1/√d_k``); exact for an exact factor."""

    name = "scale"

    def __init__(self, scale, label: str):
        self.scale, self.label = scale, label

    @property
    def exact(self) -> bool:
        return not isinstance(self.scale, float)

    def apply(self, m):
        if self.exact:
            return tidy(m * self.scale)
        try:
            return _floats(m) * self.scale
        except TypeError:  # a symbolic cell keeps its expression, times the float
            return m * self.scale

    @property
    def latex(self) -> str:
        s = re.sub(r"(\d+)/√(\d+)", r"\\tfrac{\1}{\\sqrt{\2}}", self.label)
        s = re.sub(r"(\d+)/(\d+)", r"\\tfrac{\1}{\2}", s)
        return re.sub(r"\s+", " ", s.replace("×", r"\times ").replace("√", r"\surd ")).strip()

    def hint(self, x_name, i, j, x, decimals=3):
        return f"Multiply {x_name}, row {i + 1}, column {j + 1} ({x}) by {fmt(self.scale, decimals)}."

    def formula(self, x, column, i):
        return f"={x}*{spreadsheet_number(self.scale)}"


def _floats(m) -> np.ndarray:
    """``m`` as floats; TypeError at once when a cell is symbolic (``float()`` of an expression first
    evaluates it numerically: seconds for a TransformerEncoderLayer's LayerNorm cells, before it fails)."""
    a = np.asarray(m)
    if a.dtype == object and is_symbolic(a):
        raise TypeError("a symbolic cell")
    return a.astype(float)


def _cellwise(f, m: np.ndarray) -> np.ndarray:
    """``f`` of every cell, in an object array (the symbolic paths)."""
    out = np.empty(np.shape(m), dtype=object)
    for idx, v in np.ndenumerate(m):
        out[idx] = f(v)
    return out


def _columnwise(f, m: np.ndarray) -> np.ndarray:
    """``f`` of every column (a list of cells → a list of cells), in an object array."""
    out = np.empty(np.shape(m), dtype=object)
    for j in range(out.shape[1]):
        out[:, j] = f(list(m[:, j]))
    return out


NONE = Identity()
RELU = ReLU()
RELU_PRIME = ReLUPrime()
GELU_OP = GELU()
TANH = Tanh()
SIGMOID = Sigmoid()
