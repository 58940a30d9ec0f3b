"""Printable PDF worksheets (fpdf2): the by-hand layout of every step drawn as grids of boxes.

Kinds: ``worked`` (every value), ``practice`` (the exercise's blank cells empty) and ``empty``
(only the layout, every box empty). The answer key, when asked for, starts on a new page.
Boxes, labels and skip links look as on screen (``byhand.render.palette``); a box to fill in is
white. The same exercise gives the same bytes: the creation date is fixed.

A number is asked once. An arrange step draws its stacked operands only (its product is the next
step's). Where a later step reuses a number the learner worked out (H in ``[X; H; 1]``), its box
shows a faint "?" and a line under the step says where to copy it from ("? — copy your H from
step 2"): a teacher reads an empty box as "work this out", so a reused number must not look like
one, and naming the step sends the learner back to their own number rather than a fresh guess.
A note that quotes a blanked matrix's values is left out of a practice sheet (``Exercise.note``).

A symbolic cell too long for a box (the formula shown: ``b1₁ + w1₁₁·x₁₁ + …``) is printed as a mark,
``(1)``, and written out in a list under the drawing, as one does by hand when an expression does not
fit; the boxes stay the size their short texts need. Marks are numbered from the whole step, so the
worked, practice and empty sheets and the key number them alike (a blank's line is left out, its room
kept).
"""

from __future__ import annotations

from datetime import datetime, timezone

from fpdf import FPDF

from ..numbers import ByHandError, fmt
from ..practice import Exercise, make_exercise
from ..walkthrough import Walkthrough
from . import FONT_BOLD, FONT_REGULAR
from . import palette as pal
from .layout import Layout, created_regions, layout_step

REFERENCE_MARK = "?"
LONG = 12  # a symbolic cell of more characters is printed as a mark, written out under the drawing

__all__ = ["worksheet_pdf", "answer_key_pdf", "WorksheetPDF", "add_worksheet", "add_key", "PAPERS", "KINDS",
           "check_options"]

PAPERS = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
KINDS = ("worked", "practice", "empty")
FIXED_DATE = datetime(2024, 1, 1, tzinfo=timezone.utc)
MARGIN = 14.0
PT = 72 / 25.4  # points per mm


def check_options(kind: str, paper: str, decimals: int = 3) -> None:
    """Raise ByHandError for an unknown kind or paper size, or a bad number of decimals."""
    if kind not in KINDS:
        raise ByHandError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}.", "kind")
    if paper not in PAPERS:
        raise ByHandError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}.", "paper")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
        raise ByHandError(f"decimals must be a whole number from 0 to 6, not {decimals!r}.", "decimals")


class WorksheetPDF(FPDF):
    """An FPDF with the bundled DejaVu fonts, a fixed creation date and a footer naming the sheet."""

    def __init__(self, paper: str = "a4"):
        if paper not in PAPERS:
            raise ByHandError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}.", "paper")
        super().__init__(unit="mm", format=PAPERS[paper])
        self.add_font("DejaVu", "", str(FONT_REGULAR))
        self.add_font("DejaVu", "B", str(FONT_BOLD))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)
        self.set_creation_date(FIXED_DATE)
        self.set_title("ByHand worksheet")
        self.set_author("ByHand")
        self.footer_text = ""

    def footer(self):
        self.set_y(-10)
        self.set_font("DejaVu", "", 7.5)
        self.set_text_color(*pal.rgb(pal.MUTED))
        self.cell(0, 4, f"ByHand · {self.footer_text} · page {self.page_no()}", align="C")

    @property
    def usable_width(self) -> float:
        return self.w - 2 * MARGIN

    @property
    def bottom(self) -> float:
        return self.h - 14.0


def _marks(lay: Layout, decimals: int) -> dict[str, str]:
    """Each symbolic text of ``lay`` too long for a box (over ``LONG`` characters) → its mark, ``(1)``,
    numbered in the order the boxes come (one mark for one text)."""
    marks: dict[str, str] = {}
    for b in lay.boxes:
        if b.value is not None and hasattr(b.value, "free_symbols"):
            text = fmt(b.value, decimals)
            if len(text) > LONG and text not in marks:
                marks[text] = f"({len(marks) + 1})"
    return marks


