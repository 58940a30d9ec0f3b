"""byhand.from_torch on hundreds of random small modules, each checked against module(x) itself.

Every model is written here as users write them (no torchvision): MLPs with and without skips, ResNet
BasicBlocks and Bottlenecks with downsampling, convolution stacks that flatten into a linear layer,
self-attention with a skip and LayerNorm, TransformerEncoderLayers in a ModuleList. The expected output
is PyTorch's own, put in the by-hand layout here (features × positions, or (C, H, W)).
"""

import operator

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from byhand.numbers import ByHandError  # noqa: E402
from byhand.torchwalk import MAX_PARAMETERS, SUPPORTED, from_torch  # noqa: E402

torch.set_num_threads(1)
DT = torch.float64

# ---------------------------------------------------------------- the models, as users write them

ACTS = ("relu", "gelu", "tanh", "sigmoid", "none")


def act_module(name: str) -> nn.Module:
    return {"relu": nn.ReLU(), "gelu": nn.GELU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(),
            "none": nn.Identity()}[name]


def act_function(name: str, style: int):
    """The activation as a function: torch.relu, F.relu or the method x.relu() (style 0, 1, 2)."""
    table = {"relu": (torch.relu, F.relu, lambda x: x.relu()), "gelu": (F.gelu, F.gelu, F.gelu),
             "tanh": (torch.tanh, F.tanh, lambda x: x.tanh()),
             "sigmoid": (torch.sigmoid, F.sigmoid, lambda x: x.sigmoid()),
             "none": (lambda x: x,) * 3}
    return table[name][style]


class ResidualMLP(nn.Module):
    """``act(x + f(x))`` with f = Linear, act, Linear; the add written as + , += or torch.add."""

    def __init__(self, d, h, inner, outer, add_style, fn_style):
        super().__init__()
        self.f = nn.Sequential(nn.Linear(d, h), act_module(inner), nn.Linear(h, d))
        self.outer, self.add_style, self.fn_style = outer, add_style, fn_style

    def forward(self, x):
        if self.add_style == 0:
            y = x + self.f(x)
        elif self.add_style == 1:
            y = self.f(x)
            y += x
        else:
            y = torch.add(self.f(x), x)
        return act_function(self.outer, self.fn_style)(y)


class PreNormResidual(nn.Module):
    """``x + f(LayerNorm(x))``, then a linear head: the add is not next to the last linear layer's input."""

    def __init__(self, d, h, act):
        super().__init__()
        self.norm = nn.LayerNorm(d)
        self.f = nn.Sequential(nn.Linear(d, h), act_module(act), nn.Linear(h, d), act_module(act))
        self.head = nn.Linear(d, 2)

    def forward(self, x):
        return self.head(x + self.f(self.norm(x)))


class Stack(nn.Module):
    """Blocks in a ModuleList, applied in a loop (fx unrolls it)."""

    def __init__(self, blocks):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class BasicBlock(nn.Module):
    """The ResNet basic block: 3×3, 3×3, with a 1×1 projection when the shape changes."""

    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                            nn.BatchNorm2d(c_out))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class Bottleneck(nn.Module):
    """The ResNet bottleneck: 1×1 narrows, 3×3 (with the stride), 1×1 widens by ``expansion``."""

    expansion = 2

    def __init__(self, c_in, width, stride=1):
        super().__init__()
        c_out = width * self.expansion
        self.conv1 = nn.Conv2d(c_in, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, c_out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(c_out)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or c_in != c_out:
            self.downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                            nn.BatchNorm2d(c_out))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ConvHead(nn.Module):
    """Convolutions, then a flatten written one of four ways, then a linear layer."""

    def __init__(self, c, k, stride, pad, bias, h, w, flat, act):
        super().__init__()
        self.conv = nn.Conv2d(c, 2, k, stride, pad, bias=bias)
        ho, wo = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        self.fc = nn.Linear(2 * ho * wo, 3)
        self.flat, self.act = flat, act

    def forward(self, x):
        y = act_function(self.act, 0)(self.conv(x))
        if self.flat == 0:
            y = torch.flatten(y, 1)
        elif self.flat == 1:
            y = y.view(y.size(0), -1)
        elif self.flat == 2:
            y = y.reshape(y.shape[0], -1)
        else:
            y = y.flatten(1)
        return self.fc(y)


