"""The walk's state: the steps so far, the given matrices, each graph node's value; the limits it keeps;
and what every layer shares (reading an activation, an add, a weight)."""

from __future__ import annotations

import operator
from collections import Counter
from itertools import islice

import numpy as np

from ..numbers import ByHandError, as_matrix
from ..ops import GELU_OP, NONE, RELU, SIGMOID, TANH, Op
from ..stacked import Part
from ..walkthrough import Step, given_step, multiply_step
from .layout import _copy_cells, _hand, _Val

__all__ = ["SUPPORTED", "MAX_PARAMETERS", "MAX_INPUT", "MAX_CELLS", "MAX_STEPS", "MAX_NODES",
           "SYMBOLIC_INPUT", "SYMBOLIC_NODES", "SYMBOLIC_CELLS"]

SUPPORTED = ("nn.Linear", "nn.ReLU, nn.GELU, nn.Tanh, nn.Sigmoid and torch.relu, F.relu, F.gelu, torch.tanh, "
             "torch.sigmoid (and x.relu() …)", "a + b of two tensors of one shape (a skip)", "nn.LayerNorm",
             "nn.Conv2d", "nn.BatchNorm1d and nn.BatchNorm2d in eval mode", "nn.MultiheadAttention "
             "(self-attention)", "nn.TransformerEncoderLayer", "nn.Sequential and nn.ModuleList",
             "torch.flatten, nn.Flatten, x.view, x.reshape, x.size(), x.shape", "nn.Identity and "
             "nn.Dropout in eval mode")
MAX_PARAMETERS = 20_000  # numbers in the weights: beyond this nobody works it by hand
MAX_INPUT = 4_096  # numbers in x
MAX_CELLS = 16_384  # numbers in any one matrix of a step (an im2col matrix is the largest)
MAX_STEPS = 120
MAX_NODES = 400  # operations in the traced graph
# x holding symbols (the formula shown): every cell of every step is a sympy expression, whose size grows
# with each layer (a ReLU of unknown sign stays max(0, e) inside the next layer's sums). Measured here (2
# cores): the default MLP (x 3×3, hidden 4, one block) builds and collects in about 0.2 s; the slowest of
# the templates' sizes within these limits (or refused by them) take 1.4 s at most.
SYMBOLIC_INPUT = 12  # most cells of x worked out with symbols
SYMBOLIC_CELLS = 64  # most cells of any one matrix of a step worked out with symbols
SYMBOLIC_NODES = 1500  # most nodes (symbols, numbers, operations) of one worked-out cell with symbols
NO_ATTENTION = ("The formula is worked out for models without attention (the MLP with skips, the ResNet "
                "BasicBlock at small sizes).")


def _path_words(path: str) -> str:
    return path if path else "the model"