def _written(marks: dict[str, str]) -> list[str]:
    """Each marked text as the list under a drawing writes it: an earlier marked text inside it is
    written as its mark (``max(0, (1))``, ReLU of cell (1)).

    >>> _written({"a + b + c + d": "(1)", "max(0, a + b + c + d)": "(2)"})
    ['a + b + c + d', 'max(0, (1))']
    """
    out = []
    for text in marks:
        for earlier in sorted((t for t in marks if t != text and t in text), key=len, reverse=True):
            text = text.replace(earlier, marks[earlier])
        out.append(text)
    return out


def _aspect(pdf: FPDF, layouts: list[Layout], decimals: int, size_pt: float) -> float:
    """How much wider than tall a box must be to hold the longest text it prints at ``size_pt`` (a long
    symbolic cell prints its mark)."""
    pdf.set_font("DejaVu", "", size_pt)
    texts = {t for lay in layouts for t in _box_texts(lay, decimals, _marks(lay, decimals)).values()}
    widest = max((pdf.get_string_width(t) for t in texts), default=0.0)
    height_mm = size_pt / PT / 0.42
    return max(1.0, (widest + 1.2) / height_mm)


def _box_texts(lay: Layout, decimals: int, marks: dict[str, str]) -> dict[tuple, str]:
    """The text each box with a value prints, by (region, row, col): its value, or its mark."""
    out = {}
    for b in lay.boxes:
        if b.value is not None:
            text = fmt(b.value, decimals)
            out[(b.region, b.row, b.col)] = marks.get(text, text)
    return out


def _draw_layout(pdf: WorksheetPDF, lay: Layout, created: tuple[str, ...], x0: float, y0: float,
                 ux: float, uy: float, decimals: int, highlight: set, refs: frozenset = frozenset(),
                 marks: dict[str, str] | None = None) -> None:
    """Draw skip links, boxes (``highlight`` ones as answers, ``refs`` with a faint "?": a number the
    learner worked out in an earlier step; a long symbolic text as its mark in ``marks``), then part
    labels."""
    texts = _box_texts(lay, decimals, marks or {})
    pdf.set_draw_color(*pal.rgb(pal.LINK_COLOUR))
    pdf.set_line_width(pal.scaled(pal.LINK_WIDTH, uy))
    pdf.set_dash_pattern(*(pal.scaled(d, uy) for d in pal.LINK_DASH))
    for ln in lay.links:
        pdf.polyline([(x0 + px * ux, y0 + py * uy) for px, py in ln.points])
    pdf.set_dash_pattern()
    size = max(5.0, uy * 0.42 * PT)
    pdf.set_font("DejaVu", "", size)

    def order(b) -> int:  # dark and highlighted borders last, on top of their neighbours'
        return 2 * ((b.region, b.row, b.col) in highlight) + (b.region in created)

    last = None  # the previous box's look and font: set again only when they change
    for b in sorted(lay.boxes, key=order):
        bx, by = x0 + b.x * ux, y0 + b.y * uy
        answer = (b.region, b.row, b.col) in highlight
        ref = b.value is None and (b.region, b.row, b.col) in refs
        text = REFERENCE_MARK if ref else texts.get((b.region, b.row, b.col), "")
        look = pal.box_look(b.role, hidden=b.value is None and not ref, created=b.region in created,
                            lit=answer, faint=ref or pal.is_faint(b.role, text))
        if last is None or look != last[0]:
            pdf.set_fill_color(*pal.rgb(look.fill))
            pdf.set_draw_color(*pal.rgb(look.stroke))
            pdf.set_line_width(pal.scaled(look.width, uy))
            pdf.set_text_color(*pal.rgb(look.ink))
        pdf.rect(bx, by, ux, uy, style="DF")
        font = ("B" if answer else "", size)
        if last is None or font != last[1]:
            pdf.set_font("DejaVu", *font)
        last = (look, font)
        if text:
            w = pdf.get_string_width(text)
            if w > ux - 0.6:  # shrink a value too long for its box
                pdf.set_font("DejaVu", font[0], size * (ux - 0.6) / w)
                last = (look, None)
                w = pdf.get_string_width(text)
            pdf.text(bx + (ux - w) / 2, by + uy / 2 + pdf.font_size * 0.35, text)
            if b.struck:  # ReLU set it to 0: struck out, as by hand
                pdf.set_draw_color(*pal.rgb(pal.STRIKE))
                pdf.set_line_width(pal.scaled(pal.STRIKE_WIDTH, uy))
                pdf.line(bx + 0.1 * ux, by + 0.9 * uy, bx + 0.9 * ux, by + 0.1 * uy)
                last = None
    label = max(5.0, uy * 0.36 * PT)
    for lb in lay.labels:
        pdf.set_font("DejaVu", "B", label)
        pdf.set_text_color(*pal.rgb(pal.label_ink(lb.kind, lb.role)))
        lines = [lb.text]
        if lb.kind == "op" and pdf.get_string_width(lb.text) > 1.9 * ux:
            words, lines = lb.text.split(), [""]
            for w in words:
                trial = f"{lines[-1]} {w}".strip()
                if lines[-1] and pdf.get_string_width(trial) > 1.9 * ux:
                    lines.append(w)
                else:
                    lines[-1] = trial
        lh = pdf.font_size * 1.15
        for k, text in enumerate(lines):
            w = pdf.get_string_width(text)
            lx = x0 + lb.x * ux - {"left": 0, "center": w / 2, "right": w}[lb.align]
            ly = y0 + lb.y * uy + pdf.font_size * 0.35 + (k - (len(lines) - 1) / 2) * lh
            pdf.text(lx, ly, text)
    pdf.set_text_color(*pal.rgb(pal.TEXT))


