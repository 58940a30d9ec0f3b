"""Default examples sized for working by hand, and seeded random ones.

The same seed gives the same example everywhere: pages, worksheets and tests.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .numbers import MAX_DIM, ByHandError

__all__ = ["default_residual", "default_encoder", "random_residual", "random_encoder",
           "random_attention", "check_size", "MAX_VALUE"]

MAX_VALUE = 99  # largest |value| a random example may use


def default_residual() -> dict:
    """A mini-batch of 3 samples with 3 features, hidden size 3, small integers."""
    return {
        "X": [[1, 2, 0], [0, 1, 1], [2, -1, 1]],
        "W1": [[1, 0, 1], [0, 1, -1], [-1, 1, 0]],
        "b1": [[0], [1], [0]],
        "W2": [[1, -1, 0], [0, 1, 1], [1, 0, -1]],
        "b2": [[0], [-1], [1]],
    }


def default_encoder() -> dict:
    """3 positions with 2 features, feed-forward hidden size 3, attention columns of easy fractions."""
    h, t = Fraction(1, 2), Fraction(1, 3)
    return {
        "X": [[2, 0, 1], [1, 3, 0]],
        "A": [[h, 0, t], [h, 1, t], [0, 0, t]],
        "W1": [[1, -1], [0, 1], [1, 1]],
        "b1": [[0], [-1], [1]],
        "W2": [[1, 0, -1], [0, 1, 1]],
        "b2": [[0], [-1]],
    }


def check_size(name: str, value: int, low: int = 1, high: int = MAX_DIM) -> int:
    """An integer size within [low, high], or ByHandError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ByHandError(f"{name} must be a whole number from {low} to {high}, not {value!r}.", name)
    return int(value)


def _ints(rng: np.random.Generator, shape: tuple[int, int], low: int, high: int) -> list:
    return rng.integers(low, high + 1, size=shape).tolist()


def _range(low: int, high: int) -> tuple[int, int]:
    check_size("lowest value", low, -MAX_VALUE, MAX_VALUE)
    check_size("highest value", high, -MAX_VALUE, MAX_VALUE)
    if low > high:
        raise ByHandError(f"the lowest value ({low}) is above the highest ({high}).", "value range")
    return low, high


def random_residual(seed: int, features: int = 3, samples: int = 3, hidden: int = 3,
                    low: int = -2, high: int = 2) -> dict:
    """Seeded small-integer inputs for ``residual_block``.

    >>> random_residual(7) == random_residual(7)
    True
    """
    d, n, h = (check_size(k, v) for k, v in
               (("features", features), ("samples", samples), ("hidden size", hidden)))
    low, high = _range(low, high)
    rng = np.random.default_rng(seed)
    return {"X": _ints(rng, (d, n), low, high), "W1": _ints(rng, (h, d), low, high),
            "b1": _ints(rng, (h, 1), low, high), "W2": _ints(rng, (d, h), low, high),
            "b2": _ints(rng, (d, 1), low, high)}


def random_attention(rng: np.random.Generator, n: int) -> list:
    """An n × n attention matrix: each column spreads weight 1 evenly over a few positions."""
    A = [[Fraction(0)] * n for _ in range(n)]
    for j in range(n):
        k = int(rng.integers(1, min(n, 3) + 1))
        for i in rng.choice(n, size=k, replace=False):
            A[int(i)][j] = Fraction(1, k)
    return A


def random_encoder(seed: int, features: int = 2, positions: int = 3, hidden: int = 3,
                   low: int = -2, high: int = 2) -> dict:
    """Seeded inputs for ``encoder_block``: small integers, attention columns of easy fractions."""
    d, n, h = (check_size(k, v) for k, v in
               (("features", features), ("positions", positions), ("hidden size", hidden)))
    low, high = _range(low, high)
    rng = np.random.default_rng(seed)
    return {"X": _ints(rng, (d, n), low, high), "A": random_attention(rng, n),
            "W1": _ints(rng, (h, d), low, high), "b1": _ints(rng, (h, 1), low, high),
            "W2": _ints(rng, (d, h), low, high), "b2": _ints(rng, (d, 1), low, high)}
