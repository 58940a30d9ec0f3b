"""Named misconceptions: a wrong answer tested against the common mistakes, each one a walkthrough.

A mistake is never a list of wrong answers: it is **the same block built the wrong way** from the
exercise's own inputs — the biases left out, the skip left out, ReLU left out or taken too early,
a product's factors swapped or transposed, softmax or LayerNorm over the wrong axis, a convolution's
stride or padding off by one. ``diagnose`` compares each wrong cell with the same matrix cell of
every such walkthrough and names the mistakes whose walkthrough holds the learner's value there:

>>> from byhand.blocks.residual import residual_block
>>> from byhand.practice import make_exercise
>>> ex = make_exercise(residual_block([[2, -2, 1]], [[1]], [[1]], [[3]], [[-2]]))
>>> diagnose(ex, {(3, "result", 0, 0): "7"})   # Out is ReLU(X + F(X)) = 9; ReLU(F(X)) = 7
{(3, 'result', 0, 0): ['forgot_skip']}
>>> explain("forgot_skip").split(". ")[0]
'The skip adds X back: Out = ReLU(X + F(X)), not ReLU(F(X))'

A matrix is found in a wrong walkthrough by its step's name (``H``, ``Out``, ``A₁``) and region
(product or result), never by step index: a wrong walkthrough may have other steps. A feature map
of a convolution is matched pixel by pixel (channel, row, column), as a stride changes its width.
A mistake that the exercise's shapes do not allow (``A·X`` for a non-square X) simply does not apply.

A symbolic exercise (inputs such as ``w11``, ``x1``) is diagnosed the same way: its wrong walkthroughs
are built with the same symbols, and a typed expression (read by ByHand's own grammar, never by Python)
names a mistake when it is equivalent to that walkthrough's cell, as a check finds a right answer:

>>> from byhand.symbols import symbol
>>> x, w1, c1, w2, c2 = (symbol(n) for n in ("x", "w1", "c1", "w2", "c2"))
>>> ex = make_exercise(residual_block([[x]], [[w1]], [[c1]], [[w2]], [[c2]]))
>>> diagnose(ex, {(1, "product", 0, 0): "x*w1"})   # W1·X + b1 is w1·x + c1
{(1, 'product', 0, 0): ['forgot_bias']}

A mistake whose wrong op works on numbers only (LayerNorm of a row) does not apply to symbols.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from .blocks.attention import self_attention
from .blocks.conv import MAX_STRIDE, bottleneck_block, conv_block
from .blocks.encoder import encoder_block
from .blocks.jacobian import jacobian_walkthrough
from .blocks.residual import residual_block
from .blocks.transformer import transformer_layer
from .numbers import ByHandError
from .ops import NONE, RELU, LayerNorm, Softmax
from .walkthrough import Walkthrough

if TYPE_CHECKING:
    from .practice import Exercise

__all__ = ["Misconception", "MISCONCEPTIONS", "diagnose", "explain", "wrong_walkthroughs"]


# ---------------------------------------------------------------- the wrong ops


class _SoftmaxAcrossRows(Softmax):
    """Softmax along each row instead of down each column (the wrong axis); exact ``exp`` expressions
    for symbols, as the right softmax gives."""

    label = "softmax (each row)"

    def apply(self, m):
        return super().apply(np.asarray(m).T).T


class _LayerNormAcrossPositions(LayerNorm):
    """LayerNorm of each row (one feature over every position) instead of each column (numbers only:
    a symbolic cell raises TypeError, and the mistake does not apply)."""

    label = "LayerNorm (each row)"

    def apply(self, m):
        x = np.asarray(m, dtype=float)
        mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
        return (x - mu) / np.sqrt(var + self.eps) * self.gamma.reshape(-1, 1) + self.beta.reshape(-1, 1)


# ---------------------------------------------------------------- building a block again


def _zero(m) -> np.ndarray:
    """A matrix of zeros shaped like ``m``, in its number type (exact zeros stay exact)."""
    m = np.asarray(m)
    return np.zeros(m.shape, dtype=int).astype(m.dtype)


def _conv_kwargs(m: dict, p: dict) -> dict:
    """The keyword arguments of a conv or bottleneck block's builder, read back from its walkthrough's
    inputs ``m`` (x as C × H·W, kernels as rows, batch-norm statistics) and params ``p``."""
    kw = {"x": np.asarray(m["x"]).reshape(p["in_shape"]), "stride": p["stride"], "shortcut": p["shortcut"]}
    for name, shape in p["kernels"].items():  # W1, W2 (, W3), Ws
        i = name[1:]
        stats = np.asarray(m[f"bn{i} stats"])
        kw[f"w{i}"] = np.asarray(m[name]).reshape(shape)
        kw[f"bn{i}"] = tuple(stats[:, k] for k in range(4)) + (p["eps"][f"bn{i}"],)
    if p["kind"] == "basic":
        kw["padding"] = p["padding"]
    return kw


def _transformer(m: dict, p: dict, o: dict) -> Walkthrough:
    weights = {k: v for k, v in m.items() if k != "X"}
    layer = {k: p[k] for k in ("nhead", "norm_first", "activation", "eps")}
    return transformer_layer(m["X"], weights, **layer, **o)


def _jacobian(m: dict, p: dict, o: dict) -> Walkthrough:
    x, W1, b1, W2, b2, delta = (m[k] for k in ("x", "W1", "b1", "W2", "b2", "δ"))
    return jacobian_walkthrough(x, W1, b1, W2, b2, delta, **{"residual": p["residual"], **o})


# block name -> build(inputs, params, options): the block's builder called again
_REBUILD: dict[str, Callable[[dict, dict, dict], Walkthrough]] = {
    "residual": lambda m, p, o: residual_block(**m, **{"residual": p["residual"], **o}),
    "encoder": lambda m, p, o: encoder_block(**m, **{"residual": p["residual"], **o}),
    "attention": lambda m, p, o: self_attention(**m, **o),
    "jacobian": _jacobian,
    "transformer": _transformer,
    "conv": lambda m, p, o: conv_block(**{**_conv_kwargs(m, p), **o}),
    "bottleneck": lambda m, p, o: bottleneck_block(**{**_conv_kwargs(m, p), **o}),
}


def _again(wt: Walkthrough, changed: dict | None = None, **options) -> Walkthrough:
    """The exercise's block built again from its inputs (some ``changed``) with ``options``."""
    return _REBUILD[wt.block]({**wt.inputs, **(changed or {})}, wt.params, options)


