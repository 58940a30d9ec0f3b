"""PDF worksheets: they open, have the expected pages, show the given values, blank the right
cells, carry the answers in the key, and the same seed gives the same bytes."""

import io
import re

import pytest
from pypdf import PdfReader

from byhand.blocks import BLOCKS
from byhand.numbers import ByHandError, fmt
from byhand.practice import ExerciseSpec
from byhand.render.layout import layout_step
from byhand.render.pack import class_pack
from byhand.render.pdf import _sheet_layout, reference_line, worksheet_pdf

NUMBER = re.compile(r"[−-]?\d+(/\d+)?(\.\d+)?")
SEEDS = (0, 1, 7)


def read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def numbers(reader: PdfReader, pages=None) -> list[str]:
    """Every number printed on the pages (values, and the few numbers in captions)."""
    chosen = reader.pages if pages is None else [reader.pages[i] for i in pages]
    return [w for p in chosen for w in p.extract_text().split() if NUMBER.fullmatch(w)]


def filled_boxes(wt) -> int:
    return sum(b.value is not None for s in wt.steps for b in layout_step(s).boxes)


def numbers_in(text: str) -> int:
    """How many numbers a line prints, as ``numbers`` reads them back."""
    return sum(bool(NUMBER.fullmatch(w)) for w in text.split())


@pytest.mark.parametrize("block", list(BLOCKS))
@pytest.mark.parametrize("seed", SEEDS + (2,))
def test_practice_sheet_blanks_exactly_the_blank_cells(block, seed):
    ex = ExerciseSpec(block, seed).exercise()
    worked, practice, empty = (read(worksheet_pdf(ex, kind)) for kind in ("worked", "practice", "empty"))
    assert len(worked.pages) == len(practice.pages) == len(empty.pages) >= 1
    hidden = sum(len(v) for v in ex.hidden().values())
    assert hidden >= len(ex.cells) > 0
    steps = ex.walkthrough.steps
    left_out = sum(numbers_in(s.note) for k, s in enumerate(steps) if not ex.note(k))
    lines = sum(numbers_in(reference_line(ex, k)) for k in range(len(steps)))
    # the same captions and labels, minus one printed number per blank or reused box and per number
    # of a note left out, plus the numbers of the "copy your H from step 2" lines
    assert len(numbers(worked)) - len(numbers(practice)) == hidden + left_out - lines
    quoted = sum(numbers_in(s.note) for s in steps if s.quotes)
    assert len(numbers(worked)) - len(numbers(empty)) == filled_boxes(ex.walkthrough) + quoted


@pytest.mark.parametrize("block", list(BLOCKS))
def test_an_arrange_step_asks_nothing_and_a_reused_number_is_a_reference(block):
    ex = ExerciseSpec(block, 3).exercise()
    hidden, blanks, refs = ex.hidden(), ex.blanks(), ex.references()
    for k, s in enumerate(ex.walkthrough.steps):
        lay = _sheet_layout(s, hidden.get(k))
        if s.kind == "arrange":
            assert not [b for b in lay.boxes if b.region == "product"]  # no product grid to fill in
            assert not [lb for lb in lay.labels if lb.text == "?"]
            assert k not in blanks
        empty = {(b.region, b.row, b.col) for b in lay.boxes if b.value is None}
        assert empty == blanks.get(k, set()) | set(refs.get(k, {}))
        assert not blanks.get(k, set()) & set(refs.get(k, {}))


def test_the_residual_sheet_by_hand():
    """X = [1, −1], W1 = [2], b1 = 0, W2 = [1], b2 = −1, every cell blank: step 3 (arrange) and step 4
    show H as "?" (2 boxes each) with the line sending the learner back to step 2, and no product grid."""
    from byhand.blocks.residual import residual_block
    from byhand.practice import make_exercise

    ex = make_exercise(residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]]), "all", code="tiny")
    text = " ".join(p.extract_text() for p in read(worksheet_pdf(ex, "practice")).pages)
    step3 = text[text.index("Step 3 ·"):text.index("Step 4 ·")]
    step4 = text[text.index("Step 4 ·"):]
    for part in (step3, step4):
        assert part.split().count("?") == 2 + 1  # two boxes, and the line that explains them
        assert "copy your H from step 2" in part
    assert "The product is worked out in the next step." in step3
    assert "X + F(X)" not in step3  # no product grid, so no product name either
    assert "A box with ? holds a number you worked out in an earlier step" in text
    assert "type the code tiny" in text


