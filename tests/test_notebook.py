"""Notebook export: every kind of walkthrough becomes a notebook whose code, run as a plain script, works
each step again in PyTorch and asserts it against the by-hand numbers. The tests run the code cells
(one subprocess for all notebooks, each in its own namespace: no Jupyter kernel needed)."""

import json
import subprocess
import sys
import textwrap
from dataclasses import replace

import nbformat
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from byhand import random_transformer_params, residual_block, transformer_layer  # noqa: E402
from byhand.blocks import BLOCKS, build_example  # noqa: E402
from byhand.notebook import code_of, notebook_bytes, walkthrough_notebook  # noqa: E402
from byhand.numbers import ByHandError  # noqa: E402
from byhand.torchwalk import from_torch  # noqa: E402
from byhand.torchwalk.templates import TEMPLATES, build, model_code, rounded  # noqa: E402

RUNNER = textwrap.dedent('''
    import json, sys, traceback
    results = {}
    for path in sys.argv[1:]:
        try:
            exec(compile(open(path, encoding="utf-8").read(), path, "exec"), {"__name__": "__main__"})
            results[path] = "ok"
        except BaseException as e:  # the first failed check, as the student would see it
            results[path] = f"{type(e).__name__}: {e}"[:400]
    print("RESULTS" + json.dumps(results))
''')


def run_scripts(tmp_path, scripts: dict[str, str]) -> dict[str, tuple[str, int]]:
    """Run each script in its own namespace, all in one Python process: name → (result, ✓ printed)."""
    paths = {}
    for name, code in scripts.items():
        path = tmp_path / f"{name}.py"
        path.write_text(code, encoding="utf-8")
        paths[str(path)] = name
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER, encoding="utf-8")
    done = subprocess.run([sys.executable, str(runner), *paths], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.split("RESULTS")[-1])
    return {paths[p]: r for p, r in results.items()}, done.stdout


def _walkthroughs():
    """(name, walkthrough, model code or None) for every kind the app shows."""
    import test_from_torch as models

    out = [(f"{name}_{seed}", build_example(name, seed), None) for name in BLOCKS for seed in (0, 3)]
    layer = transformer_layer(np.eye(4)[:, :3], random_transformer_params(1, 4, 6), 2, True, "gelu")
    out.append(("transformer", layer, None))
    for kind in models.SEEDS:
        model, x, _ = models.random_case(kind, 5)
        out.append((f"torch_{kind}", from_torch(model, x), None))
    for name, t in TEMPLATES.items():
        sizes = {k: v[1] for k, v in t.sizes.items()}
        model, x = build(name, 2)
        if name == "mlp":
            model = rounded(model, 0)  # whole-number weights: the numbers a student works with
        out.append((f"template_{name}", from_torch(model, x), model_code(name, model, x, **sizes)))
    return out


def test_every_walkthrough_notebook_runs_and_checks_every_step(tmp_path):
    cases = _walkthroughs()
    scripts, checks = {}, {}
    for name, wt, code in cases:
        nb = nbformat.reads(notebook_bytes(wt, code).decode("utf-8"), as_version=4)  # a valid .ipynb
        nbformat.validate(nb)
        markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
        titles = [f"Step {k}: {s.title}" for k, s in enumerate(wt.steps, 1)]
        assert all(any(t in m for m in markdown) for t in titles), name
        scripts[name] = code_of(nb)
        checks[name] = scripts[name].count("\ncheck(")
        # every multiply is checked, and so is every op's result and every rearranged copy
        want = sum(1 + (s.answer_region == "result") for s in wt.steps if s.kind == "multiply") + sum(
            1 for s in wt.steps if s.kind == "elementwise")
        assert checks[name] >= want, name
    results, stdout = run_scripts(tmp_path, scripts)
    assert results == {name: "ok" for name in scripts}
    assert stdout.count("✓") == sum(checks.values()) > 200
    assert stdout.count("✓ model(x)") == len(TEMPLATES)  # the whole model, on the same weights


def test_a_wrong_by_hand_number_fails_the_notebook(tmp_path):
    """The checks can fail: one cell of one step changed by 1 stops the notebook at that step."""
    wt = build_example("residual", 0)
    step = wt.step("H")
    bad = step.result.copy()
    bad[1, 2] = bad[1, 2] + 1
    tampered = replace(wt, steps=tuple(replace(s, result=bad) if s is step else s for s in wt.steps))
    model, x = build("basic", 0)
    wrong_model = rounded(model, 0)  # the notebook's model code holds other weights than its walkthrough
    results, _ = run_scripts(tmp_path, {
        "tampered": code_of(walkthrough_notebook(tampered)),
        "other_weights": code_of(walkthrough_notebook(from_torch(model, x),
                                                      model_code("basic", wrong_model, x)))})
    assert results["tampered"].startswith("AssertionError: H differs from the by-hand values")
    assert results["other_weights"].startswith("AssertionError: model(x) differs from the by-hand values")


def test_notebook_writes_the_weights_and_builds_operands_from_earlier_tensors():
    wt = residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]])
    code = code_of(walkthrough_notebook(wt))
    assert "M['W1'] = T([[2.0]])" in code and "M['X'] = T([[1.0, -1.0]])" in code
    # the last multiply stacks the identity, W2 and b2 beside each other and X, H and ones below
    assert "left = torch.cat([torch.eye(1, 1), M['W2'], M['b2']], dim=1)" in code
    assert "right = torch.cat([M['X'], M['H'], torch.ones(1, 2)], dim=0)" in code
    assert "check('Out', result, [[2.0, 0.0]])" in code  # ReLU(X + W2·H + b2) = ReLU([2, -2]), by hand


def test_symbols_are_refused():
    sympy = pytest.importorskip("sympy")
    wt = residual_block([[sympy.Symbol("a"), 1]], [[1]], [0], [[1]], [[0]])
    with pytest.raises(ByHandError, match="symbols cannot be checked in PyTorch"):
        walkthrough_notebook(wt)