def _residual(wt: Walkthrough) -> bool:
    return bool(wt.params.get("residual", True))


# ---------------------------------------------------------------- one builder per mistake and block
# Each returns the wrong walkthroughs (variants) of one mistake; an empty list when it cannot apply.


def _nonzero(m) -> bool:
    """Whether a matrix has a cell that is not 0 (a symbol such as ``b1`` is not)."""
    return any(v != 0 for v in np.asarray(m, dtype=object).flat)


def _forgot_bias(*names: str):
    """Every bias zero, and (with more than one) each bias zero on its own."""
    def build(wt: Walkthrough) -> list[Walkthrough]:
        present = [b for b in names if b in wt.inputs and _nonzero(wt.inputs[b])]
        groups = [present] + ([[b] for b in present] if len(present) > 1 else [])
        return [_again(wt, {b: _zero(wt.inputs[b]) for b in g}) for g in groups if g]
    return build


def _forgot_bias_attention(wt: Walkthrough) -> list[Walkthrough]:
    present = [b for b in ("bq", "bk", "bv") if b in wt.inputs]
    groups = [present] + ([[b] for b in present] if len(present) > 1 else [])
    return [_again(wt, {b: None for b in g}) for g in groups if g]


def _forgot_skip(wt: Walkthrough) -> list[Walkthrough]:
    return [_again(wt, residual=False)] if _residual(wt) else []


