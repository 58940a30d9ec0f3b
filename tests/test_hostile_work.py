"""Every piece of work is bounded (issue 15 §2): the Why page's training and gradient sweep.

The limits come from a measured budget (about 2 s of CPU and 200 MB per request on the machine the app
was measured on; bench/rows_limits.py records the worst allowed settings). Here: the settings the issue
found too slow are refused with a message saying the limit, the settings at the edge are allowed, and
the worst allowed ones finish within 200 MB (tracemalloc sees every numpy allocation; a run that never
ends is stopped by the test's timeout, never timed). A run advanced in chunks, stopped and resumed gives
exactly the same curves.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from apptest_helpers import open_page

from byhand.depth import (
    MAX_TRAIN_WORK,
    MAX_VECTORS,
    MAX_WORK,
    Training,
    gradient_norms,
    sweep_work,
    train_stacks,
    train_work,
)
from byhand.numbers import ByHandError
from byhand.practice import ExerciseSpec
from byhand.render.pack import MAX_PACK_WORK, check_pack_work, class_pack, pack_work

ALL_DEPTHS = (1, 2, 4, 8, 16, 32, 64)


@pytest.mark.parametrize("kwargs", [
    {"depths": ALL_DEPTHS[1:], "width": 32, "steps": 298},   # the issue's 12.6 s (six depths: the most)
    {"depths": ALL_DEPTHS[1:], "width": 16, "steps": 1192},  # 21 s
    {"depths": ALL_DEPTHS[1:], "width": 4, "steps": 5000},   # 43 s
    {"depths": (64,), "width": 32, "steps": 400},
])
def test_training_runs_the_issue_found_too_long_are_refused(kwargs):
    with pytest.raises(ByHandError, match=r"too much work for one run \(at most 5,000,000,000, about 2 s\)"):
        Training(**kwargs)


def test_the_refusal_says_how_many_steps_fit():
    with pytest.raises(ByHandError) as e:
        Training(depths=(64,), width=32, steps=400)
    most = int(str(e.value).split("at most ")[2].split(" ")[0].replace(",", ""))
    # 400 steps × 128 blocks × (256·1024 + 86,000) = 17,826,611,200: 5e9 of it is 112 steps (rounded down)
    assert most == 112
    Training(depths=(64,), width=32, steps=most)  # allowed
    with pytest.raises(ByHandError):
        Training(depths=(64,), width=32, steps=most + 1)


def test_the_default_run_and_the_training_work_by_hand():
    # 300 steps × 2 × (2 + 8 + 32) × (256·16² + 86,000) = 300 · 84 · 151,536
    assert train_work((2, 8, 32), 16, 300) == 3_818_707_200 <= MAX_TRAIN_WORK


def test_sweeps_the_issue_found_too_long_are_refused_and_nearby_ones_allowed():
    with pytest.raises(ByHandError, match="at most 52,000,000, about 2 s"):
        gradient_norms(width=32, depth=3125, draws=20)  # the issue's 3.7 s and 140 MB
    with pytest.raises(ByHandError, match="fits in memory"):
        gradient_norms(width=8, depth=10_000, draws=26)  # 2,080,000 vector entries kept
    # 3,125 · 20 · (1024 + 160 + 42) = 76,625,000 > 52,000,000; 1,000 blocks of 20 draws fit
    assert sweep_work(32, 3125, 20) == 76_625_000 > MAX_WORK
    assert sweep_work(32, 2000, 20) == 49_040_000 <= MAX_WORK
    assert 10_000 * 25 * 8 == MAX_VECTORS


def peak_mb(fn, **kwargs) -> float:
    """The most memory ``fn(**kwargs)`` held at once, in MB."""
    tracemalloc.start()
    try:
        fn(**kwargs)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


STALL = pytest.mark.timeout(300)  # a run that never ends fails here (bench/rows_limits.py: the figures)


WORST_SWEEPS = [  # at the edges of the sweep's limits
    {"width": 32, "depth": 2000, "draws": 20},   # work 49 M, the most at width 32
    {"width": 8, "depth": 10_000, "draws": 25},  # vectors 2 M, the most kept
    {"width": 256, "depth": 150, "draws": 5},    # work 49.6 M at the widest
    {"width": 1, "depth": 10_000, "draws": 50},  # every draw of the deepest
]


@pytest.mark.parametrize("kwargs", WORST_SWEEPS, ids=lambda k: "-".join(map(str, k.values())))
@STALL
def test_the_worst_allowed_sweeps_finish_within_200_mb(kwargs):
    assert peak_mb(gradient_norms, **kwargs) < 200


NARROW_STEPS = 5000 * MAX_TRAIN_WORK // train_work(ALL_DEPTHS[:-1], 4, 5000)  # the most at width 4
WORST_TRAINING = [
    {"depths": (64,), "width": 32, "steps": 112},
    {"depths": ALL_DEPTHS[:-1], "width": 4, "steps": NARROW_STEPS},
]


@pytest.mark.parametrize("kwargs", WORST_TRAINING, ids=["deepest", "all-depths-narrow"])
@STALL
def test_the_worst_allowed_training_runs_finish_within_200_mb(kwargs):
    assert peak_mb(train_stacks, **kwargs) < 200


def test_a_run_in_chunks_stopped_and_resumed_is_the_same_run():
    whole = train_stacks(depths=(1, 3), width=8, steps=40, points=64)
    job = Training(depths=(1, 3), width=8, steps=40, points=64)
    fractions, shown = [], set()
    while not job.done:
        job.advance(7)  # a chunk of 7 block-steps: every net is cut in the middle of its steps
        fractions.append(job.fraction)
        shown.add(job.result().depths)  # stopped here, a page shows the depths both of whose nets are done
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert shown == {(), (1,), (1, 3)}
    run = job.result()
    for d in (1, 3):
        np.testing.assert_array_equal(run.plain[d], whole.plain[d])
        np.testing.assert_array_equal(run.residual[d], whole.residual[d])
    assert run.accuracy == whole.accuracy


def test_the_why_page_stops_and_goes_on():
    at = open_page("app_pages/why_residual.py")
    settings = dict(at.session_state["why.t.settings"])
    at.session_state["why.t.settings"] = {**settings, "depths": (1, 2), "steps": 40}  # as Train keeps them
    at.session_state["why.t.stopped"] = True  # as the Stop button's callback sets it during that run
    at.run()
    assert not at.exception and not at.error
    assert any("Stopped at plain net, depth 1: step 0 of 40" in i.value and "Press Train to go on" in i.value
               for i in at.info), [i.value for i in at.info]
    at.multiselect(key="why.t.depths").set_value([1, 2])
    at.number_input(key="why.t.steps").set_value(40)
    at.button(key="FormSubmitter:why.t.form-Train").click().run()  # the same settings: it goes on
    assert not any("Stopped at" in i.value for i in at.info)
    assert list(at.dataframe[-1].value["depth"]) == [1, 2]
    assert not at.exception and not at.error


def test_the_why_page_refuses_a_run_too_long():
    at = open_page("app_pages/why_residual.py")
    at.multiselect(key="why.t.depths").set_value([2, 4, 8, 16, 32, 64])
    at.selectbox(key="why.t.width").set_value(32)
    at.number_input(key="why.t.steps").set_value(298)
    at.button(key="FormSubmitter:why.t.form-Train").click().run()
    assert not at.exception
    assert any("too much work for one run" in e.value for e in at.error)


# ---------------------------------------------------------------- class packs made at a click

BIG = {"residual8": ExerciseSpec("residual", 1, {"features": 8, "samples": 8, "hidden": 8}),
       "encoder8": ExerciseSpec("encoder", 1, {"features": 8, "positions": 8, "hidden": 8}),
       "bottleneck": ExerciseSpec("bottleneck", 1, {"channels": 4, "size": 6, "stride": 1})}


@pytest.mark.parametrize("name, fmt", [("bottleneck", "zip"), ("encoder8", "xlsx"), ("residual8", "pdf")])
def test_the_packs_the_issue_found_too_long_are_refused(name, fmt):
    with pytest.raises(ByHandError, match="too much work for one click"):
        check_pack_work(BIG[name], 200, fmt)


def test_pack_work_by_hand():
    """The default residual exercise (3×3 everywhere) draws 153 cells: 30 variants × (153 + 500) = 19,590;
    an XLSX costs 5 times as much, a ZIP (a PDF and an XLSX a variant, and the keys) 13 times."""
    assert pack_work(ExerciseSpec("residual", 1), 30, "pdf") == 19_590
    assert pack_work(ExerciseSpec("residual", 1), 30, "xlsx") == 5 * 19_590
    assert pack_work(ExerciseSpec("residual", 1), 30, "zip") == 13 * 19_590
    check_pack_work(ExerciseSpec("residual", 1), 122, "pdf")  # 79,666 units
    with pytest.raises(ByHandError, match=r"at most 122 here"):
        check_pack_work(ExerciseSpec("residual", 1), 123, "pdf")


@pytest.mark.parametrize("name, fmt", [("encoder8", "xlsx"), ("bottleneck", "zip")])
@STALL
def test_the_worst_allowed_packs_finish_within_200_mb(name, fmt):
    spec = BIG[name]
    most = MAX_PACK_WORK // pack_work(spec, 1, fmt)
    check_pack_work(spec, most, fmt)
    assert peak_mb(class_pack, spec=spec, variants=most, fmt=fmt) < 200


def test_the_practice_page_refuses_a_pack_too_long_with_the_command_line_to_use():
    at = open_page("app_pages/practice.py", {"ex": "encoder/1/8x8x8"})
    at.number_input(key="practice.variants").set_value(200)
    at.selectbox(key="practice.pack_format").set_value("xlsx")
    at.run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "too much work for one click" in message and "python \\-m byhand worksheet encoder" in message
    assert not [b for b in at.get("download_button") if "Class pack" in b.proto.label]


def test_the_gradient_sweep_reports_progress_and_stops():
    seen = []
    gradient_norms(width=8, depth=5_000, draws=25, progress=seen.append)  # 625 blocks a chunk: 8 chunks a way
    assert seen == sorted(seen) and len(seen) == 16 and seen[7] == 0.5 and seen[-1] == 1.0
    at = open_page("app_pages/why_residual.py")
    at.number_input(key="why.g.width").set_value(16)
    at.session_state["why.g.stopped"] = (16, 1000, "he", "1/sqrt(depth)", 5, 1.0)  # Stop pressed during it
    at.run()
    assert any(i.value.startswith("Stopped: the chart shows the last setting") for i in at.info)
    assert at.session_state["why.g.valid"] == (32, 1000, "he", "1/sqrt(depth)", 5, 1.0)  # still drawn
    at.button(key="why.g.go").click().run()
    assert not any(i.value.startswith("Stopped") for i in at.info)
    assert at.session_state["why.g.valid"] == (16, 1000, "he", "1/sqrt(depth)", 5, 1.0)
    assert not at.exception and not at.error
