"""Any small PyTorch module by hand: ``from_torch(module, x)`` traces it with ``torch.fx`` and works
every operation of the graph as a step.

Layouts are the by-hand ones of DESIGN.md. A tensor whose last axis holds features (the input of
``nn.Linear``, ``LayerNorm``, attention) is the matrix features × positions (or samples): a tensor
(n, d), (1, n, d) or (n, 1, d) is the d × n matrix. A feature map (1, C, H, W) or (C, H, W) is the
matrix C × H·W, as ``byhand.blocks.conv`` draws it, and the output of a model that ends on one is
(C, H, W). When an operation needs the other layout (a flatten, a reshape, ``nn.Linear`` on a map),
a step rearranges the cells and says which cell each one copies.

Each supported operation is drawn as the existing blocks draw it:

- ``nn.Linear``: ``[W | b]·[X; 1]``; followed by a skip ``x + f(x)`` it is one multiply
  ``[I | W | b]·[x; X; 1]``, and an activation that follows is the step's op;
- ``nn.Conv2d``: zero padding, then ``[W | b]·[im2col(x); 1]`` (and ``[W | I | b]`` with a skip);
- ``nn.BatchNorm1d/2d`` (eval mode): ``[diag(s) | t]·[Y; 1]`` with ``s = γ/√(σ² + ε)``, ``t = β − μ·s``;
- ``a + b``: the skip as the stacked identity multiply ``[I | I]·[a; b]`` (features), or
  ``[a | b]·[I; I]`` (positions) when one of them comes from attention;
- ``nn.LayerNorm``, ReLU, GELU, tanh, sigmoid: element-wise steps;
- ``nn.MultiheadAttention`` and ``nn.TransformerEncoderLayer``: the steps of
  ``byhand.blocks.transformer``, their names marked with the layer's number (``Q⁽¹⁾``).

torch is imported inside the functions only, as everywhere in byhand.

>>> import torch
>>> from torch import nn
>>> torch.manual_seed(0) and None
>>> wt = from_torch(nn.Sequential(nn.Linear(2, 3), nn.ReLU()), torch.ones(4, 2))
>>> [s.name for s in wt.steps], wt.output.shape
(['x', 'L1'], (3, 4))
"""

from __future__ import annotations

import operator

import numpy as np

from ..numbers import ByHandError, as_matrix, is_symbolic
from ..walkthrough import Walkthrough, given_step
from .layers import (
    _add,
    _batchnorm,
    _conv,
    _elementwise,
    _encoder_layer,
    _layernorm,
    _linear,
    _multihead,
    _reshape,
)
from .layout import _hand, _Val, torch_layout
from .work import (
    MAX_CELLS,
    MAX_INPUT,
    MAX_NODES,
    MAX_PARAMETERS,
    MAX_STEPS,
    NO_ATTENTION,
    SUPPORTED,
    SYMBOLIC_INPUT,
    _activation,
    _is_add,
    _numpy,
    _Walk,
    where,
)

__all__ = ["from_torch", "SUPPORTED", "MAX_PARAMETERS", "MAX_INPUT", "MAX_CELLS", "MAX_STEPS", "torch_layout"]


# ---------------------------------------------------------------- dispatch

def _describe(walk: _Walk, node) -> str:
    if node.op == "call_module":
        return f"module {node.target} ({type(walk.module.get_submodule(node.target)).__name__})"
    if node.op == "call_function":
        f = node.target
        return f"function {getattr(f, '__module__', None) or ''}.{getattr(f, '__name__', repr(f))}".replace(
            "function .", "function ")
    if node.op == "call_method":
        return f"method .{node.target}()"
    if node.op == "get_attr":
        return f"attribute self.{node.target} read in forward"
    return node.op


def _unsupported(walk: _Walk, node, why: str = "") -> ByHandError:
    return ByHandError(f"graph node {node.name!r}: {_describe(walk, node)} is not supported{why}. Supported: "
                       + "; ".join(SUPPORTED) + ".", node.name)


