"""Element-wise operations: each op owns its maths, its words and its spreadsheet formula.

An op follows a multiply (``ReLU(W·X + b)``) or stands alone (softmax, LayerNorm). Like a
micrograd ``Value`` op, everything about one op sits in one class: ``apply`` (exact where the
maths allows), ``label`` and ``latex``, the practice ``hint``, the spreadsheet ``formula`` and
whether exact numbers stay exact. A new op is one new class here; no renderer changes.

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

from .numbers import fmt, tidy

__all__ = ["Op", "Identity", "ReLU", "ReLUPrime", "GELU", "Softmax", "LayerNorm", "Scale", "NONE", "RELU",
           "RELU_PRIME", "GELU_OP", "spreadsheet_number"]


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

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Op):
    """No op: the product is the step's result."""


class ReLU(Op):
    """max(x, 0) cell by cell; exact values stay exact."""

    name, label = "relu", "ReLU"

    def apply(self, m):
        return tidy(np.where(np.asarray(m, dtype=float) > 0, m, 0 * m))

    @property
    def latex(self) -> str:
        return r"\mathrm{ReLU}"

    def zeroed(self, m):
        return np.asarray(m, dtype=float) < 0

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
        x = np.asarray(m, dtype=float)
        out = (x > 0).astype(int)
        return out.astype(object) if np.asarray(m).dtype == object else out.astype(float)

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


class GELU(Op):
    """x·Φ(x) with the exact normal CDF, as ``torch.nn.functional.gelu`` (floats)."""

    name, label = "gelu", "GELU"

    @property
    def exact(self) -> bool:
        return False

    def apply(self, m):
        x = np.asarray(m, dtype=float)
        return x * 0.5 * (1.0 + np.vectorize(math.erf, otypes=[float])(x / math.sqrt(2.0)))

    @property
    def latex(self) -> str:
        return r"\mathrm{GELU}"

    def hint(self, x_name, i, j, x, decimals=3):
        return f"GELU(x) = x·Φ(x), Φ the normal CDF, for x = {x_name}, row {i + 1}, column {j + 1} ({x})."

    def formula(self, x, column, i):
        return f"={x}*(1+ERF({x}/SQRT(2)))/2"


class Softmax(Op):
    """softmax(scale·x) down each column, so that every column sums to 1 (floats)."""

    name, label, whole_column = "softmax", "softmax (each column)", True

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    @property
    def exact(self) -> bool:
        return False

    def apply(self, m):
        x = np.asarray(m, dtype=float) * self.scale
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
        x = np.asarray(m, dtype=float)
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
        return tidy(m * self.scale) if self.exact else np.asarray(m, dtype=float) * self.scale

    @property
    def latex(self) -> str:
        s = re.sub(r"(\d+)/√(\d+)", r"\\tfrac{\1}{\\sqrt{\2}}", self.label)
        s = re.sub(r"(\d+)/(\d+)", r"\\tfrac{\1}{\2}", s)
        return re.sub(r"\s+", " ", s.replace("×", r"\times ").replace("√", r"\surd ")).strip()

    def hint(self, x_name, i, j, x, decimals=3):
        return f"Multiply {x_name}, row {i + 1}, column {j + 1} ({x}) by {fmt(self.scale, decimals)}."

    def formula(self, x, column, i):
        return f"={x}*{spreadsheet_number(self.scale)}"


NONE = Identity()
RELU = ReLU()
RELU_PRIME = ReLUPrime()
GELU_OP = GELU()
