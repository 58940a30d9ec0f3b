"""A shareable link: the example (sizes, seed or edited matrices, step, variant) in the URL's query string.

Nothing in a link is trusted: sizes and numbers are clamped to their limits, matrices are read
through ``byhand.numbers.as_matrix`` and must have the example's shapes. A link that cannot be
read gives a message and the default example instead. The reading and writing functions work
on plain dicts, so they are tested without a browser; ``sync_url`` writes ``st.query_params``.

Query keys: ``seed``, one key per size (``d``, ``n``, ``h``, see ``ExampleSpec.url``), ``step``
(1-based), ``v`` (variant) and ``m.<name>`` for an edited matrix, as rows joined by ``;`` and
cells by ``,`` (``1,-1/2;0,3``). Pages may add their own keys (read with ``read_int``/``read_choice``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import streamlit as st

from ..numbers import ByHandError, as_matrix, fmt
from ..walkthrough import Step, Walkthrough
from . import controls
from .editors import ExampleSpec, Rows, set_example

__all__ = ["MAX_VALUE_LEN", "MAX_STEP", "rows_to_text", "text_to_rows", "read_example", "read_int",
           "read_choice", "example_params", "restore_once", "link_messages", "sync_url", "linked_player"]

MAX_VALUE_LEN = 1500  # longest query value read (an 8 × 8 matrix of fractions fits)
MAX_STEP = 40  # a link's step beyond a walkthrough's last step shows the last one


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


def sync_url(params: dict[str, str]) -> None:
    """Make the page's query string exactly ``params`` (written only when it changed)."""
    current = {k: st.query_params.get(k) for k in st.query_params}
    if current != params:
        st.query_params.from_dict(params)


def restore_once(spec: ExampleSpec, read_extra=None, use_link: bool = True) -> list[str]:
    """On a page's first run in a session, set its example (and step) from the link, checked.

    ``read_extra(params, messages)`` reads the page's own keys (variant, …) into session state.
    ``use_link=False``: start from the default example (the link was made for another variant).
    Returns the messages about the link (also kept in ``{ns}.link_messages`` until the example
    changes); later runs return them without reading the link again.
    """
    ss, ns = st.session_state, spec.ns
    if f"{ns}.base" in ss:
        return link_messages(spec)
    params = {k: st.query_params.get(k) for k in st.query_params} if use_link else {}
    found, messages = read_example(params, spec)
    set_example(spec, found["seed"], found["sizes"], found["base"])
    if "step" in params or f"{ns}.step" not in ss:
        ss[f"{ns}.step"] = _read_step(params, messages)
    if read_extra is not None:
        read_extra(params, messages)
    ss[f"{ns}.link_messages"] = (messages, found["base"])
    return messages


def _read_step(params: Mapping[str, str], messages: list[str]) -> int:
    """The link's step (1-based); past the last step the player shows the last one, and says so."""
    late: list[str] = []
    step = read_int(params, "step", 1, MAX_STEP, 1, late, "step")
    if late and step == MAX_STEP:
        late = [f"step = {str(params['step'])[:12]} in the link is past the last step; "
                "showing the last step."]
    messages.extend(late)
    return step


def link_messages(spec: ExampleSpec) -> list[str]:
    """The link's messages while its example is still the one shown (dropped once it changes)."""
    kept = st.session_state.get(f"{spec.ns}.link_messages")
    if not kept or kept[1] is not st.session_state.get(f"{spec.ns}.base"):
        return []
    return kept[0]


def linked_player(ns: str, wt: Walkthrough, url: dict[str, str], *, decimals: int = 3,
                  render: Callable[[Step, int], None] | None = None) -> None:
    """The step player over ``wt``, the step shown kept in the link (``url`` plus ``step``).

    Each step is drawn by ``controls.step_view`` unless the page gives its own ``render(step, k)``.
    """
    def show(step: Step, k: int) -> None:
        if render is None:
            controls.step_view(ns, step, k, len(wt.steps), decimals=decimals)
        else:
            render(step, k)
        sync_url({**url, "step": str(k + 1)})

    controls.step_player(ns, wt, show)
