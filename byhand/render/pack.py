"""Class packs: N variants of one worksheet (seeds S, S+1, …) in one PDF, one XLSX or a ZIP.

Every page or sheet carries its variant's code. In a PDF the answer keys come together at the
end; a spreadsheet never holds them (a student could read them there): the students' XLSX has a
worksheet and its check sheet per variant, and the keys are a workbook of their own
(``class_pack_key_xlsx``; in a ZIP, ``answer-keys.xlsx`` beside ``answer-keys.pdf``).
"""

from __future__ import annotations

import io
import zipfile

from ..numbers import ByHandError
from ..practice import MAX_SEED, ExerciseSpec
from . import pdf as pdf_mod
from . import xlsx as xlsx_mod

__all__ = ["class_pack", "class_pack_key_xlsx", "variant_specs", "MAX_VARIANTS", "FORMATS", "MAX_PACK_WORK",
           "pack_work", "check_pack_work"]

MAX_VARIANTS = 200
FORMATS = ("pdf", "xlsx", "zip")
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def variant_specs(spec: ExerciseSpec, variants: int) -> list[ExerciseSpec]:
    """The specs of ``variants`` variants: the same options with seeds S, S+1, …

    >>> [s.code for s in variant_specs(ExerciseSpec("residual", 7), 2)]
    ['residual/7', 'residual/8']
    """
    if isinstance(variants, bool) or not isinstance(variants, int) or not 1 <= variants <= MAX_VARIANTS:
        raise ByHandError(f"variants must be a whole number from 1 to {MAX_VARIANTS}, not {variants!r}.",
                          "variants")
    if spec.seed + variants - 1 > MAX_SEED:
        raise ByHandError(f"seeds {spec.seed}…{spec.seed + variants - 1} go past {MAX_SEED}; "
                          "start from a smaller seed.", "seed")
    return [spec.with_seed(spec.seed + i) for i in range(variants)]


# A pack built on the server at a click is bounded by its work, ``pack_work``: variants × (the cells of
# one variant's walkthrough + 500 for its page and sheet) × the format's cost (a PDF 1, an XLSX 5, a ZIP
# of both and the keys 13). A unit took 0.024 ms here (61 default residual PDFs in 0.94 s, 16 encoder
# 8×8×8 XLSX in 4.9 s, 6 bottleneck ZIPs in 4.0 s: bench/rows_limits.py), so 80,000 units keep a click to
# about 2 s. The command line (``class_pack``) is not bounded: a teacher's own machine.
MAX_PACK_WORK = 80_000
_PAGE_CELLS = 500
_FORMAT_COST = {"pdf": 1, "xlsx": 5, "zip": 13}


def pack_work(spec: ExerciseSpec, variants: int, fmt: str) -> int:
    """The work of a class pack (see ``MAX_PACK_WORK``); the variants share their sizes, so the first
    one's cells count for all.

    >>> pack_work(ExerciseSpec("residual", 1), 30, "pdf")
    19590
    """
    wt = spec.exercise().walkthrough
    cells = sum(m.size for s in wt.steps for m in (s.product, s.result) if m is not None)
    cells += sum(m.values.size for s in wt.steps for m in (s.left, s.right) if m is not None)
    return variants * (cells + _PAGE_CELLS) * _FORMAT_COST[fmt]


