"""Pattern analysis of a 300,000-transaction window, against one pass over it."""

from __future__ import annotations

import time

from bench import workloads
from bench.results import Result
from cardwatch.domain.engine.patterns import find_patterns


def run() -> list[Result]:
    window = workloads.window(300_000)
    started = time.perf_counter()
    find_patterns(window)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    total = sum(t.amount for t in window)  # the least any analysis must do: read each one
    baseline = time.perf_counter() - started
    assert total > 0
    return [
        Result(
            "analysis: 300,000-transaction window",
            seconds,
            "s",
            5,
            baseline,
            seconds / baseline,
            note="baseline: one pass summing amounts",
        )
    ]
