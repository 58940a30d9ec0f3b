"""The command line, run as teachers run it: ``python -m byhand …`` in a subprocess."""

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from byhand.cli import main

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
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.xlsx"]  # no key asked for, none written


@pytest.mark.parametrize("variants", ["1", "3"])
def test_xlsx_with_answers_writes_the_key_as_a_file_of_its_own(tmp_path, variants):
    out = tmp_path / "sheet.xlsx"
    r = run("worksheet", "residual", "--seed", "2", "--variants", variants, "--answers", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet-key.xlsx", "sheet.xlsx"]
    assert "sheet-key.xlsx" in r.stdout
    students = openpyxl.load_workbook(out).sheetnames
    keys = openpyxl.load_workbook(tmp_path / "sheet-key.xlsx").sheetnames
    assert not [n for n in students if "key" in n] and keys[-1] == "answers"
    assert len(keys) == int(variants) + 1


def test_zip_pack(tmp_path):
    out = tmp_path / "pack.zip"
    r = run("worksheet", "residual", "--variants", "2", "--format", "zip", "--answers", "-o", str(out))
    assert r.returncode == 0, r.stderr
    names = zipfile.ZipFile(out).namelist()
    assert "answer-keys.pdf" in names and "answer-keys.xlsx" in names and "worksheet-residual-1.xlsx" in names
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


# ---------------------------------------------------------------- exactly a given example: --example, --link

# worked out by hand: H = ReLU(W1·X + b1) = [[1, 0], [0, 3/2]]; X + W2·H + b2 = [[4, -1], [-1, 3/4]];
# Out = ReLU(…) = [[4, 0], [0, 3/4]]
EXAMPLE = {"byhand": 1, "block": "residual", "matrices": {
    "X": [["1", "-1/2"], ["2", "3"]], "W1": [["1", "0"], ["-1", "1"]], "b1": [["0"], ["-2"]],
    "W2": [["2", "-1"], ["0", "1/2"]], "b2": [["1"], ["-3"]]}}
LINK = ("http://localhost:8501/residual_block?d=2&n=2&h=2&m.X=1,-1/2;2,3&m.W1=1,0;-1,1&m.b1=0;-2"
        "&m.W2=2,-1;0,1/2&m.b2=1;-3&step=3")
M = "\u2212"  # the PDF prints a minus sign


def example_file(tmp_path, data=None, text: str | None = None) -> str:
    path = tmp_path / "ex.json"
    path.write_text(json.dumps(EXAMPLE if data is None else data) if text is None else text)
    return str(path)


def block_at(ws, values) -> bool:
    """Whether the sheet holds the matrix ``values`` somewhere, cell by cell."""
    cells = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row
             if isinstance(c.value, (int, float))}
    return any(all(cells.get((r + i, c + j)) == v for i, row in enumerate(values) for j, v in enumerate(row))
               for r, c in cells)


@pytest.mark.parametrize("source", ["--example", "--link"])
def test_pdf_of_a_given_example(tmp_path, source):
    out = tmp_path / "ex.pdf"
    given = example_file(tmp_path) if source == "--example" else LINK
    r = run("worksheet", source, given, "--answers", "-o", str(out))
    assert r.returncode == 0, r.stderr
    pages = [p.extract_text() for p in PdfReader(out).pages]
    assert "Residual block" in pages[0]
    assert f"1 {M}1/2\n2 3\nX" in pages[0]  # the given X, as typed
    assert f"1 0\n{M}1 1\n0\n{M}2" in pages[0]  # W1 and b1
    key = pages[-1]
    assert key.startswith("Answer key")
    assert f"1 {M}1/2\n{M}1 3/2\n1 0\n0 3/2" in key  # W1·X + b1, then H
    assert f"4 {M}1\n{M}1 3/4\n4 0\n0 3/4" in key  # X + F(X), then Out


@pytest.mark.parametrize("source", ["--example", "--link"])
def test_xlsx_of_a_given_example(tmp_path, source):
    out = tmp_path / "ex.xlsx"
    given = example_file(tmp_path) if source == "--example" else LINK
    r = run("worksheet", source, given, "--format", "xlsx", "--answers", "-o", str(out))
    assert r.returncode == 0, r.stderr
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert block_at(ws, [[1, -0.5], [2, 3]])  # X
    assert block_at(ws, [[1, 0, 0], [-1, 1, -2]])  # [W1 | b1]
    assert block_at(ws, [[2, -1, 1], [0, 0.5, -3]])  # [W2 | b2]
    assert not block_at(ws, [[4, 0], [0, 0.75]])  # Out: its answers are not in the student's file
    key = openpyxl.load_workbook(tmp_path / "ex-key.xlsx", data_only=True).worksheets[0]
    assert block_at(key, [[1, -0.5], [-1, 1.5]])  # W1·X + b1, worked out in the key
    assert block_at(key, [[4, 0], [0, 0.75]])  # Out
    assert not block_at(key, [[4, 0], [0, 1]])


def test_gif_of_a_conv_link_with_stride_and_shortcut(tmp_path):
    out = tmp_path / "conv.gif"
    link = "http://localhost:8501/conv_block?block=bottleneck&sc=projection&s=2&c=1&n=4&seed=3&step=4"
    r = run("gif", "--link", link, "--width", "640", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:6] == b"GIF89a"


