"""The slide GIF: one frame per step, all the same size, looping."""

import io

import numpy as np
import pytest
from PIL import Image

from byhand.blocks import BLOCKS, build_example
from byhand.numbers import ByHandError
from byhand.practice import make_exercise
from byhand.render.gif import step_images, walkthrough_gif


@pytest.mark.parametrize("block", list(BLOCKS))
def test_one_frame_per_step(block):
    wt = build_example(block, seed=4)
    data = walkthrough_gif(wt, seconds=1.5)
    im = Image.open(io.BytesIO(data))
    assert im.format == "GIF" and im.n_frames == len(wt.steps)
    assert im.info["loop"] == 0 and im.info["duration"] == 1500
    assert im.size[0] == 960


def test_frames_differ_and_hidden_cells_leave_boxes_empty():
    wt = build_example("residual", seed=4)
    frames = step_images(wt, width=640)
    assert len({f.size for f in frames}) == 1
    assert len({f.tobytes() for f in frames}) == len(frames)
    ex = make_exercise(wt, "all")
    hidden = step_images(wt, width=640, hidden=ex.hidden())
    assert hidden[0].tobytes() == frames[0].tobytes()  # the given step has nothing hidden
    # fewer dark (text) pixels once the computed cells are hidden
    dark = [int((np.asarray(im.convert("L")) < 100).sum()) for im in (frames[1], hidden[1])]
    assert dark[1] < dark[0]


def test_same_walkthrough_same_bytes():
    wt = build_example("encoder", seed=2)
    assert walkthrough_gif(wt) == walkthrough_gif(build_example("encoder", seed=2))


@pytest.mark.parametrize("kwargs, words", [({"width": 10}, "width"), ({"width": 9000}, "width"),
                                           ({"seconds": 0}, "seconds"), ({"seconds": 1000}, "seconds")])
def test_bad_sizes(kwargs, words):
    with pytest.raises(ByHandError, match=words):
        walkthrough_gif(build_example("residual", seed=1), **kwargs)


def test_a_symbolic_walkthrough_is_drawn_abbreviated_inside_the_frame():
    """With every matrix as symbols the last step's cells hold long expressions: drawn abbreviated as on
    the page (``x₁+…³``, ``max(0,…)``), so nothing runs past the frame's right margin (24 px) — the whole
    expressions ran off the frame before."""
    from byhand.practice import ExerciseSpec
    from byhand.render.layout import cell_text
    from byhand.symbols import symbol

    wt = ExerciseSpec.parse("residual/7/2x1x1/sym:all").walkthrough()
    assert cell_text(wt.steps[-1].result[0, 0]) == "max(0,…)"
    assert cell_text(wt.steps[-1].product[0, 0], prefer=("x1",)) == "x₁+…³"
    assert cell_text(symbol("x1") + 1) == "x₁ + 1" and cell_text(0.5) == "0.5"
    for frame in step_images(wt):
        pixels = np.asarray(frame.convert("L"))
        assert pixels[:, -20:].min() == 255  # the right margin stays white
