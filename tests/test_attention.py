"""Self-attention by hand: the default example worked out in the comments, shape errors, PyTorch on
many seeds and sizes, practice, worksheets (with live formulas), the GIF and the command line."""

import io
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from exact import exact_equal

from byhand import ByHandError, default_self_attention, random_self_attention, self_attention
from byhand.blocks import BLOCKS, block_type, build_example
from byhand.blocks.attention import torch_self_attention
from byhand.practice import ExerciseSpec, check_answers, hint, make_exercise
from byhand.render import gif, pdf, xlsx

F = Fraction
e = math.e
ROOT = Path(__file__).resolve().parents[1]

# The default example, worked by hand. Positions are columns: x1 = (1, 0, 1), x2 = (0, 1, 1), x3 = (1, 1, 0).
#
# X = [ 1 0 1 ]   Wq = [ 1  0 1 ]  bq = [0]   Wk = [ 1  0 0 ]  bk = [ 0]   Wv = [ 1 0  1 ]  bv = [0]
#     [ 0 1 1 ]        [ 0  1 0 ]       [0]        [ 0  1 1 ]       [ 0]        [ 0 2 -1 ]       [1]
#     [ 1 1 0 ]        [ 1 -1 0 ]       [1]        [ 0 -1 1 ]       [ 0]
#                      [ 1  0 0 ]       [0]        [ 1  0 0 ]       [-1]
#
# Q = Wq·X + bq, row by row (row of Wq · x1, x2, x3, plus the bias):
#   (1, 0, 1):  1+1 = 2,  0+1 = 1,  1+0 = 1           (0, 1, 0):  0, 1, 1
#   (1,−1, 0):  1+1 = 2,  −1+1 = 0, 1−1+1 = 1         (1, 0, 0):  1, 0, 1
#   Q = [[2, 1, 1], [0, 1, 1], [2, 0, 1], [1, 0, 1]]: q1 = (2, 0, 2, 1), q2 = (1, 1, 0, 0), q3 = (1, 1, 1, 1)
# K = Wk·X + bk:
#   (1, 0, 0):  1, 0, 1        (0, 1, 1):  0+1 = 1, 1+1 = 2, 1+0 = 1
#   (0,−1, 1):  1, −1+1 = 0, −1        (1, 0, 0) − 1:  0, −1, 0
#   K = [[1, 0, 1], [1, 2, 1], [1, 0, −1], [0, −1, 0]]
#   k1 = (1, 1, 1, 0), k2 = (0, 2, 0, −1), k3 = (1, 1, −1, 0)
# V = Wv·X + bv:  (1, 0, 1): 2, 1, 1;   (0, 2, −1) + 1: 0−1+1 = 0, 2−1+1 = 2, 2+1 = 3
#   V = [[2, 1, 1], [0, 2, 3]]
# Kᵀ·Q, cell (i, j) = ki·qj:
#   k1: 2+0+2+0 = 4,   1+1+0+0 = 2,   1+1+1+0 = 3
#   k2: 0+0+0−1 = −1,  0+2+0+0 = 2,   0+2+0−1 = 1
#   k3: 2+0−2+0 = 0,   1+1+0+0 = 2,   1+1−1+0 = 1
# d_k = 4, so × 1/√4 = 1/2:  S = [[2, 1, 3/2], [−1/2, 1, 1/2], [0, 1, 1/2]]
# Softmax down each column:
#   column 1 (2, −1/2, 0):  (e², e^(−1/2), 1) / (e² + e^(−1/2) + 1) ≈ (0.8214090, 0.0674254, 0.1111656)
#   column 2 (1, 1, 1):     every key matches query 2 equally: 1/3 each
#   column 3 (3/2, 1/2, 1/2) = 1/2 + (1, 0, 0):  (e, 1, 1) / (e + 2) ≈ (0.5761169, 0.2119416, 0.2119416)
# Z = V·A, column j = 2·A1j·(1, 0) + A2j·(1, 2) + A3j·(1, 3):
#   row 1 = 2·A1j + A2j + A3j = 1 + A1j (each column of A adds up to 1)
#   row 2 = 2·A2j + 3·A3j
#   Z ≈ [[1.8214090, 4/3, 1.5761169], [0.4683476, 5/3, 1.0597078]]
Q_DEFAULT = [[2, 1, 1], [0, 1, 1], [2, 0, 1], [1, 0, 1]]
K_DEFAULT = [[1, 0, 1], [1, 2, 1], [1, 0, -1], [0, -1, 0]]
V_DEFAULT = [[2, 1, 1], [0, 2, 3]]
KTQ_DEFAULT = [[4, 2, 3], [-1, 2, 1], [0, 2, 1]]
S_DEFAULT = [[2, 1, F(3, 2)], [F(-1, 2), 1, F(1, 2)], [0, 1, F(1, 2)]]
_c1 = e ** 2 + e ** -0.5 + 1
A_DEFAULT = [[e ** 2 / _c1, 1 / 3, e / (e + 2)],
             [e ** -0.5 / _c1, 1 / 3, 1 / (e + 2)],
             [1 / _c1, 1 / 3, 1 / (e + 2)]]
