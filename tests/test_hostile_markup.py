"""No user text is ever rendered as markup (issue 15 §3), read from AppTest element trees.

Every payload below is typed into every editor, paste box and text box, and put in every link
parameter of every page. Every Markdown body on the page (messages, captions, markdown) is then read
the way CommonMark/GFM reads it, independently of ``byhand.ui.plain``: outside its code spans and
escapes, no link, image, HTML, autolink (``www.``, ``://``, ``@``) or ``$`` math may come from the
payload, and no LaTeX element may hold it. Chromium checks the same in the real DOM
(tests/browser/test_hostile_browser.py).
"""

from __future__ import annotations

import re

import pytest
from apptest_helpers import open_page

from byhand.example import conv_spec
from byhand.practice import ExerciseSpec
from byhand.ui.plain import code_span, md_escape

# Every payload holds "evil", so the bodies that carry one are found; none is longer than 40 characters,
# so a message shows it whole.
PAYLOADS = {
    "markdown link": "[see](https://evil.example/typed)",
    "click here": "[click here](https://evil.example/x)",
    "image": "![](//evil.example/i.png)",
    "bare www": "www.evil.example",
    "bare https": "https://evil.example/residual/1",
    "e-mail": "a@evil.example",
    "html": "<img src=//evil.example/a.png>",
    "latex": r"$\frac{evil}{2}$",
    "display latex": "$$evil^2$$",
    "directive": ":red[evil] :material/home:",
}

# Several kinds in one value of at most 40 characters: every link parameter gets each of these.
MIXED = ("[a](//evil.e) ![](//evil.i) <b>evil</b>", r"www.evil.example $\frac{evil}{2}$ a@evil.x",
         "https://evil.example/x :red[evil]")

RESIDUAL = "app_pages/residual_block.py"
ENCODER = "app_pages/encoder_block.py"
CONV = "app_pages/conv_block.py"
WHY = "app_pages/why_residual.py"
PRACTICE = "app_pages/practice.py"
CONV_NS = conv_spec("basic", "identity", 1).ns

# page → (its editors' namespace, the matrices it edits, its link keys)
PAGES = {
    RESIDUAL: ("residual", ("X", "W1", "b1", "W2", "b2"), ("seed", "d", "n", "h", "formula", "step")),
    ENCODER: ("encoder", ("X", "A", "W1", "b1", "W2", "b2"), ("seed", "d", "n", "h", "step", "formula", "v")),
    CONV: (CONV_NS, conv_spec("basic", "identity", 1).names,
           ("seed", "n", "step", "block", "sc", "s", "c", "formula", "eps")),
    WHY: ("why", ("x", "W1", "b1", "W2", "b2", "delta"), ("seed", "d", "h", "formula", "step")),
}
TORCH_KEYS = ("heads", "nf", "act", "dec", "formula")  # the encoder's PyTorch variant (v=torch)


def strip_code_spans(body: str) -> str:
    """The body with every CommonMark code span replaced by a space (escaped backticks open none)."""
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            out.append(body[i:i + 2])
            i += 2
            continue
        if body[i] != "`":
            out.append(body[i])
            i += 1
            continue
        j = i
        while j < len(body) and body[j] == "`":
            j += 1
        fence = body[i:j]
        close = next((m for m in re.finditer(r"`+", body[j:]) if m.group() == fence), None)
        if close is None:  # no closing run: the backticks are literal
            out.append(fence)
            i = j
        else:
            out.append(" ")
            i = j + close.end()
    return "".join(out)


def markup_in(body: str) -> list[str]:
    """What a Markdown body would render as a link, image, HTML, autolink or math outside its code spans."""
    text = re.sub(r"\\[!-/:-@\[-`{-~]", "", strip_code_spans(body))  # escaped punctuation is literal
    found = [what for what, pattern in (("link or image", r"\]\s*\(|\]\s*\["), ("html", r"<\s*[A-Za-z/!]"),
                                        ("autolink", r"(?i)www\.|://|@|mailto:"), ("math", r"\$"),
                                        ("directive", r":[a-z]+\[|:material/"))
             if re.search(pattern, text)]
    return found


def bodies(at) -> list[tuple[str, str]]:
    """(kind, Markdown body) of every element that renders Markdown, and of every LaTeX element."""
    out = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "latex", "exception"):
        out += [(kind, str(e.value)) for e in getattr(at, kind)]
    return out