class ConvResidual(nn.Module):
    """``act(x + conv2(relu(conv1(x))))`` with biases and no batch norm: the add meets a convolution."""

    def __init__(self, c, k, act):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, k, padding=k // 2)
        self.conv2 = nn.Conv2d(c, c, k, padding=k // 2, bias=k == 3)
        self.act = act

    def forward(self, x):
        return act_function(self.act, 2)(x + self.conv2(torch.relu(self.conv1(x))))


class SelfAttention(nn.Module):
    """``LayerNorm(x + attn(x, x, x))``, then a linear layer and an activation."""

    def __init__(self, d, heads, batch_first, bias, act):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, bias=bias, batch_first=batch_first)
        self.norm = nn.LayerNorm(d)
        self.ff = nn.Linear(d, d)
        self.act = act

    def forward(self, x):
        a, _ = self.attn(x, x, x, need_weights=False)
        y = self.norm(x + a)
        return act_function(self.act, 1)(self.ff(y))


# ---------------------------------------------------------------- random models

def _randomise(model: nn.Module, rng: np.random.Generator) -> nn.Module:
    """Weights, and batch norms' statistics, away from their initial values; eval mode, float64."""
    model = model.to(DT).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.copy_(torch.tensor(rng.normal(0, 1, m.num_features)))
                m.running_var.copy_(torch.tensor(rng.uniform(0.3, 2.0, m.num_features)))
                m.weight.copy_(torch.tensor(rng.normal(1, 0.5, m.num_features)))
                m.bias.copy_(torch.tensor(rng.normal(0, 0.5, m.num_features)))
            if isinstance(m, nn.LayerNorm) and m.weight is not None:
                m.weight.copy_(torch.tensor(rng.normal(1, 0.3, m.weight.shape)))
                m.bias.copy_(torch.tensor(rng.normal(0, 0.3, m.bias.shape)))
    return model


def _mlp(rng):
    d = int(rng.integers(1, 6))
    layers, width = [], d
    for _ in range(int(rng.integers(1, 4))):
        out = int(rng.integers(1, 6))
        layers.append(nn.Linear(width, out, bias=bool(rng.integers(0, 4))))
        extra = int(rng.integers(0, 4))
        if extra == 1:
            layers.append(nn.LayerNorm(out))
        elif extra == 2:
            layers.append(nn.BatchNorm1d(out))
        layers.append(act_module(ACTS[rng.integers(0, len(ACTS))]))
        width = out
    shape = [(int(rng.integers(1, 6)), d), (int(rng.integers(2, 6)), d), (d,)][int(rng.integers(0, 3))]
    if any(isinstance(m, nn.BatchNorm1d) for m in layers) and len(shape) == 1:
        shape = (3, d)
    return nn.Sequential(*layers), shape, "rows"


def _residual_mlp(rng):
    d, h = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    model = ResidualMLP(d, h, ACTS[rng.integers(0, 5)], ACTS[rng.integers(0, 5)], int(rng.integers(0, 3)),
                        int(rng.integers(0, 3)))
    if rng.integers(0, 3) == 0:  # two of them in a Sequential, inside a Sequential
        model = nn.Sequential(nn.Sequential(model), ResidualMLP(d, h, "relu", "none", 0, 0))
    return model, (int(rng.integers(1, 6)), d), "rows"


def _prenorm(rng):
    d = int(rng.integers(2, 6))
    n = int(rng.integers(1, 5))
    return PreNormResidual(d, int(rng.integers(1, 6)), ACTS[rng.integers(0, 5)]), (1, n, d), "rows"


def _basic(rng):
    c = int(rng.integers(1, 4))
    stride = int(rng.integers(1, 3))
    c_out = c if rng.integers(0, 2) else int(rng.integers(1, 4))
    size = int(rng.integers(2, 6))
    model = BasicBlock(c, c_out, stride)
    if rng.integers(0, 3) == 0:
        model = Stack([model, BasicBlock(c_out, c_out)])
    return model, (1, c, size, size), "maps"


