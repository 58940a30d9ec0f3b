"""The block registry: every block type described once, read by every consumer.

A ``BlockType`` holds a block's inputs, its sizes, its default and seeded examples, its builder,
its PyTorch reference and the page that shows it. The app's navigation, the home page's cards,
the editors, share links, practice, worksheets, the command line and the PyTorch check all read
``BLOCKS``; adding a block is one module in this package, its tests, and one line below.

>>> build_example("residual", seed=1).block
'residual'
>>> block_type("residual").size("samples").url
'n'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..checks import whole_number
from ..numbers import ByHandError
from ..walkthrough import Walkthrough

__all__ = ["Size", "Input", "Page", "BlockType", "BLOCKS", "block_type", "build_example"]


@dataclass(frozen=True)
class Size:
    """A size of a block: its keyword for ``random``, its label, its key in a link, default and limits."""

    name: str
    label: str
    url: str
    default: int
    low: int = 1
    high: int = 8


@dataclass(frozen=True)
class Input:
    """An input matrix of a block: its name, a few words on what it holds, and its role (colour)."""

    name: str
    caption: str
    role: str = "input"


@dataclass(frozen=True)
class Page:
    """Where the app shows a block: its address, title, icon, home-page card and intro line.

    ``file`` is a page under ``app_pages/`` that adds its own views; None gives the standard
    walkthrough page (step player, editors, compare, PyTorch check, GIF, link) with nothing else.
    """

    url: str
    title: str
    icon: str
    summary: str
    intro: str = ""
    file: str | None = None
    section: str = "Walkthroughs"


@dataclass(frozen=True)
class BlockType:
    """A block type, described once.

    - ``default()`` and ``random(seed, low=…, high=…, **sizes)`` return the inputs (name → matrix);
    - ``build(**inputs, **options)`` returns the walkthrough (``residual=False`` when ``skip_option``);
    - ``reference(wt)`` returns ``(output, words)``: the same block run through PyTorch layers
      (torch imported inside) and the layers it used; None when there is no such check.
    """

    name: str
    label: str
    inputs: tuple[Input, ...]
    sizes: tuple[Size, ...]
    default: Callable[[], dict]
    random: Callable[..., dict]
    build: Callable[..., Walkthrough]
    reference: Callable[[Walkthrough], tuple[np.ndarray, str]] | None = None
    skip_option: bool = False
    page: Page | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The input matrices' names, in order."""
        return tuple(i.name for i in self.inputs)

    @property
    def names_of_sizes(self) -> tuple[str, ...]:
        """The sizes' names, in order (as a worksheet code lists their values: ``4x3x3``)."""
        return tuple(s.name for s in self.sizes)

    def size(self, name: str) -> Size:
        return next(s for s in self.sizes if s.name == name)

    def default_sizes(self) -> dict[str, int]:
        return {s.name: s.default for s in self.sizes}

    def check_sizes(self, sizes: dict) -> dict[str, int]:
        """Every size (its default where absent), each a whole number within its limits."""
        unknown = set(sizes) - {s.name for s in self.sizes}
        if unknown:
            raise ByHandError(f"{self.label} has no size {', '.join(sorted(unknown))}; its sizes are "
                              f"{', '.join(s.name for s in self.sizes)}.", "sizes")
        return {s.name: whole_number(s.name, sizes.get(s.name, s.default), s.low, s.high)
                for s in self.sizes}


def _registry() -> dict[str, BlockType]:
    from . import attention, conv, encoder, jacobian, residual  # each module defines its BLOCK

    return {bt.name: bt for bt in (
        residual.BLOCK,
        encoder.BLOCK,
        conv.BLOCK,
        conv.BOTTLENECK,
        jacobian.BLOCK,
        attention.BLOCK,
    )}


BLOCKS: dict[str, BlockType] = _registry()


def block_type(name: str) -> BlockType:
    """The block type called ``name``, or ByHandError listing the known ones."""
    if name not in BLOCKS:
        raise ByHandError(f"unknown block type {name!r}; choose one of: {', '.join(BLOCKS)}.", "block")
    return BLOCKS[name]


def build_example(name: str, seed: int, low: int = -2, high: int = 2, **sizes) -> Walkthrough:
    """The walkthrough of block ``name`` for a seed, a value range and sizes (defaults otherwise)."""
    bt = block_type(name)
    return bt.build(**bt.random(seed, low=low, high=high, **bt.check_sizes(sizes)))
