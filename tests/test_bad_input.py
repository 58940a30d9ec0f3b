"""Bad input gets one error type, ByHandError, whose message names the matrix and the cell."""

from fractions import Fraction

import numpy as np
import pytest

from byhand import (
    ByHandError,
    default_encoder,
    default_residual,
    encoder_block,
    from_torch,
    random_encoder,
    random_residual,
    random_transformer_params,
    residual_block,
    transformer_layer,
)

BAD_CELLS = {
    "text": "abc", "blank": "", "spaces": "   ", "None": None, "nan": float("nan"), "inf": float("inf"),
    "-inf": float("-inf"), "nan text": "nan", "inf text": "-inf", "numpy nan": np.float64("nan"),
    "1e308": 1e308, "-1e308": -1e308, "1e308 text": "1e308", "1e400 text": "1e400",
    "1/0": "1/0", "3/0": "-3/0", "True": True, "False": False, "numpy bool": np.bool_(True),
    "huge int": 10**400, "huge int text": "1" + "0" * 400, "huge fraction": Fraction(10**400, 3),
    "too large": 2_000_000, "complex": 1j, "list in a cell": [1, 2], "two slashes": "1/3/4",
}


def _assert_names_cell(err: ByHandError, matrix: str, row: int, col: int) -> None:
    assert isinstance(err, ValueError)  # ByHandError is a ValueError
    assert (err.matrix, err.row, err.col) == (matrix, row, col)
    assert f"{matrix}, row {row}, column {col}:" in str(err)


def _with_cell(ex: dict, name: str, row: int, col: int, value) -> dict:
    m = [list(r) for r in ex[name]]
    m[row][col] = value
    return {**ex, name: m}


@pytest.mark.parametrize("value", BAD_CELLS.values(), ids=BAD_CELLS.keys())
@pytest.mark.parametrize("name, row, col", [("X", 1, 2), ("W1", 2, 0), ("b1", 1, 0), ("W2", 0, 1),
                                             ("b2", 2, 0)])
def test_residual_bad_cell(name, row, col, value):
    with pytest.raises(ByHandError) as e:
        residual_block(**_with_cell(default_residual(), name, row, col, value))
    _assert_names_cell(e.value, name, row + 1, col + 1)


@pytest.mark.parametrize("value", BAD_CELLS.values(), ids=BAD_CELLS.keys())
@pytest.mark.parametrize("name, row, col", [("X", 1, 0), ("A", 2, 2), ("W1", 0, 1), ("b2", 1, 0)])
def test_encoder_bad_cell(name, row, col, value):
    with pytest.raises(ByHandError) as e:
        encoder_block(**_with_cell(default_encoder(), name, row, col, value))
    _assert_names_cell(e.value, name, row + 1, col + 1)


@pytest.mark.parametrize("value", ["abc", "", float("nan"), float("inf"), 1e308, "1/0", True, 10**400])
def test_transformer_bad_cell(value):
    X = [[0.5, 1.0, 2.0], [1.0, 0.0, value], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]]
    with pytest.raises(ByHandError) as e:
        transformer_layer(X, random_transformer_params(0, 4, 6), nhead=2)
    _assert_names_cell(e.value, "X", 2, 3)
    p = random_transformer_params(0, 4, 6)
    p["W1"] = p["W1"].tolist()
    p["W1"][5][3] = value
    with pytest.raises(ByHandError) as e:
        transformer_layer(np.eye(4), p, nhead=2)
    _assert_names_cell(e.value, "W1", 6, 4)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 1e308, -2e6])
def test_float_arrays_bad_cell(bad):
    X = np.array(default_residual()["X"], dtype=float)
    X[2, 1] = bad
    with pytest.raises(ByHandError) as e:
        residual_block(**{**default_residual(), "X": X})
    _assert_names_cell(e.value, "X", 3, 2)


def test_float_array_of_another_dtype():
    X = np.array(default_residual()["X"], dtype=np.float32)
    X[0, 2] = np.nan
    with pytest.raises(ByHandError) as e:
        residual_block(**{**default_residual(), "X": X})
    _assert_names_cell(e.value, "X", 1, 3)


@pytest.mark.parametrize("rows, short_row, col", [
    ([[1, 2, 0], [0, 1], [2, -1, 1]], 2, 3),  # row 2 is one short: its column 3 is missing
    ([[1, 2, 0], [0, 1, 1], [2, -1, 1, 5]], 3, 4),  # row 3 has an extra column 4
    ([[1, 2], [0, 1, 1], [2, -1, 1]], 2, 3),  # row 1 is short: row 2 is the first that differs
])
def test_ragged_rows(rows, short_row, col):
    with pytest.raises(ByHandError, match="every row needs the same number of columns") as e:
        residual_block(**{**default_residual(), "X": rows})
    _assert_names_cell(e.value, "X", short_row, col)


@pytest.mark.parametrize("empty", [[], [[]], [[], []], np.zeros((0, 3))])
def test_empty_matrix(empty):
    with pytest.raises(ByHandError, match=r"^W1 is empty \(\d×\d\)\.$") as e:
        residual_block(**{**default_residual(), "W1": empty})
    assert e.value.matrix == "W1"


