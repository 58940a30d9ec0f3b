"""The convolutional ResNet block by hand: every convolution is one matrix multiply (im2col).

Conventions (the by-hand layout of DESIGN.md, applied to images):

- A feature map of shape (C, H, W) is worked as the matrix C × H·W: channels are rows, pixels
  are columns, each channel's pixels read row by row, so pixel (i, j) is column ``i·W + j``.
  The input ``x`` is the walkthrough matrix ``"x"`` in this form; ``params["maps"]`` gives the
  (C, H, W) shape of every map-shaped matrix (``x``, ``x_pad``, ``Y1``, ``H``, ``out`` …).
- A kernel tensor (C_out, C_in, k, k), as ``torch.nn.Conv2d.weight`` stores it, is the matrix
  C_out × C_in·k·k named ``W1``, ``W2`` … (``Ws`` for the projection): row o is kernel o,
  channel by channel, each channel's k × k taps row by row.
- ``im2col(m)`` is C_in·k·k × H_out·W_out: column ``i·W_out + j`` holds the patch under output
  pixel (i, j), row ``c·k·k + a·k + b`` holds ``m[c, i·s + a, j·s + b]`` of the zero-padded map.
  ``W·im2col(m)`` is the convolution. Padding is its own step (``x_pad``, ``H_pad``), so every
  cell of an im2col part copies one cell of a walkthrough matrix: ``Part.cells`` maps cell (r, c)
  of the part to (channel, pixel) of its ``source`` matrix, and ``source_cell`` returns it.
- Batch norm in eval mode is the per-channel affine map ``γ·(y − μ)/√(σ² + ε) + β = s·y + t``
  with ``s = γ/√(σ² + ε)`` and ``t = β − μ·s``: the matrix ``BN1 = [diag(s1) | t1]`` multiplies
  ``[Y1; 1]``. It stays exact when every σ² + ε is the square of a fraction (e.g. σ² = 4, ε = 0),
  and switches to floats otherwise, saying so in the step's note.
- The add is one stacked multiply: the last batch norm is folded into the last kernels
  (``W2′ = diag(s2)·W2``), then ``[W2′ | I | t2]·[im2col(H); x; 1] = BN2(conv2(H)) + x``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from ..checks import value_range, whole_number
from ..numbers import MAX_ABS, ByHandError, as_matrix, fmt, is_exact, is_symbolic, parse_number, quote, tidy
from ..ops import NONE, RELU
from ..reference import tensor
from ..stacked import Part, hstack, identity, ones, part, vstack
from ..walkthrough import Step, Walkthrough, given_step, multiply_step
from . import BlockType, Input, Page, Size

__all__ = ["conv_block", "bottleneck_block", "default_conv", "default_bottleneck", "random_conv",
           "random_bottleneck", "receptive_field", "parameter_count", "torch_conv",
           "variant_block", "conv_layers", "default_stride", "variant_size", "variant_example",
           "conv_matrices", "conv_inputs", "read_eps", "fixed_projection", "ShortcutOptions",
           "shortcut_options", "KINDS", "SHORTCUTS", "MAX_CHANNELS", "MAX_SIDE", "MAX_CELLS", "BLOCK",
           "BOTTLENECK"]

KINDS = ("basic", "bottleneck")  # the basic block (3×3, 3×3) and the bottleneck (1×1, 3×3, 1×1)
SHORTCUTS = ("identity", "zero_pad", "projection")  # x itself, option A (zero padding), option B (1×1 conv)
MAX_CHANNELS = 64  # largest number of channels of any map
MAX_SIDE = 64  # largest height or width of the input image
MAX_KERNEL = 7  # largest kernel size
MAX_STRIDE = 4
MAX_CELLS = 2 ** 21  # largest number of cells of any im2col matrix

# ---------------------------------------------------------------- reading tensors

def _tensor(name: str, data, axes: tuple[str, ...]) -> np.ndarray:
    """``data`` checked as a tensor with the named ``axes``: exact numbers (object) or floats.

    Each 2-D slice is read with ``as_matrix``, so a bad cell's message names the tensor, the
    leading indices (1-based) and the row and column: ``x, channel 2, row 3, column 1: …``.
    """
    nd = len(axes)
    try:
        arr = data if isinstance(data, np.ndarray) else np.array(data, dtype=object)
    except ValueError:
        raise ByHandError(f"{name}: the rows have different lengths.", name) from None
    if arr.dtype == object and any(isinstance(v, (list, tuple, np.ndarray)) for v in arr.flat):
        raise ByHandError(f"{name}: the rows or channels have different lengths; {name} must be a "
                          f"{nd}-D block ({', '.join(axes)}).", name)
    if arr.ndim != nd:
        raise ByHandError(f"{name} must be {nd}-D ({', '.join(axes)}), not {arr.ndim}-D "
                          f"(shape {tuple(arr.shape)}).", name)
    if 0 in arr.shape:
        raise ByHandError(f"{name} is empty (shape {tuple(arr.shape)}).", name)
    if arr.dtype.kind == "f":  # fast path: check every float at once
        ok = np.isfinite(arr) & (np.abs(arr) <= MAX_ABS)
        if ok.all():
            return arr.astype(float)
    if arr.dtype.kind in "iu" and int(np.abs(arr).max()) <= MAX_ABS:
        return arr.astype(object)  # numpy ints become Python ints: exact
    out = np.empty(arr.shape, dtype=object)
    for lead in np.ndindex(*arr.shape[:-2]):
        where = ", ".join(f"{a} {i + 1}" for a, i in zip(axes, lead))
        label = f"{name}, {where}" if where else name
        out[lead] = as_matrix(label, arr[lead], max_dim=None)
    if is_exact(out) or is_symbolic(out):
        return out
    return np.asarray(out, dtype=float)


def _vector(name: str, data, n: int, why: str) -> np.ndarray:
    """A per-channel vector of length n as a column (n × 1), the message naming the channel."""
    try:
        v = as_matrix(name, data, max_dim=None)
    except ByHandError as e:
        if e.row is None:
            raise
        problem = str(e).split(": ", 1)[1]
        raise ByHandError(f"{name}, channel {e.row}: {problem}", name, e.row, 1) from None
    if v.shape[1] != 1 and v.shape[0] == 1:
        v = v.T
    if v.shape != (n, 1):
        raise ByHandError(f"{name} has {v.size} values but must have {n}: {why}.", name)
    return v


def _scalar(name: str, data):
    m = as_matrix(name, data)
    if m.shape != (1, 1):
        raise ByHandError(f"{name} must be one number, not {m.shape[0]}×{m.shape[1]}.", name)
    return m[0, 0]


def _exact_sqrt(v):
    """√v as a Fraction when v is the square of a fraction, else None."""
    if not isinstance(v, (int, Fraction)) or v < 0:
        return None
    v = Fraction(v)
    p, q = math.isqrt(v.numerator), math.isqrt(v.denominator)
    return Fraction(p, q) if p * p == v.numerator and q * q == v.denominator else None


def _shape(shape) -> str:
    return "×".join(str(int(d)) for d in shape)


# ---------------------------------------------------------------- the checked layers

class _Conv:
    """One convolution's checked weights: kernel matrix, size, stride, padding, and its BN."""

    def __init__(self, index: str, w, bn, c_in: int, stride: int, padding: int | None,
                 kernel: int | None = None, expect_out: tuple[int, str] | None = None):
        self.index, self.wname, self.bname = index, f"w{index}", f"bn{index}"
        w = _tensor(self.wname, w, ("out channel", "in channel", "row", "column"))
        c_out, ci, kh, kw = w.shape
        torch_shape = "(out channels, in channels, kh, kw) like torch.nn.Conv2d.weight"
        if c_out > MAX_CHANNELS:
            raise ByHandError(f"{self.wname} has {c_out} output channels: at most {MAX_CHANNELS} are "
                              "supported.", self.wname)
        if expect_out is not None and expect_out[0] != c_out:
            want, other = expect_out
            raise ByHandError(f"{self.wname} has {c_out} output channels but {other} has {want}: the "
                              "shortcut must give the block's output channels.", self.wname)
        if ci != c_in:
            raise ByHandError(f"{self.wname} has {ci} input channels (shape {_shape(w.shape)}) but its "
                              f"input has {c_in}: the second size of {self.wname} must be {c_in} "
                              f"{torch_shape}.", self.wname)
        if kh != kw:
            raise ByHandError(f"{self.wname} has {kh}×{kw} kernels: only square kernels are supported.",
                              self.wname)
        if kernel is not None and kh != kernel:
            raise ByHandError(f"{self.wname} has {kh}×{kw} kernels but this layer is a {kernel}×{kernel} "
                              f"convolution (shape {torch_shape}).", self.wname)
        if kh % 2 == 0 or kh > MAX_KERNEL:
            raise ByHandError(f"{self.wname} has {kh}×{kw} kernels: the size must be odd (1, 3, 5 or 7) so "
                              "that padding (k − 1)/2 keeps the image's size.", self.wname)
        self.w, self.c_out, self.c_in, self.k = w, c_out, c_in, kh
        self.stride = stride
        self.pad = kh // 2 if padding is None or kh == 1 else padding
        self.K = w.reshape(c_out, -1)  # kernels as rows: C_out × C_in·k·k
        self.bn = _batchnorm(self.bname, bn, c_out, f"{self.wname} has {c_out} output channels")

    def out_size(self, h: int, w: int, what: str) -> tuple[int, int]:
        """(H_out, W_out), or ByHandError when the kernel does not fit."""
        ho = (h + 2 * self.pad - self.k) // self.stride + 1
        wo = (w + 2 * self.pad - self.k) // self.stride + 1
        if ho < 1 or wo < 1 or h + 2 * self.pad < self.k or w + 2 * self.pad < self.k:
            raise ByHandError(
                f"{self.wname}: a {self.k}×{self.k} kernel with padding {self.pad} and stride "
                f"{self.stride} does not fit {what} ({h}×{w} pixels): the output would be empty. "
                f"Use a larger image or padding {self.k // 2}.", self.wname)
        if self.c_in * self.k * self.k * ho * wo > MAX_CELLS:
            cells = self.c_in * self.k ** 2 * ho * wo
            raise ByHandError(f"{self.wname}: im2col of {what} would have {cells:,} cells; at most "
                              f"{MAX_CELLS:,} are supported.", self.wname)
        return ho, wo


