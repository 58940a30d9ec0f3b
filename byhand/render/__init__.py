"""Renderers of a Walkthrough: text, LaTeX, a Vega-Lite spec, PDF and XLSX worksheets, a GIF; one palette.

Every renderer draws the by-hand layout of ``byhand.render.layout`` in the colours of
``byhand.render.palette`` and knows nothing of the block it draws. None imports streamlit.
The submodules load on first use, so ``import byhand.render`` stays cheap.

>>> from byhand.render import step_text, walkthrough_gif
>>> walkthrough_gif.__module__, step_text.__module__
('byhand.render.gif', 'byhand.render.text')
"""

from __future__ import annotations

import importlib
from pathlib import Path

__all__ = ["FONT_DIR", "FONT_REGULAR", "FONT_BOLD", "layout_step", "layout_matrix", "step_text", "summary",
           "step_latex", "step_chart", "matrix_chart", "selected_cell", "cell_center", "ByHandChart",
           "worksheet_pdf", "answer_key_pdf", "PAPERS", "worksheet_xlsx", "answer_key_xlsx",
           "walkthrough_gif", "class_pack", "class_pack_key_xlsx"]

FONT_DIR = Path(__file__).parent / "fonts"
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"

_LAZY = {"layout_step": "layout", "layout_matrix": "layout", "step_text": "text", "summary": "text",
         "step_latex": "latex", "step_chart": "vega", "matrix_chart": "vega", "selected_cell": "vega",
         "cell_center": "vega", "ByHandChart": "vega", "worksheet_pdf": "pdf", "answer_key_pdf": "pdf",
         "PAPERS": "pdf", "worksheet_xlsx": "xlsx", "answer_key_xlsx": "xlsx", "walkthrough_gif": "gif",
         "class_pack": "pack", "class_pack_key_xlsx": "pack"}


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