def _wrap(pdf: WorksheetPDF, text: str, width: float) -> list[str]:
    """Greedy word wrap at the current font (fpdf's multi_cell is slow on long captions)."""
    space = pdf.get_string_width(" ")
    lines = []
    for para in text.split("\n"):
        cur, cur_w = "", 0.0
        for word in para.split(" "):
            w = pdf.get_string_width(word)
            if cur and cur_w + space + w > width:
                lines.append(cur)
                cur, cur_w = word, w
            else:
                cur, cur_w = (f"{cur} {word}", cur_w + space + w) if cur else (word, w)
        lines.append(cur)
    return lines


def _text_block(pdf: WorksheetPDF, text: str, size: float, bold: bool = False,
                colour: str = pal.TEXT) -> None:
    """Wrapped text across the page from the current y; y moves below it."""
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.set_text_color(*pal.rgb(colour))
    line = size / PT * 1.45
    y = pdf.get_y()
    for text_line in _wrap(pdf, text, pdf.usable_width):
        pdf.text(MARGIN, y + line * 0.75, text_line)
        y += line
    pdf.set_y(y)


def _text_height(pdf: WorksheetPDF, text: str, size: float, bold: bool = False) -> float:
    pdf.set_font("DejaVu", "B" if bold else "", size)
    return len(_wrap(pdf, text, pdf.usable_width)) * size / PT * 1.45


def _sheet_layout(step, hidden: set | None) -> Layout:
    """A step's layout as the sheet draws it: an arrange step without its product (no box to fill in:
    the product is worked out in the next step)."""
    lay = layout_step(step, hidden)
    if step.kind == "arrange":
        lay = Layout([b for b in lay.boxes if b.region != "product"],
                     [lb for lb in lay.labels if lb.kind != "name"], list(lay.links))
    return lay


def reference_line(ex: Exercise, step: int) -> str:
    """The line under a step whose boxes reuse the learner's earlier numbers:
    ``? — copy your H from step 2.`` (empty when it reuses none)."""
    mats: dict[str, int] = {}
    for c in ex.references().get(step, {}).values():
        mats.setdefault(c.matrix, c.step)
    if not mats:
        return ""
    parts = [f"your {m} from step {k + 1}" for m, k in sorted(mats.items(), key=lambda t: (t[1], t[0]))]
    return (f"{REFERENCE_MARK} — a number you worked out earlier: copy {', '.join(parts)}. "
            "Nothing new to fill in there.")


