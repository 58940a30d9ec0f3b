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

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .blocks import BlockType, Size
from .numbers import ByHandError, as_matrix, fmt

__all__ = ["Rows", "ExampleSpec", "to_rows", "as_key", "from_key", "MAX_VALUE_LEN", "MAX_STEP",
           "rows_to_text", "text_to_rows", "read_int", "read_choice", "read_example", "example_params",
           "read_step"]

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


def text_to_rows(name: str, text: str) -> Rows:
    """Read a matrix from the query string, checked by ``as_matrix``; raises ByHandError.

    >>> text_to_rows('W', '1,-1/2;0,3')
    [['1', '-1/2'], ['0', '3']]
    """
    if len(text) > MAX_VALUE_LEN:
        raise ByHandError(f"{name} in the link is too long ({len(text)} characters).", name)
    rows = [row.split(",") for row in text.split(";")]
    m = as_matrix(name, rows, max_dim=8)
    return [[fmt(v, 12, minus="-") for v in row] for row in m]


def read_int(params: Mapping[str, str], key: str, low: int, high: int, default: int,
             messages: list[str], what: str | None = None) -> int:
    """The whole number ``params[key]`` clamped to [low, high]; ``default`` when absent or unreadable."""
    raw = params.get(key)
    if raw is None:
        return default
    what = what or key
    try:
        value = int(str(raw).strip()[:12])
    except ValueError:
        messages.append(f"{what} = {str(raw)[:20]!r} in the link is not a whole number; using {default}.")
        return default
    if not low <= value <= high:
        clamped = min(max(value, low), high)
        messages.append(f"{what} = {value} in the link is outside {low}…{high}; using {clamped}.")
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
    messages.append(f"{what or key} = {str(raw)[:20]!r} in the link is not one of {', '.join(choices)}; "
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
            rows = text_to_rows(name, params[key])
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
