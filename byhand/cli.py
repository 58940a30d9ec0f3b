"""The command line for teachers: worksheets, class packs and slide GIFs, of seeded examples or of
exactly the example a page shows (its shared link, or the example file the page saves).

    python -m byhand worksheet residual --seed 42 --variants 30 --format pdf --answers -o pack.pdf
    python -m byhand worksheet --example ex.json --answers -o ex.pdf
    python -m byhand worksheet --link 'http://localhost:8501/residual_block?d=2&n=2&m.X=1,2;3,4' -o ex.xlsx
    python -m byhand worksheet residual --seed 5 --format xlsx --answers -o sheet.xlsx  # + sheet-key.xlsx
    python -m byhand gif encoder --seed 7 -o encoder.gif
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from .blocks import BLOCKS
from .checks import MAX_VALUE as VALUE_RANGE
from .example import MAX_EXAMPLE_LEN
from .numbers import ByHandError, quote

__all__ = ["main", "build_parser"]

EPILOG = """examples:
  python -m byhand worksheet residual --seed 42 -o residual.pdf
  python -m byhand worksheet encoder --seed 1 --variants 30 --format pdf --answers -o class.pdf
  python -m byhand worksheet residual --seed 5 --format xlsx --blank share:0.5 -o practice.xlsx
  python -m byhand worksheet residual --seed 5 --format xlsx --answers -o practice.xlsx
      (writes practice.xlsx for the students and practice-key.xlsx, the answer key, beside it)
  python -m byhand worksheet residual --seed 5 --variants 10 --format zip --answers -o pack.zip
  python -m byhand worksheet residual --seed 3 --size features=4 --low 0 --high 5 -o big.pdf
  python -m byhand gif encoder --seed 7 -o encoder.gif
  python -m byhand worksheet --example ex.json --answers -o ex.pdf
  python -m byhand worksheet --link 'http://localhost:8501/residual_block?d=2&n=2&m.X=1,2;3,4' -o ex.xlsx
  python -m byhand gif --link 'http://localhost:8501/conv_block?block=basic&sc=zero_pad&s=2' -o conv.gif

--example FILE prints the example a page saved (Example (JSON)); --link URL the example of a page's
shared link (Copy the address). Either replaces the block type, --seed, --size, --low and --high.

A spreadsheet never holds its answers: with --answers, -o x.xlsx writes x.xlsx (the students' file,
its self-checks compare check codes) and x-key.xlsx (the answer key), also for a class pack.