def _forgot_relu(wt: Walkthrough) -> list[Walkthrough]:
    """Both ReLUs left out, only the last one, or only the hidden layer's."""
    return [_again(wt, acts=acts) for acts in ((NONE, NONE), (RELU, NONE), (NONE, RELU))]


def _relu_too_early(wt: Walkthrough) -> list[Walkthrough]:
    return [_again(wt, relu_before_skip=True)] if _residual(wt) else []


def _wrong_order_residual(wt: Walkthrough) -> list[Walkthrough]:
    """``W1·Xᵀ`` for ``W1·X``: the samples taken as rows (square X only)."""
    X = np.asarray(wt.inputs["X"])
    return [_again(wt, {"X": X.T})] if X.shape[0] == X.shape[1] else []


def _wrong_order_encoder(wt: Walkthrough) -> list[Walkthrough]:
    """``X·Aᵀ`` for ``X·A``; ``A·X`` (features mixed) when X is square."""
    out = [_again(wt, {"A": np.asarray(wt.inputs["A"]).T})]
    X = np.asarray(wt.inputs["X"])
    if X.shape[0] == X.shape[1]:
        out.append(_again(wt, swap_attention=True))
    return out


def _wrong_order_attention(wt: Walkthrough) -> list[Walkthrough]:
    """``Qᵀ·K`` for ``Kᵀ·Q``, and ``V·Aᵀ`` for ``V·A``."""
    return [_again(wt, scores_transposed=True), _again(wt, weights_transposed=True)]


def _softmax_axis(wt: Walkthrough) -> list[Walkthrough]:
    return [_again(wt, softmax=_SoftmaxAcrossRows())]


def _layernorm_axis(wt: Walkthrough) -> list[Walkthrough]:
    return [_again(wt, norm=_LayerNormAcrossPositions)]


def _conv_offset(wt: Walkthrough) -> list[Walkthrough]:
    """The stride one more or one less, and (basic block) the padding one more or one less.

    With the identity shortcut a stride of 2 keeps one pixel of x in 2 for the add, as the
    zero-padding shortcut does (with as many channels out as in, it appends none).
    """
    p = wt.params
    short = {"shortcut": "zero_pad"} if p["shortcut"] == "identity" else {}
    options = [{"stride": s, **(short if s > 1 else {})} for s in (p["stride"] - 1, p["stride"] + 1)
               if 1 <= s <= MAX_STRIDE]
    if p["kind"] == "basic":
        k = p["kernels"]["W1"][-1]
        pad = k // 2 if p["padding"] is None else p["padding"]
        options += [{"padding": q} for q in (pad - 1, pad + 1) if q >= 0]
    out = []
    for o in options:
        try:
            out.append(_again(wt, **o))
        except ByHandError:  # the shapes no longer fit (the shortcut's add): the variant does not apply
            continue
    return out


# ---------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Misconception:
    """A common mistake: its id, a short name, the right idea in a sentence, and for each block type
    it applies to, the builder of its wrong walkthroughs from the exercise's walkthrough."""

    id: str
    name: str
    right_idea: str
    builders: dict[str, Callable[[Walkthrough], list[Walkthrough]]]

    @property
    def blocks(self) -> tuple[str, ...]:
        """The block types this mistake applies to."""
        return tuple(self.builders)

    def walkthroughs(self, wt: Walkthrough) -> list[Walkthrough]:
        """The walkthrough ``wt`` built this wrong way (a few variants; none when it cannot apply)."""
        build = self.builders.get(wt.block)
        if build is None:
            return []
        try:
            return build(wt)
        except ByHandError:  # a shape that does not allow the mistake
            return []
        except (TypeError, ValueError):  # a wrong op that works on numbers only, given symbols
            if wt.symbols:
                return []
            raise


