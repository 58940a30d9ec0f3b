"""Any walkthrough as a Jupyter notebook that works it again in PyTorch and checks every step.

The notebook holds the walkthrough's given matrices (its weights and input), then one markdown cell and
one code cell per step. Each code cell builds the step's stacked operands from the tensors of earlier
cells (never from the by-hand numbers), multiplies them and applies the op with torch, and asserts the
product and the result against the by-hand values written beside them. A model's own code (the "Your
model" page's templates) can follow, run on the same weights, and be checked against the last step.

It is written with ``nbformat`` alone: no Jupyter is needed to make it, and its code cells run as one
plain Python script (``code_of``), which is how the tests run it.

>>> from byhand import residual_block, default_residual
>>> nb = walkthrough_notebook(residual_block(**default_residual()))
>>> [c.cell_type for c in nb.cells][:4]
['markdown', 'code', 'code', 'markdown']
"""

from __future__ import annotations

import numpy as np

from .numbers import ByHandError, is_symbolic
from .ops import GELU, Identity, LayerNorm, Op, ReLU, ReLUPrime, Scale, Sigmoid, Softmax, Tanh
from .stacked import Part, Stacked
from .walkthrough import Step, Walkthrough

__all__ = ["walkthrough_notebook", "notebook_bytes", "code_of", "op_code", "TOLERANCE"]

TOLERANCE = 1e-9  # relative and absolute: float64 in torch against the by-hand numbers

_SETUP = '''import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
M = {}  # every matrix of the walkthrough, by name, as worked out in this notebook


def T(rows):
    """A float64 tensor of a matrix written as rows."""
    return torch.tensor(rows, dtype=torch.float64)


def gather(m, cells):
    """The matrix whose cell (r, c) copies m[cells[r][c]]; a cell (-1, -1) is a constant 0 (padding)."""
    idx = torch.tensor(cells, dtype=torch.long)
    out = m[idx[..., 0].clamp(min=0), idx[..., 1].clamp(min=0)]
    return torch.where(idx[..., 0] < 0, torch.zeros_like(out), out)


def check(name, got, by_hand, tol=%(tol)r):
    """Assert that PyTorch's matrix equals the one worked out by hand (up to float rounding)."""
    want = T(by_hand)
    assert got.shape == want.shape, f"{name}: PyTorch's {tuple(got.shape)}, by hand {tuple(want.shape)}"
    torch.testing.assert_close(got, want, rtol=tol, atol=tol,
                               msg=lambda m: f"{name} differs from the by-hand values: {m}")
    print(f"✓ {name} ({want.shape[0]}×{want.shape[1]}) agrees with the by-hand values")
'''


def _num(v) -> str:
    f = float(v)
    return repr(int(f)) + ".0" if f.is_integer() and abs(f) < 1e15 else repr(f)


def _rows(m: np.ndarray) -> str:
    """A matrix written as a Python list of rows of floats."""
    m = np.asarray(m)
    return "[" + ", ".join("[" + ", ".join(_num(v) for v in row) + "]" for row in m) + "]"


def _cells(cells: np.ndarray) -> str:
    return repr(np.asarray(cells, dtype=int).tolist()).replace(" ", "")


def _q(name: str) -> str:
    return repr(name)


def op_code(op: Op, x: str = "p") -> str:
    """The torch expression of ``op`` applied to the matrix ``x`` (columns are positions)."""
    kind = type(op)
    if kind is Identity:
        return x
    if kind is ReLU:
        return f"torch.relu({x})"
    if kind is ReLUPrime:
        return f"({x} > 0).to({x}.dtype)"
    if kind is GELU:
        return f"F.gelu({x})"
    if kind is Tanh:
        return f"torch.tanh({x})"
    if kind is Sigmoid:
        return f"torch.sigmoid({x})"
    if kind is Softmax:
        scaled = x if op.scale == 1 else f"{x} * {_num(op.scale)}"
        return f"torch.softmax({scaled}, dim=0)"
    if kind is Scale:
        return f"{x} * {_num(op.scale)}"
    if kind is LayerNorm:
        g, b = _rows(op.gamma.reshape(1, -1))[1:-1], _rows(op.beta.reshape(1, -1))[1:-1]
        return f"F.layer_norm({x}.T, ({x}.shape[0],), T({g}), T({b}), {op.eps!r}).T"
    raise ByHandError(f"the op {op.label or type(op).__name__} has no PyTorch form in a notebook.", "op")


