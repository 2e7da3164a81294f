"""The concurrency tier prints what it drove and what it injected at the end of a run."""

from __future__ import annotations

from collections import Counter

import pytest

FIGURES: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("concurrency figures")
        for name, value in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{name}: {value}")
