"""The command line, run as teachers run it: ``python -m byhand …`` in a subprocess."""

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "byhand", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_help_lists_commands_and_options():
    top = run("--help")
    assert top.returncode == 0 and "worksheet" in top.stdout and "gif" in top.stdout
    sheet = run("worksheet", "--help")
    assert sheet.returncode == 0
    for option in ("--seed", "--variants", "--format", "--blank", "--kind", "--answers", "--paper", "-o"):
        assert option in sheet.stdout
    assert "residual" in sheet.stdout  # the block types are listed


def test_pdf_worksheet(tmp_path):
    out = tmp_path / "sheet.pdf"
    r = run("worksheet", "residual", "--seed", "3", "--answers", "--paper", "letter", "-o", str(out))
    assert r.returncode == 0, r.stderr
    reader = PdfReader(out)
    assert "residual/3" in reader.pages[0].extract_text()
    assert reader.pages[-1].extract_text().startswith("Answer key")
    assert float(reader.pages[0].mediabox.width) == pytest.approx(612.0)


def test_pdf_class_pack(tmp_path):
    out = tmp_path / "pack.pdf"
    r = run("worksheet", "encoder", "--seed", "5", "--variants", "4", "--format", "pdf", "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    assert all(f"encoder/{s}" in text for s in (5, 6, 7, 8))


def test_xlsx_worksheet_with_options(tmp_path):
    out = tmp_path / "sheet.xlsx"
    r = run("worksheet", "residual", "--seed", "2", "--format", "xlsx", "--blank", "share:0.5",
            "--size", "features=2", "--low", "0", "--high", "4", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:2] == b"PK"
    assert "xl/worksheets/sheet1.xml" in zipfile.ZipFile(out).namelist()


def test_zip_pack(tmp_path):
    out = tmp_path / "pack.zip"
    r = run("worksheet", "residual", "--variants", "2", "--format", "zip", "--answers", "-o", str(out))
    assert r.returncode == 0, r.stderr
    names = zipfile.ZipFile(out).namelist()
    assert "answer-keys.pdf" in names and "worksheet-residual-1.xlsx" in names
    key = PdfReader(io.BytesIO(zipfile.ZipFile(out).read("answer-keys.pdf")))
    assert len(key.pages) >= 2


def test_gif(tmp_path):
    out = tmp_path / "w.gif"
    r = run("gif", "encoder", "--seed", "1", "--width", "640", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:6] == b"GIF89a"


@pytest.mark.parametrize("args, words", [
    (["worksheet", "nope", "-o", "x.pdf"], "unknown block type"),
    (["worksheet", "residual", "--variants", "500", "-o", "x.pdf"], "variants must be"),
    (["worksheet", "residual", "--variants", "many", "-o", "x.pdf"], "not a whole number"),
    (["worksheet", "residual", "--format", "docx", "-o", "x.pdf"], "invalid choice"),
    (["worksheet", "residual", "-o", "x.txt"], "cannot tell the format"),
    (["worksheet", "residual", "--blank", "half", "-o", "x.pdf"], "blank must be"),
    (["worksheet", "residual", "--kind", "filled", "-o", "x.pdf"], "invalid choice"),
    (["worksheet", "residual", "--paper", "a3", "-o", "x.pdf"], "invalid choice"),
    (["worksheet", "residual", "--seed", "-4", "-o", "x.pdf"], "seed"),
    (["worksheet", "residual", "--size", "features=80", "-o", "x.pdf"], "features must be"),
    (["worksheet", "residual", "--size", "colour", "-o", "x.pdf"], "NAME=N"),
    (["worksheet", "residual", "--low", "3", "--high", "1", "-o", "x.pdf"], "value range"),
    (["worksheet", "residual"], "required"),
    (["worksheet", "residual", "-o", "/no/such/folder/x.pdf"], "does not exist"),
    (["gif", "residual", "--width", "5", "-o", "x.gif"], "width"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_options_exit_non_zero_with_a_message(args, words, tmp_path):
    args = [str(tmp_path / a) if a.startswith("x.") else a for a in args]
    r = run(*args)
    assert r.returncode == 2
    assert words in r.stderr
    assert "Traceback" not in r.stderr
    assert not list(tmp_path.iterdir())  # nothing written