MISCONCEPTIONS: dict[str, Misconception] = {m.id: m for m in (
    Misconception(
        "forgot_bias", "The bias is left out",
        "The bias is the extra column of [W | b] meeting the row of ones: every cell gets its row's "
        "bias, W·X + b, not just W·X.",
        {"residual": _forgot_bias("b1", "b2"), "encoder": _forgot_bias("b1", "b2"),
         "attention": _forgot_bias_attention, "jacobian": _forgot_bias("b1"),
         "transformer": _forgot_bias("bq", "bk", "bv", "bo", "b1", "b2")}),
    Misconception(
        "forgot_skip", "The skip connection is left out",
        "The skip adds X back: Out = ReLU(X + F(X)), not ReLU(F(X)). The identity beside the weights "
        "copies X into the sum.",
        {"residual": _forgot_skip, "encoder": _forgot_skip}),
    Misconception(
        "forgot_relu", "ReLU is left out",
        "ReLU follows the layer: it keeps a positive number and turns a negative one into 0, "
        "H = ReLU(W1·X + b1), and the block's output goes through ReLU too.",
        {"residual": _forgot_relu, "encoder": _forgot_relu}),
    Misconception(
        "relu_too_early", "ReLU is taken before the skip is added",
        "The last ReLU comes after the skip is added: Out = ReLU(X + F(X)), not X + ReLU(F(X)).",
        {"residual": _relu_too_early, "encoder": _relu_too_early}),
    Misconception(
        "wrong_order", "The factors are swapped or transposed",
        "A product's order matters: row i of the left factor meets column j of the right one. "
        "Attention is X·A (it mixes positions, across columns), not A·X or X·Aᵀ; a layer is W·X, "
        "not W·Xᵀ; the scores are Kᵀ·Q (key i meets query j).",
        {"residual": _wrong_order_residual, "encoder": _wrong_order_encoder,
         "attention": _wrong_order_attention}),
    Misconception(
        "softmax_axis", "Softmax across the wrong axis",
        "Softmax runs down each column: one query's scores over every key, so that each column of A "
        "sums to 1. Not along the rows.",
        {"attention": _softmax_axis, "transformer": _softmax_axis}),
    Misconception(
        "layernorm_axis", "LayerNorm across positions",
        "LayerNorm normalises each position on its own: the mean and variance of one column's "
        "features, not of one feature's row across the positions.",
        {"transformer": _layernorm_axis}),
    Misconception(
        "conv_offset", "Stride or padding off by one",
        "Output pixel (i, j) reads the k × k patch that starts at row i·s, column j·s of the map "
        "padded with p zeros (p = (k − 1)/2 for a k × k kernel, s the stride): one off shifts every "
        "window.",
        {"conv": _conv_offset, "bottleneck": _conv_offset}),
)}


def explain(mistake: str) -> str:
    """The right idea behind a mistake, in a sentence (``mistake`` is an id of ``MISCONCEPTIONS``)."""
    if mistake not in MISCONCEPTIONS:
        raise ByHandError(f"unknown misconception {mistake!r}; the known ones are "
                          f"{', '.join(MISCONCEPTIONS)}.", "misconception")
    return MISCONCEPTIONS[mistake].right_idea


# ---------------------------------------------------------------- looking a cell up in a wrong walkthrough


@dataclass(frozen=True, eq=False)
class _Lookup:
    """A wrong walkthrough's matrices by (step name, region), and its feature maps' shapes."""

    wt: Walkthrough
    matrices: dict
    maps: dict

    @classmethod
    def of(cls, wt: Walkthrough) -> _Lookup:
        mats: dict = {}
        for s in wt.steps:
            if s.kind in ("multiply", "elementwise"):
                mats.setdefault((s.name, "product"), s.product)
                mats.setdefault((s.name, "result"), s.result)
        return cls(wt, mats, dict(wt.params.get("maps", {})))

    def value(self, name: str, region: str, i: int, j: int, shape: tuple, maps: dict):
        """Cell (i, j) of the matrix of step ``name`` (``region``), or None where it has none.

        A feature map's cell (channel, pixel) of the exercise (its map shapes ``maps``) is the same
        channel and pixel (row, column) here, whatever the map's width.
        """
        m = self.matrices.get((name, region))
        if m is None:
            return None
        if name in maps and name in self.maps:
            c, h, w = maps[name]
            c2, h2, w2 = self.maps[name]
            if shape == (c, h * w) and m.shape == (c2, h2 * w2):
                r, col = divmod(j, w)
                if r >= h2 or col >= w2:
                    return None
                j = r * w2 + col
        if i >= m.shape[0] or j >= m.shape[1]:
            return None
        return m[i, j]