def _batchnorm(name: str, bn, c: int, why: str) -> tuple:
    """(γ, β, μ, σ², ε) checked: per-channel columns of length c and a number ε."""
    if not isinstance(bn, (tuple, list)) or len(bn) != 5:
        raise ByHandError(f"{name} must be a tuple (gamma, beta, running_mean, running_var, eps), "
                          f"not {type(bn).__name__}" + (f" of {len(bn)} items" if isinstance(
                              bn, (tuple, list)) else "") + ".", name)
    g, b, mu, var = (_vector(f"{name} {k}", v, c, why) for k, v in
                     zip(("gamma", "beta", "running_mean", "running_var"), bn[:4]))
    eps = _scalar(f"{name} eps", bn[4])
    for what, m in (("running_var", var), ("eps", np.array([[eps]], dtype=object))):
        if is_symbolic(m):  # γ, β and μ may be symbols; the checks below need σ² and ε as numbers
            raise ByHandError(f"{name} {what}: a variance and ε must be numbers (σ² + ε > 0 is checked), "
                              "not symbols.", f"{name} {what}")
    if isinstance(eps, float) and eps == 0:
        eps = 0  # ε = 0.0 (as torch stores it) keeps batch norm exact
    if eps < 0:
        raise ByHandError(f"{name} eps is {fmt(eps)}: it must be ≥ 0.", f"{name} eps")
    for ch in range(c):
        if var[ch, 0] < 0:
            raise ByHandError(f"{name} running_var, channel {ch + 1}: {fmt(var[ch, 0])} is negative; "
                              "a variance is ≥ 0.", f"{name} running_var", ch + 1, 1)
        if var[ch, 0] + eps <= 0:
            raise ByHandError(f"{name} running_var, channel {ch + 1}: σ² + ε is 0, so batch norm would "
                              "divide by zero; make the variance or eps positive.",
                              f"{name} running_var", ch + 1, 1)
    return g, b, mu, var, eps


def _check_stride(stride) -> int:
    return whole_number("stride", stride, 1, MAX_STRIDE)


# ---------------------------------------------------------------- im2col

