"""Hostile links and typed text in headless Chromium: nothing from them becomes a link, an image or KaTeX
(issue 15 §3), and no request leaves for the address they name.

Each link below puts markdown links, images, bare URLs, an e-mail address, HTML and LaTeX in a page's
parameters (all eight of the conv page's, a matrix of every walkthrough page, Practice's exercise);
then X of the residual page is typed into. The page must name the value (its text is on the page)
while no ``<a>`` or ``<img>`` points at evil.example, no KaTeX element holds it, and Chromium never
asks evil.example for anything.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest

from .conftest import BROWSER, goto, no_exception, shot
from .test_walkthrough_pages import open_editors

pytestmark = [pytest.mark.timeout(300), BROWSER]

CONV = {"block": "[x](//evil.example)", "sc": "www.evil.example", "s": "https://evil.example/s",
        "c": "[click here](https://evil.example/login)", "eps": "![](//evil.example/i.png)",
        "seed": "<img src=//evil.example/a.png>", "n": r"$\frac{evil}{2}$", "step": "a@evil.example",
        "m.x1": "[see](https://evil.example/m)"}
LINKS = [
    ("conv_block", CONV),
    ("residual_block", {"m.X": "[see](https://evil.example/typed)", "d": "www.evil.example",
                        "step": "$$evil^2$$"}),
    ("why_residual", {"m.x": "www.evil.example", "seed": "https://evil.example/seed"}),
    ("encoder_block", {"v": "![](https://evil.example/v.png)", "m.A": "<b>evil</b>"}),
    ("encoder_block", {"v": "torch", "heads": "www.evil.example", "act": "[a](https://evil.example)"}),
    ("self_attention", {"m.Wq": "https://evil.example/wq", "dk": "a@evil.example"}),
    ("practice", {"ex": "https://evil.example/residual/1"}),
]

MARKUP_FROM_EVIL = """() => ({
    links: Array.from(document.querySelectorAll('a')).filter(a => (a.href + a.innerText).includes('evil'))
        .map(a => a.outerHTML),
    images: Array.from(document.querySelectorAll('img')).filter(i => (i.src || '').includes('evil'))
        .map(i => i.outerHTML),
    katex: Array.from(document.querySelectorAll('.katex')).filter(k => k.innerText.includes('evil'))
        .map(k => k.innerText),
    shown: Array.from(document.querySelectorAll("[data-testid='stAlert'],[data-testid='stCaptionContainer']"))
        .filter(e => e.innerText.includes('evil')).length,
})"""


def watch_requests(page) -> list[str]:
    """Every URL the page asks for that names evil.example (filled in as the page runs)."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "evil" in r.url.split("?")[0] else None)
    return asked


def assert_no_markup(page, what: str) -> None:
    no_exception(page)
    found = page.evaluate(MARKUP_FROM_EVIL)
    assert not found["links"] and not found["images"] and not found["katex"], (what, found)
    assert found["shown"], (what, "the hostile value is named in a message")


@pytest.mark.parametrize("path, params", LINKS, ids=[f"{p}-{'-'.join(q)}"[:60] for p, q in LINKS])
def test_hostile_links_render_no_markup(page, path, params):
    asked = watch_requests(page)
    goto(page, f"{path}?{urllib.parse.urlencode(params)}")
    page.wait_for_timeout(500)  # an image would be fetched by now
    assert_no_markup(page, path)
    assert not asked, asked
    if path == "conv_block":
        shot(page, "hostile-conv-link")


def test_hostile_text_typed_into_an_editor_renders_no_markup(page):
    from .conftest import edit_cell

    asked = watch_requests(page)
    goto(page, "residual_block")
    box = open_editors(page)
    edit_cell(page, box.locator("[data-testid='stDataFrame']").first, 0, 0, "[see](https://evil.example/typed)")
    page.locator("[data-testid='stAlert']").filter(has_text="evil").first.wait_for(state="visible")
    assert_no_markup(page, "typed X")
    edit_cell(page, box.locator("[data-testid='stDataFrame']").first, 0, 0, "www.evil.example")
    page.locator("[data-testid='stAlert']").filter(has_text="www.evil").first.wait_for(state="visible")
    assert_no_markup(page, "typed www")
    assert not asked, asked


# ---------------------------------------------------------------- the hardened config (issue 15 §5)