def test_not_a_matrix():
    with pytest.raises(ByHandError, match="X must be a matrix \\(2-D\\), not 3-D") as e:
        residual_block(**{**default_residual(), "X": [[[1, 2]], [[3, 4]]]})
    assert e.value.matrix == "X"


# ---------------------------------------------------------------- shapes that do not fit: both shapes named

X34 = [[1, 2, 0, 1], [0, 1, 1, 1], [2, -1, 1, 1]]  # 3 features × 4 samples


@pytest.mark.parametrize("name, value, message", [
    ("W1", [[1, 2], [3, 4], [5, 6]], "W1 is 3×2 but must be 3×3: X is 3×4"),
    ("b1", [1, 2], "b1 is 2×1 but must be 3×1: W1 is 3×3"),
    ("b1", [[1, 2, 3]], "b1 is 1×3 but must be 3×1: W1 is 3×3"),
    ("W2", [[1, 2, 3], [4, 5, 6]], r"W2 is 2×3 but must be 3×3: the skip connection adds X \(3×4\) to W2·H, "
                                   "and H is 3×4"),
    ("W2", [[1, 2], [3, 4], [5, 6]], r"W2 is 3×2 but must be 3×3: .*H is 3×4"),
    ("b2", [1, 2], "b2 is 2×1 but must be 3×1: W2 is 3×3"),
])
def test_residual_shapes_name_both(name, value, message):
    with pytest.raises(ByHandError, match=message) as e:
        residual_block(**{**default_residual(), "X": X34, name: value})
    assert e.value.matrix == name


def test_plain_block_lets_W2_change_the_size():
    ex = {**default_residual(), "W2": [[1, 0, 0]], "b2": [[1]]}  # 1 output feature: fine without the skip
    assert residual_block(**ex, residual=False).output.shape == (1, 3)
    with pytest.raises(ByHandError, match=r"W2 is 1×3 but must be 3×3: the skip connection adds X \(3×3\)"):
        residual_block(**ex)
    with pytest.raises(ByHandError, match="b2 is 3×1 but must be 1×1: W2 is 1×3"):
        residual_block(**{**ex, "b2": [1, 2, 3]}, residual=False)


@pytest.mark.parametrize("name, value, message", [
    ("A", [[1, 0], [0, 1]], r"A is 2×2 but must be 3×3: X is 2×3 \(3 positions as columns\)"),
    ("A", [[1, 0, 0], [0, 1, 0]], "A is 2×3 but must be 3×3: X is 2×3"),
    ("W1", [[1, 2, 3]], "W1 is 1×3 but must be 1×2: X is 2×3"),
    ("b1", [0, 1], "b1 is 2×1 but must be 3×1: W1 is 3×2"),
    ("W2", [[1, 0], [0, 1]], r"W2 is 2×2 but must be 2×3: the output keeps the 2 features of X \(2×3\) "
                             "and H is 3×3"),
    ("b2", [0, 1, 2], "b2 is 3×1 but must be 2×1: W2 is 2×3"),
])
def test_encoder_shapes_name_both(name, value, message):
    with pytest.raises(ByHandError, match=message) as e:
        encoder_block(**{**default_encoder(), name: value})
    assert e.value.matrix == name


@pytest.mark.parametrize("residual", [True, False])
def test_encoder_W2_must_keep_the_features_either_way(residual):
    with pytest.raises(ByHandError, match="W2 is 1×3 but must be 2×3"):
        encoder_block(**{**default_encoder(), "W2": [[1, 0, 0]], "b2": [0]}, residual=residual)


# ---------------------------------------------------------------- sizes


def test_sixteen_per_dimension_works():
    wt = residual_block(**random_residual(0, 16, 16, 16))
    assert wt.output.shape == (16, 16) and wt.exact
    wt = encoder_block(**random_encoder(0, 16, 16, 16))
    assert wt.output.shape == (16, 16) and wt.exact


def test_the_limit_itself_works():
    assert residual_block(**random_residual(1, 64, 2, 64)).output.shape == (64, 2)
    assert encoder_block(**random_encoder(1, 2, 64, 2)).output.shape == (2, 64)


@pytest.mark.parametrize("name, shape", [("X", (65, 3)), ("X", (3, 65)), ("W1", (65, 3)), ("b1", (70, 1))])
def test_beyond_the_limit(name, shape):
    message = rf"{name} is {shape[0]}×{shape[1]}: at most 64 rows and 64 columns"
    with pytest.raises(ByHandError, match=message) as e:
        residual_block(**{**default_residual(), name: np.ones(shape, dtype=int).tolist()})
    assert e.value.matrix == name


def test_beyond_the_limit_in_the_generators():
    with pytest.raises(ByHandError, match="samples must be a whole number from 1 to 64, not 65"):
        random_residual(0, samples=65)
    with pytest.raises(ByHandError, match="hidden size must be a whole number from 1 to 64, not 100"):
        random_encoder(0, hidden=100)


# ---------------------------------------------------------------- transformer layer settings


