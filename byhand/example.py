"""An example of a block as text, and how a shared link or a JSON file carries it (no streamlit).

An example is name → rows of text, as typed in an editor (``Rows``); ``ExampleSpec`` says what
a page edits (matrix names, sizes, the default and seeded examples). Nothing a link or a file
holds is trusted: sizes and numbers are clamped to their limits, matrices are read through
``byhand.numbers.as_matrix`` and must have the example's shapes. A link that cannot be read
gives a message and the default example instead.

Query keys: ``seed``, one key per size (``d``, ``n``, ``h``, see ``Size.url``), ``step``
(1-based), ``v`` (variant) and ``m.<name>`` for an edited matrix, as rows joined by ``;`` and
cells by ``,`` (``1,-1/2;0,3``). Pages may add their own keys (read with ``read_int``/``read_choice``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import parse_qsl, urlsplit

from .blocks import BLOCKS, BlockType, Size, block_type
from .blocks.conv import BLOCK as BLOCK_CONV
from .blocks.conv import (
    BOTTLENECK,
    KINDS,
    SHORTCUTS,
    conv_inputs,
    conv_matrices,
    default_stride,
    read_eps,
    variant_block,
    variant_example,
    variant_size,
)
from .formula import LINK_ALL, collect_walkthrough, read_link_text, read_rows, to_symbols_checked
from .numbers import ByHandError, as_matrix, fmt, quote
from .walkthrough import Walkthrough

__all__ = ["Rows", "ExampleSpec", "to_rows", "as_key", "from_key", "MAX_VALUE_LEN", "MAX_STEP",
           "rows_to_text", "text_to_rows", "read_int", "read_choice", "read_example", "example_params",
           "read_step", "conv_spec", "example_walkthrough", "example_json", "read_example_json", "read_link",
           "EXAMPLE_FORMAT", "MAX_EXAMPLE_LEN", "MAX_LINK_LEN"]

Rows = list[list[str]]

MAX_VALUE_LEN = 1500  # longest query value read (an 8 × 8 matrix of fractions fits)
MAX_STEP = 40  # a link's step beyond a walkthrough's last step shows the last one


@dataclass(frozen=True)
class ExampleSpec:
    """What a page edits: namespace, matrix names, sizes and how to make the default or a seeded example.

    ``default()`` and ``random(seed, **sizes)`` return name → matrix (lists or arrays).
    ``ExampleSpec.of(block_type)`` reads all of it from the block registry.
    """

    ns: str
    names: tuple[str, ...]
    sizes: tuple[Size, ...]
    default: Callable[[], dict]
    random: Callable[..., dict]

    @classmethod
    def of(cls, bt: BlockType, ns: str | None = None) -> ExampleSpec:
        """The editors of a registered block type (namespace: its name)."""
        return cls(ns or bt.name, bt.names, bt.sizes, bt.default, bt.random)

    def default_sizes(self) -> dict[str, int]:
        return {s.name: s.default for s in self.sizes}

    def make(self, seed: int | None, sizes: dict[str, int]) -> dict[str, Rows]:
        """The default example (seed None, default sizes) or the seeded one, as rows of text."""
        if seed is None and sizes == self.default_sizes():
            data = self.default()
        else:
            data = self.random(0 if seed is None else seed, **sizes)
        return {name: to_rows(name, data[name]) for name in self.names}


def to_rows(name: str, data) -> Rows:
    """A matrix as rows of text, as typed in an editor (``-1/2``, not ``−1/2``)."""
    return [[fmt(v, 12, minus="-") for v in row] for row in as_matrix(name, data)]


def as_key(rows: dict[str, Rows]) -> tuple:
    """An example (name → rows of text) as a hashable key, e.g. for ``st.cache_data``.

    >>> as_key({"b": [["1"], ["2"]]})
    (('b', (('1',), ('2',))),)
    """
    return tuple((name, tuple(tuple(r) for r in m)) for name, m in rows.items())


def from_key(key: tuple) -> dict[str, list[list[str]]]:
    """The example a key holds, as name → rows (lists), ready for a block's builder."""
    return {name: [list(r) for r in rows] for name, rows in key}


def rows_to_text(rows: Rows) -> str:
    """``[['1', '-1/2'], ['0', '3']]`` → ``'1,-1/2;0,3'``."""
    return ";".join(",".join(str(c).strip() for c in row) for row in rows)


