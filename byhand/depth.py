"""Gradients through deep stacks, and training plain vs residual stacks: NumPy only.

Both stacks are built from the same block, with no biases at initialisation:

- plain block      ``x ← ReLU(W2·ReLU(W1·x))``   (Jacobian ``D2·W2·D1·W1``)
- residual block   ``x ← x + α·W2·ReLU(W1·x)``   (Jacobian ``I + α·W2·D1·W1``)

where ``D = diag(ReLU′(…))`` and ``α`` is the residual-branch scale (1, 1/√depth, or 0 for a
zero-initialised last layer, as ResNets do with their last batch norm). Backpropagation
multiplies the upstream gradient by one Jacobian per block. Both blocks are positively
homogeneous in x, so the forward pass can renormalise x after every block and the backward
pass can renormalise the gradient, adding up log norms: nothing overflows at depth 10,000.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .numbers import ByHandError

__all__ = ["INITS", "BRANCHES", "MAX_DEPTH", "MAX_WIDTH", "MAX_DRAWS", "MAX_WORK", "MAX_VECTORS",
           "GradientNorms", "gradient_norms", "stack_log_norms", "branch_scale", "init_std", "TrainingRun",
           "Training", "train_work", "sweep_work", "MAX_TRAIN_WORK", "toy_data", "init_net", "net_forward",
           "net_backward", "train_stacks"]

INITS = {"he": "He (variance 2/fan_in)", "xavier": "Xavier (variance 1/fan_in here)",
         "gain": "gain/√fan_in (a chosen scale)"}
BRANCHES = {"1": "α = 1 (no scaling)", "1/sqrt(depth)": "α = 1/√depth",
            "zero": "zero-initialised last layer (α·W2 = 0)"}
MAX_DEPTH = 10_000
MAX_WIDTH = 256
MAX_DRAWS = 50
# One sweep is bounded by about 2 s of CPU and 200 MB on the 2-core machine the app was measured on
# (bench/rows_limits.py records the worst allowed settings): 20 draws × width 32 × depth 3,125 (64 M
# weights per matrix) took 2.7 s; 50 draws × width 8 × depth 10,000 took 258 MB, as the backward pass
# keeps about 60 bytes per entry of every block's vectors.
# A block of one draw costs about width² + 5·width + 42 multiply-adds' time (0.038 µs each): fitted to
# widths 1 to 256, so a sweep's work is depth · draws · (width² + 5·width + 42) (``sweep_work``).
MAX_WORK = 52_000_000
MAX_VECTORS = 2_000_000  # depth · draws · width: the vector entries kept for the backward pass
_CHUNK = 1_000_000  # weights (per matrix) generated at once
_KEEP = 6_000_000  # keep all weights (float32, 48 MB) between the passes up to this many per matrix


def _whole(name: str, value, low: int, high: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ByHandError(f"{name} must be a whole number from {low:,} to {high:,}, not {value!r}.", name)
    if not low <= value <= high:
        raise ByHandError(f"{name} must be from {low:,} to {high:,}, not {int(value):,}.", name)
    return int(value)


def _positive(name: str, value, high: float = 1e3) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ByHandError(f"{name} must be a number, not {value!r}.", name) from None
    if not math.isfinite(v) or not 0 < v <= high:
        raise ByHandError(f"{name} must be a finite number above 0 and at most {high:g}, not {v}.", name)
    return v


def init_std(init: str, width: int, gain: float = 1.0) -> float:
    """The weights' standard deviation for a width × width layer.

    >>> init_std('he', 8), init_std('xavier', 4), init_std('gain', 4, 3.0)
    (0.5, 0.5, 1.5)
    """
    if init not in INITS:
        raise ByHandError(f"initialisation must be one of {', '.join(INITS)}, not {init!r}.", "init")
    if init == "he":
        return math.sqrt(2.0 / width)
    if init == "xavier":
        return math.sqrt(2.0 / (width + width))
    return _positive("gain", gain) / math.sqrt(width)


def branch_scale(branch: str, depth: int) -> float:
    """α for a residual-branch scale name: ``'1'``, ``'1/sqrt(depth)'`` or ``'zero'``.

    >>> branch_scale('1/sqrt(depth)', 100)
    0.1
    """
    if branch not in BRANCHES:
        raise ByHandError(f"branch scale must be one of {', '.join(BRANCHES)}, not {branch!r}.", "branch")
    return {"1": 1.0, "1/sqrt(depth)": 1.0 / math.sqrt(depth), "zero": 0.0}[branch]


_RENORM = 8  # renormalise every this many blocks (a block changes a norm by far less than 1e38)


def _renorm(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """v divided by its norm over the last two axes, and log10 of that norm (0 for a zero v)."""
    n = np.sqrt(np.einsum("...ij,...ij->...", v, v))
    n = np.where(n > 0, n, 1.0)
    return v / n[..., None, None], np.log10(n)


def _log_norms(v: np.ndarray) -> np.ndarray:
    """log10 of the norm over the last two axes (−inf for a zero vector, without a warning)."""
    n = np.sqrt(np.einsum("...ij,...ij->...", v, v))
    with np.errstate(divide="ignore"):
        return np.log10(n)


def stack_log_norms(x0: np.ndarray, delta: np.ndarray, W1: np.ndarray, W2: np.ndarray,
                    alpha: float | np.ndarray, residual: bool | np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """log10 norms of the activations and of the gradients at every block of one stack.

    x0 and delta (the gradient ∂L/∂x at the top, a row) are ``(..., w)``; W1 and W2 are
    ``(depth, ..., w, w)`` (out × in, as ``nn.Linear.weight``). ``residual`` and ``alpha`` may
    be arrays broadcasting against the batch shape ``...``. Returns ``(act, grad)``, each
    ``(depth + 1, ...)``: ``act[l] = log10 ‖x_l‖`` and ``grad[l] = log10 ‖∂L/∂x_l‖``
    (−inf where the vector is exactly 0, e.g. a plain stack whose units all switched off).

    >>> eye = np.eye(2)[None]
    >>> a, g = stack_log_norms(np.array([3.0, 4.0]), np.array([1.0, 0.0]), eye, eye, 1.0, True)
    >>> np.round(10 ** a, 6).tolist(), np.round(10 ** g, 6).tolist()
    ([5.0, 10.0], [2.0, 1.0])
    """
    W1 = np.asarray(W1, dtype=float)
    W2 = np.asarray(W2, dtype=float)
    return _passes(np.asarray(x0, dtype=float), np.asarray(delta, dtype=float),
                   lambda k: (W1, W2), [W1.shape[0]], alpha, residual)


def _passes(x0, delta, chunk_weights: Callable[[int], tuple[np.ndarray, np.ndarray]], sizes: list[int],
            alpha, residual, progress: Callable[[float], None] | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Forward then backward through chunks of blocks, renormalising every few blocks;
    ``progress(fraction)`` after each chunk of blocks, each way.

    Vectors are kept as columns (forward, ``(..., w, 1)``) and rows (backward, ``(..., 1, w)``)
    so that each block is a handful of batched matmuls with no reshaping.
    """
    depth, w = sum(sizes), x0.shape[-1]
    batch = np.broadcast_shapes(x0.shape[:-1], np.shape(residual), np.shape(alpha))
    res = np.broadcast_to(np.asarray(residual, dtype=bool), batch)[..., None, None]
    a = np.broadcast_to(np.asarray(alpha, dtype=float), batch)[..., None, None]
    floor = np.where(res, -np.inf, 0.0)  # ReLU after W2 for plain blocks only
    groups = -(-depth // _RENORM) + 1

    x, log0 = _renorm(np.broadcast_to(x0, batch + (w,))[..., None].copy())
    z1s = np.empty((depth,) + batch + (w, 1))
    z2s = np.empty_like(z1s)
    ys = np.empty_like(z1s)
    offs = np.zeros((groups,) + batch)
    def weights(k: int) -> tuple[np.ndarray, np.ndarray]:
        """The chunk's W1 and α·W2 (one copy of W2 per batch entry's α)."""
        A, B = chunk_weights(k)
        missing = len(batch) - (B.ndim - 3)  # batch axes the weights share (e.g. plain and residual)
        return A, B.reshape(B.shape[:1] + (1,) * missing + B.shape[1:]) * a[None]

    start = 0
    for k, size in enumerate(sizes):
        A, B = weights(k)
        for i in range(size):
            l = start + i
            np.matmul(A[i], x, out=z1s[l])
            np.matmul(B[i], np.maximum(z1s[l], 0.0), out=z2s[l])  # B holds α·W2 for residual stacks
            y = np.maximum(z2s[l], floor, out=ys[l])
            np.add(y, x, out=y, where=res)  # the skip: x carried over by residual blocks only
            x = y
            if l % _RENORM == _RENORM - 1:
                x, lg = _renorm(y)
                offs[l // _RENORM + 1] = offs[l // _RENORM] + lg
        start += size
        if progress is not None:
            progress(0.5 * start / depth)
    group = np.arange(depth) // _RENORM
    log_act = np.empty((depth + 1,) + batch)
    log_act[0] = log0
    log_act[1:] = log0 + _log_norms(ys) + offs[group]

    m1 = np.swapaxes(z1s > 0, -1, -2)  # ReLU′ as rows, for the backward pass
    m2 = np.swapaxes((z2s > 0) | res, -1, -2)  # plain: ReLU′; residual: 1 (no ReLU after the sum)
    del z1s, z2s, ys
    g, logd = _renorm(np.broadcast_to(delta, batch + (w,))[..., None, :].copy())
    gs = np.empty((depth,) + batch + (1, w))
    offs = np.zeros((groups,) + batch)
    end = depth
    for k in range(len(sizes) - 1, -1, -1):
        A, B = weights(k)
        size = sizes[k]
        for i in range(size - 1, -1, -1):
            l = end - size + i
            u = np.matmul(g * m2[l], B[i])
            u *= m1[l]
            v = np.matmul(u, A[i], out=gs[l])
            np.add(v, g, out=v, where=res)
            g = v
            t = depth - 1 - l  # blocks done so far, minus one
            if t % _RENORM == _RENORM - 1:
                g, lg = _renorm(v)
                offs[t // _RENORM + 1] = offs[t // _RENORM] + lg
        end -= size
        if progress is not None:
            progress(1.0 - 0.5 * end / depth)
    log_grad = np.empty((depth + 1,) + batch)
    log_grad[depth] = logd
    log_grad[:depth] = logd + _log_norms(gs) + offs[(depth - 1 - np.arange(depth)) // _RENORM]
    return log_act, log_grad


@dataclass(frozen=True, eq=False)
class GradientNorms:
    """log10 gradient and activation norms per block of a plain and a residual stack, per draw.

    ``plain`` and ``residual`` are ``(draws, depth + 1)`` arrays of ``log10 ‖∂L/∂x_l‖`` for
    l = 0 (the input) … depth (the top, where the gradient has norm 1); ``plain_act`` and
    ``residual_act`` hold ``log10 ‖x_l‖`` with ``‖x_0‖ = 1``. Both stacks share their weights.
    """

    width: int
    depth: int
    init: str
    gain: float
    branch: str
    alpha: float
    draws: int
    seed: int
    plain: np.ndarray
    residual: np.ndarray
    plain_act: np.ndarray
    residual_act: np.ndarray
    std: float = 0.0
    notes: dict = field(default_factory=dict)

    def summary(self, stack: str = "residual", kind: str = "grad") -> dict[str, np.ndarray]:
        """Per layer over the draws: ``mean``, ``low`` (min), ``high`` (max) and ``sd`` of the
        log10 norms of the draws whose vector is not exactly 0; ``dead``, the fraction of draws
        where it is exactly 0 (every ReLU off); and ``rms``, log10 of the root mean square norm
        over all draws (what a variance-preserving initialisation keeps), −inf if all are 0."""
        data = {("plain", "grad"): self.plain, ("residual", "grad"): self.residual,
                ("plain", "act"): self.plain_act, ("residual", "act"): self.residual_act}[(stack, kind)]
        alive = np.isfinite(data)
        live = np.where(alive, data, np.nan)
        count = alive.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(np.where(alive, data, 0.0), axis=0) / count
            low = np.where(count > 0, np.min(np.where(alive, data, np.inf), axis=0), np.nan)
            high = np.where(count > 0, np.max(np.where(alive, data, -np.inf), axis=0), np.nan)
            sd = np.sqrt(np.nansum((live - mean) ** 2, axis=0) / count)
            ln10 = math.log(10.0)
            sq = 2.0 * data * ln10  # ln of squared norms
            top = sq.max(axis=0)
            rms = np.where(np.isfinite(top),
                           (top + np.log(np.exp(sq - np.where(np.isfinite(top), top, 0.0)).mean(axis=0)))
                           / (2.0 * ln10), -np.inf)
        return {"mean": mean, "low": low, "high": high, "sd": sd, "dead": 1.0 - count / data.shape[0],
                "rms": rms}

    def chart_rows(self, points: int = 400, kind: str = "grad") -> list[dict]:
        """Rows ``layer, stack, mean, low, high, rms, dead`` at up to ``points`` evenly spaced
        layers; statistics over no live draw are None."""
        layers = np.unique(np.linspace(0, self.depth, min(points, self.depth + 1)).round().astype(int))
        rows = []
        for stack in ("plain", "residual"):
            s = self.summary(stack, kind)
            for l in layers:
                row = {"layer": int(l), "stack": stack}
                for key in ("mean", "low", "high", "rms"):
                    v = float(s[key][l])
                    row[key] = v if math.isfinite(v) else None
                row["dead"] = float(s["dead"][l])
                rows.append(row)
        return rows


def sweep_work(width: int, depth: int, draws: int) -> int:
    """The work of a gradient sweep, in units of one multiply-add's time (see ``MAX_WORK``).

    >>> sweep_work(32, 1000, 5)
    6130000
    """
    return depth * draws * (width * width + 5 * width + 42)


def gradient_norms(width: int = 8, depth: int = 100, init: str = "he", branch: str = "1/sqrt(depth)",
                   draws: int = 5, gain: float = 1.0, seed: int = 0,
                   progress: Callable[[float], None] | None = None) -> GradientNorms:
    """Gradient norms per block through a plain and a residual stack with the same random weights.

    Each draw takes fresh weights (std from ``init``), a random unit input x0 and a random
    unit gradient at the top; the residual stack scales its branch by α (``branch``).
    ``progress(fraction)`` is called after each chunk of blocks (a page's progress bar, and where a
    click can stop it).

    >>> g = gradient_norms(width=8, depth=10_000, branch='zero', draws=2)
    >>> float(abs(g.residual).max()) < 1e-9  # zero-initialised branch: every Jacobian is I
    True
    """
    width = _whole("width", width, 1, MAX_WIDTH)
    depth = _whole("depth", depth, 1, MAX_DEPTH)
    draws = _whole("draws", draws, 1, MAX_DRAWS)
    seed = _whole("seed", seed, 0, 2**32 - 1)
    std = init_std(init, width, gain)
    alpha = branch_scale(branch, depth)
    work = sweep_work(width, depth, draws)
    if work > MAX_WORK:
        raise ByHandError(f"width² × depth × draws is {width * width * depth * draws:,}; with each "
                          f"block's own cost, depth × draws × (width² + 5·width + 42) = {work:,} is too much "
                          f"work for one sweep (at most {MAX_WORK:,}, about 2 s). Lower the width, the depth "
                          "or the number of draws.", "width")
    if depth * draws * width > MAX_VECTORS:
        raise ByHandError(f"depth × draws × width is {depth * draws * width:,}: at most {MAX_VECTORS:,} fits "
                          "in memory (every block's vectors are kept for the backward pass). Lower the "
                          "depth, the number of draws or the width.", "depth")
    per_block = draws * width * width
    keep_all = width * width * depth * draws <= _KEEP
    chunk = max(1, _CHUNK // per_block)
    sizes = [min(chunk, depth - s) for s in range(0, depth, chunk)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes) + 1)
    cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def chunk_weights(k: int) -> tuple[np.ndarray, np.ndarray]:
        if k in cache:
            W = cache[k]
        else:
            W = np.random.default_rng(seeds[k]).standard_normal((2, sizes[k], draws, width, width),
                                                                 dtype=np.float32)
            if keep_all:
                cache[k] = W  # float32 in memory, float64 in use
        W = W.astype(float)
        W *= std
        return W[0], W[1]

    rng = np.random.default_rng(seeds[-1])
    x0 = rng.standard_normal((draws, width))
    delta = rng.standard_normal((draws, width))
    res = np.array([False, True])[:, None]  # batch (stack, draw)
    al = np.array([1.0, alpha])[:, None]
    act, grad = _passes(x0, delta, chunk_weights, sizes, al, res, progress)
    act = act - act[0]  # ‖x_0‖ = 1
    grad = grad - grad[-1]  # ‖∂L/∂x_depth‖ = 1
    return GradientNorms(width, depth, init, float(gain), branch, alpha, draws, seed,
                         grad[:, 0].T.copy(), grad[:, 1].T.copy(), act[:, 0].T.copy(),
                         act[:, 1].T.copy(), std)


# ---------------------------------------------------------------- training plain vs residual

TASKS = {"spirals": "two interleaved spirals", "circles": "a disc inside a ring"}
OPTIMIZERS = ("adam", "sgd")
MAX_TRAIN_DEPTH = 64
MAX_TRAIN_WIDTH = 32  # wider, OpenBLAS starts threads for each small multiply: 20 times slower here
MAX_STEPS = 5_000
# A whole run's work (``train_work``) is bounded by about 2 s of CPU on the 2-core machine the app was
# measured on (bench/rows_limits.py): a block-step of width 32 on 256 points took 0.12 ms, of width 4
# 0.04 ms, so a block-step costs about points·width² + 86,000 multiply-adds' time, 3.5e-7 ms each; the
# deepest, widest run allowed (64 blocks of width 32, 112 steps) takes 1.9 s.
TRAIN_OVERHEAD = 86_000
MAX_TRAIN_WORK = 5_000_000_000


def toy_data(task: str = "spirals", points: int = 256, noise: float = 0.05, seed: int = 0
             ) -> tuple[np.ndarray, np.ndarray]:
    """A 2-D binary classification set: ``P`` (2 × points, columns are samples) and labels ``y``.

    >>> P, y = toy_data('circles', 8)
    >>> P.shape, y.shape, sorted(set(y.tolist()))
    ((2, 8), (8,), [0.0, 1.0])
    """
    if task not in TASKS:
        raise ByHandError(f"task must be one of {', '.join(TASKS)}, not {task!r}.", "task")
    points = _whole("points", points, 2, 10_000)
    rng = np.random.default_rng(seed)
    y = np.arange(points) % 2
    if task == "spirals":
        t = rng.uniform(0.25, 1.0, points) * 3.0 * math.pi
        angle = t + math.pi * y
        P = np.stack([t * np.cos(angle), t * np.sin(angle)]) / (3.0 * math.pi)
    else:
        r = np.where(y == 1, rng.uniform(0.0, 0.5, points), rng.uniform(0.7, 1.0, points))
        angle = rng.uniform(0.0, 2.0 * math.pi, points)
        P = np.stack([r * np.cos(angle), r * np.sin(angle)])
    P = P + noise * rng.standard_normal(P.shape)
    return P, y.astype(float)


def init_net(depth: int, width: int = 16, residual: bool = True, branch: str = "1/sqrt(depth)",
             init: str = "he", seed: int = 0, inputs: int = 2) -> dict[str, np.ndarray]:
    """Weights of ``inputs → width`` (linear), ``depth`` blocks, ``width → 1`` (a logit); biases 0.

    W1, b1, W2, b2 hold every block's weights stacked: ``(depth, width, width)`` and
    ``(depth, width, 1)``. A residual net with ``branch='zero'`` starts with W2 = 0.
    """
    rng = np.random.default_rng(seed)
    std = init_std(init, width)
    zero_branch = residual and branch == "zero"
    return {
        "W_in": rng.standard_normal((width, inputs)) * math.sqrt(2.0 / inputs),
        "b_in": np.zeros((width, 1)),
        "W1": rng.standard_normal((depth, width, width)) * std,
        "b1": np.zeros((depth, width, 1)),
        "W2": rng.standard_normal((depth, width, width)) * (0.0 if zero_branch else std),
        "b2": np.zeros((depth, width, 1)),
        "W_out": rng.standard_normal((1, width)) * math.sqrt(1.0 / width),
        "b_out": np.zeros((1, 1)),
    }


def net_forward(params: dict[str, np.ndarray], P: np.ndarray, residual: bool, alpha: float = 1.0
                ) -> tuple[np.ndarray, list]:
    """The logits (1 × n) for the points P (2 × n), and what the backward pass needs.

    x ← W_in·p + b_in; each block x ← ReLU(F(x)) (plain) or x ← x + α·F(x) (residual),
    with F(x) = W2·ReLU(W1·x + b1) + b2; the logit is W_out·x + b_out.
    """
    x = params["W_in"] @ P + params["b_in"]
    cache = []
    for W1, b1, W2, b2 in zip(params["W1"], params["b1"], params["W2"], params["b2"]):
        z1 = W1 @ x + b1
        h = np.maximum(z1, 0.0)
        z2 = W2 @ h + b2
        cache.append((x, z1, h, z2))
        x = x + alpha * z2 if residual else np.maximum(z2, 0.0)
    cache.append(x)
    return params["W_out"] @ x + params["b_out"], cache


def bce_loss(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean binary cross-entropy of the logits, and its gradient with respect to them."""
    s = logits.ravel()
    loss = float(np.mean(np.logaddexp(0.0, s) - y * s))
    grad = (0.5 * (1.0 + np.tanh(0.5 * s)) - y) / s.size  # sigmoid(s) − y, stably
    return loss, grad.reshape(logits.shape)


def net_backward(params: dict[str, np.ndarray], P: np.ndarray, cache: list, dlogits: np.ndarray,
                 residual: bool, alpha: float = 1.0) -> dict[str, np.ndarray]:
    """Gradients of the loss for every weight, given ∂L/∂logits (the backprop rule, block by block)."""
    x_top = cache[-1]
    grads = {"W_out": dlogits @ x_top.T, "b_out": dlogits.sum(axis=1, keepdims=True)}
    g = params["W_out"].T @ dlogits
    depth = len(params["W1"])
    for name in ("W1", "b1", "W2", "b2"):
        grads[name] = np.empty_like(params[name])
    for l in range(depth - 1, -1, -1):
        x, z1, h, z2 = cache[l]
        g2 = alpha * g if residual else g * (z2 > 0)
        grads["W2"][l] = g2 @ h.T
        grads["b2"][l] = g2.sum(axis=1, keepdims=True)
        gz1 = (params["W2"][l].T @ g2) * (z1 > 0)
        grads["W1"][l] = gz1 @ x.T
        grads["b1"][l] = gz1.sum(axis=1, keepdims=True)
        g = params["W1"][l].T @ gz1 + (g if residual else 0.0)
    grads["W_in"] = g @ P.T
    grads["b_in"] = g.sum(axis=1, keepdims=True)
    return grads


@dataclass(frozen=True, eq=False)
class TrainingRun:
    """Training-loss curves of plain and residual nets of several depths on one toy task.

    ``plain[depth]`` and ``residual[depth]`` are arrays of the loss after each step (index 0:
    before training); ``accuracy`` maps (kind, depth) to the final training accuracy.
    """

    depths: tuple[int, ...]
    width: int
    steps: int
    task: str
    optimizer: str
    lr: float
    branch: str
    seed: int
    plain: dict[int, np.ndarray]
    residual: dict[int, np.ndarray]
    accuracy: dict[tuple[str, int], float]

    def chart_rows(self, every: int = 1) -> list[dict]:
        """Rows ``step, loss, depth, stack`` for a line chart (every ``every``-th step)."""
        rows = []
        for kind, curves in (("plain", self.plain), ("residual", self.residual)):
            for d in self.depths:
                for step in range(0, self.steps + 1, every):
                    rows.append({"step": step, "loss": float(curves[d][step]), "depth": d, "stack": kind})
        return rows


class Training:
    """A run of ``train_stacks``, advanced a few steps at a time: a page shows its progress between
    chunks, can stop it (``result`` then holds the depths finished), and a chunk is short enough that
    the server answers other sessions in between. Every setting is checked when it is made, and the
    whole run's work (``train_work``) must fit ``MAX_TRAIN_WORK``.

    >>> job = Training(depths=(1, 2), width=4, steps=10, points=16)
    >>> job.advance(30); round(job.fraction, 2), job.done
    (0.5, False)
    >>> job.advance(10**9); job.done, job.result().depths
    (True, (1, 2))
    """

    def __init__(self, depths=(2, 8, 32), width: int = 16, steps: int = 300, lr: float = 0.01,
                 optimizer: str = "adam", task: str = "spirals", points: int = 256,
                 branch: str = "1/sqrt(depth)", seed: int = 0):
        if isinstance(depths, (int, np.integer)):
            depths = (depths,)
        try:
            depths = tuple(sorted({_whole("depth", d, 1, MAX_TRAIN_DEPTH) for d in depths}))
        except TypeError:
            raise ByHandError("depths must be a list of whole numbers.", "depths") from None
        if not 1 <= len(depths) <= 6:
            raise ByHandError("give from 1 to 6 depths to compare.", "depths")
        self.width = _whole("width", width, 1, MAX_TRAIN_WIDTH)
        self.steps = _whole("steps", steps, 1, MAX_STEPS)
        self.lr = _positive("learning rate", lr, 10.0)
        if optimizer not in OPTIMIZERS:
            raise ByHandError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, not {optimizer!r}.",
                              "optimizer")
        if branch not in BRANCHES:
            raise ByHandError(f"branch scale must be one of {', '.join(BRANCHES)}, not {branch!r}.", "branch")
        self.P, self.y = toy_data(task, points, seed=seed)
        work = train_work(depths, self.width, self.steps, self.P.shape[1])
        if work > MAX_TRAIN_WORK:
            most = MAX_TRAIN_WORK * self.steps // work
            raise ByHandError(f"steps × 2 × (sum of the depths) × (points × width² + {TRAIN_OVERHEAD:,}) is "
                              f"{work:,}, too much work for one run (at most {MAX_TRAIN_WORK:,}, about 2 s): "
                              f"lower the steps (at most {most:,} with these depths and width), the width or "
                              "the depths.", "steps")
        self.depths, self.optimizer, self.task, self.branch, self.seed = depths, optimizer, task, branch, seed
        self.nets = [(kind, d) for d in depths for kind in ("plain", "residual")]  # trained in this order
        self.curves: dict[str, dict[int, np.ndarray]] = {"plain": {}, "residual": {}}
        self.accuracy: dict[tuple[str, int], float] = {}
        self.total = 2 * sum(depths) * self.steps  # block-steps
        self.finished = 0  # block-steps of the nets done
        self._net = -1
        self._next_net()

    @property
    def done(self) -> bool:
        return self._net >= len(self.nets)

    @property
    def fraction(self) -> float:
        """The share of the run's block-steps done."""
        d = 0 if self.done else self.nets[self._net][1]
        return min(1.0, (self.finished + d * (self._t - 1)) / self.total)

    @property
    def where(self) -> str:
        """What is being trained, in words."""
        if self.done:
            return "done"
        kind, d = self.nets[self._net]
        return f"{kind} net, depth {d}: step {self._t - 1} of {self.steps}"

    def _next_net(self) -> None:
        self._net += 1
        if self.done:
            return
        kind, d = self.nets[self._net]
        residual = kind == "residual"
        params = init_net(d, self.width, residual, self.branch, seed=self.seed)
        names = list(params)
        flat = np.concatenate([params[k].ravel() for k in names])
        views, offset = {}, 0
        for k in names:  # every weight becomes a view into one flat vector
            views[k] = flat[offset:offset + params[k].size].reshape(params[k].shape)
            offset += params[k].size
        self._state = (names, flat, views, np.zeros_like(flat), np.zeros_like(flat), np.empty(self.steps + 1))
        self._t = 1

    @property
    def chunk(self) -> int:
        """Block-steps of about a tenth of the largest run's work (0.2 s): what a page trains between
        two looks at its progress and its Stop button."""
        return max(1, MAX_TRAIN_WORK // 10 // (self.P.shape[1] * self.width ** 2 + TRAIN_OVERHEAD))

    def advance(self, block_steps: int | None = None) -> None:
        """Train on for at least ``block_steps`` single-block steps (``chunk`` by default), or to the end."""
        budget = self.chunk if block_steps is None else block_steps
        while not self.done and budget > 0:
            kind, d = self.nets[self._net]
            residual = kind == "residual"
            alpha = 1.0 if self.branch == "zero" else branch_scale(self.branch, d)
            names, flat, views, m, v, losses = self._state
            t = self._t
            logits, cache = net_forward(views, self.P, residual, alpha)
            loss, dlogits = bce_loss(logits, self.y)
            losses[t - 1] = loss if math.isfinite(loss) else np.nan
            if t == self.steps + 1:
                self.accuracy[(kind, d)] = float(np.mean((logits.ravel() > 0) == (self.y > 0.5)))
                self.curves[kind][d] = losses
                self.finished += d * self.steps
                self._next_net()
                continue
            grads = net_backward(views, self.P, cache, dlogits, residual, alpha)
            g = np.concatenate([grads[k].ravel() for k in names])
            if self.optimizer == "sgd":
                flat -= self.lr * g
            else:
                m *= 0.9
                m += 0.1 * g
                v *= 0.999
                v += 0.001 * g * g
                flat -= self.lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
            self._t = t + 1
            budget -= d

    def result(self) -> TrainingRun:
        """The run of the depths whose plain and residual nets are both trained (all of them once done)."""
        depths = tuple(d for d in self.depths if d in self.curves["residual"])
        return TrainingRun(depths, self.width, self.steps, self.task, self.optimizer, self.lr, self.branch,
                           self.seed, {d: self.curves["plain"][d] for d in depths},
                           {d: self.curves["residual"][d] for d in depths},
                           {k: a for k, a in self.accuracy.items() if k[1] in depths})


def train_work(depths, width: int, steps: int, points: int = 256) -> int:
    """The work of a training run, in units of one multiply-add of a ``points × width²`` layer:
    ``steps × 2 × Σ depths × (points × width² + TRAIN_OVERHEAD)`` (a block-step's fixed cost counted).

    >>> train_work((2, 8, 32), 16, 300)
    3818707200
    """
    return steps * 2 * sum(depths) * (points * width * width + TRAIN_OVERHEAD)


def train_stacks(depths=(2, 8, 32), width: int = 16, steps: int = 300, lr: float = 0.01,
                 optimizer: str = "adam", task: str = "spirals", points: int = 256,
                 branch: str = "1/sqrt(depth)", seed: int = 0,
                 progress: Callable[[float, str], None] | None = None) -> TrainingRun:
    """Train a plain and a residual net of each depth on the same toy data, full batch.

    Same data, same initial weights for the shared layers, same optimizer and learning rate for
    every net; only the skip connection differs. ``progress(fraction, text)`` is called as it goes.
    (A ``Training`` run, to the end.)

    >>> run = train_stacks(depths=(1,), width=4, steps=3, points=16)
    >>> len(run.plain[1]), bool(run.plain[1][0] > 0)
    (4, True)
    """
    job = Training(depths, width, steps, lr, optimizer, task, points, branch, seed)
    while not job.done:
        job.advance(25 * max(job.depths))
        if progress is not None:
            progress(job.fraction, job.where)
    if progress is not None and job.fraction < 1.0:
        progress(1.0, "done")
    return job.result()