Z_DEFAULT = [[1 + e ** 2 / _c1, 4 / 3, 1 + e / (e + 2)],
             [(2 * e ** -0.5 + 3) / _c1, 5 / 3, 5 / (e + 2)]]
Z_DEFAULT_ROUNDED = [[1.8214090, 1.3333333, 1.5761169], [0.4683476, 1.6666667, 1.0597078]]

# Without the biases (bq, bk, bv dropped): Q loses +1 on row 3, K loses −1 on row 4, V loses +1 on row 2.
#   Q = [[2, 1, 1], [0, 1, 1], [1, −1, 0], [1, 0, 1]]
#   q1 = (2, 0, 1, 1), q2 = (1, 1, −1, 0), q3 = (1, 1, 0, 1)
#   K = [[1, 0, 1], [1, 2, 1], [1, 0, −1], [1, 0, 1]]
#   k1 = (1, 1, 1, 1), k2 = (0, 2, 0, 0), k3 = (1, 1, −1, 1)
#   V = [[2, 1, 1], [−1, 1, 2]]
#   Kᵀ·Q: k1: 2+0+1+1 = 4, 1+1−1+0 = 1, 1+1+0+1 = 3;  k2: 0, 2, 2;  k3: 2+0−1+1 = 2, 1+1+1+0 = 3, 1+1+0+1 = 3
#   S = [[2, 1/2, 3/2], [0, 1, 1], [1, 3/2, 3/2]]
#   column 1 (2, 0, 1): A = (e², 1, e)/(e² + 1 + e);  Z column 1 = (2e² + 1 + e, −e² + 1 + 2e)/(e² + 1 + e)
Q_PLAIN = [[2, 1, 1], [0, 1, 1], [1, -1, 0], [1, 0, 1]]
K_PLAIN = [[1, 0, 1], [1, 2, 1], [1, 0, -1], [1, 0, 1]]
V_PLAIN = [[2, 1, 1], [-1, 1, 2]]
S_PLAIN = [[2, F(1, 2), F(3, 2)], [0, 1, 1], [1, F(3, 2), F(3, 2)]]
_p1 = e ** 2 + 1 + e
Z_PLAIN_COLUMN_1 = [(2 * e ** 2 + 1 + e) / _p1, (-e ** 2 + 1 + 2 * e) / _p1]


def no_biases(inputs: dict) -> dict:
    return {k: v for k, v in inputs.items() if not k.startswith("b")}