def text_to_rows(name: str, text: str, symbols: bool = False) -> Rows:
    """Read a matrix from the query string, checked by ``as_matrix``; raises ByHandError. With
    ``symbols`` a cell may be an expression (``2*a + 1``, read by the safe parser), kept as its text.

    >>> text_to_rows('W', '1,-1/2;0,3')
    [['1', '-1/2'], ['0', '3']]
    >>> text_to_rows('W', '2*a + 1,0.5', symbols=True)
    [['2*a + 1', '1/2']]
    """
    if len(text) > MAX_VALUE_LEN:
        raise ByHandError(f"{name} in the link is too long ({len(text)} characters).", name)
    rows = [row.split(",") for row in text.split(";")]
    m = as_matrix(name, rows, max_dim=8, symbols=symbols)
    return [[fmt(v, 12, minus="-") if isinstance(v, (int, float, Fraction)) else cell.strip()
             for cell, v in zip(raw, row)] for raw, row in zip(rows, m)]


def read_int(params: Mapping[str, str], key: str, low: int, high: int, default: int,
             messages: list[str], what: str | None = None) -> int:
    """The whole number ``params[key]`` clamped to [low, high]; ``default`` when absent or unreadable."""
    raw = params.get(key)
    if raw is None:
        return default
    what = what or key
    text = str(raw).strip()
    if not re.fullmatch(r"[+-]?[0-9]+", text):  # ASCII digits only ('²' and '1_0' are not read)
        messages.append(f"{what} = {quote(raw)} in the link is not a whole number; using {default}.")
        return default
    long = len(text.lstrip("+-")) > 12  # far outside any limit: never built as a 5,000-digit int
    value = (-10 ** 12 if text.startswith("-") else 10 ** 12) if long else int(text)
    if not low <= value <= high:
        clamped = min(max(value, low), high)
        shown = quote(text) if long else value
        messages.append(f"{what} = {shown} in the link is outside {low}…{high}; using {clamped}.")
        return clamped
    return value


def read_choice(params: Mapping[str, str], key: str, choices: tuple[str, ...], default: str,
                messages: list[str], what: str | None = None) -> str:
    """``params[key]`` when it is one of ``choices``; ``default`` otherwise (with a message)."""
    raw = params.get(key)
    if raw is None:
        return default
    if raw in choices:
        return raw
    messages.append(f"{what or key} = {quote(raw)} in the link is not one of {', '.join(choices)}; "
                    f"using {default}.")
    return default


def read_example(params: Mapping[str, str], spec: ExampleSpec) -> tuple[dict, list[str]]:
    """Sizes, seed and matrices from a link, checked: ``({'sizes', 'seed', 'base'}, messages)``.

    A size outside its limits is clamped (with a message). A matrix that does not read or does
    not have the example's shape discards the whole link's example: the default example comes
    back with a message naming the matrix and the problem.
    """
    messages: list[str] = []
    sizes = {}
    for size in spec.sizes:
        sizes[size.name] = read_int(params, size.url, size.low, size.high, size.default, messages,
                                    size.label)
    seed = None
    if "seed" in params:
        seed = read_int(params, "seed", 0, 10**9, 0, messages, "seed")
    elif sizes != spec.default_sizes():
        seed = 0
    base = spec.make(seed, sizes)
    try:
        for name in spec.names:
            key = f"m.{name}"
            if key not in params:
                continue
            rows = text_to_rows(name, params[key], symbols="formula" in params)  # the formula's own cells
            want = (len(base[name]), len(base[name][0]))
            got = (len(rows), len(rows[0]))
            if got != want:
                raise ByHandError(f"{name} in the link is {got[0]}×{got[1]} but this example's {name} "
                                  f"is {want[0]}×{want[1]}.", name)
            base[name] = rows
    except ByHandError as e:  # the sizes and seed read above are dropped too: say only what is shown
        messages = [f"The link's example could not be read ({e}); showing the default example."]
        return {"sizes": spec.default_sizes(), "seed": None, "base": spec.make(None, spec.default_sizes())}, \
            messages
    return {"sizes": sizes, "seed": seed, "base": base}, messages