def test_pdf_of_a_conv_link_worked(tmp_path):
    out = tmp_path / "conv.pdf"
    link = ("http://localhost:8501/conv_block?block=basic&sc=zero_pad&s=2&c=1&n=2"
            "&m.x1=5,1;2,3&m.w1_1=0,0,0;0,1,0;0,0,0&m.w1_2=0,0,0;0,0,0;0,0,1&m.bn1=1,0,0,1;1,0,0,1"
            "&m.w2_1=0,0,0;0,1,0;0,0,0;0,0,0;0,-1,0;0,0,0&m.w2_2=0,0,0;0,0,0;0,0,0;0,0,0;0,2,0;0,0,0"
            "&m.bn2=1,0,0,1;1,-10,0,4")
    r = run("worksheet", "--link", link, "--kind", "worked", "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = " ".join(p.extract_text() for p in PdfReader(out).pages)
    assert "zero-padding shortcut" in text and "stride 2" in text
    # by hand: [W2′ | S | t2]·[im2col(H); x; 1] = [7, −7] before the ReLU, [7, 0] after it (see
    # tests/test_example_file.py)
    assert "5 1 2 3\nx\n" in text  # the given channel, as one row of pixels
    assert f"{M}10\n7\n{M}7\n7\n0\nim2col(H)" in text  # t2's −10, then the sum and its ReLU


def test_a_link_note_goes_to_stderr(tmp_path):
    out = tmp_path / "ex.pdf"
    r = run("worksheet", "--link", "http://localhost:8501/residual_block?seed=abc", "-o", str(out))
    assert r.returncode == 0 and out.exists()
    assert "note: seed = 'abc' in the link is not a whole number" in r.stderr


BAD_FILES = {
    "bad JSON": ('{"byhand": 1, "block": ', "not a JSON file"),
    "unknown block": ({**EXAMPLE, "block": "resnet"}, "unknown block type 'resnet'"),
    "missing matrix": ({**EXAMPLE, "matrices": {k: v for k, v in EXAMPLE["matrices"].items() if k != "b2"}},
                       "b2 is missing"),
    "extra matrix": ({**EXAMPLE, "matrices": {**EXAMPLE["matrices"], "Q": [["1"]]}}, "'Q' is not an input"),
    "huge exponent": ({**EXAMPLE, "matrices": {**EXAMPLE["matrices"],
                                               "X": [["1", "1e-10000000"], ["2", "3"]]}},
                      "X, row 1, column 2: '1e-10000000' is too long (at most 17 digits, exponents within"),
    "wrong shape": ({**EXAMPLE, "matrices": {**EXAMPLE["matrices"],
                                             "W1": [["1", "0", "1"], ["-1", "1", "0"]]}}, "W1"),
    "10 MB": ("[" + " " * 10_000_000 + "]", "is over 65,536 bytes"),
    "not text": (b"\xff\xfe\x00bad", "not a text file"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_example_file_exits_2_with_a_message(tmp_path, capsys, case):
    content, words = BAD_FILES[case]
    path = tmp_path / "ex.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    out = tmp_path / "ex.pdf"
    with pytest.raises(SystemExit) as e:
        main(["worksheet", "--example", str(path), "-o", str(out)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and words in err and str(path) in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.parametrize("args, words", [
    (["worksheet", "--example", "missing.json", "-o", "x.pdf"], "there is no file"),
    (["worksheet", "--example", ".", "-o", "x.pdf"], "is a folder"),
    (["worksheet", "--link", "http://localhost:8501/encoder_block?v=torch", "-o", "x.pdf"],
     "PyTorch TransformerEncoderLayer"),
    (["worksheet", "--link", "http://localhost:8501/practice?ex=residual/42", "-o", "x.pdf"],
     "Practice link"),
    (["worksheet", "--link", "http://localhost:8501/why_residual", "-o", "x.pdf"], "Why page"),
    (["gif", "--link", "http://localhost:8501/nowhere?seed=3", "-o", "x.gif"], "'nowhere' is not a page"),
    (["worksheet", "--link", "http://localhost:8501/residual_block?m.X=1,2;3,4", "-o", "x.pdf"],
     "X in the link is 2×2"),
    (["worksheet", "--link", "http://localhost:8501/residual_block?m.X=1,1e-10000000;2,3;4,5", "-o", "x.pdf"],
     "exponents within ±12"),
    (["worksheet", "--link", "http://x/residual_block?m.X=" + "1," * 20_000, "-o", "x.pdf"],
     "characters long"),
    (["worksheet", "-o", "x.pdf"], "give a block type"),
    (["worksheet", "residual", "--link", LINK, "-o", "x.pdf"], "not a block type and --link together"),
    (["worksheet", "--example", "ex.json", "--link", LINK, "-o", "x.pdf"], "--example and --link together"),
    (["worksheet", "--link", LINK, "--seed", "3", "-o", "x.pdf"], "--seed belong to a seeded example"),
    (["worksheet", "--link", LINK, "--size", "features=2", "--low", "0", "-o", "x.pdf"], "--size, --low"),
    (["worksheet", "--link", LINK, "--variants", "3", "-o", "x.pdf"], "--variants belong"),
    (["worksheet", "--link", LINK, "-o", "x.zip"], "a ZIP is a class pack"),
    (["gif", "--example", "ex.json", "--high", "4", "-o", "x.gif"], "--high belong"),
])
def test_a_bad_given_example_exits_2_with_a_message(tmp_path, capsys, args, words):
    example_file(tmp_path)
    args = [str(tmp_path / a) if a.startswith(("x.", "ex.", "missing.")) else a for a in args]
    args = [str(tmp_path) if a == "." else a for a in args]
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and words in err
    assert not any(p.name.startswith("x.") for p in tmp_path.iterdir())  # nothing written


def test_an_example_error_from_the_shell_has_no_traceback(tmp_path):
    path = example_file(tmp_path, text="{not json")
    r = run("worksheet", "--example", path, "-o", str(tmp_path / "x.pdf"))
    assert r.returncode == 2 and "not a JSON file" in r.stderr and "Traceback" not in r.stderr
