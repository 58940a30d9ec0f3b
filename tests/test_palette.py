"""One palette: every role has one colour, and the screen (Vega-Lite), the PDF and the GIF all draw with it.

The expected colours are written out here (Okabe–Ito, tints and shades worked by hand), never read
back from the renderers: a renderer that picked its own colour fails.
"""

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from byhand.numbers import as_matrix
from byhand.practice import make_exercise
from byhand.render import palette
from byhand.render.gif import step_images, walkthrough_gif
from byhand.render.pdf import WorksheetPDF, add_worksheet
from byhand.render.vega import step_chart
from byhand.stacked import ROLES, hstack, identity, ones, part, vstack
from byhand.walkthrough import Walkthrough, given_step, multiply_step

# role → (colour, fill: 78 % of the way to white, e.g. identity 0 + 255·0.78 = 199 = C7)
WANT = {
    "input": ("#0072B2", "#C7E0EE"),
    "weight": ("#E69F00", "#FAEAC7"),
    "bias": ("#CC79A7", "#F4E2EC"),
    "identity": ("#009E73", "#C7EAE0"),
    "ones": ("#8C8C8C", "#E6E6E6"),
    "zeros": ("#8C8C8C", "#E6E6E6"),
    "computed": ("#56B4E9", "#DAEEFA"),
    "attention": ("#F0E442", "#FCF9D5"),
}
CHECKED = ("identity", "weight", "bias", "input", "computed", "attention")
# the old paper colours: H purple, results lavender, biases yellow, identity green, links green
OLD = {(237, 233, 254), (245, 243, 255), (254, 243, 199), (187, 247, 208), (22, 163, 74)}


def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[k:k + 2], 16) for k in (1, 3, 5))


def _walkthrough() -> Walkthrough:
    """One multiply whose operands hold every checked role: [I | A | W | b]·[X; H; V; 1]."""
    m = lambda name, rows: as_matrix(name, rows)  # noqa: E731
    X = m("X", [[1, 2, 0], [0, -1, 3]])
    left = hstack(identity(2), part("A", m("A", [[1, 0], [2, 1]]), "attention"),
                  part("W", m("W", [[1, -1], [0, 2]]), "weight"), part("b", m("b", [[1], [-2]]), "bias"))
    right = vstack(part("X", X, "input"), part("H", m("H", [[2, 0, 1], [1, 1, 0]]), "computed"),
                   part("V", m("V", [[0, 1, 1], [3, 0, 2]]), "computed"), ones(3))
    steps = (given_step("Given", "X", "X", X),
             multiply_step("All roles", "one multiply", "Y", left, right, "P"))
    return Walkthrough("palette", "Every role", {"X": X}, steps, steps[1].result, True)


@pytest.fixture(scope="module")
def wt():
    return _walkthrough()


def test_one_colour_per_role():
    assert set(ROLES) == set(WANT)
    assert palette.COLOURS == {r: c for r, (c, _) in WANT.items()}
    assert palette.FILLS == {r: f for r, (_, f) in WANT.items()}
    # part labels: the colour darkened by 35 % (identity 158·0.65 = 103 = 0x67), more for yellow to read
    assert palette.INKS["identity"] == "#00674B" and palette.INKS["weight"] == "#966700"
    assert palette.INKS["attention"] == "#787221"  # contrast on white ≥ 4.5 (35 % gives only 3.1)
    assert palette.FILLS["attention"] != palette.HIGHLIGHT_FILL
    assert (palette.LINK_COLOUR, palette.LINK_DASH) == ("#009E73", (5.0, 3.0))


def test_no_other_module_defines_colours():
    root = Path(__file__).resolve().parents[1] / "byhand"
    hexes = re.compile(r"#[0-9A-Fa-f]{6}\b")
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "palette.py" and hexes.search(p.read_text())]
    assert offenders == []


def test_vega_draws_every_role_in_its_colour(wt):
    chart = step_chart(wt.steps[1])
    recs = [r for name in ("bh_boxes", "bh_picks") for r in chart.data.get(name, [])]
    seen = {}
    for r in recs:
        if r["region"] in ("left", "right"):
            seen.setdefault(r["role"], set()).add((r["fill"], r["stroke"]))
    for role in CHECKED:
        assert seen[role] == {(WANT[role][1], WANT[role][0])}, role  # (fill, border)
    links = chart.data["bh_links"]
    assert links and {s["colour"] for s in links} == {"#009E73"}
    layers = chart.to_dict()["hconcat"][0]["layer"]
    (rule,) = [lay for lay in layers if lay.get("mark", {}).get("type") == "rule"]
    assert rule["mark"]["strokeDash"] == [5.0, 3.0]


class SpyPDF(WorksheetPDF):
    """Records the fill and border colour of every box drawn, and the colour and dash of every line."""

    def __init__(self):
        super().__init__("a4")
        self.fill = self.stroke = None
        self.dash = (0, 0)
        self.boxes, self.lines, self.texts = [], [], []

    def set_fill_color(self, r, g=-1, b=-1):
        self.fill = (r, g, b)
        super().set_fill_color(r, g, b)

    def set_draw_color(self, r, g=-1, b=-1):
        self.stroke = (r, g, b)
        super().set_draw_color(r, g, b)

    def set_dash_pattern(self, dash=0, gap=0, phase=0):
        self.dash = (dash, gap)
        super().set_dash_pattern(dash, gap, phase)

    def rect(self, x, y, w, h, style=None, **kw):
        self.boxes.append((self.fill, self.stroke))
        return super().rect(x, y, w, h, style, **kw)

    def polyline(self, point_list, **kw):
        self.lines.append((self.stroke, self.dash))
        return super().polyline(point_list, **kw)


