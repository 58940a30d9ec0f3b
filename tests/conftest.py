"""Shared checks on a Walkthrough, used by the engine tests (fixtures so that every test module can ask)."""

import numpy as np
import pytest


def step_kind(step) -> str:
    """given (only a result), arrange (operands, no product), multiply, or element-wise (no operands)."""
    if step.left is not None and step.right is not None:
        assert (step.product is None) == (step.result is None), step.title
        return "multiply" if step.product is not None else "arrange"
    assert step.left is None and step.right is None, step.title
    assert step.result is not None, step.title
    return "given" if step.product is None else "element-wise"


def check_walkthrough(wt) -> None:
    """Invariants every walkthrough keeps, whatever its block.

    Every matrix converts with ``np.asarray(m, dtype=float)``; a multiply step's product is
    left·right; every part that copies a walkthrough matrix holds exactly that matrix's cells.
    """
    mats = wt.matrices
    for m in mats.values():
        assert np.isfinite(np.asarray(m, dtype=float)).all()
    last = wt.steps[-1].result  # conv blocks give their output reshaped to (C, H, W)
    assert wt.output is last or np.array_equal(np.reshape(wt.output, last.shape), last)
    for s in wt.steps:
        kind = step_kind(s)
        for m in (s.product, s.result):
            if m is not None:
                assert np.asarray(m, dtype=float).ndim == 2
        if kind in ("multiply", "arrange"):
            assert s.left.shape[1] == s.right.shape[0], s.title
            for stacked in (s.left, s.right):
                for p in stacked.parts:
                    np.asarray(p.values, dtype=float)
                    for (r, c), v in np.ndenumerate(p.values):
                        src = p.source_cell(r, c)
                        if src is None:
                            assert p.role in ("identity", "ones", "zeros"), p.name
                        else:
                            name, i, j = src
                            assert mats[name][i, j] == v, (s.title, p.name, r, c, src)
        if kind == "multiply":
            want = np.asarray(s.left.values, dtype=float) @ np.asarray(s.right.values, dtype=float)
            np.testing.assert_allclose(np.asarray(s.product, dtype=float), want, rtol=1e-12, atol=1e-12)


@pytest.fixture
def walkthrough_ok():
    """The function ``check_walkthrough(wt)``."""
    return check_walkthrough


@pytest.fixture
def kind_of():
    """The function ``step_kind(step)``."""
    return step_kind


@pytest.fixture
def conv_ok():
    """The shared invariants for a conv walkthrough, whose output is the last step's channels × pixels
    reshaped to (C, H, W)."""

    def check(wt):
        last = wt.steps[-1].result
        np.testing.assert_array_equal(wt.output.reshape(last.shape), last)
        assert wt.output.shape == wt.params["out_shape"]
        check_walkthrough(wt)

    return check