def test_the_jacobian_sheet_asks_for_d_and_keeps_its_note_back():
    """x = (1, 1), W1 = [[−1, 0], [1, −1], [1, 1]], b1 = 0: z = (−1, 0, 2), D = diag(0, 0, 1).
    The practice sheet prints diag(z) as "? 0 0 / 0 ? 0 / 0 0 ?" and D empty; the note that row 2
    of z is 0 is on the worked sheet only; the key shades D = 0 0 0 0 0 0 0 0 1."""
    from byhand.blocks.jacobian import jacobian_walkthrough
    from byhand.practice import make_exercise

    wt = jacobian_walkthrough([1, 1], [[-1, 0], [1, -1], [1, 1]], [0, 0, 0], [[1, 0, 1], [0, 1, 0]], [0, 0])
    ex = make_exercise(wt, "all", code="jac")

    def step3(data: bytes) -> str:
        text = " ".join(p.extract_text() for p in read(data).pages)
        return text[text.index("Step 3 ·"):text.index("Step 4 ·")]

    practice = step3(worksheet_pdf(ex, "practice"))
    assert "? 0 0 0 ? 0 0 0 ?" in " ".join(practice.split())
    assert "ReLU′" in practice and "copy your z from step 2" in practice
    assert "exactly 0" not in practice
    worked = step3(worksheet_pdf(ex, "worked"))
    assert "−1 0 0 0 0 0 0 0 2" in " ".join(worked.split())
    assert "0 0 0 0 0 0 0 0 1" in " ".join(worked.split())
    assert "Row 2 of z is exactly 0" in " ".join(worked.split())
    keyed = read(worksheet_pdf(ex, "practice", answers=True))
    n = len(read(worksheet_pdf(ex, "practice")).pages)
    key = " ".join(" ".join(p.extract_text() for p in keyed.pages[n:]).split())
    assert "Step 3 ·" in key and "0 0 0 0 0 0 0 0 1" in key


@pytest.mark.parametrize("block", list(BLOCKS))
@pytest.mark.parametrize("seed", SEEDS)
def test_given_values_titles_and_code_appear(block, seed):
    ex = ExerciseSpec(block, seed).exercise()
    reader = read(worksheet_pdf(ex, "practice"))
    text = " ".join(p.extract_text() for p in reader.pages)
    printed = set(numbers(reader))
    hidden = ex.hidden()
    given = {fmt(b.value) for k, s in enumerate(ex.walkthrough.steps)
             for b in layout_step(s, hidden.get(k)).boxes
             if b.value is not None and b.role in ("input", "weight", "bias")}
    assert given and given <= printed
    assert {fmt(v) for v in ex.walkthrough.steps[0].result.flat} <= printed  # the first matrix given
    for step in ex.walkthrough.steps:
        assert step.title in text.replace("\n", " ")
    assert "Name:" in text and "Date:" in text
    for p in reader.pages:  # every page is tagged with the sheet's code
        assert ex.code in p.extract_text()


@pytest.mark.parametrize("block", list(BLOCKS))
def test_answer_key_on_its_own_pages_holds_the_answers(block):
    ex = ExerciseSpec(block, 5).exercise()
    plain = read(worksheet_pdf(ex, "practice"))
    keyed = read(worksheet_pdf(ex, "practice", answers=True))
    n = len(plain.pages)
    assert len(keyed.pages) > n
    assert "Answer key" not in " ".join(p.extract_text() for p in plain.pages)
    assert keyed.pages[n].extract_text().startswith("Answer key")
    key_numbers = numbers(keyed, range(n, len(keyed.pages)))
    for c in ex.cells:
        assert fmt(c.answer) in key_numbers
    # the key prints every answer: at least as many numbers as blank cells plus their operands
    assert len(key_numbers) >= len(ex.cells)