def test_default_example_by_hand(walkthrough_ok):
    wt = self_attention(**default_self_attention())
    walkthrough_ok(wt)
    assert wt.block == "attention" and wt.exact and wt.params == {"d_k": 4}
    assert [s.name for s in wt.steps] == ["X", "Q", "K", "V", "S", "A", "Z"]
    assert [s.kind for s in wt.steps] == ["given", "multiply", "multiply", "multiply", "multiply",
                                         "elementwise", "multiply"]
    steps = {s.name: s for s in wt.steps}
    exact_equal(steps["Q"].result, Q_DEFAULT)
    exact_equal(steps["K"].result, K_DEFAULT)
    exact_equal(steps["V"].result, V_DEFAULT)
    exact_equal(steps["S"].product, KTQ_DEFAULT)
    exact_equal(steps["S"].result, S_DEFAULT)
    assert steps["S"].op.name == "scale" and steps["S"].op.scale == F(1, 2) and steps["S"].op.label == "× 1/2"
    assert steps["A"].op.name == "softmax" and steps["A"].product_name == "S"
    np.testing.assert_allclose(steps["A"].result, A_DEFAULT, rtol=1e-12)
    np.testing.assert_allclose(wt.output, Z_DEFAULT, rtol=1e-12)
    np.testing.assert_allclose(wt.output, Z_DEFAULT_ROUNDED, atol=1e-7)
    assert wt.output.dtype == float and "decimals from here on" in steps["A"].note


def test_default_example_layout():
    """[Wq | bq]·[X; 1] for the projections, Kᵀ (copying K transposed) times Q, and V·A mixing positions."""
    wt = self_attention(**default_self_attention())
    steps = {s.name: s for s in wt.steps}
    for name in "QKV":
        w = "W" + name.lower()
        assert steps[name].left.name == f"[{w} | b{name.lower()}]" and steps[name].right.name == "[X; 1]"
        assert [p.role for p in steps[name].left.parts] == ["weight", "bias"]
        assert steps[name].product_name == f"{w}·X + b{name.lower()}"
    kt = steps["S"].left.parts[0]
    assert kt.name == "Kᵀ" and kt.source == "K"
    # Kᵀ, row 1, column 2 is key 1's second number: K row 2, column 1
    assert kt.source_cell(0, 1) == ("K", 1, 0) and kt.source_cell(2, 3) == ("K", 3, 2)
    assert steps["S"].right.name == "Q" and steps["S"].product_name == "Kᵀ·Q"
    assert steps["Z"].data_side == "left" and steps["Z"].left.name == "V" and steps["Z"].right.name == "A"
    assert steps["Q"].data_side == "right"


def test_without_biases_by_hand(walkthrough_ok):
    wt = self_attention(**no_biases(default_self_attention()))
    walkthrough_ok(wt)
    assert set(wt.inputs) == {"X", "Wq", "Wk", "Wv"}
    steps = {s.name: s for s in wt.steps}
    for name in "QKV":
        w = "W" + name.lower()
        assert steps[name].left.name == w and steps[name].right.name == "X"
        assert steps[name].product_name == f"{w}·X"
    exact_equal(steps["Q"].result, Q_PLAIN)
    exact_equal(steps["K"].result, K_PLAIN)
    exact_equal(steps["V"].result, V_PLAIN)
    exact_equal(steps["S"].result, S_PLAIN)
    np.testing.assert_allclose(wt.output[:, 0], Z_PLAIN_COLUMN_1, rtol=1e-12)


def test_some_biases_only():
    ex = default_self_attention()
    wt = self_attention(ex["X"], ex["Wq"], ex["Wk"], ex["Wv"], bk=ex["bk"])
    steps = {s.name: s for s in wt.steps}
    assert (steps["Q"].left.name, steps["K"].left.name, steps["V"].left.name) == ("Wq", "[Wk | bk]", "Wv")
    exact_equal(steps["K"].result, K_DEFAULT)
    exact_equal(steps["Q"].result, Q_PLAIN)


def test_doctest_example_by_hand():
    # X = [1 0], Wq = [2], Wk = [1], Wv = [3]: Q = [2 0], K = [1 0], V = [3 0]
    # Kᵀ·Q = [[1·2, 1·0], [0·2, 0·0]] = [[2, 0], [0, 0]], d_k = 1 so × 1
    # A column 1 = (e², 1)/(e² + 1), column 2 = (1/2, 1/2);  Z = 3·A row 1 = [3e²/(e² + 1), 3/2]
    wt = self_attention([[1, 0]], [[2]], [[1]], [[3]])
    exact_equal(wt.steps[4].result, [[2, 0], [0, 0]])
    assert wt.steps[4].op.label == "× 1" and wt.steps[4].op.scale == 1
    np.testing.assert_allclose(wt.output, [[3 * e ** 2 / (e ** 2 + 1), 1.5]], rtol=1e-12)