class _Writer:
    """The notebook's code, step by step, and the names of the matrices it has worked out."""

    def __init__(self, wt: Walkthrough):
        self.wt = wt
        self.known: set[str] = set()

    def part(self, p: Part) -> str:
        """The torch expression of one named part, built from earlier tensors where it copies them."""
        r, c = p.shape
        vals = np.asarray(p.values, dtype=float)
        if p.role == "identity" and np.array_equal(vals, np.eye(r, c)):
            return f"torch.eye({r}, {c})"
        if p.role == "ones":
            return f"torch.ones({r}, {c})"
        if p.role == "zeros":
            return f"torch.zeros({r}, {c})"
        if p.source is None or p.source not in self.known:
            return f"T({_rows(vals)})"
        src = f"M[{_q(p.source)}]"
        if p.cells is not None:
            return f"gather({src}, {_cells(p.cells)})"
        shape = self.wt.matrices[p.source].shape
        return src if shape == (r, c) else f"{src}[:{r}, :{c}]"

    def stacked(self, st: Stacked) -> str:
        parts = [self.part(p) for p in st.parts]
        if len(parts) == 1:
            return parts[0]
        return f"torch.cat([{', '.join(parts)}], dim={st.axis})"

    def keep(self, name: str, expr: str) -> list[str]:
        if name in self.known:  # a name met again: the walkthrough keeps its first matrix
            return []
        self.known.add(name)
        return [f"M[{_q(name)}] = {expr}"]

    def step(self, s: Step) -> list[str]:
        if s.kind == "given":
            if s.name in self.wt.inputs and s.name in self.known:
                return [f"M[{_q(s.name)}]  # given above"]
            if s.copies is not None and s.copies.source in self.known:
                src = f"M[{_q(s.copies.source)}]"
                lines = [f"result = gather({src}, {_cells(s.copies.cells)})" if s.copies.cells is not None
                         else f"result = {src}",
                         f"check({_q(s.name)}, result, {_rows(s.result)})"]
                return lines + self.keep(s.name, "result")
            return self.keep(s.name, f"T({_rows(s.result)})  # given: see the step's caption")
        if s.kind in ("arrange", "multiply"):
            left, right = self.stacked(s.left), self.stacked(s.right)
        if s.kind == "arrange":
            return [f"left = {left}", f"right = {right}",
                    "print('left', tuple(left.shape), '· right', tuple(right.shape))"]
        if s.kind == "multiply":
            lines = [f"left = {left}", f"right = {right}", "product = left @ right",
                     f"check({_q(s.product_name or 'product')}, product, {_rows(s.product)})"]
            if not isinstance(s.op, Identity):
                lines += [f"result = {op_code(s.op, 'product')}", f"check({_q(s.name)}, result, "
                                                                  f"{_rows(s.result)})"]
            else:
                lines.append("result = product")
            return lines + self.keep(s.name, "result")
        if s.copies is not None and s.copies.source in self.known:
            src = f"M[{_q(s.copies.source)}]"
            x = f"gather({src}, {_cells(s.copies.cells)})" if s.copies.cells is not None else src
        elif s.product_name in self.known:
            x = f"M[{_q(s.product_name)}]"
        else:
            x = f"T({_rows(s.product)})"
        return [f"p = {x}", f"result = {op_code(s.op, 'p')}", f"check({_q(s.name)}, result, "
                                                              f"{_rows(s.result)})",
                *self.keep(s.name, "result")]


def _intro(wt: Walkthrough) -> str:
    return (f"# {wt.title}, by hand — checked in PyTorch\n\n"
            f"Made by ByHand. The walkthrough has {len(wt.steps)} steps. The first code cell defines its "
            "given "
            "matrices (the input and the weights) exactly as the walkthrough used them. Each step's cell "
            "then "
            "works the step out again in PyTorch, from the tensors of the cells before it, and `check` "
            "asserts "
            "that the result equals the by-hand numbers written beside it.\n\n"
            "By-hand layout: columns are positions (or samples, or pixels), rows are features (or channels). "
            "Run all cells (in Colab or Jupyter, or as one Python script); every ✓ is one step checked.")


def _model_cells(wt: Walkthrough, model_code: str) -> list:
    import nbformat.v4 as v4

    kind = (wt.params.get("output_kind") or ("rows", False))[0]
    last = wt.steps[-1].name
    if kind == "rows":
        layout = "out.reshape(-1, out.shape[-1]).T  # features × positions, as by hand"
    else:
        layout = f"out.reshape({wt.steps[-1].result.shape[0]}, -1)  # channels × pixels, as by hand"
    return [v4.new_markdown_cell("## The model itself\n\nThe same model written in PyTorch, with the same "
                                 "weights, run on the same input: its output must equal the last step's."),
            v4.new_code_cell(model_code.strip()),
            v4.new_code_cell("with torch.no_grad():\n    out = model(x)\n"
                             f"by_hand = {layout}\n"
                             f"check('model(x)', by_hand, M[{_q(last)}].tolist())")]


def walkthrough_notebook(wt: Walkthrough, model_code: str | None = None):
    """The notebook (an ``nbformat`` v4 node) that checks every step of ``wt`` in PyTorch.

    ``model_code``: Python code that defines ``model`` (eval mode) and ``x``; the notebook then runs
    ``model(x)`` and checks it against the last step. Raises ByHandError for a walkthrough with symbols
    (PyTorch needs numbers) and for an op with no PyTorch form.
    """
    import nbformat.v4 as v4

    if any(is_symbolic(m) for m in wt.inputs.values() if np.asarray(m).dtype == object):
        raise ByHandError("a walkthrough with symbols cannot be checked in PyTorch: put numbers in for them "
                          "first.", "symbols")
    w = _Writer(wt)
    given = []
    for name, m in wt.inputs.items():
        given.append(f"M[{_q(name)}] = T({_rows(m)})")
        w.known.add(name)
    cells = [v4.new_markdown_cell(_intro(wt)), v4.new_code_cell(_SETUP % {"tol": TOLERANCE}),
             v4.new_code_cell("# The given matrices: the input and the weights\n" + "\n".join(given))]
    for k, s in enumerate(wt.steps, 1):
        cells.append(v4.new_markdown_cell(f"### Step {k}: {s.title}\n\n{s.caption}"
                                          + (f"\n\n*{s.note}*" if s.note else "")))
        cells.append(v4.new_code_cell("\n".join(w.step(s))))
    if model_code:
        cells += _model_cells(wt, model_code)
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def notebook_bytes(wt: Walkthrough, model_code: str | None = None) -> bytes:
    """The notebook as the bytes of an ``.ipynb`` file (validated against the notebook format)."""
    import nbformat

    nb = walkthrough_notebook(wt, model_code)
    nbformat.validate(nb)
    return nbformat.writes(nb).encode("utf-8")


def code_of(nb) -> str:
    """Every code cell of a notebook, in order, as one Python script."""
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