def _module_step(walk: _Walk, node) -> None:
    from torch import nn

    mod = walk.module.get_submodule(node.target)
    path = node.target
    op = _activation(walk, node)
    if op is not None:
        return _elementwise(walk, node, op, path)
    if isinstance(mod, nn.Identity) or (isinstance(mod, nn.Dropout) and (not mod.training or mod.p == 0)):
        walk.env[node] = walk.val(node.args[0])
        return None
    if isinstance(mod, nn.Flatten):
        return _reshape(walk, node, path, (mod.start_dim, mod.end_dim))
    handlers = ((nn.TransformerEncoderLayer, _encoder_layer), (nn.MultiheadAttention, _multihead),
                (nn.Linear, _linear), (nn.Conv2d, _conv), (nn.BatchNorm1d, _batchnorm),
                (nn.BatchNorm2d, _batchnorm), (nn.LayerNorm, _layernorm))
    for cls, handler in handlers:
        if type(mod) is cls:
            return handler(walk, node, mod, path)
    raise _unsupported(walk, node)


def _function_step(walk: _Walk, node) -> None:
    import torch

    op = _activation(walk, node)
    if op is not None:
        return _elementwise(walk, node, op, where(node))
    if _is_add(node):
        return _add(walk, node, where(node))
    f = node.target
    if f is operator.getitem:
        base = walk.env.get(node.args[0]) if hasattr(node.args[0], "op") else node.args[0]
        if isinstance(base, (tuple, list)) or type(base).__name__ == "Size":
            item = base[node.args[1]]
            if item is None:
                raise _unsupported(walk, node, " (the attention weights of nn.MultiheadAttention are not "
                                               "walked)")
            walk.env[node] = item
            return None
        raise _unsupported(walk, node, " (indexing a tensor)")
    if f is getattr and node.args[1] == "shape":
        walk.env[node] = tuple(walk.val(node.args[0]).t.shape)
        return None
    if f is torch.flatten:
        args = list(node.args[1:]) + [None] * 2
        start = node.kwargs.get("start_dim", args[0] if args[0] is not None else 0)
        end = node.kwargs.get("end_dim", args[1] if args[1] is not None else -1)
        return _reshape(walk, node, where(node), (start, end))
    if f is torch.reshape:
        return _reshape(walk, node, where(node), None)
    raise _unsupported(walk, node)


def _method_step(walk: _Walk, node) -> None:
    op = _activation(walk, node)
    if op is not None:
        return _elementwise(walk, node, op, where(node))
    if _is_add(node):
        return _add(walk, node, where(node))
    m = node.target
    if m == "size":
        shape = tuple(walk.val(node.args[0]).t.shape)
        dim = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
        walk.env[node] = shape if dim is None else shape[dim]
        return None
    if m == "flatten":
        args = list(node.args[1:]) + [None] * 2
        start = node.kwargs.get("start_dim", args[0] if args[0] is not None else 0)
        end = node.kwargs.get("end_dim", args[1] if args[1] is not None else -1)
        return _reshape(walk, node, where(node), (start, end))
    if m in ("view", "reshape"):
        return _reshape(walk, node, where(node), None)
    if m == "contiguous":
        walk.env[node] = walk.val(node.args[0])
        return None
    raise _unsupported(walk, node)


def _trace(module):
    import torch
    from torch import fx

    try:
        gm = fx.symbolic_trace(module)
    except Exception as e:  # noqa: BLE001 - any tracing failure is the user's model: say so, never a traceback
        raise ByHandError(f"torch.fx could not trace {type(module).__name__}: {type(e).__name__}: "
                          f"{str(e).splitlines()[0][:300] if str(e) else ''} (a forward whose control flow "
                          "depends on the values cannot be traced).", "model") from None
    _check_in_place(gm)
    gm.graph.eliminate_dead_code()  # after the check: a dropped in-place op would change the result
    del torch
    return gm


def _check_in_place(gm) -> None:
    """An in-place op whose input is read again later (``self.relu(out)`` without ``out =``) changes a
    tensor the graph does not see change: refuse it, saying how to write it."""
    order = {n: k for k, n in enumerate(gm.graph.nodes)}
    for node in gm.graph.nodes:
        if node.op == "call_module":
            in_place = bool(getattr(gm.get_submodule(node.target), "inplace", False))
        elif node.op == "call_method":
            in_place = str(node.target).endswith("_")
        else:
            in_place = node.op == "call_function" and (node.target is operator.iadd
                                                       or node.kwargs.get("inplace") is True)
        if not in_place or not node.args or not hasattr(node.args[0], "users"):
            continue
        later = [u for u in node.args[0].users if u is not node and order[u] > order[node]]
        if later:
            raise ByHandError(f"graph node {node.name!r} changes {node.args[0].name} in place, and "
                              f"{later[0].name} reads it afterwards: torch.fx cannot see that change. Write "
                              f"the result to a name (out = relu(out)) or use inplace=False.", node.name)


