"""How a tensor is drawn by hand, and back: features × the rest (``rows``), or channels × pixels (``maps``).

A tensor of the traced graph is a ``_Val``: its values in torch's layout, how it is drawn, and the name of
the walkthrough matrix that holds its drawing. ``_copy_cells`` says which cell of one drawing each cell of
another copies, when a reshape or a change of layout moves them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..numbers import is_symbolic

__all__ = ["torch_layout"]


@dataclass(frozen=True)
class _Val:
    """A tensor of the graph: its values in torch's layout, how it is drawn, and its matrix's name.

    ``kind`` is ``"rows"`` (features on the last axis: the matrix is features × the rest) or ``"maps"``
    (channels first: C × H·W); ``batch`` says that axis 0 of a map is a batch of one. ``positions``:
    made by attention, so a skip around it adds positions (a right multiply).
    """

    t: np.ndarray
    kind: str
    batch: bool
    name: str
    positions: bool = False

    @property
    def matrix(self) -> np.ndarray:
        return _hand(self.t, self.kind, self.batch)


def _hand(t: np.ndarray, kind: str, batch: bool) -> np.ndarray:
    """The by-hand matrix of a tensor in torch's layout (a view of the same cells)."""
    if kind == "rows":
        return t.reshape(-1, t.shape[-1]).T if t.ndim else t.reshape(1, 1)
    u = t[0] if batch else t
    return u.reshape(u.shape[0], -1)


def torch_layout(m: np.ndarray, shape: tuple, kind: str) -> np.ndarray:
    """The by-hand matrix ``m`` back in torch's layout ``shape`` (the inverse of the drawing)."""
    m = np.asarray(m)
    if m.dtype != object or not is_symbolic(m):  # a matrix of expressions (x holds symbols) stays one
        m = np.asarray(m, dtype=float)
    return m.T.reshape(shape) if kind == "rows" else m.reshape(shape)


def _copy_cells(src: _Val, shape: tuple, kind: str, batch: bool) -> np.ndarray:
    """For the matrix of ``src``'s cells reshaped to ``shape`` and drawn as ``kind``: which (row, column)
    of ``src``'s matrix each of its cells copies, shape (rows, cols, 2)."""
    idx = np.arange(src.t.size)
    before = _hand(idx.reshape(src.t.shape), src.kind, src.batch)
    where = np.empty((idx.size, 2), dtype=int)
    where[before.ravel()] = np.argwhere(np.ones(before.shape, dtype=bool))
    return where[_hand(idx.reshape(shape), kind, batch)]