@lru_cache(maxsize=32)
def _lookups(wt: Walkthrough) -> tuple[tuple[str, tuple[_Lookup, ...]], ...]:
    """Every mistake that applies to ``wt`` and its wrong walkthroughs, built once per walkthrough."""
    out = []
    for mid, m in MISCONCEPTIONS.items():
        alts = m.walkthroughs(wt)
        if alts:
            out.append((mid, tuple(_Lookup.of(a) for a in alts)))
    return tuple(out)


def wrong_walkthroughs(wt: Walkthrough) -> dict[str, list[Walkthrough]]:
    """For each mistake that applies to ``wt``, the walkthroughs of it built that wrong way.

    >>> from byhand.blocks import build_example
    >>> sorted(wrong_walkthroughs(build_example("attention", seed=1)))
    ['forgot_bias', 'softmax_axis', 'wrong_order']
    """
    return {mid: [lk.wt for lk in lks] for mid, lks in _lookups(wt)}


def diagnose(exercise: Exercise, answers: dict, decimals: int = 3) -> dict[tuple, list[str]]:
    """For each wrong answered cell (by key), the ids of the mistakes that explain it.

    A mistake explains a wrong cell when one of its wrong walkthroughs holds the learner's value at
    the same matrix cell (within the practice tolerance; exactly where that walkthrough is exact). In a
    symbolic exercise the learner's expression must be equivalent to that cell's, as a check tests it
    (``byhand.practice.same_expression``). Cells that are right, empty or not a number (nor an
    expression), and wrong cells no mistake explains, are left out.
    """
    from .practice import check_answer, check_answers  # practice re-exports diagnose: import it late

    verdicts = check_answers(exercise, answers, decimals).verdicts
    wrong = [c for c in exercise.cells if verdicts[c.key].status == "wrong"]
    if not wrong:
        return {}
    wt = exercise.walkthrough
    maps = dict(wt.params.get("maps", {}))
    lookups = _lookups(wt)
    out: dict[tuple, list[str]] = {}
    for c in wrong:
        step = wt.steps[c.step]
        shape = (step.product if c.region == "product" else step.result).shape
        text = answers.get(c.key)
        if hasattr(c.answer, "free_symbols"):  # a symbolic cell: the expression read once
            fits = _expression_test(text, decimals)
        else:
            def fits(v, text=text):
                return check_answer(text, v, decimals).ok
        ids = []
        for mid, lks in lookups:
            for lk in lks:
                v = lk.value(step.name, c.region, c.row, c.col, shape, maps)
                if v is not None and fits(v):
                    ids.append(mid)
                    break
        if ids:
            out[c.key] = ids
    return out


def _expression_test(text, decimals: int) -> Callable[[object], bool]:
    """Whether a wrong walkthrough's cell is the learner's expression ``text``: read once by ByHand's own
    grammar, then compared as a check compares it (``byhand.practice.same_expression``).

    >>> from byhand.symbols import symbol
    >>> fits = _expression_test("b1 + x1*w11", 3)
    >>> w11, x1, b1 = symbol("w11"), symbol("x1"), symbol("b1")
    >>> fits(w11 * x1 + b1), fits(w11 * x1), fits(0), _expression_test("__import__('os')", 3)(w11)
    (True, False, False, False)
    """
    from .practice import same_expression
    from .symbols import read_answer

    try:
        typed = read_answer(str(text).strip())
    except ValueError:  # a check calls it invalid before it gets here; nothing to name
        return lambda v: False
    return lambda v: same_expression(typed, v, decimals)
