"""Residual learning with an image: what a super-resolution network actually has to learn.

A high-resolution image ``high`` is shrunk to ``low`` (averaging f × f blocks) and blown up
again (``upsampled``, bilinear as ``torch.nn.functional.interpolate``). The upsampled image is
already close to the original; a super-resolution network with a skip connection only learns
the difference, ``residual = high − upsampled``: small values, largest at the edges and the
fine detail. The image is a pattern the project draws itself (no file to ship).
"""

from __future__ import annotations

import math

import numpy as np

from .numbers import ByHandError

__all__ = ["pattern_image", "downsample", "upsample", "residual_image", "to_uint8", "METHODS"]

METHODS = ("bilinear", "nearest")


def pattern_image(size: int = 96) -> np.ndarray:
    """A size × size RGB test pattern in [0, 1]: a sky gradient, a sun, stripes, a checkerboard
    and fine rings, so that it has both smooth areas and sharp detail.

    >>> img = pattern_image(32)
    >>> img.shape, float(img.min()) >= 0.0, float(img.max()) <= 1.0
    ((32, 32, 3), True, True)
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 8 <= size <= 512:
        raise ByHandError(f"image size must be a whole number from 8 to 512, not {size!r}.", "size")
    v, u = np.mgrid[0:size, 0:size] / size  # rows (down), columns (right), in [0, 1)
    img = np.empty((size, size, 3))
    img[..., 0] = 0.35 + 0.4 * v  # sky: blue at the top, warmer lower down
    img[..., 1] = 0.55 + 0.2 * v
    img[..., 2] = 0.95 - 0.35 * v
    sun = (u - 0.72) ** 2 + (v - 0.28) ** 2 < 0.16 ** 2
    img[sun] = (1.0, 0.85, 0.2)
    ground = v > 0.62 + 0.06 * np.sin(2 * math.pi * 1.5 * u)
    stripes = (np.floor((u + v) * 14) % 2 == 0)
    img[ground & stripes] = (0.25, 0.55, 0.2)
    img[ground & ~stripes] = (0.35, 0.7, 0.3)
    board = (u < 0.4) & (v > 0.08) & (v < 0.48) & (u > 0.06)
    checks = (np.floor(u * 20) + np.floor(v * 20)) % 2 == 0
    img[board & checks] = (0.1, 0.1, 0.15)
    img[board & ~checks] = (0.95, 0.95, 0.95)
    r2 = (u - 0.72) ** 2 + (v - 0.28) ** 2
    rings = (r2 > 0.2 ** 2) & (r2 < 0.3 ** 2) & (v < 0.6)
    img[rings] *= (0.75 + 0.25 * np.cos(2 * math.pi * 60 * r2))[rings][:, None]
    return np.clip(img, 0.0, 1.0)


def _check(img, factor) -> tuple[np.ndarray, int]:
    a = np.asarray(img, dtype=float)
    if a.ndim not in (2, 3) or a.shape[0] == 0 or a.shape[1] == 0:
        raise ByHandError("the image must be a height × width (× channels) array.", "image")
    if not np.isfinite(a).all():
        raise ByHandError("the image holds a value that is not a finite number.", "image")
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)) or not 1 <= factor <= 16:
        raise ByHandError(f"the scale factor must be a whole number from 1 to 16, not {factor!r}.", "factor")
    return a, int(factor)


def downsample(img, factor: int) -> np.ndarray:
    """Average each factor × factor block (as ``torch.nn.functional.avg_pool2d``); the height and
    width must be multiples of ``factor``.

    >>> downsample(np.arange(16.0).reshape(4, 4), 2).tolist()
    [[2.5, 4.5], [10.5, 12.5]]
    """
    a, f = _check(img, factor)
    h, w = a.shape[:2]
    if h % f or w % f:
        raise ByHandError(f"the image is {h}×{w}: both sides must be multiples of the factor {f}.", "image")
    return a.reshape(h // f, f, w // f, f, *a.shape[2:]).mean(axis=(1, 3))


def _bilinear_axis(n: int, f: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and weights along one axis, as PyTorch's bilinear with align_corners=False."""
    s = np.maximum((np.arange(n * f) + 0.5) / f - 0.5, 0.0)
    i0 = np.floor(s).astype(int)
    i0 = np.minimum(i0, n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    return i0, i1, s - i0


def upsample(img, factor: int, method: str = "bilinear") -> np.ndarray:
    """Blow an image up by ``factor``: ``'nearest'`` repeats pixels, ``'bilinear'`` interpolates
    (as ``torch.nn.functional.interpolate(..., mode='bilinear', align_corners=False)``).

    >>> upsample(np.array([[0.0, 4.0]]), 2).tolist()
    [[0.0, 1.0, 3.0, 4.0], [0.0, 1.0, 3.0, 4.0]]
    """
    a, f = _check(img, factor)
    if method not in METHODS:
        raise ByHandError(f"upsampling must be one of {', '.join(METHODS)}, not {method!r}.", "method")
    if method == "nearest":
        return np.repeat(np.repeat(a, f, axis=0), f, axis=1)
    r0, r1, rw = _bilinear_axis(a.shape[0], f)
    c0, c1, cw = _bilinear_axis(a.shape[1], f)
    extra = (1,) * (a.ndim - 2)
    rw = rw.reshape(-1, 1, *extra)
    cw = cw.reshape(1, -1, *extra)
    rows = a[r0] * (1 - rw) + a[r1] * rw
    return rows[:, c0] * (1 - cw) + rows[:, c1] * cw


def to_uint8(img) -> np.ndarray:
    """An image in [0, 1] as 8-bit pixels for display (values outside are clipped)."""
    return (np.clip(np.asarray(img, dtype=float), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def residual_image(size: int = 96, factor: int = 4, method: str = "bilinear") -> dict:
    """The pattern at full size, shrunk, blown up again, and the residual between them.

    Returns ``high``, ``low``, ``upsampled``, ``residual`` (high − upsampled, in [−1, 1]),
    ``residual_view`` (the residual for display: grey is 0, brighter/darker is ±, scaled so
    the largest difference reaches white or black) and ``stats``: ``energy`` (the residual's
    share of the image's squared values), ``small`` (share of pixels changing by under 0.05),
    ``max`` (the largest |difference|).

    >>> r = residual_image(32, 4)
    >>> np.allclose(r['upsampled'] + r['residual'], r['high'])
    True
    """
    high = pattern_image(size)
    _, factor = _check(high, factor)
    if size % factor:
        raise ByHandError(f"the scale factor {factor} must divide the image size {size}.", "factor")
    low = downsample(high, factor)
    up = upsample(low, factor, method)
    residual = high - up
    peak = float(np.abs(residual).max())
    view = 0.5 + residual / (2.0 * peak) if peak > 0 else np.full_like(residual, 0.5)
    stats = {"energy": float((residual ** 2).sum() / (high ** 2).sum()),
             "small": float(np.mean(np.abs(residual).max(axis=-1) < 0.05)), "max": peak}
    return {"high": high, "low": low, "upsampled": up, "residual": residual, "residual_view": view,
            "stats": stats, "factor": factor, "method": method}