def _bottleneck(rng):
    c = int(rng.integers(1, 5))
    width = int(rng.integers(1, 3))
    stride = int(rng.integers(1, 3))
    return Bottleneck(c, width, stride), (1, c, int(rng.integers(2, 6)), int(rng.integers(2, 6))), "maps"


def _conv_head(rng):
    c, k = int(rng.integers(1, 3)), int(rng.choice([1, 3]))
    stride, pad = int(rng.integers(1, 3)), int(rng.integers(0, 2))
    h, w = int(rng.integers(k, 6)), int(rng.integers(k, 6))
    model = ConvHead(c, k, stride, pad, bool(rng.integers(0, 2)), h, w, int(rng.integers(0, 4)),
                     ACTS[rng.integers(0, 5)])
    return model, (1, c, h, w), "rows"


def _conv_stack(rng):
    """Conv2d layers (unbatched (C, H, W) input) with activations; a map as the output."""
    c = int(rng.integers(1, 3))
    layers = []
    for _ in range(int(rng.integers(1, 3))):
        out = int(rng.integers(1, 4))
        layers += [nn.Conv2d(c, out, int(rng.choice([1, 3])), padding=1, bias=bool(rng.integers(0, 2))),
                   act_module(ACTS[rng.integers(0, 5)])]
        c = out
    first_c = layers[0].in_channels
    return nn.Sequential(*layers), (first_c, int(rng.integers(1, 5)), int(rng.integers(1, 5))), "maps"


