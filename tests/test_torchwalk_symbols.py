"""Your model with symbols (issue 12 §4 on the "Your model" page): x holds sympy expressions, every step is
worked out with them, and putting x's numbers in gives the walkthrough of numbers, step by step."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
sympy = pytest.importorskip("sympy")

from torch import nn  # noqa: E402

from byhand.formula import read_rows, to_symbols  # noqa: E402
from byhand.numbers import ByHandError  # noqa: E402
from byhand.symbols import parse_expression  # noqa: E402
from byhand.torchwalk import from_torch, torch_layout  # noqa: E402
from byhand.torchwalk.templates import build, rounded  # noqa: E402
from byhand.torchwalk.work import SYMBOLIC_CELLS, SYMBOLIC_INPUT, SYMBOLIC_NODES  # noqa: E402


def symbolic_x(model, x: torch.Tensor):
    """x as the page gives it: its by-hand matrix turned into symbols (x11 …) and read back safely, in
    torch's layout; and the numbers the symbols stand for."""
    wt = from_torch(model, x)
    kind = wt.params["input_kind"][0]
    rows = {"x": [[str(int(v)) if float(v).is_integer() else repr(float(v)) for v in r]
                  for r in wt.inputs["x"]]}
    sym, values = to_symbols(rows)
    X = read_rows(sym)["x"]
    return wt, torch_layout(X, tuple(x.shape), kind), values


def assert_same_walk(symbolic, numeric) -> None:
    """Every step's matrices of ``symbolic`` (its symbols given values) equal ``numeric``'s."""
    assert [s.name for s in symbolic.steps] == [s.name for s in numeric.steps]
    for a, b in zip(symbolic.steps, numeric.steps):
        for field in ("product", "result"):
            mine, theirs = getattr(a, field), getattr(b, field)
            assert (mine is None) == (theirs is None), (a.title, field)
            if theirs is not None:
                np.testing.assert_allclose(np.asarray(mine, dtype=float), theirs, rtol=1e-9, atol=1e-9,
                                           err_msg=f"{a.title}: {field}")
        for side in ("left", "right"):
            mine, theirs = getattr(a, side), getattr(b, side)
            if theirs is not None:
                np.testing.assert_allclose(np.asarray(mine.values, dtype=float), theirs.values, atol=1e-9)


def check_substitution(model, x) -> None:
    numeric, X, values = symbolic_x(model, x)
    symbolic = from_torch(model, X)
    assert symbolic.symbols == sorted(values)
    assert any(s.result is not None and s.result.dtype == object for s in symbolic.steps[1:])
    substituted = symbolic.substitute(values)
    assert_same_walk(substituted, numeric)
    with torch.no_grad():  # and the model itself, run by PyTorch on the numbers
        out = model(x).numpy()
    kind = numeric.params["output_kind"][0]
    theirs = out.reshape(-1, out.shape[-1]).T if kind == "rows" else out.reshape(numeric.output.shape)
    np.testing.assert_allclose(np.asarray(substituted.steps[-1].result, dtype=float).reshape(theirs.shape),
                               theirs, atol=1e-9)


MLP_SIZES = [dict(features=1, hidden=1, samples=1), dict(features=2, hidden=3, samples=2),
             dict(features=3, hidden=4, samples=3), dict(features=2, hidden=2, samples=3, blocks=2),
             dict(features=4, hidden=8, samples=3), dict(features=3, hidden=2, samples=2, blocks=2)]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("sizes", MLP_SIZES, ids=lambda s: "-".join(f"{k[0]}{v}" for k, v in s.items()))
def test_mlp_with_symbols_substituted_is_the_walk_of_numbers(seed, sizes):
    model, x = build("mlp", seed, **sizes)
    check_substitution(model, x)


@pytest.mark.parametrize("decimals", [0, 1])
@pytest.mark.parametrize("seed", range(3))
def test_rounded_weights_with_symbols(decimals, seed):
    model, x = build("mlp", seed, features=2, hidden=3, samples=2)
    check_substitution(rounded(model, decimals), x)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("sizes", [dict(channels=1, out_channels=1, size=2),
                                   dict(channels=1, out_channels=2, size=3, stride=2),
                                   dict(channels=2, out_channels=1, size=2),
                                   dict(channels=1, out_channels=1, size=3)],
                         ids=["1-1-2", "1-2-3-stride2", "2-1-2", "1-1-3"])
