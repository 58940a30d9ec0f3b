"""An animated GIF of a walkthrough for slides: one frame per step, in the by-hand layout."""

from __future__ import annotations

import io
import textwrap
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from ..layout import Layout, layout_step
from ..numbers import ByHandError, fmt
from ..walkthrough import Walkthrough
from . import FONT_BOLD, FONT_REGULAR, box_fill

__all__ = ["walkthrough_gif", "step_images"]

INK = (31, 41, 55)
GRID = (107, 114, 128)
MUTED = (75, 85, 99)
LINK = (22, 163, 74)
MARGIN = 24
MIN_WIDTH, MAX_WIDTH = 320, 2400


@lru_cache(maxsize=64)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), size)


def _aspect(layouts: list[Layout], decimals: int) -> float:
    """How much wider than tall a cell must be to hold the longest value."""
    longest = max((len(fmt(b.value, decimals)) for lay in layouts for b in lay.boxes
                   if b.value is not None), default=1)
    return max(1.0, 0.3 * longest + 0.2)


def step_images(wt: Walkthrough, decimals: int = 3, width: int = 960,
                blanks: dict[int, set] | None = None) -> list[Image.Image]:
    """One RGB image per step of ``wt``, all the same size; ``blanks`` maps a step to its blank cells."""
    if not isinstance(width, int) or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ByHandError(f"the GIF width must be a whole number of pixels from {MIN_WIDTH} to "
                          f"{MAX_WIDTH}, not {width!r}.", "width")
    blanks = blanks or {}
    layouts = [layout_step(s, blanks.get(k)) for k, s in enumerate(wt.steps)]
    aspect = _aspect([layout_step(s) for s in wt.steps], decimals)  # the same boxes, blank or not
    extents = [lay.extent(1.5, 0.5, 0.5) for lay in layouts]
    span_x = max(e[2] - e[0] for e in extents) * aspect
    span_y = max(e[3] - e[1] for e in extents)
    unit = max(8.0, min(56.0, (width - 2 * MARGIN) / span_x, 560 / span_y))
    ux, uy = unit * aspect, unit
    title_font, text_font = _font(max(14, width // 44), True), _font(max(11, width // 64))
    chars = max(30, int((width - 2 * MARGIN) / (text_font.size * 0.55)))
    captions = [textwrap.wrap(s.caption, chars) for s in wt.steps]
    line = int(text_font.size * 1.35)
    header = MARGIN + title_font.size + 12 + line * max(len(c) for c in captions)
    notes = any(s.note for s in wt.steps)
    height = int(header + span_y * uy + MARGIN + (line + 8 if notes else 0) + 8)
    value_font = _font(max(8, int(unit * 0.42)))
    label_font = _font(max(8, int(unit * 0.36)), True)
    images = []
    for k, (step, lay, ext, caption) in enumerate(zip(wt.steps, layouts, extents, captions)):
        im = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(im)
        draw.text((MARGIN, MARGIN), f"{k + 1}/{len(wt.steps)}  {step.title}", font=title_font, fill=INK)
        for i, text in enumerate(caption):
            draw.text((MARGIN, MARGIN + title_font.size + 12 + i * line), text, font=text_font, fill=MUTED)
        ox = (width - (ext[2] - ext[0]) * ux) / 2 - ext[0] * ux
        oy = header + 8 - ext[1] * uy
        _draw_layout(draw, lay, ox, oy, ux, uy, decimals, value_font, label_font)
        if step.note:
            draw.text((MARGIN, height - MARGIN - line), step.note, font=text_font, fill=MUTED)
        images.append(im)
    return images


def _draw_layout(draw: ImageDraw.ImageDraw, lay: Layout, ox: float, oy: float, ux: float, uy: float,
                 decimals: int, value_font, label_font) -> None:
    for ln in lay.links:
        pts = getattr(ln, "points", ((ln.x1, ln.y1), (ln.x2, ln.y2)))
        draw.line([(ox + x * ux, oy + y * uy) for x, y in pts], fill=LINK, width=2)
    for b in lay.boxes:
        x0, y0 = ox + b.x * ux, oy + b.y * uy
        draw.rectangle([x0, y0, x0 + ux, y0 + uy], fill=box_fill(b.block, b.role), outline=GRID)
        if b.value is not None:
            draw.text((x0 + ux / 2, y0 + uy / 2), fmt(b.value, decimals), font=value_font,
                      fill=INK, anchor="mm")
    for lb in lay.labels:
        anchor = {"left": "lm", "center": "mm", "right": "rm"}[lb.align]
        text = lb.text
        if lb.kind == "op":  # it sits in a gap two cells wide: wrap a long label
            room = max(4, int(1.9 * ux / (label_font.size * 0.62)))
            text = "\n".join(textwrap.wrap(text, room, break_long_words=False)) or text
        draw.multiline_text((ox + lb.x * ux, oy + lb.y * uy), text, font=label_font,
                            fill=LINK if lb.kind == "op" else INK, anchor=anchor, align="center")


def walkthrough_gif(wt: Walkthrough, decimals: int = 3, *, width: int = 960, seconds: float = 2.5,
                    blanks: dict[int, set] | None = None) -> bytes:
    """The walkthrough as an animated GIF: one frame per step, ``seconds`` each, looping.

    >>> from byhand.blocks import build_example
    >>> walkthrough_gif(build_example("residual", seed=1))[:6]
    b'GIF89a'
    """
    if not 0.1 <= float(seconds) <= 60:
        raise ByHandError(f"each frame must last from 0.1 to 60 seconds, not {seconds!r}.", "seconds")
    frames = [im.convert("P", palette=Image.Palette.ADAPTIVE, colors=128)
              for im in step_images(wt, decimals, width, blanks)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:],
                   duration=int(seconds * 1000), loop=0)
    return buf.getvalue()