def _conv_residual(rng):
    c = int(rng.integers(1, 4))
    model = ConvResidual(c, int(rng.choice([1, 3])), ACTS[rng.integers(0, 5)])
    shape = (c, int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    return model, shape if rng.integers(0, 2) else (1, *shape), "maps"


def _attention(rng):
    heads = int(rng.integers(1, 3))
    d = heads * int(rng.integers(1, 3))
    n = int(rng.integers(1, 5))
    batch_first = bool(rng.integers(0, 2))
    model = SelfAttention(d, heads, batch_first, bool(rng.integers(0, 2)), ACTS[rng.integers(0, 5)])
    shape = [(n, d), (1, n, d) if batch_first else (n, 1, d)][int(rng.integers(0, 2))]
    return model, shape, "rows"


def _encoder(rng):
    heads = int(rng.integers(1, 3))
    d = heads * int(rng.integers(1, 3))
    layers = [nn.TransformerEncoderLayer(d, heads, int(rng.integers(1, 6)), dropout=0.1,
                                         activation=["relu", "gelu"][int(rng.integers(0, 2))],
                                         norm_first=bool(rng.integers(0, 2)), batch_first=True)
              for _ in range(int(rng.integers(1, 3)))]
    model = Stack(layers) if rng.integers(0, 2) else nn.Sequential(*layers, nn.Linear(d, 2))
    n = int(rng.integers(1, 5))
    return model, [(n, d), (1, n, d)][int(rng.integers(0, 2))], "rows"


KINDS = {"mlp": _mlp, "residual_mlp": _residual_mlp, "prenorm": _prenorm, "basic": _basic,
         "bottleneck": _bottleneck, "conv_head": _conv_head, "conv_stack": _conv_stack,
         "conv_residual": _conv_residual, "attention": _attention, "encoder": _encoder}
SEEDS = {"mlp": 50, "residual_mlp": 50, "prenorm": 20, "basic": 40, "bottleneck": 30, "conv_head": 40,
         "conv_stack": 30, "conv_residual": 20, "attention": 30, "encoder": 20}  # 330 models


def by_hand_layout(ref: np.ndarray, layout: str) -> np.ndarray:
    """PyTorch's output drawn by hand: features × positions, or (C, H, W) without the batch of one."""
    if layout == "rows":
        return ref.reshape(-1, ref.shape[-1]).T if ref.ndim else ref.reshape(1, 1)
    return ref.reshape(ref.shape[-3:])


def random_case(kind: str, seed: int):
    rng = np.random.default_rng([seed, list(KINDS).index(kind)])
    torch.manual_seed(seed * 101 + list(KINDS).index(kind))
    model, shape, layout = KINDS[kind](rng)
    model = _randomise(model, rng)
    x = torch.tensor(rng.normal(0, 1, shape), dtype=DT)
    return model, x, layout


@pytest.mark.parametrize("kind, seed", [(k, s) for k, n in SEEDS.items() for s in range(n)])
def test_random_module_matches_pytorch(kind, seed, walkthrough_ok):
    model, x, layout = random_case(kind, seed)
    with torch.no_grad():
        ref = model(x).numpy()
    wt = from_torch(model, x)
    np.testing.assert_allclose(wt.output, by_hand_layout(ref, layout), rtol=1e-9, atol=1e-10)
    if seed % 10 == 0:  # the invariants every walkthrough keeps: parts copy their cells, products multiply
        walkthrough_ok(wt)


def test_float32_model_and_numpy_input():
    model, x, layout = random_case("residual_mlp", 3)
    model32 = model.float()
    with torch.no_grad():
        ref = model32(x.float()).numpy()
    np.testing.assert_allclose(from_torch(model32, x.float()).output, by_hand_layout(ref, layout), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(from_torch(model32, x.numpy()).output, by_hand_layout(ref, layout), rtol=1e-5,
                               atol=1e-5)


# ---------------------------------------------------------------- how the steps are drawn

class ResNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Sequential(BasicBlock(1, 2, 2))

    def forward(self, x):
        return self.layer1(x)


def test_captions_name_the_module_path():
    model = _randomise(ResNetish(), np.random.default_rng(0))
    wt = from_torch(model, torch.ones(1, 1, 4, 4, dtype=DT))
    conv1 = next(s for s in wt.steps if s.title.startswith("Convolution layer1.0.conv1"))
    assert conv1.caption.startswith("layer1.0.conv1 (nn.Conv2d 1 → 2, 3×3, stride 2, padding 1)")
    assert wt.params["paths"][conv1.name] == "layer1.0.conv1"
    titles = [s.title for s in wt.steps]
    assert "Batch norm layer1.0.bn1, and ReLU" in titles
    # the forward works downsample(x) last; the walk works it first, so that the add folds into bn2
    assert titles[1:3] == ["Convolution layer1.0.downsample.0", "Batch norm layer1.0.downsample.1"]
    assert titles[-1] == "Batch norm layer1.0.bn2 plus the skip, and ReLU"


def test_the_shortcut_worked_first_is_the_skip_of_the_residual_branch():
    """The templates' BasicBlock works downsample(x) before the branch: the add folds into bn2, carrying the
    shortcut (2 layers) around the branch (4 layers)."""
    from byhand.torchwalk.templates import build

    model, x = build("basic", 0, channels=2, out_channels=3, stride=2)
    last = from_torch(model, x).steps[-1]
    assert last.title == "Batch norm bn2 plus the skip, and ReLU"
    assert [p.name for p in last.right.parts] == ["downsample.1", "conv2", "1"]


def test_residual_mlp_is_one_stacked_multiply_with_the_identity():
    """x + f(x) ends in one multiply [I | W2 | b2]·[x; H; 1], worked here by hand."""
    model = ResidualMLP(2, 2, "relu", "relu", 0, 0).to(DT)
    with torch.no_grad():
        model.f[0].weight.copy_(torch.tensor([[1.0, -1.0], [0.0, 2.0]]))
        model.f[0].bias.copy_(torch.tensor([0.0, -1.0]))
        model.f[2].weight.copy_(torch.tensor([[1.0, 1.0], [-1.0, 0.0]]))
        model.f[2].bias.copy_(torch.tensor([1.0, 0.0]))
    x = torch.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=DT)  # two samples (rows) of 2 features
    wt = from_torch(model, x)
    assert [s.name for s in wt.steps] == ["x", "f.1", "relu"]
    # H = ReLU(W1·X + b1): X = [[1, 3], [2, -1]] → W1·X + b1 = [[-1, 4], [3, -3]] → [[0, 4], [3, 0]]
    np.testing.assert_array_equal(wt.steps[1].result, [[0, 4], [3, 0]])
    last = wt.steps[2]
    assert last.title == "Linear layer f.2 plus the skip, and ReLU"
    assert ("The identity I carries x around the layer into the same multiply: the skip connection. One "
            "multiply gives x + W2·f.1 + b2, then ReLU.") in last.caption
    assert [p.name for p in last.left.parts] == ["I", "W2", "b2"]
    assert [p.name for p in last.right.parts] == ["x", "f.1", "1"]
    # X + W2·H + b2 = [[1, 3], [2, -1]] + [[3, 4], [0, -4]] + [[1], [0]] = [[5, 8], [2, -5]] → ReLU
    np.testing.assert_array_equal(wt.output, [[5, 8], [2, 0]])


def test_skip_around_attention_adds_positions_on_the_right():
    model, x, _ = random_case("attention", 1)
    wt = from_torch(model, x)
    add = next(s for s in wt.steps if s.title.startswith("Add"))
    assert add.data_side == "left" and [p.role for p in add.right.parts] == ["identity", "identity"]
    assert add.right.parts[0].shape == (x.numel() // model.attn.embed_dim,) * 2


def test_encoder_layer_alone_is_todays_walkthrough():
    from byhand.blocks.transformer import from_torch as layer_walk

    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, batch_first=True).to(DT).eval()
    x = torch.randn(3, 4, dtype=DT)
    ours, today = from_torch(layer, x), layer_walk(layer, x)
    assert [s.name for s in ours.steps] == [s.name for s in today.steps]
    np.testing.assert_array_equal(ours.output, today.output)


def test_flatten_rearranges_and_says_which_cell_each_copies():
    conv = nn.Conv2d(1, 2, 1, bias=False).to(DT)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[[1.0]]], [[[2.0]]]]))
    model = nn.Sequential(conv, nn.Flatten()).eval()
    x = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=DT)
    wt = from_torch(model, x)
    flat = wt.steps[-1]
    assert flat.kind == "given" and flat.result.shape == (8, 1)
    # torch flattens channel by channel: 1 2 3 4 then 2 4 6 8, one sample as one column
    np.testing.assert_array_equal(flat.result[:, 0], [1, 2, 3, 4, 2, 4, 6, 8])
    assert flat.copies.source == "L0" and flat.copies.cells[4, 0].tolist() == [1, 0]