def check_pack_work(spec: ExerciseSpec, variants: int, fmt: str) -> None:
    """Raise ByHandError, saying how many variants fit, if a pack made at a click is too much work."""
    variant_specs(spec, variants)
    work = pack_work(spec, variants, fmt)
    if work > MAX_PACK_WORK:
        most = max(1, MAX_PACK_WORK // pack_work(spec, 1, fmt))
        raise ByHandError(f"{variants} variants of this exercise as {fmt.upper()} are too much work for one "
                          f"click (at most {most} here, about 2 s of the server's time). Make fewer, or "
                          f"print the pack on your own computer with the command line: python -m byhand "
                          f"worksheet {spec.block} --seed {spec.seed} --variants {variants} --format {fmt}.",
                          "variants")


def _pdf(exercises, kind: str, answers: bool, paper: str, decimals: int) -> bytes:
    doc = pdf_mod.WorksheetPDF(paper)
    for ex in exercises:
        pdf_mod.add_worksheet(doc, ex, kind, decimals)
    if answers:
        for ex in exercises:
            pdf_mod.add_key(doc, ex, kind, decimals)
    return bytes(doc.output())


def _xlsx(exercises, kind: str, decimals: int) -> bytes:
    """The students' workbook: each variant's worksheet, then its check sheet; no answers."""
    buf = io.BytesIO()
    wb, formats = xlsx_mod.new_workbook(buf)
    many = len(exercises) > 1
    for n, ex in enumerate(exercises, 1):
        name = xlsx_mod.sheet_name(ex.code, prefix=f"{n} " if many else "")
        xlsx_mod.add_worksheet_sheets(wb, formats, ex, kind, decimals, name)
    wb.close()
    return buf.getvalue()


def _xlsx_keys(exercises, kind: str, decimals: int) -> bytes:
    """The teacher's workbook: each variant's answer key, then one list of every answer."""
    buf = io.BytesIO()
    wb, formats = xlsx_mod.new_workbook(buf)
    many = len(exercises) > 1
    for n, ex in enumerate(exercises, 1):
        name = xlsx_mod.sheet_name(ex.code, prefix=f"{n} " if many else "", suffix=" key")
        xlsx_mod.add_key_sheet(wb, formats, ex, kind, decimals, name)
    xlsx_mod.add_answer_list(wb, formats, exercises, kind, decimals)
    wb.close()
    return buf.getvalue()


def _zip_add(z: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def class_pack(spec: ExerciseSpec, variants: int = 30, fmt: str = "pdf", kind: str = "practice",
               answers: bool = True, paper: str = "a4", decimals: int = 3) -> bytes:
    """``variants`` worksheets as one PDF, one XLSX (a sheet each) or a ZIP of single files.

    The ZIP holds each variant's PDF and XLSX and, with ``answers``, ``answer-keys.pdf`` and
    ``answer-keys.xlsx``. An XLSX pack is the students' workbook only, whatever ``answers`` says:
    its keys are ``class_pack_key_xlsx(spec, variants, kind, decimals)``, a file of their own.

    >>> class_pack(ExerciseSpec("residual", 1), 2, "zip")[:2]
    b'PK'
    """
    if fmt not in FORMATS:
        raise ByHandError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}.", "format")
    pdf_mod.check_options(kind, paper, decimals)
    exercises = [s.exercise() for s in variant_specs(spec, variants)]
    if fmt == "pdf":
        return _pdf(exercises, kind, answers, paper, decimals)
    if fmt == "xlsx":
        return _xlsx(exercises, kind, decimals)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for ex in exercises:
            stem = "worksheet-" + ex.code.replace("/", "-").replace(":", "")
            _zip_add(z, f"{stem}.pdf", _pdf([ex], kind, False, paper, decimals))
            _zip_add(z, f"{stem}.xlsx", _xlsx([ex], kind, decimals))
        if answers:
            doc = pdf_mod.WorksheetPDF(paper)
            for ex in exercises:
                pdf_mod.add_key(doc, ex, kind, decimals)
            _zip_add(z, "answer-keys.pdf", bytes(doc.output()))
            _zip_add(z, "answer-keys.xlsx", _xlsx_keys(exercises, kind, decimals))
    return buf.getvalue()


def class_pack_key_xlsx(spec: ExerciseSpec, variants: int = 30, kind: str = "practice",
                        decimals: int = 3) -> bytes:
    """The answer keys of an XLSX class pack, as a workbook of their own: each variant's key sheet
    (the worked sheet, answers shaded) and one sheet listing every answer with its variant's code.

    >>> class_pack_key_xlsx(ExerciseSpec("residual", 1), 2)[:2]
    b'PK'
    """
    pdf_mod.check_options(kind, "a4", decimals)
    return _xlsx_keys([s.exercise() for s in variant_specs(spec, variants)], kind, decimals)
