"""An animated GIF of a walkthrough for slides: one frame per step, in the by-hand layout.

Boxes, labels and skip links look as on screen (``byhand.render.palette``): role tints, role
borders, a dark border on the cells a step creates, dashed links in the identity's colour.
"""

from __future__ import annotations

import io
import math
import textwrap
from bisect import bisect_right
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from ..numbers import ByHandError
from ..walkthrough import Walkthrough
from . import FONT_BOLD, FONT_REGULAR
from . import palette as pal
from .layout import Layout, cell_text, created_regions, layout_step

__all__ = ["walkthrough_gif", "step_images"]

MARGIN = 24
MIN_WIDTH, MAX_WIDTH = 320, 2400
SNAP = 24  # a GIF palette entry this close (sum of |Δ|) to a palette colour becomes that colour


@lru_cache(maxsize=64)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), size)


def _aspect(layouts: list[tuple[Layout, tuple]], decimals: int) -> float:
    """How much wider than tall a cell must be to hold the longest value (layouts with their steps'
    preferred terms: a symbolic cell is drawn abbreviated, as on the page)."""
    longest = max((len(cell_text(b.value, decimals, prefer)) for lay, prefer in layouts for b in lay.boxes
                   if b.value is not None), default=1)
    return max(1.0, 0.3 * longest + 0.2)


def step_images(wt: Walkthrough, decimals: int = 3, width: int = 960,
                hidden: dict[int, set] | None = None) -> list[Image.Image]:
    """One RGB image per step of ``wt``, all the same size; ``hidden`` maps a step to its hidden boxes."""
    if not isinstance(width, int) or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ByHandError(f"the GIF width must be a whole number of pixels from {MIN_WIDTH} to "
                          f"{MAX_WIDTH}, not {width!r}.", "width")
    hidden = hidden or {}
    layouts = [layout_step(s, hidden.get(k)) for k, s in enumerate(wt.steps)]
    # the same boxes, hidden or not
    aspect = _aspect([(layout_step(s), s.data_symbols) for s in wt.steps], decimals)
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
        im = Image.new("RGB", (width, height), pal.WHITE)
        draw = ImageDraw.Draw(im)
        draw.text((MARGIN, MARGIN), f"{k + 1}/{len(wt.steps)}  {step.title}", font=title_font, fill=pal.TEXT)
        for i, text in enumerate(caption):
            draw.text((MARGIN, MARGIN + title_font.size + 12 + i * line), text, font=text_font,
                      fill=pal.MUTED)
        ox = (width - (ext[2] - ext[0]) * ux) / 2 - ext[0] * ux
        oy = header + 8 - ext[1] * uy
        _draw_layout(draw, lay, created_regions(step), ox, oy, ux, uy, decimals, value_font, label_font,
                     step.data_symbols)
        if step.note:
            draw.text((MARGIN, height - MARGIN - line), step.note, font=text_font, fill=pal.MUTED)
        images.append(im)
    return images


def _dashed(draw: ImageDraw.ImageDraw, points: list[tuple[float, float]], fill: str, width: int,
            dash: float, gap: float) -> None:
    """A dashed polyline: ``dash`` px drawn, ``gap`` px left out, the pattern running on round corners."""
    ends = [0.0]  # distance along the line to each point
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        ends.append(ends[-1] + math.hypot(x1 - x0, y1 - y0))

    def at(d: float) -> tuple[float, float]:
        k = max(0, min(bisect_right(ends, d) - 1, len(points) - 2))
        t = 0.0 if ends[k + 1] == ends[k] else (d - ends[k]) / (ends[k + 1] - ends[k])
        (x0, y0), (x1, y1) = points[k], points[k + 1]
        return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t

    n = math.ceil(ends[-1] / (dash + gap))
    for i in range(n):  # a line covers both its end pixels: end each dash one pixel early
        a = i * (dash + gap)
        b = min(a + max(dash - 1, 1), ends[-1])
        corners = [points[k] for k, e in enumerate(ends) if a < e < b]
        draw.line([at(a), *corners, at(b)], fill=fill, width=width, joint="curve")