block types: {blocks}
"""


class _Parser(argparse.ArgumentParser):
    """argparse that names the program in its errors and exits with status 2."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def _whole(what: str, low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high``, refused with the range otherwise.

    >>> _whole("--decimals", 0, 6)("3"), _whole("--low", -99, 99)("-5")
    (3, -5)
    """
    def read(text: str) -> int:
        t = text.strip()
        if not re.fullmatch(r"[+-]?\d{1,12}", t):
            raise argparse.ArgumentTypeError(f"{quote(text)} is not a whole number: {what} takes one from "
                                             f"{low:,} to {high:,}")
        if not low <= int(t) <= high:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number from {low:,} to {high:,}, "
                                             f"not {int(t):,}")
        return int(t)
    return read


def _size(text: str) -> tuple[str, int]:
    name, eq, value = text.partition("=")
    if not eq or not name.strip():
        raise argparse.ArgumentTypeError(f"a size reads NAME=N, e.g. features=4, not {text!r}")
    return name.strip(), _int(value)


MAX_DECIMALS = 6  # as the worksheets allow (``render.pdf.check_options``)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m byhand``."""
    from .practice import MAX_SEED
    from .render.gif import MAX_WIDTH as GIF_MAX_WIDTH
    from .render.gif import MIN_WIDTH as GIF_MIN_WIDTH
    from .render.pack import MAX_VARIANTS

    blocks = ", ".join(f"{k} ({'/'.join(v.names_of_sizes)})" for k, v in BLOCKS.items())
    p = _Parser(prog="python -m byhand", description="ByHand: deep-learning blocks worked out by hand.",
                epilog=EPILOG.format(blocks=blocks), formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("block", nargs="?", help=f"the block type: {', '.join(BLOCKS)} "
                                                  "(or --example / --link)")
        q.add_argument("--example", metavar="FILE", help="an example file (JSON) saved from a page")
        q.add_argument("--link", metavar="URL", help="a page's shared link: exactly the example it shows")
        q.add_argument("--seed", type=_whole("--seed", 0, MAX_SEED), help="the example's seed (default 0)")
        q.add_argument("--size", type=_size, action="append", default=[], metavar="NAME=N",
                       help="a size other than the default, e.g. features=4 (repeat for more)")
        q.add_argument("--low", type=_whole("--low", -VALUE_RANGE, VALUE_RANGE),
                       help=f"lowest random value, -{VALUE_RANGE} to {VALUE_RANGE} (default -2)")
        q.add_argument("--high", type=_whole("--high", -VALUE_RANGE, VALUE_RANGE),
                       help=f"highest random value, -{VALUE_RANGE} to {VALUE_RANGE} (default 2)")
        q.add_argument("--decimals", type=_whole("--decimals", 0, MAX_DECIMALS), default=3,
                       help=f"decimal places for floats, 0 to {MAX_DECIMALS} (default 3)")
        q.add_argument("-o", "--output", required=True, help="the file to write")

    w = sub.add_parser("worksheet", help="a worksheet or a class pack (PDF, XLSX or ZIP)",
                       description="Write a worksheet, or a class pack of variants with seeds S, S+1, …",
                       epilog=EPILOG.format(blocks=blocks),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    common(w)
    w.add_argument("--variants", type=_whole("--variants", 1, MAX_VARIANTS), default=1,
                   help=f"how many variants, 1 to {MAX_VARIANTS} (default 1)")
    w.add_argument("--format", choices=("pdf", "xlsx", "zip"),
                   help="output format (default: from the file's extension)")
    w.add_argument("--blank", default="all", help="which cells are blank: all, last or share:P (default all)")
    w.add_argument("--kind", choices=("worked", "practice", "empty"), default="practice",
                   help="worked (all values), practice (blanks) or empty (layout only); default practice")
    w.add_argument("--answers", action="store_true",
                   help="add the answer key(s): at the end of a PDF, as answer-keys.pdf/.xlsx in a ZIP; "
                        "for XLSX as a file of its own, -o x.xlsx → x.xlsx and x-key.xlsx")
    w.add_argument("--paper", choices=("a4", "letter"), default="a4", help="PDF paper size (default a4)")

    g = sub.add_parser("gif", help="an animated GIF of a walkthrough, one frame per step",
                       description="Write an animated GIF of a walkthrough for slides.",
                       epilog=EPILOG.format(blocks=blocks),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    common(g)
    g.add_argument("--width", type=_whole("--width", GIF_MIN_WIDTH, GIF_MAX_WIDTH), default=960,
                   help=f"width in pixels, {GIF_MIN_WIDTH} to {GIF_MAX_WIDTH} (default 960)")
    g.add_argument("--seconds", type=float, default=2.5, help="seconds per frame (default 2.5)")
    return p


def _spec(args):
    from .practice import ExerciseSpec

    if args.block not in BLOCKS:
        raise ByHandError(f"unknown block type {args.block!r}; choose one of: {', '.join(BLOCKS)}.")
    sizes = dict(args.size)
    low, high = -2 if args.low is None else args.low, 2 if args.high is None else args.high
    return ExerciseSpec(args.block, args.seed or 0, sizes, low, high, getattr(args, "blank", "all"))


def _check_source(args) -> None:
    """Exactly one of a block type, --example and --link; no seeded example's options with an example."""
    given = [what for what, v in (("a block type", args.block), ("--example", args.example),
                                  ("--link", args.link)) if v is not None]
    if len(given) != 1:
        raise ByHandError("give a block type (with --seed …), --example FILE or --link URL"
                          + (f", not {' and '.join(given)} together." if given else "."))
    if args.block is None:
        seeded = [option for option, v in (("--seed", args.seed), ("--size", args.size or None),
                                           ("--low", args.low), ("--high", args.high)) if v is not None]
        if getattr(args, "variants", 1) != 1:
            seeded.append("--variants")
        if seeded:
            raise ByHandError(f"{given[0]} prints exactly one given example: {', '.join(seeded)} "
                              "belong to a seeded example (give a block type instead).")


def _read_file(path: str) -> str:
    """An example file's text, refused unread when it is larger than an example file can be."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_EXAMPLE_LEN + 1)
    except FileNotFoundError:
        raise ByHandError(f"there is no file {path}.") from None
    except IsADirectoryError:
        raise ByHandError(f"{path} is a folder, not an example file.") from None
    except OSError as e:
        raise ByHandError(f"cannot read {path}: {e.strerror}.") from None
    if len(data) > MAX_EXAMPLE_LEN:
        raise ByHandError(f"{path}: the file is over {MAX_EXAMPLE_LEN:,} bytes; an example file is smaller.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ByHandError(f"{path}: not a text file (UTF-8).") from None


def _given_example(args):
    """The walkthrough of --example or --link, and what the link held that the page would not use."""
    from .example import example_walkthrough, read_example_json, read_link

    if args.example is not None:
        text = _read_file(args.example)
        try:
            block, rows, options = read_example_json(text)
        except ByHandError as e:
            raise ByHandError(f"{args.example}: {e}") from None
        messages: list[str] = []
    else:
        try:
            block, rows, options, messages = read_link(args.link)
        except ByHandError as e:
            raise ByHandError(f"the link: {e}") from None
    return example_walkthrough(block, rows, options), messages


def _with_key(student: bytes, key, answers: bool) -> list[tuple[str, bytes]]:
    """An XLSX worksheet and, with --answers, its key as a file of its own (``-key`` after the stem)."""
    return [("", student), ("-key", key())] if answers else [("", student)]


def _run(args) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The files to write (a suffix for the output's stem, and bytes) and the notes to show (what
    a link held that its page would not use)."""
    _check_source(args)
    if args.command == "gif":
        from .render.gif import walkthrough_gif

        wt, notes = _given_example(args) if args.block is None else (_spec(args).walkthrough(), [])
        return [("", walkthrough_gif(wt, args.decimals, width=args.width, seconds=args.seconds))], notes
    from .practice import make_exercise
    from .render.pack import class_pack, class_pack_key_xlsx, variant_specs
    from .render.pdf import check_options, worksheet_pdf
    from .render.xlsx import answer_key_xlsx, worksheet_xlsx

    fmt = args.format or Path(args.output).suffix.lower().lstrip(".")
    if fmt not in ("pdf", "xlsx", "zip"):
        raise ByHandError(f"cannot tell the format from {args.output!r}: add --format pdf, xlsx or zip.")
    check_options(args.kind, args.paper, args.decimals)
    if args.block is None:
        if fmt == "zip":
            raise ByHandError("a ZIP is a class pack of seeded variants; a given example prints as pdf or "
                              "xlsx.")
        wt, notes = _given_example(args)
        ex = make_exercise(wt, args.blank)
        if fmt == "pdf":
            return [("", worksheet_pdf(ex, args.kind, args.answers, args.paper, args.decimals))], notes
        return _with_key(worksheet_xlsx(ex, args.kind, decimals=args.decimals),
                         lambda: answer_key_xlsx(ex, args.kind, args.decimals), args.answers), notes
    spec = _spec(args)
    variant_specs(spec, args.variants)  # checks the count before any work
    if args.variants == 1 and fmt == "pdf":
        return [("", worksheet_pdf(spec.exercise(), args.kind, args.answers, args.paper, args.decimals))], []
    if args.variants == 1 and fmt == "xlsx":
        ex = spec.exercise()
        return _with_key(worksheet_xlsx(ex, args.kind, decimals=args.decimals),
                         lambda: answer_key_xlsx(ex, args.kind, args.decimals), args.answers), []
    pack = class_pack(spec, args.variants, fmt, args.kind, args.answers, args.paper, args.decimals)
    if fmt == "xlsx":
        return _with_key(pack, lambda: class_pack_key_xlsx(spec, args.variants, args.kind, args.decimals),
                         args.answers), []
    return [("", pack)], []


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 done, 2 bad options, 1 cannot write)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = Path(args.output)
    if out.is_dir():
        parser.exit(2, f"{parser.prog}: error: {out} is a directory; give a file name with -o.\n")
    if not out.parent.exists():
        parser.exit(2, f"{parser.prog}: error: the folder {out.parent} does not exist.\n")
    try:
        files, notes = _run(args)
    except ByHandError as e:
        parser.exit(2, f"{parser.prog}: error: {e}\n")
    for note in notes:
        print(f"{parser.prog}: note: {note}", file=sys.stderr)
    for suffix, data in files:
        path = out.with_name(f"{out.stem}{suffix}{out.suffix}") if suffix else out
        try:
            path.write_bytes(data)
        except OSError as e:
            print(f"{parser.prog}: error: cannot write {path}: {e.strerror}", file=sys.stderr)
            return 1
        print(f"wrote {path} ({len(data):,} bytes)")
    return 0
