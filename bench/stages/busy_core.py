"""A backtest with one of the machine's cores taken, against idle and serial runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from bench.results import Result


def run() -> list[Result]:
    """A backtest while another process keeps one core busy, against the same backtest
    on the idle machine (OpenMP threads that spin on a taken core stall a fit).

    The backtest keeps its state and fits its models in worker processes on the second
    core when it is free (``state_worker``, ``fit_ahead``), so on the idle machine it runs
    faster than serially; with that core taken it can lose up to that gain. The
    pathology this guards against is a job many times slower than it would be serially:
    the target holds the busy run against the same backtest run serially (one process)
    on the idle machine."""
    import io
    from dataclasses import replace

    from cardwatch.evaluation.backtest import run_backtest
    from cardwatch.evaluation.replay import ReplaySettings
    from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv

    data = Path(".cardwatch/bench-busy-core.csv")
    if not data.exists():
        data.parent.mkdir(exist_ok=True)
        write_csv(simulate(SimulationSettings(customers=1000, terminals=2000, days=70)), data)

    def seconds(settings: ReplaySettings) -> float:
        started = time.perf_counter()
        run_backtest(data, None, settings, console=Console(file=io.StringIO()))
        return time.perf_counter() - started

    idle = seconds(ReplaySettings())
    serial = seconds(replace(ReplaySettings(), fit_ahead=False, state_worker=False))
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        busy = seconds(ReplaySettings())
    finally:
        spinner.kill()
        spinner.wait()
    return [
        Result(
            "backtest with one core busy, against idle",
            busy / idle,
            "x",
            2.0,
            note=f"{busy:.1f} s busy, {idle:.1f} s idle (state and fits on the second core); "
            "1,000 cards, 70 days; losing one of two cores costs at most its share",
        ),
        Result(
            "backtest with one core busy, against a serial run on the idle machine",
            busy / serial,
            "x",
            1.5,
            note=f"{busy:.1f} s busy, {serial:.1f} s serial (one process) idle; "
            "fits bounded to half the cores",
        ),
    ]
