"""The "Your model" page's example models: templates with sizes, seeded weights, safetensors weights, and
weights rounded for working by hand.

This module defines ``torch.nn.Module`` classes, so it imports torch; ``byhand`` and
``byhand.torchwalk`` never import it themselves (only the page and the notebook export do).

>>> model, x = build("mlp", seed=0)
>>> from_torch(model, x).output.shape  # 3 features × 3 samples
(3, 3)
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..numbers import ByHandError
from .walk import from_torch  # noqa: F401 - the doctest's

__all__ = ["ResidualMLP", "BasicBlock", "SmallStack", "Template", "TEMPLATES", "template", "build",
           "rounded", "load_safetensors", "save_safetensors", "model_code", "MAX_UPLOAD", "PICKLE_WHY"]

MAX_UPLOAD = 2 ** 20  # bytes of a weights file: a model small enough to work by hand is far smaller
PICKLE_WHY = ("loading a pickle runs whatever code the file holds, so ByHand never loads one. Save the "
              "weights "
              "as safetensors instead: from safetensors.torch import save_file; "
              "save_file(model.state_dict(), 'weights.safetensors')")


class ResidualMLP(nn.Module):
    """``blocks`` residual blocks ``x ← relu(x + W2·relu(W1·x + b1) + b2)`` on features × samples."""

    def __init__(self, features: int, hidden: int, blocks: int = 1):
        super().__init__()
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(features, hidden), nn.ReLU(), nn.Linear(hidden, features))
            for _ in range(blocks))

    def forward(self, x):
        for f in self.blocks:
            x = torch.relu(x + f(x))
        return x


class BasicBlock(nn.Module):
    """The ResNet basic block (3×3, 3×3, batch norms), a 1×1 projection when the shape changes."""

    def __init__(self, channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, out_channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or channels != out_channels:
            self.downsample = nn.Sequential(nn.Conv2d(channels, out_channels, 1, stride, bias=False),
                                            nn.BatchNorm2d(out_channels))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class SmallStack(nn.Module):
    """``depth`` times: a residual MLP block, then a transformer encoder layer; features × positions."""

    def __init__(self, d_model: int, hidden: int, nhead: int, depth: int = 1):
        super().__init__()
        self.layers = nn.ModuleList()
        for _ in range(depth):
            self.layers.append(ResidualMLP(d_model, hidden))
            self.layers.append(nn.TransformerEncoderLayer(d_model, nhead, hidden, dropout=0.0,
                                                          batch_first=True))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


@dataclass(frozen=True)
class Template:
    """A model the page offers: its sizes (name → (label, default, low, high)), how it is built, and x."""

    name: str
    label: str
    sizes: dict
    classes: tuple  # the classes its code needs, in order (for the notebook)
    note: str = ""

    def check(self, sizes: dict) -> dict:
        """Every size, its default where absent, each a whole number within its limits."""
        out = {}
        for key, (label, default, low, high) in self.sizes.items():
            v = sizes.get(key, default)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not low <= v <= high:
                raise ByHandError(f"{label} must be a whole number from {low} to {high}, not {v!r}.", key)
            out[key] = int(v)
        if self.name in ("encoder", "stack") and out["d_model"] % out["nhead"]:
            raise ByHandError(f"nhead ({out['nhead']}) must divide d_model ({out['d_model']}).", "nhead")
        return out

    def constructor(self, s: dict) -> str:
        """The Python expression that makes the model (without its weights)."""
        ctor = {
            "mlp": lambda: f"ResidualMLP({s['features']}, {s['hidden']}, {s['blocks']})",
            "basic": lambda: f"BasicBlock({s['channels']}, {s['out_channels']}, {s['stride']})",
            "encoder": lambda: f"nn.TransformerEncoderLayer({s['d_model']}, {s['nhead']}, "
                               f"{s['dim_feedforward']}, dropout=0.0, batch_first=True)",
            "stack": lambda: f"SmallStack({s['d_model']}, {s['hidden']}, {s['nhead']}, {s['depth']})",
        }
        return ctor[self.name]()

    def input_shape(self, s: dict) -> tuple:
        """The shape of x as the model takes it."""
        if self.name == "mlp":
            return (s["samples"], s["features"])
        if self.name == "basic":
            return (1, s["channels"], s["size"], s["size"])
        return (s["positions"], s["d_model"])


TEMPLATES = {t.name: t for t in (
    Template("mlp", "MLP with skips", {"features": ("Features", 3, 1, 6), "hidden": ("Hidden size", 4, 1, 8),
                                       "blocks": ("Blocks", 1, 1, 3), "samples": ("Samples", 3, 1, 6)},
             (ResidualMLP,), "x is samples × features; by hand it is features × samples."),
    Template("basic", "ResNet BasicBlock",
             {"channels": ("Channels", 1, 1, 4), "out_channels": ("Out channels", 1, 1, 4),
              "stride": ("Stride", 1, 1, 2), "size": ("Image side", 3, 2, 6)},
             (BasicBlock,), "x is one image (1, C, H, W); by hand each channel is a row of pixels."),
    Template("encoder", "Transformer encoder layer",
             {"d_model": ("d_model", 4, 2, 8), "nhead": ("Heads", 2, 1, 4),
              "dim_feedforward": ("dim_feedforward", 6, 1, 8), "positions": ("Positions", 3, 1, 6)},
             (), "x is positions × d_model; by hand it is d_model × positions."),
    Template("stack", "A small stack (MLP block + encoder layer)",
             {"d_model": ("d_model", 4, 2, 6), "hidden": ("Hidden size", 4, 1, 6),
              "nhead": ("Heads", 1, 1, 3), "depth": ("Depth (pairs)", 1, 1, 2),
              "positions": ("Positions", 3, 1, 4)},
             (ResidualMLP, SmallStack), "x is positions × d_model."),
)}


def template(name: str) -> Template:
    if name not in TEMPLATES:
        raise ByHandError(f"unknown template {name!r}; choose one of: {', '.join(TEMPLATES)}.", "template")
    return TEMPLATES[name]


def _make(t: Template, s: dict) -> nn.Module:
    ctors = {"mlp": lambda: ResidualMLP(s["features"], s["hidden"], s["blocks"]),
             "basic": lambda: BasicBlock(s["channels"], s["out_channels"], s["stride"]),
             "encoder": lambda: nn.TransformerEncoderLayer(s["d_model"], s["nhead"], s["dim_feedforward"],
                                                           dropout=0.0, batch_first=True),
             "stack": lambda: SmallStack(s["d_model"], s["hidden"], s["nhead"], s["depth"])}
    return ctors[t.name]().to(torch.float64).eval()


def build(name: str, seed: int = 0, **sizes) -> tuple[nn.Module, torch.Tensor]:
    """Template ``name`` with seeded weights (normal, 2 decimals; batch-norm variances from 0.5 to 2) and a
    seeded input of small whole numbers."""
    t = template(name)
    s = t.check(sizes)
    model = _make(t, s)
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for key, v in model.state_dict().items():
            if not v.is_floating_point():
                continue
            if key.endswith("running_var"):
                v.copy_(torch.tensor(np.round(rng.uniform(0.5, 2.0, v.shape), 2)))
            elif key.endswith(("norm1.weight", "norm2.weight")) or (key.endswith("weight") and v.ndim == 1):
                v.copy_(torch.tensor(np.round(rng.normal(1.0, 0.3, v.shape), 2)))
            else:
                v.copy_(torch.tensor(np.round(rng.normal(0.0, 0.7, v.shape), 2)))
    x = torch.tensor(rng.integers(-2, 3, t.input_shape(s)), dtype=torch.float64)
    return model, x


def rounded(model: nn.Module, decimals: int) -> nn.Module:
    """A copy of ``model`` whose weights and statistics are rounded to ``decimals`` places (0: whole numbers).

    A batch norm's running variance stays at least one unit of the last place (10^−decimals), so that
    rounding never divides by √ε alone.
    """
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6:
        raise ByHandError(f"decimals must be a whole number from 0 to 6, not {decimals!r}.", "decimals")
    out = copy.deepcopy(model)
    with torch.no_grad():
        for key, v in out.state_dict().items():
            if v.is_floating_point():
                v.copy_(torch.round(v, decimals=decimals))
                if key.endswith("running_var"):
                    v.clamp_(min=10.0 ** -decimals)
    return out


def _looks_like_pickle(data: bytes, filename: str) -> bool:
    name = filename.lower()
    return (name.endswith((".pt", ".pth", ".pkl", ".pickle", ".bin", ".ckpt", ".tar"))
            or data[:1] == b"\x80" or data[:4] == b"PK\x03\x04")


def load_safetensors(model: nn.Module, data: bytes, filename: str = "weights.safetensors") -> nn.Module:
    """A copy of ``model`` holding the weights of a ``.safetensors`` file (its bytes).

    Raises ByHandError for a pickle (``.pt``, ``torch.save``'s zip, a pickle stream: never loaded, see
    ``PICKLE_WHY``), a file over ``MAX_UPLOAD`` bytes, a file that is not safetensors, and names or
    shapes that do not fit the model (listed).
    """
    from safetensors.torch import load

    if _looks_like_pickle(data, filename):
        raise ByHandError(f"{filename} is a pickle (the format of torch.save and .pt files): {PICKLE_WHY}.",
                          "weights")
    if len(data) > MAX_UPLOAD:
        raise ByHandError(f"{filename} is {len(data):,} bytes; at most {MAX_UPLOAD:,} are read (a model "
                          "small "
                          "enough to work by hand is far smaller).", "weights")
    try:
        tensors = load(data)
    except Exception as e:  # noqa: BLE001 - any bad file: say so, never a traceback
        raise ByHandError(f"{filename} is not a safetensors file ({type(e).__name__}).", "weights") from None
    want = model.state_dict()
    missing = [k for k in want if k not in tensors and not k.endswith("num_batches_tracked")]
    extra = [k for k in tensors if k not in want]
    wrong = [f"{k} is {tuple(tensors[k].shape)} but must be {tuple(want[k].shape)}"
             for k in want if k in tensors and tuple(tensors[k].shape) != tuple(want[k].shape)]
    if missing or extra or wrong:
        def listed(words: str, keys: list) -> list[str]:
            return [f"{words}: {', '.join(keys[:6])}" + (" …" if len(keys) > 6 else "")] if keys else []

        said = listed("missing", missing) + listed("not in this model", extra) + wrong[:4]
        raise ByHandError(f"{filename} does not fit this model: " + "; ".join(said) + ".", "weights")
    out = copy.deepcopy(model)
    with torch.no_grad():
        for k, v in out.state_dict().items():
            if k in tensors:
                v.copy_(tensors[k].to(v.dtype))
    return out


def save_safetensors(model: nn.Module) -> bytes:
    """The model's weights (its ``state_dict``) as the bytes of a ``.safetensors`` file."""
    from safetensors.torch import save

    return save({k: v.detach().contiguous() for k, v in model.state_dict().items()})


def _literal(v: torch.Tensor) -> str:
    if not v.is_floating_point():
        return f"torch.tensor({v.tolist()!r})"
    return f"torch.tensor({v.tolist()!r}, dtype=torch.float64)"


def model_code(name: str, model: nn.Module, x: torch.Tensor, **sizes) -> str:
    """Python code that defines template ``name``'s classes, ``model`` with exactly these weights (eval
    mode, float64) and ``x``: the notebook's check of the whole model."""
    t = template(name)
    s = t.check(sizes)
    sources = "\n\n".join(inspect.getsource(c) for c in t.classes)
    state = ",\n    ".join(f"{k!r}: {_literal(v)}" for k, v in model.state_dict().items())
    return (f"import torch\nfrom torch import nn\n\n{sources}\n\n"
            f"model = {t.constructor(s)}.double().eval()\n"
            f"model.load_state_dict({{\n    {state},\n}})\n"
            f"x = torch.tensor({x.tolist()!r}, dtype=torch.float64)\n")
