"""The command line's options are checked with their ranges (issue 15 §6): a value out of range or not a
whole number exits with status 2 and a message that says the range, before any work; nothing is written."""

from __future__ import annotations

import pytest

from byhand.cli import main

W, G = ("worksheet", "residual"), ("gif", "residual")
CASES = [  # arguments, words the message must hold
    ([*G, "--decimals", "99"], "--decimals must be a whole number from 0 to 6, not 99"),
    ([*G, "--decimals", "-5"], "--decimals must be a whole number from 0 to 6, not -5"),
    ([*W, "--decimals", "7"], "from 0 to 6, not 7"),
    ([*W, "--decimals", "1e5"], "'1e5' is not a whole number: --decimals takes one from 0 to 6"),
    ([*W, "--variants", "0"], "--variants must be a whole number from 1 to 200, not 0"),
    ([*W, "--variants", "201"], "from 1 to 200, not 201"),
    ([*W, "--variants", "9" * 5000], "is not a whole number: --variants takes one from 1 to 200"),
    ([*W, "--seed", "4294967296"], "--seed must be a whole number from 0 to 4,294,967,295"),
    ([*W, "--seed", "-1"], "--seed must be a whole number from 0 to 4,294,967,295, not -1"),
    ([*W, "--low", "-100"], "--low must be a whole number from -99 to 99, not -100"),
    ([*W, "--high", "1_000"], "'1_000' is not a whole number: --high takes one from -99 to 99"),
    ([*W, "--low", "5", "--high", "1"], "must be whole numbers within -99..99, lowest first"),
    ([*W, "--size", "features=9"], "features must be a whole number from 1 to 8, not 9"),
    ([*W, "--size", "features=0"], "from 1 to 8, not 0"),
    ([*G, "--width", "99999999"], "--width must be a whole number from 320 to 2,400"),
    ([*G, "--seconds", "nan"], "from 0.1 to 60 seconds"),
    ([*W, "--blank", "share:99"], "share from 0 to 1"),
]


@pytest.mark.parametrize("args, words", CASES, ids=[" ".join(a[2:])[:30] for a, _ in CASES])
def test_an_option_out_of_range_exits_2_saying_the_range(args, words, tmp_path, capsys):
    out = tmp_path / ("x.gif" if args[0] == "gif" else "x.pdf")
    with pytest.raises(SystemExit) as e:
        main([*args, "-o", str(out)])
    err = capsys.readouterr().err
    assert e.value.code == 2
    assert words in err, err
    assert "Traceback" not in err and len(err) < 2000  # the value is quoted cut, never whole
    assert not out.exists()


@pytest.mark.parametrize("args", [[*G, "--decimals", "0", "--width", "320"],
                                  [*W, "--decimals", "6", "--seed", "4294967295",
                                   "--low", "-99", "--high", "99", "--size", "features=8"]])
def test_the_ends_of_every_range_are_allowed(args, tmp_path):
    out = tmp_path / ("x.gif" if args[0] == "gif" else "x.pdf")
    assert main([*args, "-o", str(out)]) == 0
    assert out.stat().st_size > 0