def test_answer_key_by_hand():
    """residual/… with X = [1, −1], W1 = [2], b1 = 0, W2 = [1], b2 = −1 gives
    W1·X + b1 = [2, −2], H = [2, 0], X + F(X) = [2, −2], Out = [2, 0]."""
    from byhand.blocks.residual import residual_block
    from byhand.practice import make_exercise

    ex = make_exercise(residual_block([[1, -1]], [[2]], [0], [[1]], [[-1]]), "last", code="tiny")
    keyed = read(worksheet_pdf(ex, "practice", answers=True))
    key_text = keyed.pages[-1].extract_text()
    assert "Step 4" in key_text and "Step 2 ·" not in key_text  # only the step with blanks
    # the operand rows (I, W2, b2 = 1, 1, −1), then the answers X + F(X) = [2, −2] and Out = [2, 0]
    assert "1 1 −1 2 −2 2 0" in key_text


def test_same_seed_same_bytes_other_seed_other_bytes():
    a = worksheet_pdf(ExerciseSpec("residual", 3).exercise(), "practice", answers=True)
    b = worksheet_pdf(ExerciseSpec("residual", 3).exercise(), "practice", answers=True)
    c = worksheet_pdf(ExerciseSpec("residual", 4).exercise(), "practice", answers=True)
    assert a == b
    assert a != c


@pytest.mark.parametrize("paper, size", [("a4", (595.28, 841.89)), ("letter", (612.0, 792.0))])
def test_paper_sizes(paper, size):
    reader = read(worksheet_pdf(ExerciseSpec("encoder", 2).exercise(), paper=paper))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(size, abs=0.05)


def test_unicode_prints():
    """The bundled font prints the minus sign, the middle dot and fractions."""
    reader = read(worksheet_pdf(ExerciseSpec("encoder", 3).exercise(), "worked"))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "−" in text and "·" in text and re.search(r"\b\d+/\d+\b", text)


def test_class_pack_pdf_variants_then_keys():
    spec = ExerciseSpec("residual", 10)
    pages = [len(read(worksheet_pdf(spec.with_seed(s).exercise())).pages) for s in (10, 11, 12)]
    keys = [len(read(worksheet_pdf(spec.with_seed(s).exercise(), answers=True)).pages) - p
            for s, p in zip((10, 11, 12), pages)]
    reader = read(class_pack(spec, 3, "pdf", answers=True))
    assert len(reader.pages) == sum(pages) + sum(keys)
    texts = [p.extract_text() for p in reader.pages]
    codes = [next(c for c in ("residual/10", "residual/11", "residual/12") if c in t) for t in texts]
    assert codes == (["residual/10"] * pages[0] + ["residual/11"] * pages[1] + ["residual/12"] * pages[2]
                     + ["residual/10"] * keys[0] + ["residual/11"] * keys[1] + ["residual/12"] * keys[2])
    assert all("Answer key" not in t for t in texts[:sum(pages)])
    # each variant's first page says which code to type on the Practice page
    firsts = [0, pages[0], pages[0] + pages[1]]
    for first, code in zip(firsts, ("residual/10", "residual/11", "residual/12")):
        assert f"type the code {code} to check your answers" in texts[first].replace("\n", " ")


@pytest.mark.parametrize("kwargs, words", [
    ({"kind": "filled"}, "kind must be"),
    ({"paper": "a3"}, "paper must be"),
    ({"decimals": 12}, "decimals"),
])
def test_bad_options(kwargs, words):
    with pytest.raises(ByHandError, match=words):
        worksheet_pdf(ExerciseSpec("residual", 1).exercise(), **kwargs)


@pytest.mark.parametrize("n", [0, 201, -3, 2.5, True])
def test_bad_variant_counts(n):
    with pytest.raises(ByHandError, match="variants must be"):
        class_pack(ExerciseSpec("residual", 1), n, "pdf")