def test_basic_block_with_symbols_substituted_is_the_walk_of_numbers(seed, sizes):
    model, x = build("basic", seed, **sizes)
    check_substitution(model, x)


class Activations(nn.Module):
    """Linear, LayerNorm, tanh, GELU, a skip, sigmoid, a batch norm and a reshape: each with symbols."""

    def __init__(self):
        super().__init__()
        self.fc1, self.ln = nn.Linear(2, 2), nn.LayerNorm(2)
        self.fc2, self.bn = nn.Linear(2, 2), nn.BatchNorm1d(2)

    def forward(self, x):
        h = torch.tanh(self.ln(self.fc1(x)))
        h = nn.functional.gelu(self.fc2(h)) + h
        return self.bn(torch.sigmoid(h)).reshape(1, -1)


@pytest.mark.parametrize("seed", range(3))
def test_every_element_wise_layer_and_a_reshape_with_symbols(seed):
    torch.manual_seed(seed)
    model = Activations().double().eval()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-1, 1)
        model.bn.running_var.uniform_(0.5, 2)
    x = torch.randint(-2, 3, (2, 2)).double()
    check_substitution(model, x)
    wt = from_torch(model, symbolic_x(model, x)[1])
    cell = wt.step("ln").result[0, 0]
    assert cell.atoms(sympy.Pow) and any(p.exp == sympy.S.Half or p.exp == -sympy.S.Half
                                         for p in cell.atoms(sympy.Pow))  # LayerNorm keeps its √
    assert wt.steps[-1].title.startswith("Rearrange bn")  # the reshape: each cell copies one of bn


def test_a_tiny_mlp_cell_worked_by_hand():
    # y = relu(W·x + b) with W = [2  −3], b = 1: one sample, x by hand the column [x1; x2]
    model = nn.Sequential(nn.Linear(2, 1), nn.ReLU()).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[2.0, -3.0]]))
        model[0].bias.copy_(torch.tensor([1.0]))
    _, X, values = symbolic_x(model, torch.tensor([[4.0, 1.0]]))
    assert values == {"x1": 4, "x2": 1}
    wt = from_torch(model, X)
    x1, x2 = sympy.symbols("x1 x2", real=True)
    step = wt.steps[1]
    assert sympy.expand(step.product[0, 0] - (2 * x1 - 3 * x2 + 1)) == 0
    relu = step.result[0, 0]
    assert relu.func is sympy.Max and set(relu.args) == {0, 2 * x1 - 3 * x2 + 1}
    assert "max(0, e)" in step.note  # the step says why max(0, e) stays
    assert wt.substitute(values).steps[1].result[0, 0] == 6  # 2·4 − 3·1 + 1


def test_a_residual_block_cell_worked_by_hand():
    # relu(x + W2·relu(W1·x + b1) + b2) with W1 = [1  2], b1 = 0, W2 = [3; −1], b2 = [0; 1]:
    # h = max(0, x1 + 2·x2), out = [max(0, x1 + 3h); max(0, x2 − h + 1)]
    model, _ = build("mlp", 0, features=2, hidden=1, samples=1)
    f = model.blocks[0]
    with torch.no_grad():
        f[0].weight.copy_(torch.tensor([[1.0, 2.0]]))
        f[0].bias.copy_(torch.tensor([0.0]))
        f[2].weight.copy_(torch.tensor([[3.0], [-1.0]]))
        f[2].bias.copy_(torch.tensor([0.0, 1.0]))
    _, X, values = symbolic_x(model, torch.tensor([[1.0, -2.0]], dtype=torch.float64))
    wt = from_torch(model, X)
    x1, x2 = sympy.symbols("x1 x2", real=True)
    h = sympy.Max(0, x1 + 2 * x2)
    assert wt.steps[1].result[0, 0] == h
    last = wt.steps[-1]
    assert last.title == "Linear layer blocks.0.2 plus the skip, and ReLU"
    assert sympy.expand(last.product[0, 0] - (x1 + 3 * h)) == 0
    assert sympy.expand(last.product[1, 0] - (x2 - h + 1)) == 0
    assert last.result[0, 0] == sympy.Max(0, x1 + 3 * h)
    assert last.result[1, 0] == sympy.Max(0, x2 - h + 1)
    # the weights stay whole numbers: x1 + 3·max(…), never 1.0·x1 or 3.0·max(…)
    assert not last.product[0, 0].atoms(sympy.Float)
    # x = (1, −2): h = max(0, −3) = 0, out = [max(0, 1), max(0, −2 + 1)] = [1, 0]
    assert list(wt.substitute(values).output[:, 0]) == [1, 0]


