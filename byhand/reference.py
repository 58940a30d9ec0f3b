"""The PyTorch check: a block's output beside the same block built from real PyTorch layers.

Each block module owns its reference (``BlockType.reference``); this module holds what they
share (tensors, ``nn.Linear``) and the comparison.

torch is imported only inside these functions (``import byhand`` never imports it), so the
app runs without torch and says how to install it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from .walkthrough import Walkthrough

__all__ = ["torch_available", "INSTALL_HINT", "Check", "check_against_torch", "tensor", "linear"]

INSTALL_HINT = "pip install torch==2.13.0"


def torch_available() -> bool:
    """Whether PyTorch can be imported."""
    return importlib.util.find_spec("torch") is not None


def tensor(m):
    """A float64 tensor of the matrix ``m``."""
    import torch

    return torch.tensor(np.asarray(m, dtype=float), dtype=torch.float64)


def linear(W, b):
    """An ``nn.Linear`` (float64) holding weight ``W`` (out × in) and bias ``b``."""
    import torch
    from torch import nn

    Wt = tensor(W)
    lin = nn.Linear(Wt.shape[1], Wt.shape[0], dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(Wt)
        lin.bias.copy_(tensor(b).reshape(-1))
    return lin












@dataclass(frozen=True)
class Check:
    """Our output beside torch's, the largest |difference| and whether they agree."""

    ours: np.ndarray
    torch: np.ndarray
    max_diff: float
    ok: bool
    what: str  # the torch layers used, in words


def check_against_torch(wt: Walkthrough, tol: float = 1e-9) -> Check:
    """Run the same weights through PyTorch layers (the block type's ``reference``) and compare.

    Raises ImportError when torch is missing (see ``INSTALL_HINT``), KeyError for a block type
    with no reference.
    """
    from .blocks import BLOCKS
    from .blocks.transformer import transformer_reference

    reference = transformer_reference if wt.block == "transformer" else getattr(
        BLOCKS.get(wt.block), "reference", None)
    if reference is None:
        raise KeyError(f"no PyTorch reference for block {wt.block!r}")
    theirs, what = reference(wt)
    ours = np.asarray(wt.output, dtype=float)
    diff = float(np.max(np.abs(ours - theirs))) if ours.size else 0.0
    return Check(ours, theirs, diff, diff <= tol * max(1.0, float(np.max(np.abs(theirs)))), what)