def _draw_steps(pdf: WorksheetPDF, wt: Walkthrough, hidden: dict, highlight: dict, decimals: int,
                steps: list[int], max_unit: float, captions: bool = True, refs: dict | None = None,
                notes: dict | None = None, below: dict | None = None,
                unprinted: frozenset = frozenset()) -> None:
    """Each step in turn: its title, caption and drawing, starting a page when it does not fit.

    ``refs``: per step, the boxes drawn with a "?" (reused numbers); ``notes``: per step, the note to
    print (default: the step's own); ``below``: per step, a line printed under the drawing;
    ``unprinted``: the (step, "note" or "below") texts that take their room but are not printed, so
    that the worked, practice and empty sheets of one exercise match page by page.
    """
    refs, below = refs or {}, below or {}
    layouts = {k: _sheet_layout(wt.steps[k], hidden.get(k)) for k in steps}
    if not layouts:
        return
    # box sizes from every value, hidden or not: worked, practice and empty sheets match page by page
    aspect = _aspect(pdf, [layout_step(wt.steps[k]) for k in steps], decimals, 10.0)
    page_h = pdf.bottom - MARGIN - 20
    for k in steps:
        step, lay = wt.steps[k], layouts[k]
        marks = _marks(layout_step(step), decimals)  # from every value: numbered alike on every sheet
        shown = set(_box_texts(lay, decimals, marks).values())
        written = [(f"{mark} = {line}", mark in shown) for line, mark in zip(_written(marks), marks.values())]
        ex0, ey0, ex1, ey1 = lay.extent(1.6, 0.6, 0.4)
        uy = min(max_unit, pdf.usable_width / ((ex1 - ex0) * aspect), page_h / (ey1 - ey0))
        ux = uy * aspect
        title = f"Step {k + 1} · {step.title}"
        caption = step.caption if captions else ""
        if captions and step.kind == "arrange":
            caption = f"{caption} (The product is worked out in the next step.)".strip()
        note = step.note if notes is None else notes.get(k, "")
        extra = below.get(k, "")
        need = (_text_height(pdf, title, 11, True) + (_text_height(pdf, caption, 8.5) if caption else 0)
                + (ey1 - ey0) * uy + (_text_height(pdf, note, 8) if note else 0)
                + (_text_height(pdf, extra, 8) if extra else 0)
                + sum(_text_height(pdf, line, 8) for line, _ in written) + 6)
        if pdf.get_y() + need > pdf.bottom and pdf.get_y() > MARGIN + 30:
            pdf.add_page()
        _text_block(pdf, title, 11, bold=True)
        if caption:
            _text_block(pdf, caption, 8.5, colour=pal.MUTED)
        y = pdf.get_y() + 2
        x = MARGIN + (pdf.usable_width - (ex1 - ex0) * ux) / 2 - ex0 * ux
        _draw_layout(pdf, lay, created_regions(step), x, y - ey0 * uy, ux, uy, decimals,
                     highlight.get(k, set()), frozenset(refs.get(k, ())), marks)
        pdf.set_y(y + (ey1 - ey0) * uy + 1)
        for line, printed in written:  # a blank's expression is not printed; its room is kept
            if printed:
                _text_block(pdf, line, 8)
            else:
                pdf.set_y(pdf.get_y() + _text_height(pdf, line, 8))
        for what, text, colour in (("below", extra, pal.TEXT), ("note", note, pal.MUTED)):
            if text and (k, what) in unprinted:
                pdf.set_y(pdf.get_y() + _text_height(pdf, text, 8))
            elif text:
                _text_block(pdf, text, 8, colour=colour)
        pdf.set_y(pdf.get_y() + 3)


def _header(pdf: WorksheetPDF, ex: Exercise, kind: str, decimals: int, heading: str) -> None:
    wt = ex.walkthrough
    pdf.set_y(MARGIN)
    _text_block(pdf, f"{heading} · {wt.title}", 15, bold=True)
    what = {"worked": "Worked example: every value is filled in.",
            "practice": ("Practice: fill in every empty box by hand. A box with ? holds a number you "
                         "worked out in an earlier step: copy your own value from there."),
            "empty": "Blank sheet: the layout only; choose your own numbers and work them out.",
            "key": "The answers are the shaded boxes with a bold border."}[kind]
    if kind in ("practice", "empty"):
        what += (" Write fractions as 1/3." if wt.exact
                 else f" Round to {decimals} decimal places.")
    _text_block(pdf, f"Block: {wt.block}    Code: {ex.code or '—'}", 9.5)
    if heading == "Worksheet" and ex.code:  # every kind: the sheets of one exercise match page by page
        _text_block(pdf, f"On screen: open Practice and type the code {ex.code} to check your answers.",
                    8.5, colour=pal.MUTED)
    _text_block(pdf, what, 9.5, colour=pal.MUTED)
    if heading == "Worksheet":
        pdf.set_y(pdf.get_y() + 2)
        _text_block(pdf, "Name: ______________________________     Date: ______________", 10)
    pdf.set_draw_color(*pal.rgb(pal.GRID))
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, pdf.get_y() + 1.5, pdf.w - MARGIN, pdf.get_y() + 1.5)
    pdf.set_y(pdf.get_y() + 4)