def _draw_layout(draw: ImageDraw.ImageDraw, lay: Layout, created: tuple[str, ...], ox: float, oy: float,
                 ux: float, uy: float, decimals: int, value_font, label_font, prefer=()) -> None:
    def px(size: float) -> int:
        return max(1, round(pal.scaled(size, uy)))

    for ln in lay.links:
        _dashed(draw, [(ox + x * ux, oy + y * uy) for x, y in ln.points], pal.LINK_COLOUR,
                px(pal.LINK_WIDTH), *(max(2.0, pal.scaled(d, uy)) for d in pal.LINK_DASH))
    for b in sorted(lay.boxes, key=lambda b: b.region in created):  # dark borders on top
        text = "" if b.value is None else cell_text(b.value, decimals, prefer)
        look = pal.box_look(b.role, hidden=b.value is None, created=b.region in created,
                            faint=pal.is_faint(b.role, text))
        x0, y0 = ox + b.x * ux, oy + b.y * uy
        draw.rectangle([x0, y0, x0 + ux, y0 + uy], fill=look.fill, outline=look.stroke, width=px(look.width))
        if text:
            draw.text((x0 + ux / 2, y0 + uy / 2), text, font=value_font, fill=look.ink, anchor="mm")
            if b.struck:  # ReLU set it to 0: struck out, as by hand
                draw.line([(x0 + 0.1 * ux, y0 + 0.9 * uy), (x0 + 0.9 * ux, y0 + 0.1 * uy)], fill=pal.STRIKE,
                          width=px(pal.STRIKE_WIDTH))
    for lb in lay.labels:
        anchor = {"left": "lm", "center": "mm", "right": "rm"}[lb.align]
        text = lb.text
        if lb.kind == "op":  # it sits in a gap two cells wide: wrap a long label
            room = max(4, int(1.9 * ux / (label_font.size * 0.62)))
            text = "\n".join(textwrap.wrap(text, room, break_long_words=False)) or text
        draw.multiline_text((ox + lb.x * ux, oy + lb.y * uy), text, font=label_font,
                            fill=pal.label_ink(lb.kind, lb.role), anchor=anchor, align="center")


@lru_cache(maxsize=1)
def _exact_colours() -> tuple[tuple[int, int, int], ...]:
    """Every colour the palette draws with, which the GIF keeps exactly."""
    named = [pal.WHITE, pal.TEXT, pal.MUTED, pal.FAINT, pal.CREATED, pal.HIGHLIGHT, pal.HIGHLIGHT_FILL,
             pal.LINK_COLOUR, *pal.COLOURS.values(), *pal.FILLS.values(), *pal.INKS.values()]
    return tuple(dict.fromkeys(pal.rgb(c) for c in named))


def _to_palette(im: Image.Image) -> Image.Image:
    """128 colours for the GIF; an entry close to a palette colour is set to it exactly."""
    out = im.convert("P", palette=Image.Palette.ADAPTIVE, colors=128)
    entries = out.getpalette()[:128 * 3]
    exact = _exact_colours()
    for k in range(0, len(entries), 3):
        c = entries[k:k + 3]
        near = min(exact, key=lambda e: sum(abs(a - b) for a, b in zip(e, c)))
        if sum(abs(a - b) for a, b in zip(near, c)) <= SNAP:
            entries[k:k + 3] = near
    out.putpalette(entries)
    return out


def walkthrough_gif(wt: Walkthrough, decimals: int = 3, *, width: int = 960, seconds: float = 2.5,
                    hidden: dict[int, set] | None = None) -> bytes:
    """The walkthrough as an animated GIF: one frame per step, ``seconds`` each, looping.

    >>> from byhand.blocks import build_example
    >>> walkthrough_gif(build_example("residual", seed=1))[:6]
    b'GIF89a'
    """
    if not 0.1 <= float(seconds) <= 60:
        raise ByHandError(f"each frame must last from 0.1 to 60 seconds, not {seconds!r}.", "seconds")
    frames = [_to_palette(im) for im in step_images(wt, decimals, width, hidden)]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:],
                   duration=int(seconds * 1000), loop=0)
    return buf.getvalue()