# ---------------------------------------------------------------- what is refused, and how

class Uses(nn.Module):
    def __init__(self, fn, module=None):
        super().__init__()
        self.fn, self.m = fn, module if module is not None else nn.Identity()

    def forward(self, x):
        return self.fn(self.m(x))


class Param(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3))

    def forward(self, x):
        return x * self.scale


class TwoInputs(nn.Module):
    def forward(self, x, y):
        return x + y


class Branchy(nn.Module):
    def forward(self, x):
        return x if x.sum() > 0 else -x


class Pair(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        return self.fc(x), x


@pytest.mark.parametrize("model, node, op", [
    (Uses(torch.exp), "exp", "function torch.exp"),
    (Uses(lambda x: x * 2), "mul", "function _operator.mul"),
    (Uses(lambda x: x.mean(0)), "mean", "method .mean()"),
    (nn.Sequential(nn.Linear(3, 3), nn.Softmax(dim=-1)), "_1", "module 1 (Softmax)"),
    (Param(), "scale", "attribute self.scale"),
    (Uses(lambda x: x[0]), "getitem", "function _operator.getitem"),
    (Uses(operator.neg), "neg", "function _operator.neg"),
])
def test_unsupported_op_names_the_node_and_the_op_and_lists_what_is(model, node, op):
    with pytest.raises(ByHandError) as e:
        from_torch(model.to(DT), torch.ones(2, 3, dtype=DT))
    message = str(e.value)
    assert f"graph node {node!r}" in message and op in message, message
    assert "not supported" in message and "Supported: " + "; ".join(SUPPORTED) in message


@pytest.mark.parametrize("model, x, words", [
    (TwoInputs(), torch.ones(2), "takes 2 inputs"),
    (Branchy(), torch.ones(2), "torch.fx could not trace Branchy"),
    (Pair(), torch.ones(2, 3), "must return one tensor"),
    (nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)).train(), torch.ones(4, 3), "call model.eval()"),
    (nn.Sequential(nn.Linear(3, 3), nn.GELU(approximate="tanh")), torch.ones(2, 3), "approximate='tanh'"),
    (nn.Sequential(nn.Conv2d(2, 2, 3, groups=2)), torch.ones(1, 2, 4, 4), "groups=2 is not supported"),
    (nn.Sequential(nn.Linear(3, 3)), torch.ones(2, 4), "gets a tensor of shape (2, 4)"),
    (nn.Linear(200, 200), torch.ones(1, 200), f"at most {MAX_PARAMETERS:,} are worked by hand"),
    (nn.Linear(3, 3), torch.ones(2000, 3), "at most 4,096 numbers"),
    (nn.Sequential(nn.Conv2d(3, 8, 3, padding=1)), torch.ones(1, 3, 36, 36), "at most 16,384 are worked by "
                                                                             "hand"),
    ("not a module", torch.ones(2), "needs a torch.nn.Module"),
])
def test_refused_with_a_message(model, x, words):
    with pytest.raises(ByHandError, match=None) as e:
        from_torch(model, x)
    assert words in str(e.value), str(e.value)


