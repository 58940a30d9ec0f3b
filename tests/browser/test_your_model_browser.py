"""The "Your model" page in a real headless Chromium: a pickle upload refused saying why, safetensors
weights used, the notebook downloaded and its code run."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import pytest
from apptest_helpers import matrix_in_text_view

from .conftest import BROWSER, goto, no_exception, shot, wait_idle

pytestmark = [pytest.mark.timeout(300), BROWSER]
torch = pytest.importorskip("torch")


def _upload(page, name: str, data: bytes) -> None:
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(
        files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])
    wait_idle(page)


def _text_view(page) -> str:
    expander = page.get_by_text("Text / LaTeX view of this step").first
    code = page.locator("[data-testid='stCode']").last
    if not code.is_visible():
        expander.click()
        code.wait_for(state="visible")
    return code.inner_text()


def test_upload_weights_refuse_a_pickle_and_download_the_notebook(page, tmp_path):
    from byhand.torchwalk.templates import build, rounded, save_safetensors

    goto(page, "your_model?step=2")
    no_exception(page)
    page.get_by_role("heading", name="Your model, by hand").wait_for()
    page.get_by_text("Step 2 of 3: Linear layer blocks.0.0 and ReLU").wait_for()

    model, _ = build("mlp", 0)
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    _upload(page, "weights.pt", buf.getvalue())
    alert = page.locator("[data-testid='stAlert']").filter(has_text="is a pickle")
    alert.wait_for()
    assert "loading a pickle runs whatever code the file holds" in alert.inner_text()
    page.get_by_text("Step 2 of 3: Linear layer blocks.0.0 and ReLU").wait_for()  # the model stays drawn
    no_exception(page)

    mine = rounded(build("mlp", 5)[0], 0)  # whole-number weights, as a student would make them
    _upload(page, "mine.safetensors", save_safetensors(mine))
    alert.first.wait_for(state="detached", timeout=30_000)  # the rerun may start late on a busy machine
    wait_idle(page)
    no_exception(page)
    want = [[str(int(v)) for v in row] for row in mine.blocks[0][0].weight.tolist()]
    got = matrix_in_text_view(_text_view(page), "W1")  # W1's rows, then | b1 and the product beside them
    assert [row[:len(want[0])] for row in got] == want
    shot(page, "your_model-uploaded")

    page.get_by_role("button", name=re.compile("Print this example")).click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Notebook (.ipynb)").click()
    path = tmp_path / "byhand.ipynb"
    info.value.save_as(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    script = tmp_path / "notebook.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1500:]
    assert "✓ model(x)" in done.stdout