def test_pdf_draws_every_role_in_its_colour(wt):
    pdf = SpyPDF()
    add_worksheet(pdf, make_exercise(wt), "worked")
    drawn = set(pdf.boxes)
    for role in CHECKED:
        assert (rgb(WANT[role][1]), rgb(WANT[role][0])) in drawn, role
    # the product and result: the computed tint with the dark border of created cells
    assert (rgb("#DAEEFA"), rgb("#1A1A1A")) in drawn
    assert not {c for pair in drawn for c in pair} & OLD
    # skip links: one per identity column, dashed 5 : 3 in the identity's colour
    assert len(pdf.lines) == 2
    for colour, (dash, gap) in pdf.lines:
        assert colour == (0, 158, 115) and dash / gap == pytest.approx(5 / 3) and dash > 0


def _counts(im: Image.Image) -> dict[tuple[int, int, int], int]:
    a = np.asarray(im.convert("RGB")).reshape(-1, 3)
    colours, n = np.unique(a, axis=0, return_counts=True)
    return {tuple(int(v) for v in c): int(k) for c, k in zip(colours, n)}


def _dash_runs(im: Image.Image, colour: tuple[int, int, int]) -> tuple[list[int], list[int]]:
    """The runs and gaps of ``colour`` down the pixel column where it breaks up most (a vertical link)."""
    mask = np.all(np.asarray(im.convert("RGB")) == colour, axis=2)
    best = ([], [])
    for x in range(mask.shape[1]):
        ys = np.flatnonzero(mask[:, x])
        if len(ys) < 20:
            continue
        breaks = np.flatnonzero(np.diff(ys) > 1)
        starts = np.r_[ys[0], ys[breaks + 1]]
        ends = np.r_[ys[breaks], ys[-1]]
        runs, gaps = (ends - starts + 1).tolist(), (starts[1:] - ends[:-1] - 1).tolist()
        if len(runs) > len(best[0]):
            best = (runs, gaps)
    return best


@pytest.mark.parametrize("source", ["frame", "gif"])
def test_gif_draws_every_role_in_its_colour(wt, source):
    if source == "frame":
        im = step_images(wt, width=960)[1]
    else:
        gif = Image.open(io.BytesIO(walkthrough_gif(wt)))
        gif.seek(1)
        im = gif.convert("RGB")
    counts = _counts(im)
    for role in CHECKED:
        assert counts.get(rgb(WANT[role][1]), 0) > 400, role  # the tint fills its boxes
        assert counts.get(rgb(WANT[role][0]), 0) > 20, role  # and the colour outlines them
    assert not set(counts) & OLD
    # skip links dashed 5 : 3 (at the GIF's cell size), in the identity's colour
    runs, gaps = _dash_runs(im, (0, 158, 115))
    assert len(runs) >= 5
    assert np.median(runs[1:-1]) / np.median(gaps) == pytest.approx(5 / 3, rel=0.35)


# ---------------------------------------------------------------- the encoder's attention matrix A

ATTENTION = ("#F0E442", "#FCF9D5")  # palette.COLOURS / FILLS["attention"]: yellow, its 78 % tint
WEIGHT_FILL = "#FAEAC7"  # palette.FILLS["weight"]: what A was filled with before


@pytest.fixture(scope="module")
def encoder():
    from byhand import default_encoder, encoder_block

    return encoder_block(**default_encoder())


def test_vega_draws_the_encoders_attention_matrix_yellow(encoder):
    step = encoder.steps[1]  # Z = X·A: A (3×3) above the product
    recs = [r for name in ("bh_boxes", "bh_picks") for r in step_chart(step).data.get(name, [])]
    a = [r for r in recs if r["region"] == "right"]
    assert len(a) == 9 and {(r["role"], r["fill"], r["stroke"]) for r in a} == {
        ("attention", ATTENTION[1], ATTENTION[0])}
    assert WEIGHT_FILL not in {r["fill"] for r in recs}
    assert ATTENTION[1] in str(step_chart(step).to_dict())


def test_pdf_xlsx_and_gif_draw_the_encoders_attention_matrix_yellow(encoder):
    import openpyxl

    from byhand.render.xlsx import worksheet_xlsx

    pdf = SpyPDF()
    add_worksheet(pdf, make_exercise(encoder), "worked")
    assert pdf.boxes.count((rgb(ATTENTION[1]), rgb(ATTENTION[0]))) == 9  # A's nine cells
    sheet = openpyxl.load_workbook(io.BytesIO(worksheet_xlsx(make_exercise(encoder), "worked"))).active
    fills = [c.fill.fgColor.rgb for row in sheet.iter_rows() for c in row if c.fill.fill_type == "solid"]
    assert sum(str(f).upper().endswith(ATTENTION[1][1:]) for f in fills) == 9
    # the weights keep theirs: W1 (3×2) in one step, W2 (2×3) in two
    assert sum(str(f).upper().endswith(WEIGHT_FILL[1:]) for f in fills) == 6 + 2 * 6
    counts = _counts(step_images(encoder, width=960)[1])  # the frame of Z = X·A
    assert counts.get(rgb(ATTENTION[1]), 0) > 400 and counts.get(rgb(ATTENTION[0]), 0) > 20
    assert counts.get(rgb(WEIGHT_FILL), 0) == 0
