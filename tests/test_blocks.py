"""The block registry (byhand/blocks/__init__.py): one descriptor per block, read by every consumer."""

from __future__ import annotations

import numpy as np
import pytest

from byhand.blocks import BLOCKS, block_type, build_example
from byhand.numbers import ByHandError
from byhand.stacked import ROLES


@pytest.mark.parametrize("name", list(BLOCKS))
def test_descriptor_is_complete_and_consistent(name):
    bt = BLOCKS[name]
    assert bt.name == name and bt.label
    assert len(set(bt.names)) == len(bt.inputs) and all(i.caption for i in bt.inputs)
    assert all(i.role in ROLES for i in bt.inputs)
    urls = [s.url for s in bt.sizes]
    assert len(set(urls)) == len(urls) and not {"seed", "step", "v"} & set(urls)
    for s in bt.sizes:
        assert s.low <= s.default <= s.high, s


@pytest.mark.parametrize("name", list(BLOCKS))
def test_default_and_seeded_examples_have_every_input(name):
    bt = BLOCKS[name]
    assert set(bt.names) <= set(bt.default())
    assert set(bt.names) <= set(bt.random(3))
    a, b = bt.random(5), bt.random(5)
    assert {k: np.asarray(v, dtype=object).tolist() for k, v in a.items()} == {
        k: np.asarray(v, dtype=object).tolist() for k, v in b.items()}


@pytest.mark.parametrize("name", list(BLOCKS))
def test_builder_gives_a_walkthrough_of_this_block(name):
    wt = build_example(name, seed=2)
    assert wt.block == name and wt.steps[0].kind == "given"
    assert wt.output.size > 0


def test_sizes_are_checked_against_the_descriptor():
    bt = block_type("residual")
    assert bt.check_sizes({"samples": 5}) == {"features": 3, "samples": 5, "hidden": 3}
    with pytest.raises(ByHandError, match="samples must be a whole number from 1 to 8, not 9"):
        bt.check_sizes({"samples": 9})
    with pytest.raises(ByHandError, match="Residual block has no size width"):
        bt.check_sizes({"width": 2})
    with pytest.raises(ByHandError, match="unknown block type 'nope'; choose one of: residual, encoder"):
        block_type("nope")


def test_a_seeded_example_has_the_sizes_asked_for():
    X = np.asarray(block_type("residual").random(1, features=2, samples=4)["X"])
    assert X.shape == (2, 4)
    A = np.asarray(block_type("encoder").random(1, positions=5)["A"], dtype=object)
    assert A.shape == (5, 5) and all(sum(A[:, j]) == 1 for j in range(5))


def test_the_conv_size_limit_is_one_number():
    """The page and worksheets read the same limit (it was 2..8 on the page and 2..6 in the registry):
    6, because a 7×7 or 8×8 image's im2col is unreadable on paper (cells of about 4 pt)."""
    for name in ("conv", "bottleneck"):
        size = block_type(name).size("size")
        assert (size.low, size.high) == (2, 6)


def test_pages_have_unique_addresses_and_existing_files():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    pages = [bt.page for bt in BLOCKS.values() if bt.page is not None]
    assert len({p.url for p in pages}) == len(pages)
    for p in pages:
        assert p.file is None or (root / p.file).is_file(), p
        assert p.summary and p.icon.startswith(":material/")


def test_blocks_with_a_reference_name_it_and_skip_options_are_real():
    for bt in BLOCKS.values():
        if bt.skip_option:
            plain = bt.build(**bt.default(), residual=False)
            assert plain.params["residual"] is False, bt.name
