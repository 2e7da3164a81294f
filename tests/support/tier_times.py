"""At the end of a run, each tier's test time (setup, call and teardown, summed over the
workers when pytest-xdist runs them side by side) and its count, slowest tier first:
where a run's time goes, printed by every run, CI's included."""

from __future__ import annotations

from collections import Counter

import pytest

_seconds: Counter[str] = Counter()
_tests: Counter[str] = Counter()


def _tier(nodeid: str) -> str:
    parts = nodeid.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else parts[0].split("::")[0]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = _tier(report.nodeid)
    _seconds[tier] += report.duration
    if report.when == "call":
        _tests[tier] += 1


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if hasattr(config, "workerinput") or not _seconds:  # a worker: the controller prints
        return
    terminalreporter.section("test time per tier (summed over workers)")
    for tier, seconds in _seconds.most_common():
        terminalreporter.write_line(f"{tier:<14} {seconds:8.1f} s  {_tests[tier]:4d} tests")
