"""The one data model every renderer consumes: a Walkthrough of Steps."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .numbers import fmt, tidy
from .stacked import Stacked, multiply

__all__ = ["Op", "Step", "Walkthrough", "NONE", "RELU", "GELU", "softmax_op", "layernorm_op",
           "scale_op", "dot_product_text"]


def relu(m: np.ndarray) -> np.ndarray:
    """max(x, 0) cell by cell; exact values stay exact."""
    return tidy(np.where(np.asarray(m, dtype=float) > 0, m, 0 * m))


def gelu(m: np.ndarray) -> np.ndarray:
    """x·Φ(x) with the exact normal CDF, as ``torch.nn.functional.gelu``."""
    x = np.asarray(m, dtype=float)
    return x * 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def softmax_columns(m: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """softmax(scale·m) down each column, so that every column sums to 1 (floats)."""
    x = np.asarray(m, dtype=float) * scale
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def layernorm_columns(m: np.ndarray, gamma, beta, eps: float) -> np.ndarray:
    """Normalise each column (one position's features) to mean 0, variance 1, then γ·x + β."""
    x = np.asarray(m, dtype=float)
    mu = x.mean(axis=0, keepdims=True)
    var = x.var(axis=0, keepdims=True)
    g = np.asarray(gamma, dtype=float).reshape(-1, 1)
    b = np.asarray(beta, dtype=float).reshape(-1, 1)
    return (x - mu) / np.sqrt(var + eps) * g + b


@dataclass(frozen=True, eq=False)
class Op:
    """The element-wise operation that follows a multiply (or stands alone).

    ``name`` is one of none, relu, gelu, softmax, layernorm, scale; ``params`` holds
    ``scale`` (softmax, scale) or ``gamma``, ``beta``, ``eps`` (layernorm).
    """

    name: str
    label: str
    params: dict = field(default_factory=dict)

    @property
    def exact(self) -> bool:
        """Whether exact inputs give exact outputs."""
        return self.name in ("none", "relu") or (
            self.name == "scale" and not isinstance(self.params["scale"], float))

    def apply(self, m: np.ndarray) -> np.ndarray:
        if self.name == "none":
            return m
        if self.name == "relu":
            return relu(m)
        if self.name == "gelu":
            return gelu(m)
        if self.name == "softmax":
            return softmax_columns(m, self.params.get("scale", 1.0))
        if self.name == "layernorm":
            return layernorm_columns(m, self.params["gamma"], self.params["beta"], self.params["eps"])
        if self.name == "scale":
            s = self.params["scale"]
            return tidy(m * s) if self.exact else np.asarray(m, dtype=float) * s
        raise ValueError(f"unknown op {self.name}")


NONE = Op("none", "")
RELU = Op("relu", "ReLU")
GELU = Op("gelu", "GELU")


def softmax_op(scale: float = 1.0) -> Op:
    """Softmax down each column (positions' weights sum to 1)."""
    return Op("softmax", "softmax (each column)", {"scale": scale})


def layernorm_op(gamma, beta, eps: float) -> Op:
    """LayerNorm over the features of each column."""
    return Op("layernorm", "LayerNorm (each column)", {"gamma": gamma, "beta": beta, "eps": eps})


def scale_op(scale, label: str) -> Op:
    """Multiply every cell by a number (e.g. 1/√d_k)."""
    return Op("scale", label, {"scale": scale})


@dataclass(frozen=True, eq=False)
class Step:
    """One step by hand: ``left · right = product``, then ``op`` gives ``result`` (named ``name``).

    A step that only shows the inputs has neither operands nor product; a step that only
    arranges the stacked operands has no product and no result; an element-wise step
    (softmax, LayerNorm) has a product (its input, named ``product_name``) but no operands.
    ``data_side`` says which operand holds the data being mixed: ``"right"`` for a linear
    layer (it combines features, across rows), ``"left"`` for attention ``X·A`` (it combines
    positions, across columns).
    """

    title: str
    caption: str
    name: str
    left: Stacked | None = None
    right: Stacked | None = None
    product: np.ndarray | None = None
    product_name: str = ""
    op: Op = NONE
    result: np.ndarray | None = None
    data_side: str | None = None
    note: str = ""

    @property
    def is_multiply(self) -> bool:
        return self.left is not None and self.right is not None and self.product is not None

    @property
    def exact(self) -> bool:
        m = self.result if self.result is not None else self.product
        return m is not None and m.dtype == object


def multiply_step(title: str, caption: str, name: str, left: Stacked, right: Stacked,
                  product_name: str, op: Op = NONE, data_side: str = "right") -> Step:
    """A step ``op(left · right)``, with a note when the op leaves the exact numbers."""
    product = multiply(left, right)
    result = op.apply(product)
    note = ""
    if product.dtype == object and result.dtype != object:
        note = f"{op.label} leaves the fractions: decimals from here on."
    return Step(title, caption, name, left, right, product, product_name, op, result,
                data_side, note)


def op_step(title: str, caption: str, name: str, x: np.ndarray, x_name: str, op: Op) -> Step:
    """A step that applies ``op`` alone to the matrix ``x_name``."""
    result = op.apply(x)
    note = f"{op.label} leaves the fractions: decimals from here on." if (
        x.dtype == object and result.dtype != object) else ""
    return Step(title, caption, name, product=x, product_name=x_name, op=op, result=result,
                note=note)


@dataclass(frozen=True, eq=False)
class Walkthrough:
    """A block worked by hand: its given matrices, its steps in order and its output."""

    block: str
    title: str
    inputs: dict[str, np.ndarray]
    steps: tuple[Step, ...]
    output: np.ndarray
    exact: bool
    params: dict = field(default_factory=dict)

    @property
    def matrices(self) -> dict[str, np.ndarray]:
        """Every named matrix: the inputs and each step's result, by name."""
        out = dict(self.inputs)
        for s in self.steps:
            if s.result is not None:
                out.setdefault(s.name, s.result)
        return out


def dot_product_text(step: Step, i: int, j: int, decimals: int = 3) -> str:
    """Cell (i, j) of a multiply written out: ``1·2 + 0·4 + (−1)·1 = 1``.

    >>> from byhand.stacked import hstack, vstack, part
    >>> L = hstack(part('W', np.array([[1, 0, -1]], dtype=object)))
    >>> R = vstack(part('X', np.array([[2], [4], [1]], dtype=object)))
    >>> dot_product_text(multiply_step('t', 'c', 'P', L, R, 'W·X'), 0, 0)
    '1·2 + 0·4 + (−1)·1 = 1'
    """
    if not step.is_multiply:
        raise ValueError(f"step {step.title!r} is not a multiply")
    row, col = step.left.values[i, :], step.right.values[:, j]

    def term(v) -> str:
        s = fmt(v, decimals)
        return f"({s})" if s.startswith("\u2212") or "/" in s else s

    terms = " + ".join(f"{term(a)}·{term(b)}" for a, b in zip(row, col))
    return f"{terms} = {fmt(step.product[i, j], decimals)}"