class _Walk:
    """The steps so far, the walkthrough's given matrices, and a counter per kind of weight."""

    def __init__(self, module, graph):
        self.module, self.graph = module, graph
        self.steps: list[Step] = []
        self.inputs: dict[str, np.ndarray] = {}
        self.paths: dict[str, str] = {}
        self.maps: dict[str, tuple[int, int, int]] = {}  # a step that gives a map (padded): its (C, H, W)
        self.weights: dict[str, tuple[str, str]] = {}  # matrix name -> (module path, what it holds)
        self.count: Counter = Counter()
        self.env: dict = {}
        self.views: dict[tuple, str] = {}
        self._depth: dict | None = None
        self.symbolic = False  # x holds symbols: every step is worked out with sympy, within the limits

    def numbers_only(self, path: str, what: str) -> None:
        """ByHandError when x holds symbols: ``what`` (a layer) is worked out with numbers only."""
        if self.symbolic:
            raise ByHandError(f"{_path_words(path)}: {what} is worked out with numbers only: its expressions "
                              f"in x's symbols grow too large to read. {NO_ATTENTION}", path or "model")

    # -- bookkeeping
    def add(self, step: Step, path: str) -> Step:
        if len(self.steps) >= MAX_STEPS:
            raise ByHandError(f"the model needs more than {MAX_STEPS} steps: too many to work by hand. Walk "
                              "a smaller model or one block of it.", "model")
        for m in (step.product, step.result, None if step.left is None else step.left.values,
                  None if step.right is None else step.right.values):
            if m is not None and m.size > MAX_CELLS:
                raise ByHandError(f"{_path_words(path)}: step {step.title!r} has a {m.shape[0]}×{m.shape[1]} "
                                  f"matrix ({m.size:,} numbers); at most {MAX_CELLS:,} are worked by hand. "
                                  "Use a smaller input or fewer channels.", path or "model")
        if self.symbolic:
            _check_symbolic(step, path)
        self.steps.append(step)
        self.paths[step.name] = path
        return step

    def multiply(self, title: str, caption: str, name: str, left, right, *args, **kwargs) -> Step:
        """``multiply_step(…)``; with symbols, refused before it is worked out when its product's cells could
        have more than ``SYMBOLIC_NODES`` nodes (each is a sum of products of the operands' cells)."""
        if self.symbolic:
            nl, nr = _node_counts(left.values), _node_counts(right.values)
            zl, zr = (nl > 0).astype(float), (nr > 0).astype(float)
            bound = nl @ zr + zl @ nr + zl @ zr
            if bound.size and bound.max() > SYMBOLIC_NODES:
                raise ByHandError(_too_long(title), "model")
        return multiply_step(title, caption, name, left, right, *args, **kwargs)

    def weight(self, name: str, values, path: str, what: str) -> str:
        """The given matrix ``name`` (W1, b1, BN2 …): ``what`` of module ``path``, checked cell by cell."""
        try:
            self.inputs[name] = np.asarray(as_matrix(name, values, max_dim=None), dtype=float)
        except ByHandError as e:
            raise ByHandError(f"{path}.{what}: {e}", e.matrix, e.row, e.col) from None
        if self.symbolic:  # a whole number stays whole in the expressions: 2·x₁₁, not 2.0·x₁₁
            m = self.inputs[name]
            self.inputs[name] = np.array([int(v) if float(v).is_integer() else float(v) for v in m.flat],
                                         dtype=object).reshape(m.shape)
        self.weights[name] = (path, what)
        return name

    def name_of(self, node) -> str:
        """A matrix name for ``node``'s value: its module path (``fc1``, ``layer1.0.conv1``; ``L0`` in a
        Sequential) or its graph name (``relu``, ``add_1``), made unique."""
        if node.op == "call_module":
            base = node.target if node.target[:1].isalpha() else f"L{node.target}"
        else:
            base = node.name.lstrip("_") or "h"
        name, k = base, 1
        while name in self.paths or name in self.inputs:
            k += 1
            name = f"{base}_{k}"
        return name

    def next_number(self, stem: str) -> int:
        self.count[stem] += 1
        return self.count[stem]

    def val(self, node) -> _Val:
        v = self.env[node] if hasattr(node, "op") else node
        if not isinstance(v, _Val):
            raise ByHandError(f"{node}: expected a tensor here, not {type(v).__name__}.", str(node))
        return v

    def view(self, v: _Val, kind: str, batch: bool, path: str, why: str) -> tuple[str, np.ndarray]:
        """``v``'s matrix drawn as ``kind``: the same matrix, or a step that rearranges its cells."""
        return self.reshaped(v, v.t.shape, kind, batch, path, why).name, _hand(v.t, kind, batch)

    def reshaped(self, v: _Val, shape: tuple, kind: str, batch: bool, path: str, why: str) -> _Val:
        """``v`` reshaped (as torch does, row by row) and drawn as ``kind``; a step only when a cell moves."""
        t = v.t.reshape(shape)
        new = _hand(t, kind, batch)
        cells = _copy_cells(v, shape, kind, batch)
        if new.shape == v.matrix.shape and np.array_equal(cells, np.moveaxis(np.indices(new.shape), 0, -1)):
            return _Val(t, kind, batch, v.name, v.positions)
        key = (v.name, tuple(shape), kind, batch)
        if key not in self.views:
            name = f"{v.name}′" if not any(s.name == f"{v.name}′" for s in self.steps) else f"{v.name}″"
            r, c = new.shape
            self.add(given_step(
                f"Rearrange {v.name} for {_path_words(path)}",
                f"{_path_words(path)}: {why} The {v.matrix.shape[0]}×{v.matrix.shape[1]} matrix {v.name} "
                f"(torch shape {tuple(v.t.shape)}) becomes the {r}×{c} matrix {name} (torch shape "
                f"{tuple(shape)}): the same numbers, each cell copies one cell of {v.name}.", name,
                new.copy(), copies=Part(name, new.copy(), "computed", v.name, cells)), path)
            self.views[key] = name
        return _Val(t, kind, batch, self.views[key], False)

    # -- look-ahead: an activation or a skip that the step before can take in
    def _single_user(self, node):
        users = list(node.users)
        return users[0] if len(users) == 1 else None

    def next_act(self, node):
        """The activation that is ``node``'s only use, as (its node, its op), or (None, NONE)."""
        user = self._single_user(node)
        if user is not None and user.args and user.args[0] is node:
            op = _activation(self, user)
            if op is not None:
                return user, op
        return None, NONE

    def next_skip(self, node, shape):
        """``x + node`` that is ``node``'s only use with x already worked out: (the add's node, x, whether x
        passes fewer layers than ``node``, so that it goes around ``node``'s layers: the skip)."""
        user = self._single_user(node)
        if user is None or not _is_add(user):
            return None, None, False
        a, b = user.args[:2]
        other = b if a is node else a
        if other is node or other not in self.env:
            return None, None, False
        o = self.env[other]
        if not isinstance(o, _Val) or tuple(o.t.shape) != tuple(shape) or o.positions:
            return None, None, False
        depth = self.depths()
        return user, o, depth[other] < depth[node]

    def depths(self) -> dict:
        """For every graph node, the most layers (modules with weights) on a path from x to it: the shorter
        operand of an add goes around the other path's layers (the skip)."""
        if self._depth is None:
            self._depth = {}
            for n in self.graph.nodes:
                own = n.op == "call_module" and bool(self.module.get_submodule(n.target).state_dict())
                self._depth[n] = max((self._depth[a] for a in n.all_input_nodes), default=0) + int(own)
        return self._depth

    def finish(self, node, step: Step, v: _Val, nodes: tuple) -> None:
        """Record ``v`` as the value of ``node`` and of the nodes its step took in (skip, activation)."""
        self.env[node] = v
        for n in nodes:
            if n is not None:
                self.env[n] = v


