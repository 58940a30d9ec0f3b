"""Block matrices whose parts keep their names: ``[I | W2 | b2]`` and ``[X; H; 1]``.

A renderer separates, colours and links the parts; the engine only needs the values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .numbers import ByHandError, tidy

__all__ = ["Part", "Stacked", "part", "identity", "ones", "zeros", "hstack", "vstack", "multiply"]

ROLES = ("input", "weight", "bias", "identity", "ones", "zeros", "computed", "attention")


@dataclass(frozen=True, eq=False)
class Part:
    """A named block of a stacked matrix, with its role and where its cells come from.

    ``source`` names the walkthrough matrix the cells are copied from (None for constants
    such as ``I`` and ``1``); ``cells`` maps each cell (r, c) to the (i, j) it copies in
    ``source`` as an int array of shape (rows, cols, 2), or None when it is the same cell.
    """

    name: str
    values: np.ndarray
    role: str = "computed"
    source: str | None = None
    cells: np.ndarray | None = None

    def __post_init__(self):
        assert self.values.ndim == 2, f"part {self.name} must be 2-D"
        assert self.role in ROLES, f"unknown role {self.role}"

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    def source_cell(self, r: int, c: int) -> tuple[str, int, int] | None:
        """The (matrix, row, column) that cell (r, c) copies, or None for a constant."""
        if self.source is None:
            return None
        if self.cells is None:
            return self.source, r, c
        i, j = self.cells[r, c]
        return self.source, int(i), int(j)


def part(name: str, values: np.ndarray, role: str = "computed", source: str | None = None,
         cells: np.ndarray | None = None) -> Part:
    """A part that copies the walkthrough matrix ``source`` (defaults to ``name``) unless constant."""
    if source is None and role not in ("identity", "ones", "zeros"):
        source = name
    return Part(name, values, role, source, cells)


def _like(values: np.ndarray, exact: bool) -> np.ndarray:
    return values.astype(object) if exact else values.astype(float)


def identity(d: int, exact: bool = True, name: str = "I") -> Part:
    """The d × d identity part: the skip connection."""
    return Part(name, _like(np.eye(d, dtype=int), exact), "identity")


def ones(n: int, exact: bool = True, name: str = "1") -> Part:
    """A 1 × n row of ones: it meets the bias column so that ``[W | b]·[X; 1] = W·X + b``."""
    return Part(name, _like(np.ones((1, n), dtype=int), exact), "ones")


def zeros(rows: int, cols: int, exact: bool = True, name: str = "0") -> Part:
    """A rows × cols block of zeros."""
    return Part(name, _like(np.zeros((rows, cols), dtype=int), exact), "zeros")


@dataclass(frozen=True, eq=False)
class Stacked:
    """Parts side by side (``axis=1``, ``[A | B]``) or one above the other (``axis=0``, ``[A; B]``)."""

    parts: tuple[Part, ...]
    axis: int

    def __post_init__(self):
        other = 1 - self.axis
        sizes = {p.shape[other] for p in self.parts}
        if len(sizes) != 1:
            shapes = ", ".join(f"{p.name} {p.shape[0]}×{p.shape[1]}" for p in self.parts)
            side = "rows" if other == 0 else "columns"
            raise ByHandError(f"cannot stack {shapes}: they need the same number of {side}.")

    @property
    def values(self) -> np.ndarray:
        """The whole matrix."""
        return np.concatenate([p.values for p in self.parts], axis=self.axis)

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    @property
    def name(self) -> str:
        """``[I | W2 | b2]`` or ``[X; H; 1]``; a single part is just its name."""
        if len(self.parts) == 1:
            return self.parts[0].name
        return "[" + (" | " if self.axis == 1 else "; ").join(p.name for p in self.parts) + "]"

    def spans(self) -> list[tuple[Part, int, int]]:
        """Each part with its first and one-past-last index along the stacking axis."""
        out, start = [], 0
        for p in self.parts:
            out.append((p, start, start + p.shape[self.axis]))
            start += p.shape[self.axis]
        return out

    def part_at(self, index: int) -> tuple[Part, int]:
        """The part holding row (axis 0) or column (axis 1) ``index``, and the offset inside it."""
        for p, a, b in self.spans():
            if a <= index < b:
                return p, index - a
        raise IndexError(index)


def hstack(*parts: Part) -> Stacked:
    """``[A | B | …]``: parts side by side."""
    return Stacked(tuple(parts), axis=1)


def vstack(*parts: Part) -> Stacked:
    """``[A; B; …]``: parts one above the other."""
    return Stacked(tuple(parts), axis=0)


def multiply(left: Stacked, right: Stacked) -> np.ndarray:
    """``left · right``; raises ByHandError naming both shapes when they do not fit."""
    (m, k), (k2, n) = left.shape, right.shape
    if k != k2:
        raise ByHandError(f"cannot multiply {left.name} ({m}×{k}) by {right.name} ({k2}×{n}): "
                          f"{left.name} has {k} columns but {right.name} has {k2} rows.")
    return tidy(left.values @ right.values)
