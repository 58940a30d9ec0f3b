"""Checks every block shares: its input matrices, their shapes, whole numbers in range.

Every message names what is wrong so that a learner can act on it (one error type, ByHandError).
"""

from __future__ import annotations

import numpy as np

from .numbers import MAX_DIM, ByHandError, as_matrix, unify

__all__ = ["MAX_VALUE", "whole_number", "value_range", "check_inputs", "expect_shape", "random_ints"]

MAX_VALUE = 99  # largest |value| a random example may use


def whole_number(name: str, value, low: int = 1, high: int = MAX_DIM) -> int:
    """``value`` as an int when it is a whole number within [low, high], or ByHandError naming it.

    >>> whole_number("stride", 2, 1, 4)
    2
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ByHandError(f"{name} must be a whole number from {low} to {high}, not {value!r}.", name)
    return int(value)


def value_range(low: int, high: int) -> tuple[int, int]:
    """The range of a random example's values, checked: both within ±MAX_VALUE, low ≤ high."""
    whole_number("lowest value", low, -MAX_VALUE, MAX_VALUE)
    whole_number("highest value", high, -MAX_VALUE, MAX_VALUE)
    if low > high:
        raise ByHandError(f"the lowest value ({low}) is above the highest ({high}).", "value range")
    return low, high


def random_ints(rng: np.random.Generator, shape: tuple[int, int], low: int, high: int) -> list:
    """A matrix of integers drawn uniformly from [low, high], as nested lists."""
    return rng.integers(low, high + 1, size=shape).tolist()


def check_inputs(**named) -> tuple[bool, dict[str, np.ndarray]]:
    """Read every named matrix (1-D becomes a column) and give them one number type."""
    mats = {name: as_matrix(name, data) for name, data in named.items()}
    exact, values = unify(*mats.values())
    return exact, dict(zip(mats, values))


def expect_shape(name: str, m: np.ndarray, rows: int | None, cols: int | None, why: str) -> None:
    """Raise ByHandError unless ``m`` is rows × cols (None: any), saying why it must be."""
    r, c = m.shape
    if (rows is not None and r != rows) or (cols is not None and c != cols):
        want = f"{rows if rows is not None else r}×{cols if cols is not None else c}"
        raise ByHandError(f"{name} is {r}×{c} but must be {want}: {why}.", name)
