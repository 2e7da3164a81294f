"""How the commands print: to a terminal at its width; piped, at the width of what is
printed (a program or a pager reads every cell whole, never "we…" for "week")."""

from __future__ import annotations

import sys

from rich.console import Console

__all__ = ["console"]

#: Wide enough that no table a command prints is folded or cut when piped.
_PIPED_WIDTH = 1000


def console(*, stderr: bool = False, quiet: bool = False) -> Console:
    """A console for a command's output (``stderr``: for progress beside a JSON report)."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else _PIPED_WIDTH
    return Console(stderr=stderr, quiet=quiet, width=width)
