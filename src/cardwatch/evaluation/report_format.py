"""How the evaluation reports print their numbers, in tables and in JSON, and where.

A number that is not defined (the precision of nothing flagged, a measure on days with
no fraud) is "—" in a table and null in JSON, never ``nan``; a number that rounds to
zero is zero, never ``-0.000``. Piped, a report prints at the width of its content: a
program or a pager reads every cell whole, never "we…" for "week of".
"""

from __future__ import annotations

import math
import sys
from typing import IO

from rich.console import Console

__all__ = ["UNDEFINED", "cell", "json_number", "report_console", "signed_cell"]

#: What a table shows for a number that is not defined.
UNDEFINED = "—"
#: The width a report prints at when not on a terminal: wider than any of its tables,
#: so rich neither folds nor cuts a cell (it falls back to 80 columns otherwise).
_PIPED_WIDTH = 10_000
#: Decimal places a JSON report keeps (a measure's noise beyond them says nothing).
_JSON_PLACES = 6


def report_console(
    *, stderr: bool = False, file: IO[str] | None = None, quiet: bool = False
) -> Console:
    """A console for a report or a command's output: a terminal's own width; otherwise
    (piped, a file) wide enough that every table prints whole (``stderr``: for progress
    beside a JSON report)."""
    stream = file if file is not None else (sys.stderr if stderr else sys.stdout)
    width = None if stream.isatty() else _PIPED_WIDTH
    return Console(file=file, stderr=stderr, width=width, quiet=quiet)


def _defined(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def cell(value: float | None, form: str) -> str:
    """``value`` formatted by ``form`` (``".3f"``, ``".2%"``...), "—" when undefined,
    and without a sign when it rounds to zero."""
    if value is None or not _defined(value):
        return UNDEFINED
    text = format(value, form)
    if not any(digit in text for digit in "123456789"):  # rounds to zero: no sign
        text = format(abs(value), form.replace("+", ""))
    return text


def signed_cell(value: float | None, form: str) -> str:
    """A change: "+0.0123" or "-0.0123", and "0.0000" (no sign) when it rounds to zero."""
    return cell(value, "+" + form)


def json_number(value: float | None, places: int = _JSON_PLACES) -> float | None:
    """``value`` for a JSON report: a number rounded to ``places``, None when undefined
    (JSON has no NaN), and 0.0 rather than -0.0."""
    if value is None or not _defined(value):
        return None
    return round(float(value), places) + 0.0