def _input_view(gm, x: np.ndarray, module) -> tuple[str, bool]:
    """How x is drawn: a map when it is 4-D or the first operation that reads it is a convolution."""
    from torch import nn

    if x.ndim == 4:
        return "maps", True
    if x.ndim == 3:
        first = next((u for u in next(n for n in gm.graph.nodes if n.op == "placeholder").users), None)
        if first is not None and first.op == "call_module" and isinstance(
                module.get_submodule(first.target), (nn.Conv2d, nn.BatchNorm1d)):
            return "maps", isinstance(module.get_submodule(first.target), nn.BatchNorm1d)
    return "rows", False


def _shortcuts_first(walk: _Walk, nodes: list) -> list:
    """The nodes in an order that works each add's shortcut (the operand that passes fewer layers) before
    the other path, when the forward works it after (``identity = self.downsample(x)`` last, as torchvision
    writes it): the add then folds into the other path's last layer, ``[I | W | b]·[shortcut; X; 1]``."""
    order = list(nodes)
    depth = walk.depths()

    def ancestors(n) -> set:
        seen, todo = set(), [n]
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo.extend(m.all_input_nodes)
        return seen

    for add in [n for n in nodes if _is_add(n)]:
        pos = {n: k for k, n in enumerate(order)}
        p, q = sorted(add.args[:2], key=pos.get)
        if p is q or depth[q] >= depth[p]:
            continue
        mine, theirs = ancestors(p), ancestors(q)
        move = [n for n in order if n in theirs and n not in mine]
        branch = [pos[n] for n in mine - theirs]
        if not move or not branch or min(pos[n] for n in move) < min(branch):
            continue
        first = min(branch)
        if any(pos[i] >= first and i not in move for n in move for i in n.all_input_nodes):
            continue  # the shortcut reads something the branch works out first: keep the forward's order
        rest = [n for n in order if n not in set(move)]
        k = rest.index(order[first])
        order = rest[:k] + move + rest[k:]
    return order


def _alone(layer):
    """A layer of ``torch.nn`` given alone (``nn.Linear(3, 2)``), as a model whose only submodule is that
    layer, at the path ``model``: fx traces a model's own forward, and would see the layer's functions."""
    from torch import nn

    class Model(nn.Module):
        def __init__(self, layer):
            super().__init__()
            self.model = layer

        def forward(self, x):
            if isinstance(self.model, nn.MultiheadAttention):  # self-attention: attn(x, x, x)
                return self.model(x, x, x, need_weights=False)[0]
            return self.model(x)

    return Model(layer).train(layer.training)


