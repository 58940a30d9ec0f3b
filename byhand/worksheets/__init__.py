"""Worksheets from a Walkthrough: PDF (fpdf2), XLSX with live formulas (xlsxwriter), GIF (pillow).

Every renderer draws the by-hand layout of ``byhand.layout`` and knows nothing of the block it
draws. The submodules load on first use, so ``import byhand.worksheets`` stays cheap.

>>> from byhand.worksheets import ROLE_FILL
>>> ROLE_FILL["identity"]
(187, 247, 208)
"""

from __future__ import annotations

import importlib
from pathlib import Path

__all__ = ["FONT_DIR", "FONT_REGULAR", "FONT_BOLD", "ROLE_FILL", "BLANK_FILL", "box_fill",
           "worksheet_pdf", "worksheet_xlsx", "walkthrough_gif", "class_pack", "PAPERS"]

FONT_DIR = Path(__file__).parent / "fonts"
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

# One colour per part role, the same in every renderer (RGB).
ROLE_FILL = {
    "input": (219, 234, 254),
    "weight": (254, 226, 200),
    "bias": (254, 243, 199),
    "identity": (187, 247, 208),
    "ones": (229, 231, 235),
    "zeros": (243, 244, 246),
    "computed": (237, 233, 254),
}
BLANK_FILL = (255, 255, 255)  # a cell for the learner to fill in
PRODUCT_FILL = (255, 255, 255)
RESULT_FILL = (245, 243, 255)

_LAZY = {"worksheet_pdf": "pdf", "PAPERS": "pdf", "worksheet_xlsx": "xlsx",
         "walkthrough_gif": "gif", "class_pack": "pack"}


def box_fill(block: str, role: str) -> tuple[int, int, int]:
    """The fill colour of a layout box: operands by their part's role, products white."""
    if block == "product":
        return PRODUCT_FILL
    if block == "result":
        return RESULT_FILL
    return ROLE_FILL.get(role, ROLE_FILL["computed"])


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
