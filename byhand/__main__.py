"""``python -m byhand``: the command line (see ``byhand.cli``)."""

from .cli import main

raise SystemExit(main())