def from_torch(module, x) -> Walkthrough:
    """The walkthrough of a small PyTorch module on one input ``x`` (a tensor or an array, as the module
    takes it): every operation of its ``torch.fx`` graph as a step, the output equal to ``module(x)``
    drawn by hand (features × positions, or (C, H, W) for a feature map).

    An ``nn.TransformerEncoderLayer`` given alone is today's walkthrough (``byhand.blocks.transformer``).
    ``x`` may be an object array of sympy expressions (``x11`` …, read by ``byhand.formula.read_rows``): every
    step is then worked out with symbols (Linear, Conv2d and BatchNorm as their multiplies, the skip,
    ReLU as ``max(0, e)``, GELU, tanh, sigmoid, LayerNorm with its square root, reshapes), the weights
    staying numbers (a whole one exact). Attention and encoder layers are refused, and so are an x of more
    than ``SYMBOLIC_INPUT`` cells, a step matrix of more than ``SYMBOLIC_CELLS`` and a cell of more than
    ``SYMBOLIC_NODES`` nodes (checked before each multiply is worked out): the limits keep it to about a
    second.

    Raises ByHandError for an operation that is not supported (naming the graph node and the op, and
    listing what is), for a model or input too big to work by hand (saying the limit), and for a
    BatchNorm or dropout in training mode.
    """
    import torch
    from torch import nn

    from ..blocks.transformer import from_torch as layer_walk

    if not isinstance(module, nn.Module):
        raise ByHandError(f"from_torch needs a torch.nn.Module, not {type(module).__name__}.", "model")
    symbolic = isinstance(x, np.ndarray) and x.dtype == object and is_symbolic(x)
    xs = _numpy(x) if isinstance(x, torch.Tensor) else np.asarray(x, dtype=object if symbolic else float)
    if symbolic and xs.size > SYMBOLIC_INPUT:
        raise ByHandError(f"x has {xs.size} cells: with symbols, x of at most {SYMBOLIC_INPUT} cells is "
                          "worked out (the expressions grow with each layer). Make the sizes smaller to see "
                          "the formula.", "x")
    if xs.size > MAX_INPUT or xs.ndim > 4 or xs.size == 0:
        raise ByHandError(f"x has shape {tuple(xs.shape)}: at most {MAX_INPUT:,} numbers and 4 axes are "
                          "worked "
                          "by hand.", "x")
    params = sum(p.numel() for p in module.parameters())
    if params > MAX_PARAMETERS:
        raise ByHandError(f"the model has {params:,} weights; at most {MAX_PARAMETERS:,} are worked by hand. "
                          "Walk a smaller model or one block of it.", "model")
    if type(module) is nn.TransformerEncoderLayer:
        if symbolic:
            raise ByHandError("nn.TransformerEncoderLayer is worked out with numbers only: its expressions "
                              f"in x's symbols grow too large to read. {NO_ATTENTION}", "model")
        return layer_walk(module, xs)
    title = f"{type(module).__name__}, by hand"
    if type(module).__module__.startswith("torch.nn.") and not isinstance(module, nn.Sequential):
        module = _alone(module)  # one layer of torch.nn, given alone
    gm = _trace(module)
    nodes = list(gm.graph.nodes)
    if len(nodes) > MAX_NODES:
        raise ByHandError(f"the traced graph has {len(nodes)} operations; at most {MAX_NODES} are worked by "
                          "hand.", "model")
    placeholders = [n for n in nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise ByHandError(f"the model's forward takes {len(placeholders)} inputs; one input x is worked by "
                          "hand.", "model")
    walk = _Walk(module, gm.graph)
    walk.symbolic = symbolic
    kind, batch = _input_view(gm, xs, module)
    xname = "x"
    X = as_matrix(xname, _hand(xs, kind, batch), max_dim=None, symbols=symbolic)
    X = X if symbolic else np.asarray(X, dtype=float)
    walk.inputs[xname] = X
    shape_words = ("a feature map: channels are rows, pixels (row by row) are columns" if kind == "maps" else
                   "features are rows, positions (or samples) are columns")
    walk.add(given_step("Given the input", f"{xname} has torch shape {tuple(xs.shape)}; by hand it is the "
                        f"{X.shape[0]}×{X.shape[1]} matrix {xname}: {shape_words}.", xname, X), "")
    walk.env[placeholders[0]] = _Val(xs, kind, batch, xname)
    out_node = None
    for node in _shortcuts_first(walk, nodes):
        if node in walk.env:
            continue
        if node.op == "placeholder":
            continue
        if node.op == "output":
            out_node = node.args[0]
            break
        if node.op == "call_module":
            _module_step(walk, node)
        elif node.op == "call_function":
            _function_step(walk, node)
        elif node.op == "call_method":
            _method_step(walk, node)
        else:
            raise _unsupported(walk, node)
    if not hasattr(out_node, "op") or not isinstance(walk.env.get(out_node), _Val):
        raise ByHandError("the model must return one tensor (not a tuple or a dict).", "model")
    out = walk.env[out_node]
    if out.name != walk.steps[-1].name:  # the output is an earlier matrix: show it last
        walk.add(given_step("The output", f"The model returns {out.name}.", f"{out.name} (output)",
                            out.matrix), "")
    output = out.t[0] if out.kind == "maps" and out.batch else (out.t if out.kind == "maps" else out.matrix)
    return Walkthrough("torch_model", title, walk.inputs, tuple(walk.steps),
                       output if symbolic else np.asarray(output, dtype=float), False,
                       {"module": type(module).__name__, "paths": dict(walk.paths), "maps": dict(walk.maps),
                        "weights": dict(walk.weights),
                        "input_shape": tuple(xs.shape), "input_kind": (kind, batch),
                        "output_shape": tuple(out.t.shape), "output_kind": (out.kind, out.batch)})