def example_params(spec: ExampleSpec, sizes: dict, seed: int | None, rows: dict[str, Rows]) -> dict:
    """The query keys of an example: sizes and seed, and every matrix that differs from the seed's."""
    out = {}
    if seed is not None:
        out["seed"] = str(seed)
    for size in spec.sizes:
        if sizes[size.name] != size.default or seed is not None:
            out[size.url] = str(sizes[size.name])
    try:
        generated = spec.make(seed, sizes)
    except ByHandError:  # sizes out of range (the page shows why): keep every matrix in the link
        generated = {}
    for name in spec.names:
        if name in rows and (name not in generated or _canon(rows[name]) != _canon(generated[name])):
            out[f"m.{name}"] = rows_to_text(rows[name])
    return out


def _canon(rows: Rows) -> list[list[str]]:
    return [[str(c).strip() for c in row] for row in rows]


def read_step(params: Mapping[str, str], messages: list[str]) -> int:
    """The link's step (1-based); past the last step the player shows the last one, and says so."""
    late: list[str] = []
    step = read_int(params, "step", 1, MAX_STEP, 1, late, "step")
    if late and step == MAX_STEP:
        late = [f"step = {str(params['step'])[:12]} in the link is past the last step; "
                "showing the last step."]
    messages.extend(late)
    return step


# ---------------------------------------------------------------- an example as a file or a link, to print

EXAMPLE_FORMAT = 1  # the "byhand" key of an example file
MAX_EXAMPLE_LEN = 64 * 1024  # longest example file read (an 8 × 8 example of long fractions fits many times)
MAX_LINK_LEN = 24_000  # longest link read (every matrix of the conv page at MAX_VALUE_LEN)
MAX_CELL_LEN = 64  # longest cell of an example file
_MAX_MATRICES = 32
_CONV_MAX_DIM = 3 * 2 * BLOCK_CONV.size("channels").high  # w2_k of 2 input channels doubled: 12 rows
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,15}")
_FILE_KEYS = ("byhand", "block", "matrices", "options")
_NOT_PRINTABLE = {  # pages whose link does not hold one example to print
    "": "the home page's link holds no example: open a walkthrough page and copy its link",
    "home": "the home page's link holds no example: open a walkthrough page and copy its link",
    "practice": "a Practice link holds an exercise code (block/seed), not an example: print it with "
                "'worksheet BLOCK --seed S'",
    "why_residual": "the Why page's link does not say which of its views and settings (the skip on or "
                    "off) are shown: print its Jacobian with 'worksheet jacobian --seed S', or save the "
                    "example as a file with block \"jacobian\" and use --example",
}


def _is_conv(bt: BlockType) -> bool:
    """The conv page's blocks: their examples are the page's 2-D matrices (``conv_matrices``) and options."""
    return bt is BLOCK_CONV or bt is BOTTLENECK


def conv_spec(kind: str, shortcut: str, channels: int) -> ExampleSpec:
    """The editors of one variant of the conv page: ``kind`` basic or bottleneck, its shortcut, the channels
    of x (namespace ``conv.<kind>.<shortcut>.<channels>``, so each variant keeps its edits).

    >>> conv_spec("basic", "identity", 1).names
    ('x1', 'w1_1', 'bn1', 'w2_1', 'bn2')
    """
    def default() -> dict:
        return conv_matrices(variant_example(kind, shortcut, channels))

    def random(seed: int, size: int) -> dict:
        return conv_matrices(variant_example(kind, shortcut, channels, seed, size))

    return ExampleSpec(f"conv.{kind}.{shortcut}.{channels}", tuple(default()),
                       (variant_size(kind, shortcut),), default, random)


def example_walkthrough(block: str, rows: dict[str, Rows], options: dict | None = None) -> Walkthrough:
    """The walkthrough of an example: block name, matrices as rows of text, options (checked by
    ``read_example_json``). The conv page's blocks take their matrices as ``conv_matrices`` names and the
    options ``shortcut``, ``stride`` and ``eps``; a block with a skip option takes ``residual``."""
    bt, options = block_type(block), dict(options or {})
    shown = options.pop("formula", None)  # a link's formula=: these matrices (or "all") as symbols

    def walk(matrices: dict) -> Walkthrough:
        if not _is_conv(bt):
            return bt.build(**matrices, **options)
        kind = "basic" if bt is BLOCK_CONV else "bottleneck"
        shortcut = options.get("shortcut", "identity")
        stride = options.get("stride", default_stride(shortcut))
        return bt.build(**conv_inputs(matrices, kind, shortcut, stride, read_eps(options.get("eps", "0"))))

    if shown is None:
        return walk(rows)
    which = None if shown == LINK_ALL else shown
    symbols, _, _ = to_symbols_checked(rows, which, lambda r: walk(read_rows(r)))
    return collect_walkthrough(walk(read_rows(symbols)))


