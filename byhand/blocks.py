"""Every block type by name: how to build a seeded example's walkthrough.

Pages, practice mode, worksheets and the command line look block types up here, so a new
block type added here works everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .conv import bottleneck_example, conv_example
from .encoder import encoder_block
from .examples import check_size, random_encoder, random_residual
from .gradients import jacobian_walkthrough, random_jacobian
from .numbers import ByHandError
from .residual import residual_block
from .walkthrough import Walkthrough

__all__ = ["BlockType", "BLOCKS", "block_type", "build_example"]


@dataclass(frozen=True)
class BlockType:
    """A block type: its label, its size names with defaults and limits, and its builder.

    ``build(seed, low, high, **sizes)`` returns the walkthrough of that seeded example.
    """

    name: str
    label: str
    sizes: dict[str, tuple[int, int, int]]  # size name -> (default, min, max)
    build: Callable[..., Walkthrough]


def _residual(seed: int, low: int = -2, high: int = 2, **sizes) -> Walkthrough:
    return residual_block(**random_residual(seed, low=low, high=high, **sizes))


def _jacobian(seed: int, low: int = -2, high: int = 2, **sizes) -> Walkthrough:
    return jacobian_walkthrough(**random_jacobian(seed, low=low, high=high, **sizes))


def _encoder(seed: int, low: int = -2, high: int = 2, **sizes) -> Walkthrough:
    return encoder_block(**random_encoder(seed, low=low, high=high, **sizes))


BLOCKS: dict[str, BlockType] = {
    "residual": BlockType("residual", "Residual block",
                          {"features": (3, 1, 8), "samples": (3, 1, 8), "hidden": (3, 1, 8)},
                          _residual),
    "encoder": BlockType("encoder", "Transformer encoder block (by hand)",
                         {"features": (2, 1, 8), "positions": (3, 1, 8), "hidden": (3, 1, 8)},
                         _encoder),
    "conv": BlockType("conv", "Convolutional ResNet block",
                      {"channels": (1, 1, 2), "size": (4, 2, 6), "stride": (1, 1, 2)}, conv_example),
    "bottleneck": BlockType("bottleneck", "Bottleneck ResNet block",
                            {"channels": (2, 1, 4), "size": (4, 2, 6), "stride": (1, 1, 2)},
                            bottleneck_example),
    "jacobian": BlockType("jacobian", "Jacobian of a residual block (I + ∂F/∂x)",
                          {"features": (3, 1, 8), "hidden": (3, 1, 8)}, _jacobian),
    # other block types register here
}


def block_type(name: str) -> BlockType:
    """The block type called ``name``, or ByHandError listing the known ones."""
    if name not in BLOCKS:
        raise ByHandError(f"unknown block type {name!r}; choose one of: {', '.join(BLOCKS)}.", "block")
    return BLOCKS[name]


def build_example(name: str, seed: int, low: int = -2, high: int = 2, **sizes) -> Walkthrough:
    """The walkthrough of block ``name`` for a seed, a value range and sizes (defaults otherwise).

    >>> build_example("residual", seed=1).block
    'residual'
    """
    bt = block_type(name)
    unknown = set(sizes) - set(bt.sizes)
    if unknown:
        raise ByHandError(f"{bt.label} has no size {', '.join(sorted(unknown))}; its sizes are "
                          f"{', '.join(bt.sizes)}.", "sizes")
    full = {k: check_size(k, sizes.get(k, default), lo, hi)
            for k, (default, lo, hi) in bt.sizes.items()}
    return bt.build(seed, low, high, **full)