def _check_symbolic(step: Step, path: str) -> None:
    """ByHandError naming the limit when a step worked out with symbols is too large to read (and the next
    one would be slow): a matrix of more than ``SYMBOLIC_CELLS`` cells, a cell of more than
    ``SYMBOLIC_NODES`` nodes (counted until there are more)."""
    for m in (step.product, step.result):
        if m is None or m.dtype != object:
            continue
        if m.size > SYMBOLIC_CELLS:
            raise ByHandError(f"{_path_words(path)}: step {step.title!r} has a {m.shape[0]}×{m.shape[1]} "
                              f"matrix; with symbols at most {SYMBOLIC_CELLS} cells are worked out. {_HOW}",
                              path or "model")
        if _node_counts(m).max(initial=0) > SYMBOLIC_NODES:
            raise ByHandError(_too_long(step.title), path or "model")


_HOW = "Make the sizes smaller (fewer features, samples, hidden units or blocks) to see the formula."


def _too_long(title: str) -> str:
    return (f"step {title!r} gives expressions of more than {SYMBOLIC_NODES:,} terms and operations in x's "
            f"symbols: too long to read. {_HOW}")


def _node_counts(m: np.ndarray) -> np.ndarray:
    """Each cell's count of sympy nodes, counted up to ``SYMBOLIC_NODES + 1``; 1 for a nonzero number, 0 for
    a zero (it adds no term to a product)."""
    import sympy

    out = np.zeros(m.shape)
    for idx, v in np.ndenumerate(m):
        if isinstance(v, sympy.Basic):
            out[idx] = sum(1 for _ in islice(sympy.preorder_traversal(v), SYMBOLIC_NODES + 1))
        else:
            out[idx] = float(v != 0)
    return out


def _activation(walk: _Walk, node) -> Op | None:
    """The op of an activation node (module, function or method), or None when ``node`` is not one."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    if node.op == "call_module":
        mod = walk.module.get_submodule(node.target)
        if isinstance(mod, nn.GELU):
            return _gelu(node, mod.approximate)
        return {nn.ReLU: RELU, nn.Tanh: TANH, nn.Sigmoid: SIGMOID}.get(type(mod))
    if node.op == "call_function":
        if node.target is F.gelu:
            return _gelu(node, node.kwargs.get("approximate", "none"))
        return {torch.relu: RELU, F.relu: RELU, torch.tanh: TANH, F.tanh: TANH, torch.sigmoid: SIGMOID,
                F.sigmoid: SIGMOID}.get(node.target)
    if node.op == "call_method":
        return {"relu": RELU, "tanh": TANH, "sigmoid": SIGMOID, "relu_": RELU}.get(node.target)
    return None


def _gelu(node, approximate) -> Op:
    if approximate != "none":
        raise ByHandError(f"{node.name}: GELU(approximate={approximate!r}) is not supported, only the exact "
                          "GELU (approximate='none').", node.name)
    return GELU_OP


def _is_add(node) -> bool:
    import torch

    return (node.op == "call_function" and node.target in (operator.add, operator.iadd, torch.add)
            and len(node.args) == 2 and not node.kwargs
            and all(hasattr(a, "op") for a in node.args)) or (
        node.op == "call_method" and node.target in ("add", "add_") and len(node.args) == 2
        and not node.kwargs and hasattr(node.args[1], "op"))


def _numpy(t) -> np.ndarray:
    return t.detach().cpu().double().numpy()


def _col(t) -> np.ndarray:
    return _numpy(t).reshape(-1, 1)


def _role(v: _Val) -> str:
    return "input" if v.name == "x" else "computed"


def _op_words(op: Op) -> str:
    return "" if op is NONE else f", then {op.label}"


def where(node) -> str:
    """The path of the module whose forward calls ``node`` (``layer1.0``), or "" for the model's own."""
    stack = node.meta.get("nn_module_stack") or {}
    return next(reversed(stack), "") if stack else ""


def skip_words(around: bool, name: str, what: str) -> tuple[str, str]:
    """The title's and the caption's words for an add taken into the multiply of ``what`` (a layer)."""
    if around:
        return ("plus the skip", f"The identity I carries {name} around {what} into the same multiply: the "
                "skip connection")
    return (f"plus {name}", f"The identity I adds {name}, the other path of this add, in the same multiply")