def example_json(block: str, rows: dict[str, Rows], options: dict | None = None) -> str:
    """An example file: block name, every matrix as rows of text, the options only when given.

    >>> print(example_json("residual", {"b1": [["1"], ["-1/2"]]}), end="")
    {
      "byhand": 1,
      "block": "residual",
      "matrices": {
        "b1": [
          ["1"],
          ["-1/2"]
        ]
      }
    }
    """
    def matrix(rows_: Rows) -> str:
        return "[\n" + ",\n".join(f"      {json.dumps(row, ensure_ascii=False)}" for row in _canon(rows_)) \
            + "\n    ]"

    mats = ",\n".join(f"    {json.dumps(name)}: {matrix(m)}" for name, m in rows.items())
    head = (f'{{\n  "byhand": {EXAMPLE_FORMAT},\n  "block": {json.dumps(block)},\n'
            f'  "matrices": {{\n{mats}\n  }}')
    if options:
        head += f',\n  "options": {json.dumps(options, ensure_ascii=False)}'
    return head + "\n}\n"


def read_example_json(text: str) -> tuple[str, dict[str, Rows], dict]:
    """An example file read and checked: ``(block, matrices as rows of text, options)``.

    The text is bounded before it is parsed; the block must be registered, its inputs all there and
    no other, every cell read by ``as_matrix`` (its exponent bounded first), the options the block's,
    and the walkthrough must build (the block's own checks say which shapes do not fit). Every
    problem raises ByHandError naming the key, the matrix or the cell.

    >>> block, rows, options = read_example_json('{"byhand": 1, "block": "residual", "matrices": {'
    ...     '"X": [[1]], "W1": [["2"]], "b1": [[0]], "W2": [[1]], "b2": [["-1/2"]]}}')
    >>> block, rows["b2"], options
    ('residual', [['-1/2']], {})
    """
    if not isinstance(text, str):
        raise ByHandError(f"an example file must be text, not {type(text).__name__}.", "file")
    if len(text) > MAX_EXAMPLE_LEN:
        raise ByHandError(f"the file is {len(text):,} characters long; an example file has at most "
                          f"{MAX_EXAMPLE_LEN:,}.", "file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ByHandError(f"not a JSON file: {e.msg} at line {e.lineno}, column {e.colno}.", "file") from None
    except RecursionError:
        raise ByHandError("not a JSON file ByHand reads: its lists are nested too deeply.", "file") from None
    except ValueError:  # json reads an int of over 4300 digits only to refuse it
        raise ByHandError("not a JSON file ByHand reads: a number has too many digits.", "file") from None
    if not isinstance(data, dict) or "byhand" not in data:
        raise ByHandError('not a ByHand example file: it must be a JSON object with "byhand": 1, "block" '
                          'and "matrices".', "file")
    unknown = [k for k in data if k not in _FILE_KEYS]
    if unknown:
        raise ByHandError(f"unknown key {quote(unknown[0])} in the example file; its keys are "
                          f"{', '.join(_FILE_KEYS)}.", "file")
    if data["byhand"] != EXAMPLE_FORMAT or isinstance(data["byhand"], bool):
        raise ByHandError(f'"byhand" is {quote(data["byhand"])}; this version reads example files '
                          f'with "byhand": {EXAMPLE_FORMAT}.', "file")
    block = data.get("block")
    if not isinstance(block, str):
        raise ByHandError(f'"block" must name a block type: {", ".join(BLOCKS)}.', "block")
    bt = block_type(block[:40])
    matrices, options = data.get("matrices"), data.get("options", {})
    if not isinstance(matrices, dict):
        raise ByHandError(f'"matrices" must map each input of {block} to its rows, e.g. '
                          f'{{"{bt.names[0]}": [["1", "-1/2"], ["0", "3"]]}}.', "matrices")
    if not isinstance(options, dict):
        raise ByHandError('"options" must be an object, e.g. {"stride": 2}.', "options")
    rows = _read_matrices(bt, matrices)
    options = _read_options(bt, options)
    example_walkthrough(block, rows, options)  # the block's own checks: shapes that do not fit
    return block, rows, options


def _read_matrices(bt: BlockType, matrices: dict) -> dict[str, Rows]:
    """Every matrix of an example file as rows of text, checked by ``as_matrix``."""
    if len(matrices) > _MAX_MATRICES:
        raise ByHandError(f"the file has {len(matrices)} matrices; {bt.name} has {len(bt.names)} inputs.",
                          "matrices")
    for name in matrices:
        if not _NAME.fullmatch(name) or (not _is_conv(bt) and name not in bt.names):
            raise ByHandError(f"{quote(name)} is not an input of {bt.name}; its inputs are "
                              f"{', '.join(bt.names)}.", "matrices")
    missing = [] if _is_conv(bt) else [n for n in bt.names if n not in matrices]  # conv_inputs says which
    if missing:
        raise ByHandError(f"{missing[0]} is missing: the {bt.name} example needs {', '.join(bt.names)}.",
                          missing[0])
    max_dim = _CONV_MAX_DIM if _is_conv(bt) else 8
    out = {}
    for name in (matrices if _is_conv(bt) else bt.names):
        m = matrices[name]
        if not isinstance(m, list) or not all(isinstance(row, list) for row in m):
            raise ByHandError(f'{name} must be a list of rows, each a list of cells: [["1", "-1/2"], '
                              '["0", "3"]].', name)
        for r, row in enumerate(m):
            for c, cell in enumerate(row):
                if isinstance(cell, bool) or not isinstance(cell, (str, int, float)) or (
                        isinstance(cell, str) and len(cell) > MAX_CELL_LEN):
                    what = (f"is {len(cell)} characters long (at most {MAX_CELL_LEN})"
                            if isinstance(cell, str) else f"is a JSON {type(cell).__name__}, not a number")
                    raise ByHandError(f"{name}, row {r + 1}, column {c + 1}: the cell {what}; type a number "
                                      "such as 2, -1 or 1/3.", name, r + 1, c + 1)
        out[name] = [[fmt(v, 12, minus="-") for v in row] for row in as_matrix(name, m, max_dim=max_dim)]
    return out


def _read_options(bt: BlockType, options: dict) -> dict:
    """The options of an example file that the block takes, each checked."""
    allowed = ("shortcut", "stride", "eps") if _is_conv(bt) else ("residual",) if bt.skip_option else ()
    out: dict = {}
    for key, value in options.items():
        if key not in allowed:
            takes = f"takes only {', '.join(allowed)}" if allowed else "takes no options"
            raise ByHandError(f"{bt.name} has no option {quote(key)}: it {takes}.", "options")
        if key == "residual":
            if not isinstance(value, bool):
                raise ByHandError(f"option residual must be true or false, not {quote(value)}.", key)
        elif key == "shortcut":
            if value not in SHORTCUTS:
                raise ByHandError(f"option shortcut must be one of {', '.join(SHORTCUTS)}, not "
                                  f"{quote(value)}.", key)
        elif key == "stride":
            size = bt.size("stride")
            if isinstance(value, bool) or not isinstance(value, int) or not size.low <= value <= size.high:
                raise ByHandError(f"option stride must be a whole number from {size.low} to {size.high}, not "
                                  f"{quote(value)}.", key)
        else:  # eps: a number ≥ 0, kept as text
            value = _eps_text(value)
        out[key] = value
    return out


def _eps_text(value) -> str:
    """ε as the conv page keeps it (text), checked by ``read_eps``; ByHandError otherwise."""
    text = str(value).strip() if isinstance(value, (str, int, float)) and not isinstance(value, bool) else ""
    if not text or len(text) > 40:
        raise ByHandError(f"ε must be a number ≥ 0 such as 0 or 1e-5, not {quote(value)}.", "eps")
    read_eps(text)
    return text


# ---------------------------------------------------------------- a shared link

def read_link(url: str) -> tuple[str, dict[str, Rows], dict, list[str]]:
    """The example a walkthrough page's shared link shows: ``(block, matrices, options, messages)``.

    The page comes from the registry (``BlockType.page.url``: the last part of the path); its keys
    are read as the page reads them (``read_example``, and the conv page's block, shortcut, stride,
    channels and ε), so the walkthrough built is the one the page shows. A setting the page would
    clamp or ignore gives a message; a matrix that does not read or fit, a page that shows no
    printable example, or an address that is not a link raises ByHandError. Nothing is fetched.

    >>> block, rows, options, messages = read_link("http://localhost:8501/residual_block?m.b2=1;2;3&step=2")
    >>> block, rows["b2"], options, messages
    ('residual', [['1'], ['2'], ['3']], {}, [])
    """
    if not isinstance(url, str):
        raise ByHandError(f"a link must be text, not {type(url).__name__}.", "link")
    url = url.strip()
    if len(url) > MAX_LINK_LEN:
        raise ByHandError(f"the link is {len(url):,} characters long; a page's link has at most "
                          f"{MAX_LINK_LEN:,}.", "link")
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"it starts with {parts.scheme}://, not http:// or https://")
        pairs = parse_qsl(parts.query, keep_blank_values=True, max_num_fields=200)
    except ValueError as e:
        raise ByHandError(f"{quote(url)} is not a page's link ({e}).", "link") from None
    params = dict(pairs)  # a repeated key: its last value, as st.query_params.get gives it
    page = parts.path.rstrip("/").rsplit("/", 1)[-1]
    pages = {bt.page.url: bt for bt in BLOCKS.values() if bt.page is not None}
    if page in _NOT_PRINTABLE:
        raise ByHandError(f"not a printable example: {_NOT_PRINTABLE[page]}.", "link")
    if page not in pages:
        printable = [p for p in pages if p not in _NOT_PRINTABLE]
        raise ByHandError(f"{quote(page)} is not a page of ByHand with an example to print; those pages are "
                          f"{', '.join(printable)}.", "link")
    bt, messages = pages[page], []
    if _is_conv(bt):
        return _read_conv_link(params, messages)
    if bt.name == "encoder" and read_choice(params, "v", ("hand", "torch"), "hand", messages,
                                            "variant") == "torch":
        raise ByHandError("not a printable example: the link shows the PyTorch TransformerEncoderLayer "
                          "variant; only the by-hand variant prints (choose 'By hand' on the page and copy "
                          "its link).", "link")
    spec = ExampleSpec.of(bt)
    rows = _link_rows(params, spec, messages)
    options = _link_formula(params, spec, messages)
    example_walkthrough(bt.name, rows, options)
    return bt.name, rows, options, messages