RAISING_PAGE = '''import streamlit as st
from byhand import residual_block

st.title("A page whose engine call raises")
residual_block(X=[[1]], W1=[[1]], b1=[[0]], W2=[[1]], b2=[["oops-secret"]])  # not caught: reaches the page
'''


@pytest.fixture(scope="module")
def raising_url(tmp_path_factory, browser):
    """A server of one page that raises from the engine, run from the project folder (so with its
    .streamlit/config.toml), as app.py is run."""
    import os
    import subprocess
    import sys

    from .conftest import ARTIFACTS, ROOT, _free_port, _wait_healthy

    script = tmp_path_factory.mktemp("raising") / "raising_page.py"
    script.write_text(RAISING_PAGE)
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "streamlit-raising.log", "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_engine_exception_shows_no_stack_trace(browser, raising_url):
    from .conftest import wait_idle

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(raising_url)
        wait_idle(page)
        shown = page.locator("[data-testid='stException']")
        shown.first.wait_for(state="visible")  # the reader is told something went wrong
        text = page.locator("[data-testid='stMain']").inner_text()
        for secret in ("oops-secret", "ByHandError", "Traceback", 'File "', ".py", "byhand", "/tmp", "/work"):
            assert secret not in text, (secret, text)
        assert page.locator("[data-testid='stExceptionTraceback'], [data-testid='stExceptionMessage'] pre"
                            ).count() == 0
        log = (Path(__file__).resolve().parents[2] / "test-artifacts" / "streamlit-raising.log").read_text()
        assert "oops-secret" in log  # the details went to the server's log instead
    finally:
        context.close()


PAGES_TO_MEASURE = ("", "residual_block?d=8&n=8&h=8&seed=3", "encoder_block?d=8&n=8&h=8&seed=3",
                    "conv_block?block=bottleneck&sc=projection&s=2&c=4&n=6", "why_residual", "practice",
                    "self_attention?d=8&n=8&dk=8&dv=8&seed=2")


def test_every_websocket_message_is_far_below_the_configured_limit(page):
    """server.maxMessageSize (MB) leaves room many times over for the largest message a page sends."""
    import tomllib

    with open(Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml", "rb") as f:
        limit = tomllib.load(f)["server"]["maxMessageSize"] * 1024 * 1024
    sizes: list[int] = []

    def on_socket(ws):
        ws.on("framereceived", lambda payload: sizes.append(len(payload)))
        ws.on("framesent", lambda payload: sizes.append(len(payload)))

    page.on("websocket", on_socket)
    for path in PAGES_TO_MEASURE:
        goto(page, path)
        no_exception(page)
    assert sizes
    print(f"largest WebSocket message: {max(sizes):,} bytes over {len(sizes)} messages")
    assert max(sizes) * 8 < limit, (max(sizes), limit)


# ---------------------------------------------------------------- bounded work can be stopped (issue 15 §2)

def test_a_training_run_can_be_stopped_and_goes_on(page):
    from .conftest import wait_idle

    goto(page, "why_residual")
    page.get_by_role("tab", name="Plain vs residual training").click()
    steps = page.get_by_role("spinbutton", name="Steps")
    steps.fill("390")  # depths 2, 8, 32 at width 16: 4.96e9 of the 5e9 a run may take, about 1.7 s
    steps.press("Enter")
    page.get_by_role("button", name="Train").click()
    # the page's own Stop (Streamlit's header has a Stop of its own that ends the run without a rerun)
    stop = page.locator("[data-testid='stMain']").get_by_role("button", name="Stop").first
    stop.wait_for(state="visible", timeout=30_000)
    stop.click()
    wait_idle(page)
    stopped = page.locator("[data-testid='stAlert']").filter(has_text="Stopped at")
    stopped.first.wait_for(state="visible", timeout=30_000)
    assert "Press Train to go on" in stopped.first.inner_text()
    no_exception(page)
    page.get_by_role("button", name="Train").click()  # the same settings: the run goes on to its end
    # The rerun may start late on a busy machine: wait for the run's own end, not for a quiet moment.
    # The bar goes once the work is done, and the page is idle with no "Stopped at" left.
    page.locator("[data-testid='stProgress']").first.wait_for(state="detached", timeout=90_000)
    wait_idle(page, timeout=60_000)
    assert page.locator("[data-testid='stProgress']").count() == 0
    assert page.locator("[data-testid='stAlert']").filter(has_text="Stopped at").count() == 0
    no_exception(page)