@pytest.mark.parametrize("nhead", [3, 5, 8, 0, -2, True, 2.0, "2", None])
def test_nhead_must_divide_d_model(nhead):
    message = r"nhead must be a whole number ≥ 1 that divides d_model \(4\)"
    with pytest.raises(ByHandError, match=message) as e:
        transformer_layer(np.eye(4)[:, :3], random_transformer_params(0, 4, 6), nhead=nhead)
    assert e.value.matrix == "nhead"


def test_activation_must_be_relu_or_gelu():
    with pytest.raises(ByHandError, match="activation must be 'relu' or 'gelu', not 'tanh'"):
        transformer_layer(np.eye(4), random_transformer_params(0, 4, 6), nhead=2, activation="tanh")


def test_missing_weights():
    p = random_transformer_params(0, 4, 6)
    del p["Wk"], p["beta2"]
    with pytest.raises(ByHandError, match="missing weights: Wk, beta2"):
        transformer_layer(np.eye(4), p, nhead=2)


@pytest.mark.parametrize("name, shape, message", [
    ("Wq", (4, 3), "Wq is 4×3 but must be 4×4 for d_model 4 and dim_feedforward 6"),
    ("b2", (6, 1), "b2 is 6×1 but must be 4×1"),
    ("W2", (4, 5), "W2 is 4×5 but must be 4×6 for d_model 4 and dim_feedforward 6"),
])
def test_weight_shapes(name, shape, message):
    p = random_transformer_params(0, 4, 6)
    p[name] = np.ones(shape)
    with pytest.raises(ByHandError, match=message) as e:
        transformer_layer(np.eye(4), p, nhead=2)
    assert e.value.matrix == name


# ---------------------------------------------------------------- from_torch


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _layer(torch, batch_first, d=4, **kw):
    torch.manual_seed(0)
    return torch.nn.TransformerEncoderLayer(d, 2, dim_feedforward=6, batch_first=batch_first, **kw).eval()


@pytest.mark.parametrize("batch_first", [True, False])
def test_from_torch_accepts_one_sequence_either_way(torch, batch_first):
    layer = _layer(torch, batch_first)
    x = torch.randn(3, 4)
    good = x.unsqueeze(0) if batch_first else x.unsqueeze(1)  # (1, n, d) or (n, 1, d)
    np.testing.assert_allclose(from_torch(layer, good).output, from_torch(layer, x).output, rtol=1e-12)
    np.testing.assert_allclose(from_torch(layer, x.numpy()).output, from_torch(layer, x).output, rtol=1e-12)


@pytest.mark.parametrize("batch_first, shape, want", [
    (True, (2, 3, 4), r"\(1, n, d\)"),  # a batch of two sequences
    (True, (3, 1, 4), r"\(1, n, d\)"),  # laid out as batch_first=False
    (False, (1, 3, 4), r"\(n, 1, d\)"),  # laid out as batch_first=True
    (False, (3, 2, 4), r"\(n, 1, d\)"),
])
def test_from_torch_wrong_batch(torch, batch_first, shape, want):
    message = rf"x has shape \({shape[0]}, {shape[1]}, {shape[2]}\).*must be {want}"
    with pytest.raises(ByHandError, match=message) as e:
        from_torch(_layer(torch, batch_first), torch.randn(*shape))
    assert e.value.matrix == "x"


@pytest.mark.parametrize("shape", [(3, 5), (3,), (1, 1, 3, 4), (1, 3, 5)])
def test_from_torch_wrong_features(torch, shape):
    with pytest.raises(ByHandError, match=r"x has shape .* but must be \(n, 4\) or a batch of one") as e:
        from_torch(_layer(torch, True), torch.randn(*shape))
    assert e.value.matrix == "x"


def test_from_torch_nan_input_names_the_cell(torch):
    x = torch.randn(3, 4)
    x[2, 1] = float("nan")  # position 3, feature 2: by hand X is features × positions
    with pytest.raises(ByHandError) as e:
        from_torch(_layer(torch, True), x)
    _assert_names_cell(e.value, "X", 2, 3)


def test_from_torch_nan_weight_names_the_cell(torch):
    layer = _layer(torch, True)
    with torch.no_grad():
        layer.linear1.weight[4, 1] = float("inf")
    with pytest.raises(ByHandError) as e:
        from_torch(layer, torch.randn(3, 4))
    _assert_names_cell(e.value, "W1", 5, 2)


@pytest.mark.parametrize("activation, message", [
    ("tanh", "activation 'tanh' is not supported"),
    ("gelu_tanh", r"GELU\(approximate='tanh'\) is not supported"),
])
def test_from_torch_activation(torch, activation, message):
    act = torch.nn.Tanh() if activation == "tanh" else torch.nn.GELU(approximate="tanh")
    with pytest.raises(ByHandError, match=message) as e:
        from_torch(_layer(torch, True, activation=act), torch.randn(3, 4))
    assert e.value.matrix == "activation"


def test_from_torch_eps_must_match(torch):
    layer = _layer(torch, True)
    layer.norm2.eps = 1e-3
    with pytest.raises(ByHandError, match="the two LayerNorms must share one eps"):
        from_torch(layer, torch.randn(3, 4))