def _link_rows(params: Mapping[str, str], spec: ExampleSpec, messages: list[str]) -> dict[str, Rows]:
    """The link's example as ``read_example`` reads it, but a matrix that does not read or fit raises
    (the page would show its default example instead: a printout must not)."""
    found, said = read_example(params, spec)
    for name in spec.names:
        key = f"m.{name}"
        if key in params and found["base"][name] != text_to_rows(name, params[key], "formula" in params):
            raise ByHandError(said[0].removesuffix("; showing the default example.") + ".", name)
    messages.extend(said)
    return found["base"]


def _link_formula(params: Mapping[str, str], spec: ExampleSpec, messages: list[str]) -> dict:
    """The option ``formula`` (the matrices a link shows as symbols, or ``all``) when the link has a good
    ``formula=``; a bad one is a message and the numbers print."""
    if "formula" not in params:
        return {}
    try:
        which = read_link_text(params["formula"], spec.names)
    except ByHandError as e:
        messages.append(str(e))
        return {}
    return {"formula": LINK_ALL if which is None else which}


def _read_conv_link(params: Mapping[str, str], messages: list[str]) -> tuple[str, dict, dict, list[str]]:
    """The conv page's link: its variant (block, sc, s, c, eps keys, as app_pages/conv_block.py reads them)
    and its example."""
    stride, channels = BLOCK_CONV.size("stride"), BLOCK_CONV.size("channels")
    kind = read_choice(params, "block", KINDS, "basic", messages, "block")
    shortcut = read_choice(params, "sc", SHORTCUTS, "identity", messages, "shortcut")
    s = read_int(params, stride.url, stride.low, stride.high, stride.default, messages, "stride")
    c = read_int(params, channels.url, channels.low, channels.high, channels.default, messages, "channels")
    eps = "0"
    if "eps" in params:
        try:
            eps = _eps_text(str(params["eps"])[:40])
        except ByHandError:
            messages.append(f"eps = {quote(params['eps'])} in the link is not a number ≥ 0; using 0.")
    if shortcut == "identity":  # as the page: the identity shortcut needs stride 1
        s = default_stride("identity")
    spec = conv_spec(kind, shortcut, c)
    rows = _link_rows(params, spec, messages)
    block = variant_block(kind).name
    options = {"shortcut": shortcut, "stride": s, "eps": eps, **_link_formula(params, spec, messages)}
    example_walkthrough(block, rows, options)
    return block, rows, options, messages