def test_scale_exact_only_for_a_whole_square_root():
    # d_k = 2: × 1/√2 is not a fraction, so the scores leave the fractions there
    wt = self_attention([[1, 0]], [[1], [1]], [[1], [0]], [[1]])
    s = wt.steps[4]
    assert s.op.label == "× 1/√2" and isinstance(s.op.scale, float) and s.result.dtype == float
    # Kᵀ·Q = [[1·1 + 0·1, 0], [0, 0]] = [[1, 0], [0, 0]] (key 1 = (1, 0), query 1 = (1, 1))
    exact_equal(s.product, [[1, 0], [0, 0]])
    np.testing.assert_allclose(s.result, [[1 / math.sqrt(2), 0], [0, 0]], rtol=1e-15)
    assert "√2 ≈ 1.414" in s.caption
    # float inputs: float throughout, the scale 1/2 as a float
    wt = self_attention(np.asarray(default_self_attention()["X"], dtype=float),
                        **{k: v for k, v in default_self_attention().items() if k != "X"})
    assert not wt.exact and wt.steps[4].result.dtype == float
    np.testing.assert_allclose(wt.steps[4].result, np.array(S_DEFAULT, dtype=float))
    np.testing.assert_allclose(wt.output, Z_DEFAULT, rtol=1e-12)