def test_a_formula_cell_is_read_safely():
    x = np.array([[parse_expression("2*a + 1"), 3]], dtype=object)  # (1, 2): one sample, two features
    wt = from_torch(nn.Sequential(nn.Linear(2, 1)).double(), x)
    assert wt.symbols == ["a"]


@pytest.mark.parametrize("name, sizes, words", [
    ("encoder", dict(d_model=2, nhead=1, dim_feedforward=1, positions=2),
     "nn.TransformerEncoderLayer is worked out with numbers only"),
    ("stack", dict(d_model=2, hidden=1, nhead=1, positions=2),
     "layers.1: nn.TransformerEncoderLayer is worked out with numbers only"),
], ids=["encoder", "stack"])
def test_attention_is_refused_with_symbols(name, sizes, words):
    model, x = build(name, 0, **sizes)
    X = np.array([[sympy.Symbol(f"x{i}{j}", real=True) for j in range(x.shape[1])]
                  for i in range(x.shape[0])], dtype=object)
    with pytest.raises(ByHandError) as e:
        from_torch(model, X)
    assert words in str(e.value)
    assert "models without attention (the MLP with skips" in str(e.value)
    from_torch(model, x)  # with numbers it is walked


def test_multihead_attention_alone_is_refused_with_symbols():
    X = np.array([[sympy.Symbol(f"x{i}{j}", real=True) for j in range(2)] for i in range(2)], dtype=object)
    with pytest.raises(ByHandError, match="nn.MultiheadAttention is worked out with numbers only"):
        from_torch(nn.MultiheadAttention(2, 1).double().eval(), X)


def test_too_many_cells_of_x_say_the_limit():
    model, x = build("mlp", 0, features=4, samples=4)
    _, X, _ = symbolic_x(model, x)
    with pytest.raises(ByHandError) as e:
        from_torch(model, X)
    assert SYMBOLIC_INPUT == 12
    assert "x has 16 cells: with symbols, x of at most 12 cells is worked out" in str(e.value)


def test_expressions_too_long_say_the_limit_and_the_step():
    model, x = build("mlp", 0, blocks=3)  # each block nests the last one's max(0, …) in its sums
    _, X, _ = symbolic_x(model, x)
    with pytest.raises(ByHandError) as e:
        from_torch(model, X)
    assert SYMBOLIC_NODES == 1500
    assert ("step 'Linear layer blocks.2.0 and ReLU' gives expressions of more than 1,500 terms and "
            "operations in x's symbols") in str(e.value)
    assert "Make the sizes smaller" in str(e.value)


def test_a_step_matrix_too_large_says_the_limit():
    X = np.array([[sympy.Symbol("a", real=True), sympy.Symbol("b", real=True)]], dtype=object)
    with pytest.raises(ByHandError) as e:
        from_torch(nn.Sequential(nn.Linear(2, 70)).double(), X)
    assert SYMBOLIC_CELLS == 64
    assert "has a 70×1 matrix; with symbols at most 64 cells are worked out" in str(e.value)


def test_numbers_keep_the_float_path():
    model, x = build("mlp", 0)
    wt = from_torch(model, x)
    assert wt.output.dtype == np.float64 and not wt.symbols
    assert all(m.dtype == np.float64 for m in wt.inputs.values())
    assert all(s.result.dtype == np.float64 for s in wt.steps)
    assert from_torch(model, x.numpy()).output.dtype == np.float64  # an array of numbers too