def assert_plain(at, what: str) -> int:
    """No markup from a payload on the page; returns how many bodies carried one (as plain text)."""
    assert not at.exception, (what, [e.value for e in at.exception])
    carried = 0
    for kind, body in bodies(at):
        if "evil" not in body:
            continue
        carried += 1
        assert kind != "latex", (what, body)
        assert not markup_in(body), (what, kind, body, markup_in(body))
    return carried


def test_the_checker_finds_markup_and_code_spans_hide_it():
    for payload in PAYLOADS.values():
        assert markup_in(payload), payload
        assert not markup_in(f"cell {code_span(payload)} is bad"), payload
        assert not markup_in(md_escape(f"cell {payload!r} is bad")), payload
    assert markup_in("`a` www.x.y `b`") == ["autolink"]
    assert markup_in("``a`` [x](y)") == ["link or image"]
    assert not markup_in("`` a ` www.x ``")


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("payload", MIXED, ids=["link-image-html", "www-latex-email", "https-directive"])
def test_every_link_parameter(page, payload):
    ns, names, keys = PAGES[page]
    for key in (*keys, *(f"m.{n}" for n in names)):
        at = open_page(page, {key: payload})
        assert assert_plain(at, (page, key)), (page, key, "the link's value is not named in any message")


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_every_payload_in_a_matrix_and_a_setting_of_the_link(page, payload):
    ns, names, keys = PAGES[page]
    for key in (f"m.{names[-1]}", keys[-1]):
        at = open_page(page, {key: payload})
        assert assert_plain(at, (page, key)), (page, key, "the link's value is not named in any message")


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_the_encoder_torch_variant_link_parameters(payload):
    for key in TORCH_KEYS:
        at = open_page(ENCODER, {"v": "torch", key: payload})
        assert assert_plain(at, key), key


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_the_practice_link(payload):
    at = open_page(PRACTICE, {"ex": payload})
    assert assert_plain(at, "ex")
    assert at.session_state["practice.code"] == "residual/1"  # the default exercise, with a message


# The three mixed payloads hold every kind of markup between them; each single payload also goes into
# every page's editors in tests/test_hostile_fuzz.py (CI time: 12 cases here instead of 40).
@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("payload", MIXED, ids=["link-image-html", "www-latex-email", "https-directive"])
def test_every_editor_and_paste_box(page, payload):
    ns, names, _ = PAGES[page]
    at = open_page(page)
    for name in names:
        at.session_state[f"{ns}.edit.{name}"] = {"edited_rows": {0: {"1": payload}}, "added_rows": [],
                                                 "deleted_rows": []}
        at.run()
        assert assert_plain(at, (page, name)), name
        del at.session_state[f"{ns}.edit.{name}"]
        at.run()
        at.text_area(key=f"{ns}.paste.{name}").input(payload)
        at.button(key=f"{ns}.paste_use.{name}").click().run()
        assert_plain(at, (page, name, "paste"))  # the paste reader may quote only a part of it
        assert at.error, (page, name, "a refused paste says why")


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_the_encoder_torch_variant_editor(payload):
    at = open_page(ENCODER, {"v": "torch"})
    at.session_state["encoder.torch.edit.X"] = {"edited_rows": {1: {"2": payload}}, "added_rows": [],
                                                "deleted_rows": []}
    assert assert_plain(at.run(), "torch X")


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_the_conv_epsilon_box(payload):
    at = open_page(CONV)
    at.text_input(key="conv.eps").input(payload).run()
    assert assert_plain(at, "eps")


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_practice_typed_code_and_answers(payload):
    at = open_page(PRACTICE)
    at.text_input(key="practice.typed_code").input(payload)
    at.button(key="practice.open").click().run()
    assert assert_plain(at, "typed code")
    code = at.session_state["practice.code"]
    edits: dict = {}
    for c in ExerciseSpec.parse(code).exercise().cells:  # every blank cell typed with the payload
        cells = edits.setdefault(f"practice.{code}.{c.step}.{c.region}", {})
        cells.setdefault(c.row, {})[str(c.col + 1)] = payload
    for key, rows in edits.items():
        at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.button(key="practice.check").click().run()
    for button in [b for b in at.button if str(b.key).startswith("practice.check.")]:
        button.click().run()
    assert assert_plain(at, "answers")