def _all_hidden(wt: Walkthrough) -> dict:
    """Every box of every step left empty."""
    return {k: {(b.region, b.row, b.col) for b in layout_step(s).boxes} for k, s in enumerate(wt.steps)}


def add_worksheet(pdf: WorksheetPDF, ex: Exercise, kind: str = "practice", decimals: int = 3) -> None:
    """Add one worksheet's pages (header, then every step) to ``pdf``.

    A practice sheet leaves the blanks empty, draws each reused blank as a "?" with a line saying
    where to copy it from, and leaves out the notes that quote a blanked matrix.
    """
    wt = ex.walkthrough
    pdf.add_page()
    pdf.footer_text = ex.code or wt.title
    _header(pdf, ex, kind, decimals, "Worksheet")
    steps = list(range(len(wt.steps)))
    refs = ex.references() if kind == "practice" else {}
    below = {k: reference_line(ex, k) for k in ex.references()}
    notes = {k: s.note for k, s in enumerate(wt.steps)}
    shown = {k: ex.note(k) if kind == "practice" else "" if kind == "empty" and s.quotes else s.note
             for k, s in enumerate(wt.steps)}
    unprinted = frozenset({(k, "note") for k in steps if notes[k] and not shown[k]}
                          | ({(k, "below") for k in below} if kind != "practice" else set()))
    hidden = {} if kind == "worked" else _all_hidden(wt) if kind == "empty" else ex.hidden()
    _draw_steps(pdf, wt, hidden, {}, decimals, steps, 9.0, refs={k: set(v) for k, v in refs.items()},
                notes=notes, below=below, unprinted=unprinted)


def key_cells(ex: Exercise, kind: str) -> dict[int, set]:
    """The answer boxes of each step: the blank cells (practice) or every computed cell."""
    cells = ex.cells if kind == "practice" else make_exercise(ex.walkthrough, "all").cells
    out: dict[int, set] = {}
    for c in cells:
        out.setdefault(c.step, set()).add((c.region, c.row, c.col))
    return out


def add_key(pdf: WorksheetPDF, ex: Exercise, kind: str = "practice", decimals: int = 3) -> None:
    """Add the answer key of one worksheet, on its own page(s): the steps with answers, filled in."""
    pdf.add_page()
    pdf.footer_text = f"answer key · {ex.code or ex.walkthrough.title}"
    _header(pdf, ex, "key", decimals, "Answer key")
    highlight = key_cells(ex, kind)
    _draw_steps(pdf, ex.walkthrough, {}, highlight, decimals, sorted(highlight), 7.0, captions=False)


def worksheet_pdf(ex: Exercise | Walkthrough, kind: str = "practice", answers: bool = False,
                  paper: str = "a4", decimals: int = 3) -> bytes:
    """One worksheet as PDF bytes, with its answer key on its own pages when ``answers``.

    >>> from byhand.practice import ExerciseSpec
    >>> worksheet_pdf(ExerciseSpec("residual", 1).exercise())[:5]
    b'%PDF-'
    """
    check_options(kind, paper, decimals)
    if isinstance(ex, Walkthrough):
        ex = make_exercise(ex)
    pdf = WorksheetPDF(paper)
    add_worksheet(pdf, ex, kind, decimals)
    if answers:
        add_key(pdf, ex, kind, decimals)
    return bytes(pdf.output())


def answer_key_pdf(ex: Exercise | Walkthrough, kind: str = "practice", paper: str = "a4",
                   decimals: int = 3) -> bytes:
    """Only the answer key of one worksheet, as PDF bytes."""
    check_options(kind, paper, decimals)
    if isinstance(ex, Walkthrough):
        ex = make_exercise(ex)
    pdf = WorksheetPDF(paper)
    add_key(pdf, ex, kind, decimals)
    return bytes(pdf.output())
