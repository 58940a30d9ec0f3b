"""Benchmark rows for practice and worksheets: one worksheet PDF and XLSX, a 30-variant class pack,
the slide GIF at its default size, and checking a learner's answers."""

from __future__ import annotations

from bench import median_ms


def measure() -> list[dict]:
    from byhand.practice import ExerciseSpec, check_answers
    from byhand.render.gif import walkthrough_gif
    from byhand.render.pack import class_pack
    from byhand.render.pdf import worksheet_pdf
    from byhand.render.xlsx import worksheet_xlsx

    spec = ExerciseSpec("residual", 1)
    ex = spec.exercise()
    enc = ExerciseSpec("encoder", 1).exercise()
    typed = {c.key: str(c.answer) for c in ex.cells}
    return [
        {"name": "worksheet PDF, residual 3×3, practice + key", "target": "< 300 ms", "note": "fpdf2",
         "median_ms": median_ms(lambda: worksheet_pdf(spec.exercise(), "practice", answers=True))},
        {"name": "worksheet PDF, encoder, practice + key", "target": "< 300 ms", "note": "fpdf2",
         "median_ms": median_ms(lambda: worksheet_pdf(enc, "practice", answers=True))},
        {"name": "worksheet XLSX, residual 3×3, practice + key", "target": "< 300 ms",
         "note": "xlsxwriter, live formulas + self-check cells",
         "median_ms": median_ms(lambda: worksheet_xlsx(spec.exercise(), "practice", answers=True))},
        {"name": "class pack PDF, 30 variants + keys", "target": "< 3 s", "note": "residual 3×3",
         "median_ms": median_ms(lambda: class_pack(spec, 30, "pdf", answers=True), repeat=3)},
        {"name": "class pack XLSX, 30 variants + keys", "target": "< 3 s", "note": "residual 3×3",
         "median_ms": median_ms(lambda: class_pack(spec, 30, "xlsx", answers=True), repeat=3)},
        {"name": "GIF for slides, residual, 960 px", "target": "< 1 s", "note": "one frame per step",
         "median_ms": median_ms(lambda: walkthrough_gif(ex.walkthrough), repeat=5)},
        {"name": "GIF for slides, encoder, 960 px", "target": "< 1 s", "note": "one frame per step",
         "median_ms": median_ms(lambda: walkthrough_gif(enc.walkthrough), repeat=5)},
        {"name": "check 36 typed answers", "target": "< 5 ms", "note": "parse + compare exactly",
         "median_ms": median_ms(lambda: check_answers(ex, typed))},
    ]