def _im2col_cells(c: int, h: int, w: int, k: int, stride: int, ho: int, wo: int) -> np.ndarray:
    """cells[r, col] = (channel, pixel) of the (already padded) c × h·w map for each im2col cell."""
    ch, a, b = (g.reshape(-1, 1) for g in np.meshgrid(np.arange(c), np.arange(k), np.arange(k),
                                                       indexing="ij"))
    oi, oj = (g.reshape(1, -1) for g in np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij"))
    pix = (oi * stride + a) * w + (oj * stride + b)
    return np.stack(np.broadcast_arrays(ch, pix), axis=-1)


def _gather(m: np.ndarray, cells: np.ndarray) -> np.ndarray:
    return m[cells[..., 0], cells[..., 1]]


def _pad_map(m: np.ndarray, c: int, h: int, w: int, p: int) -> np.ndarray:
    """The c × h·w map with a border of p zeros: c × (h + 2p)·(w + 2p)."""
    zero = 0 if m.dtype == object else 0.0
    out = np.full((c, h + 2 * p, w + 2 * p), zero, dtype=m.dtype)
    out[:, p:p + h, p:p + w] = m.reshape(c, h, w)
    return out.reshape(c, -1)


def _pad_cells(c: int, h: int, w: int, p: int) -> np.ndarray:
    """Which cell of the c × h·w map each cell of its padded map copies: (channel, pixel), or
    (−1, −1) for a border zero. Shape (c, (h + 2p)·(w + 2p), 2)."""
    idx = np.arange(h * w).reshape(h, w)
    out = np.full((c, h + 2 * p, w + 2 * p, 2), -1, dtype=int)
    for ch in range(c):
        out[ch, p:p + h, p:p + w, 0] = ch
        out[ch, p:p + h, p:p + w, 1] = idx
    return out.reshape(c, -1, 2)


# ---------------------------------------------------------------- the walkthrough builder

def _values(m: np.ndarray, exact: bool) -> np.ndarray:
    """``m`` in the number type of a step: as it is when the step is exact, else as floats."""
    return m if exact or m.dtype != object else np.asarray(m, dtype=float)


@dataclass(frozen=True)
class _Scale:
    """One batch norm's scale ``s = γ/√(σ² + ε)``, worked out before any step is built.

    ``exact`` is the number type of this batch norm's step and of every step after it (until the
    next batch norm): exact while every root so far is a fraction; ``note`` says why.
    """

    s: np.ndarray
    exact: bool
    note: str


def _scales(convs: list[_Conv], exact: bool, symbolic: bool = False) -> dict[str, _Scale]:
    """Every batch norm's scale, in the order the steps meet them; ``exact``: are the inputs exact.

    The numbers stay exact up to the first batch norm whose √(σ² + ε) is not a fraction (or
    whose ε is a decimal), and are decimals from that batch norm on. With ``symbolic`` inputs
    every scale is exact, a root that is not a fraction kept as a square root.
    """
    out: dict[str, _Scale] = {}
    since = None  # the batch norm where the numbers became decimals
    for cv in convs:
        g, _, _, var, eps = cv.bn
        if symbolic:
            out[cv.index] = _symbolic_scale(g, var, eps)
            continue
        roots = [_exact_sqrt(v + eps) for v in var[:, 0]] if exact else [None]
        if exact and all(r is not None for r in roots):
            s = tidy(np.array([gi / r for gi, r in zip(g[:, 0], roots)], dtype=object))
            out[cv.index] = _Scale(s, True, "Exact: √(σ² + ε) = " + ", ".join(fmt(r) for r in roots)
                                   + " are fractions.")
            continue
        s = np.asarray(g[:, 0], dtype=float) / np.sqrt(np.asarray(var[:, 0], dtype=float) + float(eps))
        if exact and isinstance(eps, float):
            note = f"ε = {eps:g} is a decimal, so √(σ² + ε) is too: decimals from here on."
        elif exact:
            bad = next(i for i, r in enumerate(roots) if r is None)
            note = (f"√(σ² + ε) = √{fmt(var[bad, 0] + eps)} for channel {bad + 1} is not a fraction: "
                    "decimals from here on.")
        elif since is not None:
            note = f"Decimals, as from batch norm {since} on (see its note)."
        else:
            note = "Decimals: the inputs are not all whole numbers or fractions."
        if exact:
            since = cv.index
        exact = False
        out[cv.index] = _Scale(s, False, note)
    return out


def _symbolic_scale(g: np.ndarray, var: np.ndarray, eps) -> _Scale:
    """``s = γ/√(σ² + ε)`` exactly, the square root kept where it is not a fraction."""
    import sympy

    from ..symbols import exact_number, to_number

    roots = [sympy.sqrt(exact_number(v) + exact_number(eps)) for v in var[:, 0]]
    s = np.array([exact_number(gi) / r for gi, r in zip(g[:, 0], roots)], dtype=object)
    s = np.array([to_number(v) if v.is_Rational else v for v in s], dtype=object)  # √2 stays √2
    return _Scale(s, True, "Exact with the symbols: √(σ² + ε) = "
                  + ", ".join(fmt(r) for r in roots) + " kept as written.")


class _Work:
    """The steps so far and the (C, H, W) shape of every map.

    It holds no number type: every method is told whether its step is exact (see ``_scales``).
    """

    def __init__(self, x: np.ndarray):
        self.steps: list[Step] = []
        self.maps: dict[str, tuple[int, int, int]] = {}
        self.mats: dict[str, np.ndarray] = {}
        self.pads: dict[str, tuple[str, int]] = {}
        c, h, w = x.shape
        self.add_map("x", x.reshape(c, h * w), (c, h, w))

    def add_map(self, name: str, m: np.ndarray, shape: tuple[int, int, int]) -> None:
        self.mats[name] = m
        self.maps[name] = tuple(int(d) for d in shape)

    def add(self, step: Step, shape: tuple[int, int, int] | None = None) -> Step:
        self.steps.append(step)
        if shape is not None:
            self.add_map(step.name, step.result, shape)
        else:
            self.mats[step.name] = step.result
        return step

    def padded(self, src: str, pad: int, exact: bool) -> str:
        """The name of ``src`` with a border of ``pad`` zeros, adding the padding step if needed."""
        if pad == 0:
            return src
        name = f"{src}_pad"
        if name in self.mats:
            return name
        c, h, w = self.maps[src]
        m = _pad_map(_values(self.mats[src], exact), c, h, w, pad)
        self.pads[name] = (src, pad)
        self.add(given_step(f"Pad {src} with zeros",
                      f"Put a border of {pad} zero{'s' if pad > 1 else ''} around each channel of "
                      f"{src}, so that a {2 * pad + 1}×{2 * pad + 1} kernel can sit on every pixel: "
                      f"{_shape((c, h, w))} → {_shape((c, h + 2 * pad, w + 2 * pad))}. "
                      "Channels are rows, pixels columns (row by row).", name, m,
                      copies=Part(name, m, "input" if src == "x" else "computed", src,
                                  _pad_cells(c, h, w, pad))),
                 (c, h + 2 * pad, w + 2 * pad))
        return name

    def im2col_part(self, src: str, k: int, stride: int, ho: int, wo: int, role: str, exact: bool) -> Part:
        """im2col of map ``src`` (already padded) as a part whose cells copy ``src``'s cells."""
        c, h, w = self.maps[src]
        m = _values(self.mats[src], exact)
        base = src.removesuffix("_pad")
        if k == 1 and stride == 1:
            return part(base, m, role, src)
        cells = _im2col_cells(c, h, w, k, stride, ho, wo)
        label = f"{base}[::{stride}, ::{stride}]" if k == 1 else f"im2col({base})"
        return part(label, tidy(_gather(m, cells)), role, src, cells)

    def conv(self, cv: _Conv, src: str, out: str, title: str, exact: bool) -> tuple[int, int, int]:
        """The convolution ``W·im2col(src)`` as one multiply; returns the output map's shape."""
        c, h, w = self.maps[src]
        ho, wo = cv.out_size(h, w, src)
        padded = self.padded(src, cv.pad, exact)
        cols = self.im2col_part(padded, cv.k, cv.stride, ho, wo, "input" if src == "x" else "computed", exact)
        W = part(f"W{cv.index}", _values(cv.K, exact), "weight")
        kk = f"{cv.k}×{cv.k}"
        caption = (
            f"A {kk} convolution (stride {cv.stride}, padding {cv.pad}) as one multiply: each column "
            f"of {cols.name} is the {kk} patch under one output pixel, all {c} channel"
            f"{'s' if c > 1 else ''} stacked ({c}·{cv.k * cv.k} = {c * cv.k * cv.k} rows); each row of "
            f"W{cv.index} is one kernel ({_shape(cv.w.shape)} flattened to {cv.c_out}×{c * cv.k ** 2}). "
            f"Shapes: {_shape((c, h, w))} → {_shape((cv.c_out, ho, wo))}.")
        if cv.k == 1:
            caption = (f"A 1×1 convolution (stride {cv.stride}) mixes the {c} channels of every pixel: "
                       f"W{cv.index}·{cols.name}. Shapes: {_shape((c, h, w))} → "
                       f"{_shape((cv.c_out, ho, wo))}.")
        self.add(multiply_step(title, caption, out, hstack(W), vstack(cols),
                               f"W{cv.index}·{cols.name}", NONE), (cv.c_out, ho, wo))
        return cv.c_out, ho, wo

    def bn_matrix(self, cv: _Conv, name: str, scale: _Scale, extra: np.ndarray | None = None,
                  extra_caption: str = "") -> np.ndarray:
        """The step giving ``[diag(s) | t]`` for ``cv``'s batch norm, in the number type ``scale`` says."""
        _, b, mu, _, eps = cv.bn
        exact, s = scale.exact, scale.s
        t = _values(b[:, 0], exact) - _values(mu[:, 0], exact) * s
        c = len(s)
        M = np.zeros((c, c + 1), dtype=object if exact else float)
        M[np.arange(c), np.arange(c)] = s
        M[:, c] = t
        if extra is not None:
            M = np.concatenate([M, _values(extra, exact).reshape(c, 1) + M[:, c:]], axis=1)
        M = tidy(M) if exact else M.astype(float)
        i = cv.index
        self.add(given_step(
            f"Batch norm {i} as a scale and a shift",
            f"In eval mode BN{i} is γ·(y − μ)/√(σ² + ε) + β = s{i}·y + t{i} for each channel, with "
            f"s{i} = γ/√(σ² + ε) and t{i} = β − μ·s{i} (ε = {fmt(eps)}). As a matrix: "
            f"{name} = [diag(s{i}) | t{i}], so that {name}·[y; 1] = s{i}·y + t{i}." + extra_caption
            + " Given: it is worked out from the batch-norm statistics, not from the image.",
            name, M, note=scale.note))
        return M

    def bn_parts(self, name: str, index: str) -> tuple[Part, Part]:
        """diag(s) and t of the BN matrix ``name`` as parts copying its cells."""
        M = self.mats[name]
        c = M.shape[0]
        t_cells = np.stack([np.arange(c), np.full(c, c)], axis=-1).reshape(c, 1, 2)
        return (part(f"diag(s{index})", M[:, :c], "weight", name),
                part(f"t{index}", M[:, c:c + 1], "bias", name, t_cells))

    def bn_relu(self, cv: _Conv, src: str, out: str, scale: _Scale) -> None:
        """``ReLU([diag(s) | t]·[Y; 1])``: batch norm then ReLU."""
        i = cv.index
        self.bn_matrix(cv, f"BN{i}", scale)
        D, t = self.bn_parts(f"BN{i}", i)
        Y = part(src, _values(self.mats[src], scale.exact), "computed")
        n = Y.shape[1]
        step = multiply_step(
            f"Batch norm {i} and ReLU",
            f"[diag(s{i}) | t{i}]·[{src}; 1] scales each channel (row) of {src} by s{i} and adds t{i}; "
            f"then ReLU sets every negative cell to 0. Shapes stay {_shape(self.maps[src])}.",
            out, hstack(D, t), vstack(Y, ones(n, scale.exact)), f"BN{i}({src})", RELU)
        self.add(replace(step, note=f"{self.steps[-1].note} {step.note}".strip()), self.maps[src])

    def fold(self, cv: _Conv, bn_name: str, exact: bool) -> Part:
        """``W′ = diag(s)·W``: the batch norm folded into the kernels (a multiply)."""
        i = cv.index
        D, _ = self.bn_parts(bn_name, i)
        W = part(f"W{i}", _values(cv.K, exact), "weight")
        self.add(multiply_step(
            f"Fold batch norm {i} into W{i}",
            f"BN{i}(W{i}·m) = diag(s{i})·W{i}·m + t{i}, so scale each kernel (row of W{i}) by its "
            f"channel's s{i} once: W{i}′ = diag(s{i})·W{i}. The shift t{i} becomes the bias column of "
            "the next multiply.", f"W{i}′", hstack(D), vstack(W), f"diag(s{i})·W{i}", NONE))
        return part(f"W{i}′", self.steps[-1].result, "weight")

    def output(self, last: _Conv, src: str, stride: int, shortcut: str, proj: _Conv | None,
               scales: dict[str, _Scale]) -> None:
        """Fold the last BN, then ``ReLU([W′ | S | t]·[im2col(src); x; 1])`` with the shortcut S."""
        i = last.index
        c, h, w = self.maps["x"]
        _, hi, wi = self.maps[src]
        ho, wo = last.out_size(hi, wi, src)
        cout = last.c_out
        sh = (len(range(0, h, stride)), len(range(0, w, stride)))  # x[:, ::stride, ::stride]
        if shortcut == "identity" and (cout, ho, wo) != (c, h, w):
            raise ByHandError(
                f"the identity shortcut adds x ({_shape((c, h, w))}) to the block's output "
                f"({_shape((cout, ho, wo))}), and an add needs matching shapes: use stride 1 and "
                f"{c} output channels, or shortcut='zero_pad' or 'projection'.", "shortcut")
        if shortcut != "identity" and sh != (ho, wo):
            raise ByHandError(
                f"the {shortcut} shortcut keeps one pixel in {stride} along each axis of x ({h}×{w} → "
                f"{sh[0]}×{sh[1]}) but the block's output is {ho}×{wo}: an add needs matching shapes.",
                "shortcut")
        if shortcut == "zero_pad" and cout < c:
            raise ByHandError(
                f"the zero-padding shortcut appends zero channels to x ({c} channels), so the block "
                f"needs at least {c} output channels, not {cout}.", "shortcut")
        bn = f"BN{i}"
        self.bn_matrix(last, bn, scales[i])
        Wf = self.fold(last, bn, scales[i].exact)
        _, t = self.bn_parts(bn, i)
        exact = scales[i].exact
        if shortcut == "projection":
            exact = scales["s"].exact
            self.bn_matrix(proj, "BNs", scales["s"], extra=self.mats[bn][:, -1],
                           extra_caption=f" Its last column is t{i} + ts: the two shifts add into one bias.")
            S = self.fold(proj, "BNs", exact)
            M = self.mats["BNs"]
            t_cells = np.stack([np.arange(cout), np.full(cout, cout + 1)], axis=-1).reshape(cout, 1, 2)
            t = part(f"t{i} + ts", M[:, cout + 1:], "bias", "BNs", t_cells)
        padded = self.padded(src, last.pad, exact)
        cols = self.im2col_part(padded, last.k, last.stride, ho, wo, "computed", exact)
        xs = self.im2col_part("x", 1, stride, sh[0], sh[1], "input", exact)
        if shortcut == "identity":
            S = identity(c, exact)
            what, added = "x", "I·x = x copies the input: the skip connection"
        elif shortcut == "zero_pad":
            E = np.zeros((cout, c), dtype=int)
            E[np.arange(c), np.arange(c)] = 1
            S = Part("I" if cout == c else "[I; 0]", E.astype(object if exact else float), "identity")
            what = f"pad({xs.name})" if cout > c else xs.name
            keep = f" (one pixel in {stride} along each axis)" if stride > 1 else ""
            first = "channel 1" if c == 1 else f"channels 1–{c}"
            rest = f"channel {cout}" if cout == c + 1 else f"channels {c + 1}–{cout}"
            added = (f"{S.name}·{xs.name} copies x{keep} into {first} and leaves {rest} zero: option A, "
                     "no parameters" if cout > c else f"I·{xs.name} copies x{keep}")
        else:
            what = f"BNs(Ws·{xs.name})"
            added = (f"Ws′·{xs.name} is the projection shortcut (option B): a 1×1 convolution with "
                     f"stride {stride} whose batch norm is folded in like BN{i}'s")
        caption = (
            f"One multiply adds the shortcut: W{i}′·{cols.name} is BN{i}(conv{i}({src})) before its shift, "
            f"{added}, and {t.name} meets the row of ones. ReLU then gives the block's output. "
            f"Shapes: {_shape((c, h, w))} → {_shape((cout, ho, wo))}. The shortcut must have the same "
            f"shape as the residual branch ({_shape((cout, ho, wo))}) because an add works cell by cell.")
        self.add(multiply_step(
            f"Convolution {i} plus the shortcut, and ReLU", caption, "out", hstack(Wf, S, t),
            vstack(cols, xs, ones(ho * wo, exact)), f"BN{i}(conv{i}({src})) + {what}", RELU),
            (cout, ho, wo))


# ---------------------------------------------------------------- the public blocks

def _read_x(x) -> np.ndarray:
    X = _tensor("x", x, ("channel", "row", "column"))
    c, h, w = X.shape
    if c > MAX_CHANNELS:
        raise ByHandError(f"x has {c} channels: at most {MAX_CHANNELS} are supported.", "x")
    if h > MAX_SIDE or w > MAX_SIDE:
        raise ByHandError(f"x is {h}×{w} pixels: at most {MAX_SIDE}×{MAX_SIDE} is supported.", "x")
    return X


def _shortcut_name(shortcut: str) -> str:
    if shortcut not in SHORTCUTS:
        raise ByHandError(f"shortcut must be one of {', '.join(map(repr, SHORTCUTS))}, not {shortcut!r}.",
                          "shortcut")
    return shortcut


def _check_shortcut(shortcut: str, ws, bns) -> None:
    _shortcut_name(shortcut)
    if shortcut == "projection" and (ws is None or bns is None):
        raise ByHandError("the projection shortcut needs ws (the 1×1 kernels, shape (C_out, C, 1, 1)) "
                          "and bns (its batch norm).", "ws" if ws is None else "bns")
    if shortcut != "projection" and (ws is not None or bns is not None):
        raise ByHandError(f"ws and bns belong to the projection shortcut; with shortcut={shortcut!r} "
                          "leave them out.", "ws" if ws is not None else "bns")


def _stats(bn: tuple) -> np.ndarray:
    return np.concatenate(bn[:4], axis=1)


def _walk(kind: str, title: str, X: np.ndarray, layers: list[_Conv], stride: int, shortcut: str,
          proj: _Conv | None, padding) -> Walkthrough:
    """Build the block's steps: conv → BN → ReLU for all layers but the last, then the add.

    ``kind`` is one of ``KINDS``; the walkthrough's block is the registry's name for it.
    """
    convs = layers + ([proj] if proj else [])
    mats = [X] + [m for cv in convs for m in (cv.K, *cv.bn[:4])]
    symbolic = any(is_symbolic(m) for m in mats)
    exact = symbolic or all(is_exact(m) for m in mats)
    scales = _scales(convs, exact, symbolic)  # the number type of every step, decided here once
    work = _Work(_values(X, exact))
    c, h, w = X.shape
    work.add(given_step("Given the image",
                  f"x is {_shape(X.shape)}: {c} channel{'s' if c > 1 else ''} of {h}×{w} pixels. By hand "
                  f"each channel is one row and its pixels, read row by row, are the {h * w} columns.",
                  "x", work.mats["x"]))
    src = "x"
    hidden = ["H"] if len(layers) == 2 else [f"H{k + 1}" for k in range(len(layers) - 1)]
    used_exact = {}  # the number type of the step that uses each layer's weights
    for cv, hname in zip(layers[:-1], hidden):
        kk = f"{cv.k}×{cv.k}"
        used_exact[cv.index] = exact
        work.conv(cv, src, f"Y{cv.index}", f"Convolution {cv.index}: {kk}, stride {cv.stride}", exact)
        work.bn_relu(cv, f"Y{cv.index}", hname, scales[cv.index])
        exact = scales[cv.index].exact
        src = hname
    work.output(layers[-1], src, stride, shortcut, proj, scales)
    inputs = {"x": work.mats["x"]}
    for cv in convs:
        ex = used_exact.get(cv.index, scales[cv.index].exact)  # the last layer and ws: in their fold
        inputs[f"W{cv.index}"] = _values(cv.K, ex)
        inputs[f"bn{cv.index} stats"] = _values(_stats(cv.bn), ex)
    out = work.steps[-1].result
    cout, ho, wo = work.maps["out"]
    params = {
        "kind": kind, "stride": stride, "shortcut": shortcut, "padding": padding,
        "maps": dict(work.maps), "pads": dict(work.pads),
        "eps": {f"bn{cv.index}": cv.bn[4] for cv in convs},
        "kernels": {f"W{cv.index}": tuple(int(d) for d in cv.w.shape) for cv in convs},
        "in_shape": (c, h, w), "out_shape": (cout, ho, wo),
        "shortcut_parameters": 0 if proj is None else proj.K.size + 2 * proj.c_out,
    }
    return Walkthrough(variant_block(kind).name, title, inputs, tuple(work.steps), out.reshape(cout, ho, wo),
                       all(s.exact for s in work.steps), params)


def conv_block(x, w1, bn1, w2, bn2, stride: int = 1, shortcut: str = "identity", ws=None, bns=None,
               padding: int | None = None) -> Walkthrough:
    """Walk through the basic ResNet block (eval mode) by hand, every convolution one multiply.

    ``relu(BN2(conv2(relu(BN1(conv1(x))))) + shortcut(x))`` with 3×3 convolutions (padding 1,
    or ``padding``), the first with ``stride``. x is (C, H, W); w1 (C1, C, k, k) and w2
    (C1, C1, k, k) are shaped like ``torch.nn.Conv2d.weight`` (no conv bias); bn1 and bn2 are
    tuples (gamma, beta, running_mean, running_var, eps) of per-channel values and a number.
    ``shortcut`` is ``"identity"`` (x itself: stride 1 and C1 = C), ``"zero_pad"`` (option A:
    every ``stride``-th pixel of x, zero channels appended) or ``"projection"`` (option B: the
    1×1 convolution ``ws`` (C1, C, 1, 1) with stride ``stride``, then its batch norm ``bns``).
    ``wt.output`` is (C1, H_out, W_out); every step's matrices are channels × pixels.

    >>> bn = ([1], [0], [0], [1], 0)
    >>> k1 = [[[[0, 0, 0], [0, 1, 0], [0, 0, 0]]]]  # 3×3 kernels that copy (k1) and double (k2)
    >>> k2 = [[[[0, 0, 0], [0, 2, 0], [0, 0, 0]]]]
    >>> wt = conv_block([[[1, -2], [3, 0]]], k1, bn, k2, bn)
    >>> wt.output.tolist()
    [[[3, 0], [9, 0]]]
    """
    stride = _check_stride(stride)
    _check_shortcut(shortcut, ws, bns)
    if padding is not None:
        padding = whole_number("padding", padding, 0, MAX_KERNEL // 2)
    X = _read_x(x)
    c = X.shape[0]
    conv1 = _Conv("1", w1, bn1, c, stride, padding)
    conv2 = _Conv("2", w2, bn2, conv1.c_out, 1, padding)
    proj = (_Conv("s", ws, bns, c, stride, 0, kernel=1, expect_out=(conv2.c_out, "w2"))
            if shortcut == "projection" else None)
    names = {"identity": "identity shortcut", "zero_pad": "zero-padding shortcut (option A)",
             "projection": "projection shortcut (option B)"}
    return _walk("basic", f"Convolutional residual block, {names[shortcut]}", X, [conv1, conv2],
                 stride, shortcut, proj, padding)


def bottleneck_block(x, w1, bn1, w2, bn2, w3, bn3, stride: int = 1, shortcut: str = "identity",
                     ws=None, bns=None) -> Walkthrough:
    """Walk through the bottleneck ResNet block (eval mode): 1×1 → 3×3 → 1×1, BN after each.

    w1 (B, C, 1, 1) narrows the C channels to the bottleneck width B, w2 (B, B, 3, 3) is the 3×3
    convolution and carries ``stride`` (as in torchvision), w3 (C_out, B, 1, 1) expands to C_out
    (C_out / B is the expansion). ``shortcut`` is ``"identity"`` (stride 1, C_out = C),
    ``"projection"`` (``ws`` (C_out, C, 1, 1) with stride, then ``bns``) or ``"zero_pad"``.

    >>> bn = ([1], [0], [0], [1], 0)
    >>> one = [[[[1]]]]
    >>> bottleneck_block([[[1, -2]]], one, bn, [[[[0, 0, 0], [0, 1, 0], [0, 0, 0]]]], bn, one, bn).output
    array([[[2, 0]]], dtype=object)
    """
    stride = _check_stride(stride)
    _check_shortcut(shortcut, ws, bns)
    X = _read_x(x)
    c = X.shape[0]
    conv1 = _Conv("1", w1, bn1, c, 1, None, kernel=1)
    conv2 = _Conv("2", w2, bn2, conv1.c_out, stride, None)
    conv3 = _Conv("3", w3, bn3, conv2.c_out, 1, None, kernel=1)
    proj = (_Conv("s", ws, bns, c, stride, 0, kernel=1, expect_out=(conv3.c_out, "w3"))
            if shortcut == "projection" else None)
    return _walk("bottleneck", f"Bottleneck residual block, {shortcut} shortcut", X,
                 [conv1, conv2, conv3], stride, shortcut, proj, None)


def receptive_field(wt: Walkthrough, i: int, j: int, name: str = "out") -> np.ndarray:
    """Which pixels of x the pixel (i, j) (0-based) of map ``name`` depends on: an (H, W) bool mask.

    Follows every part's ``cells`` back through the multiplies and the padding, both branches.

    >>> bn = ([1], [0], [0], [1], 0)
    >>> k = [[[[0, 0, 0], [0, 1, 1], [0, 0, 0]]]]
    >>> receptive_field(conv_block(np.ones((1, 1, 4)), k, bn, k, bn), 0, 0).astype(int).tolist()
    [[1, 1, 1, 0]]
    """
    maps, pads = wt.params["maps"], wt.params["pads"]
    if name not in maps:
        raise ByHandError(f"{name!r} is not a feature map of this walkthrough; choose one of "
                          f"{', '.join(maps)}.", name)
    _, h, w = maps[name]
    if not (0 <= i < h and 0 <= j < w):
        raise ByHandError(f"pixel ({i + 1}, {j + 1}) is outside {name} ({h}×{w}).", name, i + 1, j + 1)
    _, hx, wx = maps["x"]
    mask = np.zeros((hx, wx), dtype=bool)
    producers = {s.name: s for s in wt.steps if s.is_multiply}
    todo, seen = [(name, i * w + j)], set()
    while todo:
        m, col = todo.pop()
        if (m, col) in seen:
            continue
        seen.add((m, col))
        if m == "x":
            mask[divmod(col, wx)] = True
        elif m in pads:  # a padded map's pixel is the unpadded map's pixel, or a constant zero
            src, p = pads[m]
            _, _, wp = maps[m]
            _, hs, ws_ = maps[src]
            r, c = divmod(col, wp)
            if p <= r < hs + p and p <= c < ws_ + p:
                todo.append((src, (r - p) * ws_ + (c - p)))
        elif m in producers:
            for p in producers[m].right.parts:
                if p.source in maps:
                    cols = [col] if p.cells is None else {int(v) for v in p.cells[:, col, 1]}
                    todo.extend((p.source, k) for k in cols)
    return mask


def parameter_count(wt: Walkthrough) -> dict[str, int]:
    """Learned parameters: each kernel tensor's weights, the batch norms' γ and β, the shortcut's.

    >>> parameter_count(conv_block(**default_conv("projection")))["shortcut"]  # 2·1·1·1 + γ, β of 2
    6
    """
    out = {}
    for name, shape in wt.params["kernels"].items():
        out[name] = int(np.prod(shape))
        out[f"BN{name[1:]}"] = 2 * shape[0]
    out["shortcut"] = wt.params["shortcut_parameters"]
    return out


# ---------------------------------------------------------------- examples

def _bn(g, b, mu, var, eps=0) -> tuple:
    return (list(g), list(b), list(mu), list(var), eps)


def default_conv(shortcut: str = "identity") -> dict:
    """Keyword arguments for ``conv_block``, small integers, batch norms that stay exact.

    ``"identity"``: one channel of 4×4 pixels, stride 1. ``"zero_pad"`` / ``"projection"``: the
    downsampling block, one 6×6 channel to two 3×3 channels with stride 2. Every ε is 0 and every
    σ² a square (1, 4 or 1/4), so √(σ² + ε) is a fraction.

    >>> conv_block(**default_conv("zero_pad")).params["out_shape"]
    (2, 3, 3)
    """
    if _shortcut_name(shortcut) == "identity":
        return {
            "x": [[[1, 2, 0, 1], [0, 1, 2, 0], [2, 0, 1, 1], [1, 1, 0, 2]]],
            "w1": [[[[0, 1, 0], [1, -1, 1], [0, 1, 0]]]],
            "bn1": _bn([1], [0], [2], [1]),
            "w2": [[[[1, 0, -1], [0, 1, 0], [-1, 0, 1]]]],
            "bn2": _bn([2], [1], [0], [4]),
            "stride": 1, "shortcut": "identity",
        }
    kw = {
        "x": [[[1, 0, 2, 1, 0, 1], [0, 1, 1, 0, 2, 0], [2, 0, 1, 1, 0, 1],
               [1, 1, 0, 2, 1, 0], [0, 2, 1, 0, 1, 1], [1, 0, 0, 1, 2, 0]]],
        "w1": [[[[0, 1, 0], [1, 1, 1], [0, 1, 0]]], [[[1, 0, -1], [0, 1, 0], [-1, 0, 1]]]],
        "bn1": _bn([1, 1], [0, 1], [3, 0], [1, 4]),
        "w2": [[[[0, 0, 0], [0, 1, 0], [0, 0, 0]], [[0, 1, 0], [0, 0, 0], [0, -1, 0]]],
               [[[1, 0, 0], [0, 0, 0], [0, 0, 1]], [[0, 0, 0], [0, -1, 0], [0, 0, 0]]]],
        "bn2": _bn([1, 2], [0, 0], [1, 0], [1, 4]),
        "stride": 2, "shortcut": shortcut,
    }
    if shortcut == "projection":
        kw["ws"] = [[[[1]]], [[[-1]]]]
        kw["bns"] = _bn([1, Fraction(1, 2)], [0, 1], [0, 1], [1, Fraction(1, 4)])
    return kw


def default_bottleneck() -> dict:
    """Keyword arguments for ``bottleneck_block``: 2 channels of 4×4, width 1, identity shortcut."""
    return {
        "x": [[[1, 0, 2, 1], [0, 1, 1, 0], [2, 0, 1, 1], [1, 1, 0, 2]],
              [[0, 1, 0, 1], [1, 0, 2, 0], [0, 1, 1, 0], [1, 0, 0, 1]]],
        "w1": [[[[1]], [[1]]]],
        "bn1": _bn([1], [0], [1], [1]),
        "w2": [[[[0, 1, 0], [1, 1, 1], [0, 1, 0]]]],
        "bn2": _bn([1], [0], [2], [4]),
        "w3": [[[[1]]], [[[-1]]]],
        "bn3": _bn([1, 1], [0, 1], [0, 0], [1, 1]),
        "stride": 1, "shortcut": "identity",
    }


def _random_bn(rng: np.random.Generator, c: int, low: int, high: int) -> tuple:
    """γ ∈ {1, 2}, β and μ in [low, high], σ² ∈ {1/4, 1, 4}, ε = 0: exact."""
    squares = [Fraction(1, 4), 1, 4]
    return _bn(rng.integers(1, 3, size=c).tolist(), rng.integers(low, high + 1, size=c).tolist(),
               rng.integers(low, high + 1, size=c).tolist(),
               [squares[k] for k in rng.integers(0, 3, size=c)])


def _kernels(rng, shape, low, high) -> list:
    return rng.integers(low, high + 1, size=shape).tolist()


def random_conv(seed: int, channels: int = 1, size: int = 4, stride: int = 1, shortcut: str = "identity",
                low: int = -2, high: int = 2) -> dict:
    """Seeded small-integer keyword arguments for ``conv_block`` (exact batch norms).

    The block keeps ``channels`` with the identity shortcut and doubles them otherwise.

    >>> random_conv(3, shortcut="projection", stride=2) == random_conv(3, shortcut="projection", stride=2)
    True
    """
    c = whole_number("channels", channels, 1, MAX_CHANNELS // 2)
    n = whole_number("size", size, 1, MAX_SIDE)
    stride, low, high, cout = _example_plan(c, stride, shortcut, low, high)
    rng = np.random.default_rng(seed)
    kw = {"x": _kernels(rng, (c, n, n), low, high), "w1": _kernels(rng, (cout, c, 3, 3), low, high),
          "bn1": _random_bn(rng, cout, low, high), "w2": _kernels(rng, (cout, cout, 3, 3), low, high),
          "bn2": _random_bn(rng, cout, low, high), "stride": stride, "shortcut": shortcut}
    if shortcut == "projection":
        kw["ws"] = _kernels(rng, (cout, c, 1, 1), low, high)
        kw["bns"] = _random_bn(rng, cout, low, high)
    return kw


def _example_plan(c: int, stride: int, shortcut: str, low: int, high: int) -> tuple[int, int, int, int]:
    """Check a random example's stride, shortcut and value range; the output channels it gets."""
    stride = _check_stride(stride)
    low, high = value_range(low, high)
    _shortcut_name(shortcut)
    if shortcut == "identity" and stride != 1:
        raise ByHandError("the identity shortcut needs stride 1 (the add needs matching shapes); "
                          "choose 'zero_pad' or 'projection' to downsample.", "stride")
    return stride, low, high, c if shortcut == "identity" else 2 * c


def random_bottleneck(seed: int, channels: int = 2, size: int = 4, stride: int = 1,
                      shortcut: str = "identity", width: int = 1, low: int = -2, high: int = 2) -> dict:
    """Seeded small-integer keyword arguments for ``bottleneck_block`` (width ``width``).

    The block keeps ``channels`` with the identity shortcut and doubles them otherwise.
    """
    c = whole_number("channels", channels, 1, MAX_CHANNELS // 2)
    n = whole_number("size", size, 1, MAX_SIDE)
    b = whole_number("width", width, 1, MAX_CHANNELS)
    stride, low, high, cout = _example_plan(c, stride, shortcut, low, high)
    rng = np.random.default_rng(seed)
    kw = {"x": _kernels(rng, (c, n, n), low, high), "w1": _kernels(rng, (b, c, 1, 1), low, high),
          "bn1": _random_bn(rng, b, low, high), "w2": _kernels(rng, (b, b, 3, 3), low, high),
          "bn2": _random_bn(rng, b, low, high), "w3": _kernels(rng, (cout, b, 1, 1), low, high),
          "bn3": _random_bn(rng, cout, low, high), "stride": stride, "shortcut": shortcut}
    if shortcut == "projection":
        kw["ws"] = _kernels(rng, (cout, c, 1, 1), low, high)
        kw["bns"] = _random_bn(rng, cout, low, high)
    return kw

# ---------------------------------------------------------------- a variant as the page's matrices

def _kind_name(kind: str) -> str:
    if kind not in KINDS:
        raise ByHandError(f"kind must be one of {', '.join(map(repr, KINDS))}, not {kind!r}.", "kind")
    return kind


def variant_block(kind: str) -> BlockType:
    """The registry's block type of a kind: ``BLOCK`` (``"conv"``) for basic, ``BOTTLENECK`` for bottleneck.

    >>> variant_block("basic").name, variant_block("bottleneck").name
    ('conv', 'bottleneck')
    """
    return BLOCK if _kind_name(kind) == "basic" else BOTTLENECK


def conv_layers(kind: str, shortcut: str) -> tuple[str, ...]:
    """The convolutions' indices in order: 1, 2 (basic) or 1, 2, 3 (bottleneck), then s for option B.

    >>> conv_layers("basic", "projection"), conv_layers("bottleneck", "zero_pad")
    (('1', '2', 's'), ('1', '2', '3'))
    """
    layers = ("1", "2") if _kind_name(kind) == "basic" else ("1", "2", "3")
    return layers + (("s",) if _shortcut_name(shortcut) == "projection" else ())


def default_stride(shortcut: str) -> int:
    """1 for the identity shortcut (the add needs x's own shape), 2 for options A and B: they downsample.

    >>> default_stride("identity"), default_stride("zero_pad")
    (1, 2)
    """
    return 1 if _shortcut_name(shortcut) == "identity" else 2


def _default_example(kind: str, shortcut: str) -> dict:
    return default_conv(shortcut) if _kind_name(kind) == "basic" else default_bottleneck()


def variant_size(kind: str, shortcut: str) -> Size:
    """The image size of a variant: the registry's size (label, link key, limits) whose default is the
    size of the variant's default example.

    >>> variant_size("basic", "zero_pad")
    Size(name='size', label='Image size (H = W)', url='n', default=6, low=2, high=6)
    """
    size = variant_block(kind).size("size")
    return replace(size, default=int(np.shape(_default_example(kind, shortcut)["x"])[-1]))


def variant_example(kind: str, shortcut: str, channels: int = 1, seed: int | None = None,
                    size: int | None = None) -> dict:
    """Keyword arguments for a variant's block: its default example, or a seeded random one.

    The default example (``default_conv`` / ``default_bottleneck``) is given when there is no seed
    and the shortcut, the channels and the size (None: ``variant_size``'s default) are the default's;
    otherwise the example of ``seed`` (0 when None) with ``default_stride(shortcut)``.

    >>> variant_example("basic", "projection") == default_conv("projection")
    True
    >>> kw = variant_example("bottleneck", "projection", 1, seed=3, size=5)
    >>> np.shape(kw["x"]), np.shape(kw["ws"]), kw["stride"]
    ((1, 5, 5), (2, 1, 1, 1), 2)
    """
    sz = variant_size(kind, shortcut)
    size = sz.default if size is None else whole_number(sz.label, size, sz.low, sz.high)
    default = _default_example(kind, shortcut)
    if (seed is None and default["shortcut"] == shortcut and size == sz.default
            and channels == np.shape(default["x"])[0]):
        return default
    seed, stride = 0 if seed is None else seed, default_stride(shortcut)
    if kind == "basic":
        return random_conv(seed, channels, size, stride, shortcut)
    return random_bottleneck(seed, channels, size, stride, shortcut)


def conv_matrices(kw: dict) -> dict[str, np.ndarray]:
    """A block's keyword arguments as the 2-D matrices the page edits (``conv_inputs`` reads them back).

    - ``x1``, ``x2`` …: the image's channels, H × W each;
    - ``w1_1``, ``w1_2`` …: kernel 1, 2 … of a k×k convolution (k > 1), its input channels stacked
      (C_in·k × k: rows 1 to k are channel 1, …); ``w1`` alone for a 1×1 convolution, C_out × C_in;
    - ``bn1`` …: one row per channel, columns γ, β, μ, σ² (ε is one number, not a matrix).

    >>> m = conv_matrices(default_conv())
    >>> list(m), m["w2_1"].tolist(), m["bn2"].tolist()
    (['x1', 'w1_1', 'bn1', 'w2_1', 'bn2'], [[1, 0, -1], [0, 1, 0], [-1, 0, 1]], [[2, 1, 0, 4]])
    >>> list(conv_matrices(default_bottleneck()))[:4]
    ['x1', 'x2', 'w1', 'bn1']
    """
    x = _tensor("x", kw["x"], ("channel", "row", "column"))
    out = {f"x{c + 1}": x[c] for c in range(x.shape[0])}
    for i in ("1", "2", "3", "s"):
        if kw.get(f"w{i}") is None:
            continue
        w = _tensor(f"w{i}", kw[f"w{i}"], ("out channel", "in channel", "row", "column"))
        if w.shape[-1] == 1:
            out[f"w{i}"] = w[:, :, 0, 0]
        else:
            for o in range(w.shape[0]):
                out[f"w{i}_{o + 1}"] = w[o].reshape(-1, w.shape[-1])
        bn = kw.get(f"bn{i}")
        if not isinstance(bn, (tuple, list)) or len(bn) < 4:
            raise ByHandError(f"bn{i} must be a tuple (gamma, beta, running_mean, running_var, eps).",
                              f"bn{i}")
        stats = [list(np.ravel(np.asarray(v, dtype=object))) for v in bn[:4]]
        out[f"bn{i}"] = np.array(stats, dtype=object).T
    return out


def conv_inputs(matrices: dict, kind: str, shortcut: str, stride: int = 1, eps=0) -> dict:
    """The page's matrices (``conv_matrices``' names; rows of text or arrays) as keyword arguments for
    the kind's block, every batch norm with ``eps``.

    A bad cell, a missing or unknown matrix, or a kernel matrix of the wrong shape raises ByHandError
    naming the matrix (and the cell); the block itself checks that the shapes fit each other.

    >>> kw = conv_inputs(conv_matrices(default_conv()), "basic", "identity")
    >>> np.shape(kw["x"]), np.shape(kw["w1"]), kw["bn2"][3].tolist(), kw["bn2"][4]
    ((1, 4, 4), (1, 1, 3, 3), [4], 0)
    >>> conv_inputs({"x1": [["1", "2"], ["0", "x"]]}, "basic", "identity")
    Traceback (most recent call last):
    ...
    byhand.numbers.ByHandError: x1, row 2, column 2: 'x' is not a number; type a number such as 2, -1 or 1/3.
    """
    layers = conv_layers(kind, shortcut)
    mats = {name: as_matrix(str(name), rows, max_dim=None) for name, rows in matrices.items()}
    used: set[str] = set()

    def take(name: str, what: str) -> np.ndarray:
        if name not in mats:
            raise ByHandError(f"{name} is missing: {what}.", name)
        used.add(name)
        return mats[name]

    x1 = take("x1", "the image needs its first channel, x1")
    channels = [x1]
    while f"x{len(channels) + 1}" in mats:
        name = f"x{len(channels) + 1}"
        m = take(name, "")
        if m.shape != x1.shape:
            raise ByHandError(f"{name} is {_shape(m.shape)} but x1 is {_shape(x1.shape)}: every channel of "
                              "the image has the same size.", name)
        channels.append(m)
    kw: dict = {"x": np.stack(channels), "stride": stride, "shortcut": shortcut}
    for i in layers:
        if f"w{i}" in mats:  # 1×1 kernels: output channels × input channels
            kw[f"w{i}"] = take(f"w{i}", "")[:, :, None, None]
        else:
            first = take(f"w{i}_1", f"give w{i}_1, w{i}_2 … (one kernel per output channel, its input "
                                    f"channels stacked) or w{i} (1×1 kernels: output × input channels)")
            kernels, k = [], first.shape[1]
            while f"w{i}_{len(kernels) + 1}" in mats:
                name = f"w{i}_{len(kernels) + 1}"
                m = take(name, "")
                if m.shape != first.shape:
                    raise ByHandError(f"{name} is {_shape(m.shape)} but w{i}_1 is {_shape(first.shape)}: "
                                      f"every kernel of convolution {i} has the same shape.", name)
                if m.shape[0] % k:
                    raise ByHandError(f"{name} is {_shape(m.shape)}: it stacks one {k}×{k} kernel per input "
                                      f"channel, so its number of rows must be a multiple of {k}.", name)
                kernels.append(m.reshape(-1, k, k))
            kw[f"w{i}"] = np.stack(kernels)
        bn = take(f"bn{i}", f"batch norm {i} needs one row per channel: γ, β, μ, σ²")
        if bn.shape[1] != 4:
            raise ByHandError(f"bn{i} must have 4 columns (γ, β, μ, σ²), not {bn.shape[1]}.", f"bn{i}")
        kw[f"bn{i}"] = tuple(bn[:, j] for j in range(4)) + (eps,)
    unknown = [name for name in mats if name not in used]
    if unknown:
        raise ByHandError(f"{unknown[0]} is not a matrix of the {kind} block with the {shortcut} shortcut: "
                          f"it has x1, x2 … and, for convolution {', '.join(layers)}, w and bn.", unknown[0])
    return kw


def read_eps(text: str):
    """ε of every batch norm typed as text: a number ≥ 0, read exactly (``'1e-5'`` is 1/100000).

    >>> read_eps("1/4"), read_eps(" 0 ")
    (Fraction(1, 4), 0)
    >>> read_eps("-1")
    Traceback (most recent call last):
    ...
    byhand.numbers.ByHandError: ε: '-1' is negative: ε must be 0 or more; type a number such as 0 or 1e-5.
    """
    try:
        eps = parse_number(str(text))
        if eps < 0:
            raise ValueError("negative: ε must be 0 or more")
        return eps
    except ValueError as e:
        raise ByHandError(f"ε: {quote(text)} is {e}; type a number such as 0 or 1e-5.",
                          "eps") from None


# ---------------------------------------------------------------- option A vs option B

def fixed_projection(c_in: int, c_out: int) -> tuple[list, tuple]:
    """A small fixed option B for an example that has none: ``(ws, bns)``.

    ``ws`` (c_out, c_in, 1, 1) is +1 where output channel o meets input channel o mod c_in and −1
    elsewhere; ``bns`` is the identity batch norm (γ 1, β 0, μ 0, σ² 1, ε 0).

    >>> ws, bns = fixed_projection(2, 4)
    >>> np.array(ws)[:, :, 0, 0].tolist(), bns
    ([[1, -1], [-1, 1], [1, -1], [-1, 1]], ([1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1], 0))
    """
    c = whole_number("c_in", c_in, 1, MAX_CHANNELS)
    n = whole_number("c_out", c_out, 1, MAX_CHANNELS)
    ws = [[[[1 if o % c == i else -1]] for i in range(c)] for o in range(n)]
    return ws, _bn([1] * n, [0] * n, [0] * n, [1] * n)


@dataclass(frozen=True)
class ShortcutOptions:
    """The same block with option A (``a``: zero padding) and option B (``b``: 1×1 projection + BN).

    ``own_projection``: B uses the example's ``ws`` and ``bns`` (else ``fixed_projection``'s).
    """

    a: Walkthrough
    b: Walkthrough
    own_projection: bool

    @property
    def c_in(self) -> int:
        return self.a.params["in_shape"][0]

    @property
    def c_out(self) -> int:
        return self.a.params["out_shape"][0]

    @property
    def zero_channels(self) -> int:
        """The zero channels option A appends to x."""
        return self.c_out - self.c_in

    @property
    def projection_weights(self) -> int:
        """Option B's 1×1 kernels: c_out·c_in·1·1 weights."""
        return self.c_out * self.c_in

    @property
    def projection_bn(self) -> int:
        """Option B's batch norm: γ and β for every output channel."""
        return 2 * self.c_out

    @property
    def parameters(self) -> int:
        """What option B adds to learn (option A adds nothing)."""
        return parameter_count(self.b)["shortcut"]


def shortcut_options(kw: dict, kind: str) -> ShortcutOptions:
    """The block of ``kw`` (a ``kind`` block) with option A and with option B, on the same weights.

    >>> o = shortcut_options(default_conv("zero_pad"), "basic")
    >>> o.own_projection, o.zero_channels, o.parameters, o.projection_weights + o.projection_bn
    (False, 1, 6, 6)
    """
    last = f"w{conv_layers(kind, 'identity')[-1]}"
    c, c_out = np.shape(kw["x"])[0], np.shape(kw[last])[0]
    if c_out < c:
        raise ByHandError(f"option A needs at least as many output channels as input channels: x has {c}, "
                          f"{last} gives {c_out}.", last)
    base = {k: v for k, v in kw.items() if k not in ("ws", "bns", "shortcut")}
    own = kw.get("ws") is not None and kw.get("bns") is not None
    ws, bns = (kw["ws"], kw["bns"]) if own else fixed_projection(c, c_out)
    build = variant_block(kind).build
    return ShortcutOptions(build(**base, shortcut="zero_pad"),
                           build(**base, shortcut="projection", ws=ws, bns=bns), own)



def torch_conv(wt: Walkthrough) -> np.ndarray:
    """The same block in torch layers (nn.Conv2d without bias, nn.BatchNorm2d eval, F.relu), float64."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    p = wt.params

    def conv(i, stride, padding):
        w = tensor(wt.inputs[f"W{i}"]).reshape(p["kernels"][f"W{i}"])
        layer = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], stride, padding, bias=False,
                          dtype=torch.float64)
        with torch.no_grad():
            layer.weight.copy_(w)
        return layer

    def bn(i):
        s = tensor(wt.inputs[f"bn{i} stats"])
        layer = nn.BatchNorm2d(s.shape[0], eps=float(p["eps"][f"bn{i}"]), dtype=torch.float64).eval()
        with torch.no_grad():
            for k, buf in enumerate((layer.weight, layer.bias, layer.running_mean, layer.running_var)):
                buf.copy_(s[:, k])
        return layer

    x = tensor(wt.inputs["x"]).reshape(p["in_shape"]).unsqueeze(0)
    s = p["stride"]
    with torch.no_grad():
        if p["kind"] == "basic":
            k = p["kernels"]["W1"][-1]
            pad = k // 2 if p["padding"] is None else p["padding"]
            f = bn(2)(conv(2, 1, pad)(F.relu(bn(1)(conv(1, s, pad)(x)))))
        else:
            h = F.relu(bn(2)(conv(2, s, 1)(F.relu(bn(1)(conv(1, 1, 0)(x))))))
            f = bn(3)(conv(3, 1, 0)(h))
        if p["shortcut"] == "identity":
            short = x
        elif p["shortcut"] == "zero_pad":
            short = F.pad(x[:, :, ::s, ::s], (0, 0, 0, 0, 0, f.shape[1] - x.shape[1]))
        else:
            short = bn("s")(conv("s", s, 0)(x))
        return F.relu(f + short)[0].numpy()


def _reference(wt: Walkthrough) -> tuple[np.ndarray, str]:
    how = {"identity": " and x + F(x)", "zero_pad": ", slicing x[:, :, ::s, ::s] and F.pad",
           "projection": " and a 1×1 nn.Conv2d + nn.BatchNorm2d"}[wt.params["shortcut"]]
    return torch_conv(wt), ("nn.Conv2d (bias=False), nn.BatchNorm2d in eval mode with these running "
                            f"statistics, F.relu{how}, in float64")


def _random_conv(seed: int, low: int = -2, high: int = 2, channels: int = 1, size: int = 4,
                 stride: int = 1) -> dict:
    """The seeded basic block: identity shortcut at stride 1, option A (zero padding) at 2."""
    return random_conv(seed, channels, size, stride, "identity" if stride == 1 else "zero_pad", low, high)


def _random_bottleneck(seed: int, low: int = -2, high: int = 2, channels: int = 2, size: int = 4,
                       stride: int = 1) -> dict:
    """The seeded bottleneck (width 1): identity shortcut at stride 1, projection at 2."""
    return random_bottleneck(seed, channels, size, stride, "identity" if stride == 1 else "projection", 1,
                             low, high)


_CONV_INPUTS = (Input("x", "the image (C × H × W)"), Input("w1", "first 3×3 kernels", "weight"),
                Input("bn1", "batch norm 1 (γ, β, μ, σ², ε)", "bias"),
                Input("w2", "second 3×3 kernels", "weight"), Input("bn2", "batch norm 2", "bias"))

BLOCK = BlockType(
    "conv", "Convolutional ResNet block", _CONV_INPUTS,
    (Size("channels", "Channels of x", "c", 1, 1, 2), Size("size", "Image size (H = W)", "n", 4, 2, 6),
     Size("stride", "Stride", "s", 1, 1, 2)),
    default_conv, _random_conv, conv_block, _reference,
    page=Page("conv_block", "Convolutional ResNet block", ":material/grid_on:",
              "A 3×3 convolution as a matrix multiply, batch norm, stride 2, and the shortcut that matches "
              "sizes.", file="app_pages/conv_block.py"))

BOTTLENECK = BlockType(
    "bottleneck", "Bottleneck ResNet block",
    (Input("x", "the image (C × H × W)"), Input("w1", "1×1 kernels (reduce)", "weight"),
     Input("bn1", "batch norm 1", "bias"), Input("w2", "3×3 kernels", "weight"),
     Input("bn2", "batch norm 2", "bias"), Input("w3", "1×1 kernels (expand)", "weight"),
     Input("bn3", "batch norm 3", "bias")),
    (Size("channels", "Channels of x", "c", 2, 1, 4), Size("size", "Image size (H = W)", "n", 4, 2, 6),
     Size("stride", "Stride", "s", 1, 1, 2)),
    default_bottleneck, _random_bottleneck, bottleneck_block, _reference)
