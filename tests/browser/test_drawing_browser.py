"""The by-hand drawing in a real browser: every step renders (Vega, KaTeX) and a click picks a cell.

A throwaway Streamlit page shows the drawings; the session's chromium comes from conftest.py.
"""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from byhand import default_residual, residual_block
from byhand.render.vega import cell_center, step_chart

from .conftest import BROWSER

pytestmark = BROWSER

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"

SCRIPT = """
import sys
sys.path.insert(0, {root!r})
import streamlit as st
from byhand import residual_block, default_residual, encoder_block, default_encoder
from byhand.render.vega import step_chart, selected_cell
from byhand.render.latex import step_latex

steps = residual_block(**default_residual()).steps + encoder_block(**default_encoder()).steps
for k, step in enumerate(steps):
    pick = selected_cell(st.session_state.get(f"pick{{k}}"))
    st.altair_chart(step_chart(step, selected=pick), on_select="rerun", selection_mode="cell",
                    key=f"pick{{k}}")
    st.latex(step_latex(step))
    st.markdown(f"pick {{k}}: `{{pick}}`")
# LaTeX only for the rest: every name and op the other blocks use
from byhand import random_transformer_params, transformer_layer
from byhand.blocks.conv import conv_block, default_conv
import numpy as np
X = np.arange(12).reshape(4, 3) / 4 - 1
more = (transformer_layer(X, random_transformer_params(0, d=4, f=6), nhead=2).steps
        + transformer_layer(X, random_transformer_params(1, d=4, f=3), nhead=1, norm_first=True,
                            activation="gelu").steps
        + conv_block(**default_conv("projection")).steps)
for step in more:
    st.latex(step_latex(step))
"""


@pytest.fixture(scope="module")
def drawing_page(tmp_path_factory, browser):
    """A throwaway Streamlit page showing every residual and encoder step, in headless chromium."""
    root = Path(__file__).resolve().parents[1]
    script = tmp_path_factory.mktemp("drawing") / "drawing_page.py"
    script.write_text(SCRIPT.format(root=str(root)))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(script),
                             "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        page.wait_for_selector(IDLE, timeout=60000)
        page.wait_for_function(
            "document.querySelectorAll(\"[data-testid='stVegaLiteChart'] svg\").length >= 11",
            timeout=60000)
        yield page, errors
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_every_drawing_renders_in_chromium(drawing_page):
    page, errors = drawing_page
    assert errors == []  # e.g. Vega's "Duplicate signal name" would show up here
    charts = page.locator("[data-testid='stVegaLiteChart']")
    assert charts.count() == 11
    for k in range(11):
        box = charts.nth(k).bounding_box()
        assert box["width"] > 50 and box["height"] > 50, k
    assert page.locator(".katex-error").count() == 0
    assert page.locator(".katex-display").count() == 11 + 14 + 13 + 11  # every LaTeX rendered
    assert page.locator("[data-testid='stException']").count() == 0
    Path("test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path="test-artifacts/drawing-steps.png", full_page=True)


def test_clicking_a_product_cell_picks_it(drawing_page):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page, errors = drawing_page
    step = residual_block(**default_residual()).steps[3]
    x, y = cell_center(step_chart(step), "product", 1, 2)
    svg = page.locator("[data-testid='stVegaLiteChart'] svg").nth(3)
    svg.scroll_into_view_if_needed()
    picked = page.get_by_text("pick 3: (1, 2)")
    for _ in range(3):  # a click that lands before Vega listens is simply repeated
        svg.click(position={"x": x, "y": y})
        try:
            picked.wait_for(timeout=8000)
            break
        except PlaywrightTimeout:
            pass
    picked.wait_for(timeout=1000)
    page.wait_for_selector(IDLE, timeout=20000)
    # the pick survives the rerun that redraws the chart with the row and column lit
    time.sleep(1)
    assert page.get_by_text("pick 3: (1, 2)").count() == 1
    assert errors == []
