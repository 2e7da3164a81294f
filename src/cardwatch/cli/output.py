"""How the commands print: to a terminal at its width; piped, at the width of what is
printed (a program or a pager reads every cell whole, never "we…" for "week"). The
evaluation reports' console, which is this one."""

from __future__ import annotations

from cardwatch.evaluation.report_format import report_console as console

__all__ = ["console"]
