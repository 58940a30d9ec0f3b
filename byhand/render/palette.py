"""The one palette: each part role has one colour, on screen (Vega-Lite), on paper (PDF, XLSX) and in the GIF.

The colours are Okabe–Ito's, told apart with every common colour-vision deficiency. A box is
filled with a light tint of its role's colour and outlined in the colour itself; a part's label
is written in a darker shade of it (dark enough to read on white). Colour is never the only
cue: every part is labelled. Skip links (the identity's columns picking out rows) are dashed
elbows in the identity's colour everywhere.

Sizes are given for a 40-px cell (the drawing's natural size on screen): the screen uses them
as pixels, paper and GIF scale them with their own cell size (``scaled``).

>>> COLOURS["identity"], FILLS["identity"], INKS["identity"]
('#009E73', '#C7EAE0', '#00674B')
>>> rgb(FILLS["attention"])
(252, 249, 213)
>>> box_look("weight", created=True)
Look(fill='#FAEAC7', stroke='#1A1A1A', width=2.0, ink='#1A1A1A')
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

from ..stacked import ROLES

__all__ = ["ROLES", "COLOURS", "FILLS", "INKS", "WHITE", "TEXT", "MUTED", "FAINT", "GRID", "CREATED",
           "HIGHLIGHT", "HIGHLIGHT_FILL", "MARK_INK", "STRIKE", "STRIKE_WIDTH", "STATUS_FILLS", "STROKE",
           "LINK_COLOUR", "LINK_WIDTH", "LINK_DASH", "REFERENCE_CELL", "Look", "box_look", "is_faint",
           "label_ink", "rgb", "scaled", "mix", "contrast"]

# One colour per role (Okabe–Ito).
COLOURS = {
    "input": "#0072B2",  # blue
    "weight": "#E69F00",  # orange
    "bias": "#CC79A7",  # reddish purple
    "identity": "#009E73",  # bluish green: the skip connection
    "ones": "#8C8C8C",  # grey
    "zeros": "#8C8C8C",  # grey
    "computed": "#56B4E9",  # sky blue: what the block works out (H, products, results)
    "attention": "#F0E442",  # yellow: attention weights
}
assert set(COLOURS) == set(ROLES), "every role of byhand.stacked.ROLES needs a colour"

WHITE = "#FFFFFF"  # the background, and a box the learner fills in (no value shown)
TEXT = "#1A1A1A"  # numbers, matrix names, op labels
MUTED = "#4B5563"  # captions and notes on paper and in the GIF
FAINT = "#9A9A9A"  # the zeros of an identity (its diagonal stands out) and the "?" of a blank
GRID = "#6B7280"  # rules on paper, cell borders in the spreadsheet
CREATED = "#1A1A1A"  # the border of the cells a step creates (its product and result)
HIGHLIGHT = "#D55E00"  # vermillion: the picked cell, its row and column; an answer in a key
HIGHLIGHT_FILL = "#F7F1A0"  # behind the highlighted cells
STATUS_FILLS = {"CORRECT": "#BBF7D0", "INCORRECT": "#FECACA", "NOT DONE": "#F3F4F6"}  # self-checks

REFERENCE_CELL = 40.0  # px: the cell size the widths and dashes below are given for
STROKE = {"plain": 1.0, "created": 2.0, "lit": 3.5}  # box borders
LINK_COLOUR = COLOURS["identity"]
LINK_WIDTH = 1.6
LINK_DASH = (5.0, 3.0)  # dash, gap


@cache
def rgb(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` as an (r, g, b) tuple of 0…255 (for fpdf and Pillow)."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def mix(colour: str, other: str, t: float) -> str:
    """``colour`` moved a fraction ``t`` of the way to ``other``.

    >>> mix("#000000", "#FFFFFF", 0.5)
    '#808080'
    """
    return "#" + "".join(f"{round(a + (b - a) * t):02X}" for a, b in zip(rgb(colour), rgb(other)))


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours (1 to 21).

    >>> round(contrast("#000000", "#FFFFFF"), 1)
    21.0
    """
    def lum(c: str) -> float:
        lin = [(v / 255) / 12.92 if v <= 10 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in rgb(c)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _ink(colour: str) -> str:
    """The role's colour darkened by at least 35 %, and until it reads on white (contrast 4.5)."""
    t = 0.35
    while contrast(mix(colour, "#000000", t), WHITE) < 4.5:
        t += 0.05
    return mix(colour, "#000000", t)


FILLS = {r: mix(c, WHITE, 0.78) for r, c in COLOURS.items()}  # light tints behind the numbers
INKS = {r: _ink(c) for r, c in COLOURS.items()}  # part labels
MARK_INK = mix(HIGHLIGHT, "#000000", 0.2)  # marks under values (differences)
STRIKE = MARK_INK  # the stroke through a cell ReLU set to 0 (a mark, not a colour: it reads in grey too)
STRIKE_WIDTH = 1.5  # px at the 40-px reference cell


class Look(NamedTuple):
    """How one box is drawn: fill, border colour and width (at the reference cell), value ink."""

    fill: str
    stroke: str
    width: float
    ink: str


@cache
def box_look(role: str, *, hidden: bool = False, created: bool = False, lit: bool = False,
             faint: bool = False) -> Look:
    """The look of a box of part role ``role``, the same in every renderer.

    ``hidden``: no value shown (a cell to fill in: white); ``created``: the step works it out
    (dark border); ``lit``: picked on screen or an answer in a key (vermillion border on yellow);
    ``faint``: a value drawn grey (an identity's zeros, a blank's "?").
    """
    colour = COLOURS.get(role, COLOURS["computed"])
    if lit:
        return Look(HIGHLIGHT_FILL, HIGHLIGHT, STROKE["lit"], TEXT)
    fill = WHITE if hidden else FILLS.get(role, FILLS["computed"])
    if created:
        return Look(fill, CREATED, STROKE["created"], FAINT if faint else TEXT)
    return Look(fill, colour, STROKE["plain"], FAINT if faint else TEXT)


def is_faint(role: str, text: str) -> bool:
    """Whether a value is drawn faint: a zero of an identity (or a zeros block), a blank's "?"."""
    return (role in ("identity", "zeros") and text == "0") or text == "?"


def label_ink(kind: str, role: str = "") -> str:
    """A label's colour: a part's name in its role's ink, a matrix name or an op in the text colour."""
    return INKS.get(role, TEXT) if kind == "part" else TEXT


def scaled(size: float, cell: float) -> float:
    """A width or dash length given for the 40-px reference cell, for a cell of size ``cell``."""
    return size * cell / REFERENCE_CELL