@pytest.mark.parametrize("name, value, words", [
    ("Wq", [[1, 0], [0, 1]], "Wq is 2×2 but must be 2×3: X is 3×3 and Wq needs one column per feature"),
    ("Wk", [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "Wk is 3×3 but must be 4×3: each key is matched with a query"),
    ("Wv", [[1, 0, 0, 1]], "Wv is 1×4 but must be 1×3: X is 3×3 and Wv needs one column per feature"),
    ("bq", [1, 2, 3], "bq is 3×1 but must be 4×1: Wq is 4×3 and needs one bias per row"),
    ("bk", [[0, 0, 0, -1]], "bk is 1×4 but must be 4×1: Wk is 4×3"),
    ("bv", [0, 1, 2], "bv is 3×1 but must be 2×1: Wv is 2×3"),
])
def test_shape_errors_name_the_matrix_and_why(name, value, words):
    ex = dict(default_self_attention(), **{name: value})
    with pytest.raises(ByHandError, match=words) as err:
        self_attention(**ex)
    assert err.value.matrix == name


def test_bad_cells_and_sizes():
    ex = default_self_attention()
    ex["X"] = [[1, 0, 1], [0, "abc", 1], [1, 1, 0]]
    with pytest.raises(ByHandError) as err:
        self_attention(**ex)
    assert (err.value.matrix, err.value.row, err.value.col) == ("X", 2, 2)
    with pytest.raises(ByHandError, match="d_k must be a whole number from 1"):
        random_self_attention(1, d_k=0)
    with pytest.raises(ByHandError, match="lowest value"):
        random_self_attention(1, low=3, high=1)
    with pytest.raises(ByHandError, match="d_v must be a whole number from 1 to 8"):
        block_type("attention").check_sizes({"d_v": 9})


def test_block_type():
    bt = BLOCKS["attention"]
    assert bt.names == ("X", "Wq", "bq", "Wk", "bk", "Wv", "bv")
    assert [i.role for i in bt.inputs] == ["input", "weight", "bias", "weight", "bias", "weight", "bias"]
    assert [s.url for s in bt.sizes] == ["d", "n", "dk", "dv"]
    assert bt.default_sizes() == {"features": 3, "positions": 3, "d_k": 4, "d_v": 2}
    assert all((s.low, s.high) == (1, 8) for s in bt.sizes)
    assert bt.default() == default_self_attention()
    assert bt.page.url == "self_attention" and bt.page.file is None
    wt = build_example("attention", seed=5, features=2, positions=4, d_k=3, d_v=1)
    assert wt.output.shape == (1, 4) and wt.steps[4].result.shape == (4, 4)
    assert ExerciseSpec.parse("attention/5/2x4x3x1").walkthrough().output.shape == (1, 4)


def test_random_examples_are_seeded_small_integers():
    a = random_self_attention(3, low=-1, high=1, features=2, positions=5, d_k=3, d_v=4)
    assert a == random_self_attention(3, low=-1, high=1, features=2, positions=5, d_k=3, d_v=4)
    assert a != random_self_attention(4, low=-1, high=1, features=2, positions=5, d_k=3, d_v=4)
    shapes = {k: np.shape(v) for k, v in a.items()}
    assert shapes == {"X": (2, 5), "Wq": (3, 2), "bq": (3, 1), "Wk": (3, 2), "bk": (3, 1),
                      "Wv": (4, 2), "bv": (4, 1)}
    assert all(v in (-1, 0, 1) for m in a.values() for row in m for v in row)


# ---- PyTorch ----------------------------------------------------------------------------------------

def _case(seed: int) -> dict:
    """Seeded sizes from 1 to 8 and a value range, then the seeded example."""
    rng = np.random.default_rng(1000 + seed)
    d, n, k, v = (int(x) for x in rng.integers(1, 9, size=4))
    low = int(rng.integers(-4, 1))
    return random_self_attention(seed, low=low, high=low + int(rng.integers(1, 6)),
                                 features=d, positions=n, d_k=k, d_v=v)


@pytest.mark.parametrize("biases", [True, False], ids=["biases", "no-biases"])
@pytest.mark.parametrize("seed", range(110))
def test_agrees_with_torch(seed, biases, walkthrough_ok):
    pytest.importorskip("torch")
    ex = _case(seed) if biases else no_biases(_case(seed))
    wt = self_attention(**ex)
    walkthrough_ok(wt)
    assert all(s.exact for s in wt.steps[:5]) == (math.isqrt(wt.params["d_k"]) ** 2 == wt.params["d_k"])
    want = torch_self_attention(**ex)
    assert want.shape == wt.output.shape == (np.shape(ex["Wv"])[0], np.shape(ex["X"])[1])
    np.testing.assert_allclose(np.asarray(wt.output, dtype=float), want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seed", range(20))
def test_torch_reference_matches_scaled_dot_product_attention(seed):
    """The reference itself, against PyTorch's own attention function (another route to the same maths)."""
    torch = pytest.importorskip("torch")
    ex = _case(seed)
    x = torch.tensor(np.asarray(ex["X"], dtype=float)).T

    def proj(w, b):
        W, B = (torch.tensor(np.asarray(ex[k], dtype=float)) for k in (w, b))
        return x @ W.T + B.reshape(-1)

    q, k, v = proj("Wq", "bq"), proj("Wk", "bk"), proj("Wv", "bv")
    want = torch.nn.functional.scaled_dot_product_attention(q[None], k[None], v[None])[0].T.numpy()
    np.testing.assert_allclose(torch_self_attention(**ex), want, rtol=1e-10, atol=1e-10)


def test_torch_check_of_the_registry():
    pytest.importorskip("torch")
    from byhand.reference import check_against_torch

    check = check_against_torch(self_attention(**default_self_attention()))
    assert check.ok and check.max_diff < 1e-12 and "softmax" in check.what
    np.testing.assert_allclose(check.torch, Z_DEFAULT, rtol=1e-12)


# ---- practice, worksheets, GIF, command line --------------------------------------------------------

def test_practice_on_the_default_example():
    ex = make_exercise(self_attention(**default_self_attention()))
    by_step = {s: [c for c in ex.cells if c.step == s] for s in range(7)}
    # Q, K (4×3), V (2×3), the scores (product and scaled result, 3×3 each), A (3×3), Z (2×3)
    assert [len(by_step[s]) for s in range(7)] == [0, 12, 12, 6, 18, 9, 6]
    right = {c.key: str(c.answer) for c in ex.cells}
    assert check_answers(ex, right).correct == len(ex.cells)
    typed = dict(right)
    typed[(4, "result", 1, 0)] = "-1/2"  # S row 2, column 1 by hand
    typed[(4, "result", 0, 2)] = "1.5"  # 3/2 as a decimal is exactly right
    typed[(5, "result", 1, 1)] = "0.333"  # 1/3 to three places
    typed[(6, "product", 1, 1)] = "1.667"  # 5/3 to three places
    typed[(4, "product", 0, 0)] = "5"  # wrong: k1·q1 = 4
    score = check_answers(ex, typed)
    assert score.correct == len(ex.cells) - 1 and not score.verdicts[(4, "product", 0, 0)].ok
    cell = next(c for c in ex.cells if c.key == (4, "product", 0, 0))
    assert hint(ex, cell).startswith("Row 1 of Kᵀ meets column 1 of Q: 1·2 + 1·0 + 1·2 + 0·1.")
    cell = next(c for c in ex.cells if c.key == (5, "result", 0, 0))
    assert "Softmax down column 1 of S" in hint(ex, cell)


def test_xlsx_formulas_recompute_after_an_edit(tmp_path):
    """Change X in the worked sheet: every copy and formula downstream (through Kᵀ, the scale, the
    softmax and V·A) recomputes to what PyTorch gives for the new X."""
    if os.environ.get("CI") == "true":
        import formulas
    else:
        formulas = pytest.importorskip("formulas")
        pytest.importorskip("openpyxl")
    inputs = default_self_attention()
    ex = make_exercise(self_attention(**inputs), code="attn")
    plan = xlsx.plan_sheet(ex, "worked")
    path = tmp_path / "a.xlsx"
    path.write_bytes(xlsx.worksheet_xlsx(ex, "worked"))
    sheet = xlsx.sheet_name(ex.code).upper()
    given = [c for c in plan.cells if c.kind == "given"][:9]  # step 1 shows X, row by row
    assert [c.value for c in given] == [v for row in inputs["X"] for v in row]
    formulas_text = [c.formula for c in plan.cells if c.formula]
    assert any("EXP(" in f for f in formulas_text) and any("*(1/2)" in f for f in formulas_text)

    def addr(c):
        from xlsxwriter.utility import xl_rowcol_to_cell
        return f"'[{path.name}]{sheet}'!{xl_rowcol_to_cell(c.row, c.col)}"

    model = formulas.ExcelModel().loads(str(path)).finish()
    new_x = [[3, 0, 1], [0, -1, 1], [1, 1, 2]]
    edits = {addr(c): v for c, v in zip(given, (v for row in new_x for v in row))}
    solution = model.calculate(inputs=edits)

    def value(c):
        v = solution[addr(c)]
        return float(v.value[0][0] if hasattr(v, "value") else v)

    z_cells = [c for c in plan.cells if c.kind == "computed"][-6:]  # the last multiply: Z, 2×3
    got = sorted(value(c) for c in z_cells)
    pytest.importorskip("torch")
    want = torch_self_attention(**dict(inputs, X=new_x))
    np.testing.assert_allclose(got, sorted(want.flat), rtol=1e-9)
    # unedited, the same cells give the walkthrough's own Z
    base = model.calculate()
    got = sorted(float(base[addr(c)].value[0][0]) for c in z_cells)
    np.testing.assert_allclose(got, sorted(np.asarray(Z_DEFAULT).flat), rtol=1e-9)


def test_pdf_and_gif_of_the_default_example():
    from PIL import Image
    from pypdf import PdfReader

    wt = self_attention(**default_self_attention())
    data = pdf.worksheet_pdf(make_exercise(wt, code="attn"), "practice", answers=True)
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Self-attention" in text and "Softmax down each column" in text
    im = Image.open(io.BytesIO(gif.walkthrough_gif(wt)))
    assert im.n_frames == 7


def test_command_line(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "byhand", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)

    r = run("worksheet", "attention", "--seed", "3", "--size", "d_k=2", "--format", "xlsx",
            "-o", str(tmp_path / "a.xlsx"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.xlsx").read_bytes()[:2] == b"PK"
    r = run("worksheet", "attention", "--seed", "3", "--answers", "-o", str(tmp_path / "a.pdf"))
    assert r.returncode == 0, r.stderr
    r = run("gif", "attention", "--seed", "1", "--width", "640", "-o", str(tmp_path / "a.gif"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "a.gif").read_bytes()[:6] == b"GIF89a"
