"""``python -m byhand``: the command line (see ``byhand.cli``)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