def test_nan_weight_names_the_matrix_and_cell():
    model = nn.Sequential(nn.Linear(2, 2))
    with torch.no_grad():
        model[0].weight[1, 0] = float("nan")
    with pytest.raises(ByHandError) as e:
        from_torch(model, torch.ones(1, 2))
    assert e.value.matrix == "W1" and (e.value.row, e.value.col) == (2, 1)
    assert str(e.value).startswith("0.weight: W1, row 2, column 1")


class ReluThenSkip(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        r = F.relu(x)
        return self.fc(x) + r


def test_a_function_step_names_the_module_that_calls_it():
    wt = from_torch(Stack([ReluThenSkip(), ReluThenSkip()]).to(DT), torch.ones(3, 2, dtype=DT))
    relu = [s for s in wt.steps if s.kind == "elementwise"]
    assert [s.caption for s in relu] == ["blocks.0 (relu): ReLU of every cell of x.",
                                         "blocks.1 (relu_1): ReLU of every cell of add."]
    skips = [s for s in wt.steps if " plus " in s.title]
    # relu(x) passes no layer and fc one: relu(x) goes around fc, so it is the skip
    assert [s.title for s in skips] == ["Linear layer blocks.0.fc plus the skip",
                                        "Linear layer blocks.1.fc plus the skip"]


# ---------------------------------------------------------------- the Your-model templates and their weights

def test_templates_at_their_largest_sizes_stay_within_the_limits():
    from byhand.torchwalk.templates import TEMPLATES, build

    for name, t in TEMPLATES.items():
        big = {k: high for k, (_, _, _, high) in t.sizes.items()}
        if "nhead" in big:
            big["nhead"] = max(h for h in range(1, big["nhead"] + 1) if big["d_model"] % h == 0)
        model, x = build(name, 4, **big)
        with torch.no_grad():
            ref = model(x).numpy()
        layout = "maps" if name == "basic" else "rows"
        np.testing.assert_allclose(from_torch(model, x).output, by_hand_layout(ref, layout), rtol=1e-9,
                                   atol=1e-10)


def test_template_sizes_are_checked():
    from byhand.torchwalk.templates import build

    with pytest.raises(ByHandError, match="Hidden size must be a whole number from 1 to 8, not 9"):
        build("mlp", 0, hidden=9)
    with pytest.raises(ByHandError, match=r"nhead \(3\) must divide d_model \(4\)"):
        build("encoder", 0, nhead=3)
    with pytest.raises(ByHandError, match="unknown template 'vgg'"):
        build("vgg", 0)


def test_rounded_weights_are_whole_numbers_or_k_decimals():
    from byhand.torchwalk.templates import build, rounded

    model, x = build("basic", 3, channels=2, out_channels=3, stride=2)
    whole = rounded(model, 0)
    for key, v in whole.state_dict().items():
        if v.is_floating_point():
            assert torch.equal(v, torch.round(v)), key
            if key.endswith("running_var"):
                assert v.min() >= 1, key
    two = rounded(model, 1)
    for (key, a), b in zip(model.state_dict().items(), two.state_dict().values()):
        if a.is_floating_point() and not key.endswith("running_var"):
            assert float((a - b).abs().max()) <= 0.05 + 1e-12, key
    assert not torch.equal(model.conv1.weight, whole.conv1.weight)  # the original is left as it was
    with pytest.raises(ByHandError, match="decimals must be a whole number from 0 to 6"):
        rounded(model, 7)


def test_safetensors_round_trip():
    from byhand.torchwalk.templates import build, load_safetensors, save_safetensors

    model, x = build("stack", 5)
    other, _ = build("stack", 6)
    loaded = load_safetensors(other, save_safetensors(model))
    for (k, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert torch.equal(a, b), k
    np.testing.assert_array_equal(from_torch(loaded, x).output, from_torch(model, x).output)


def test_a_pickle_is_refused_saying_why():
    import io
    import pickle

    from byhand.torchwalk.templates import build, load_safetensors

    model, _ = build("mlp", 0)
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    for data, filename in ((buf.getvalue(), "weights.pt"), (buf.getvalue(), "renamed.safetensors"),
                           (pickle.dumps({"a": 1}), "weights.safetensors"), (b"{}", "model.pth")):
        with pytest.raises(ByHandError) as e:
            load_safetensors(model, data, filename)
        message = str(e.value)
        assert f"{filename} is a pickle" in message and "runs whatever code the file holds" in message


def test_safetensors_that_do_not_fit_are_listed():
    from safetensors.torch import save

    from byhand.torchwalk.templates import build, load_safetensors

    model, _ = build("mlp", 0, features=3, hidden=4)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    state["blocks.0.0.weight"] = torch.zeros(5, 3)
    del state["blocks.0.2.bias"]
    state["head.weight"] = torch.zeros(1)
    with pytest.raises(ByHandError) as e:
        load_safetensors(model, save(state))
    assert str(e.value) == ("weights.safetensors does not fit this model: missing: blocks.0.2.bias; not in "
                            "this model: head.weight; blocks.0.0.weight is (5, 3) but must be (4, 3).")
    with pytest.raises(ByHandError, match="is not a safetensors file"):
        load_safetensors(model, b"not safetensors at all")


@pytest.mark.parametrize("layer, shape, layout", [
    (nn.Linear(3, 2), (4, 3), "rows"),
    (nn.Conv2d(2, 3, 3, padding=1), (1, 2, 3, 3), "maps"),
    (nn.BatchNorm1d(3), (5, 3), "rows"),
    (nn.LayerNorm(3), (2, 3), "rows"),
    (nn.MultiheadAttention(4, 2), (3, 4), "rows"),
    (nn.GELU(), (2, 3), "rows"),
])
def test_a_layer_alone_is_a_model_of_one_layer(layer, shape, layout):
    model = _randomise(layer, np.random.default_rng(1))
    x = torch.tensor(np.random.default_rng(2).normal(0, 1, shape), dtype=DT)
    with torch.no_grad():
        ref = model(x, x, x)[0] if isinstance(model, nn.MultiheadAttention) else model(x)
    wt = from_torch(model, x)
    np.testing.assert_allclose(wt.output, by_hand_layout(ref.numpy(), layout), rtol=1e-9, atol=1e-10)
    assert wt.title == f"{type(layer).__name__}, by hand"
    assert wt.steps[1].caption.startswith("model")


class HiddenInPlace(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.fc(x)
        self.relu(out)  # changes out in place: the graph does not see it
        return out + x


def test_an_in_place_op_whose_input_is_read_again_is_refused():
    model = HiddenInPlace().to(DT)
    with pytest.raises(ByHandError) as e:
        from_torch(model, torch.ones(1, 2, dtype=DT))
    assert str(e.value).startswith("graph node 'relu' changes fc in place, and add reads it afterwards")
