"""`python -m bench.run`: the same command as `python -m bench` (bench/__main__.py), kept
as an alias; the stages live in bench/stages/."""

from __future__ import annotations

import sys

from bench.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
