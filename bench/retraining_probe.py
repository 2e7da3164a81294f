"""One retraining as the retrain function runs it, on a streamed decision log of N rows
(49 features each, 0.5 % frauds, every fraud labelled, the rest unlabelled and old
enough to count as genuine): ``python -m bench.retraining_probe N``. Prints the whole
run's seconds, the bare fit's seconds on the same rows (the baseline) and the peak RSS
in MB, as JSON. One thread, as on one Lambda vCPU."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np

from cardwatch.adapters.memory import InMemoryModelRegistry as DictModelRegistry
from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.engine.state import DAY_MS
from cardwatch.domain.ports import LabelledDecision
from cardwatch.training.fit import fit_artifact
from cardwatch.training.retraining import RetrainSettings, retrain, training_set

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


class StreamedLog:
    """The log as the Scan yields it: one row at a time, none kept."""

    def __init__(self, rows: int) -> None:
        self.rows = rows

    def labelled_decisions(self, start_ms: int, end_ms: int) -> Iterator[LabelledDecision]:
        rng = np.random.default_rng(1)
        step = 90 * DAY_MS // self.rows
        telling = FEATURES.index("c_small_count_1h")
        for first in range(0, self.rows, 10_000):
            values = rng.normal(size=(10_000, len(FEATURES)))
            fraud = rng.random(10_000) < 0.005
            values[fraud, telling] += 4
            for i in range(min(10_000, self.rows - first)):
                yield LabelledDecision(
                    NOW_MS - 90 * DAY_MS + (first + i) * step,
                    dict(zip(FEATURES, values[i].tolist(), strict=True)),
                    "fraud" if fraud[i] else None,
                )


def main() -> None:
    os.environ["CARDWATCH_THREADS"] = "1"
    rows = int(sys.argv[1])
    started = time.perf_counter()
    report = retrain(StreamedLog(rows), DictModelRegistry(), RetrainSettings(), NOW)
    whole = time.perf_counter() - started
    data = training_set(StreamedLog(rows).labelled_decisions(0, NOW_MS), NOW_MS, 7)
    started = time.perf_counter()
    fit_artifact(data.x, data.y, rows=np.arange(report.fitted))
    fit = time.perf_counter() - started
    with open("/proc/self/status") as status:
        hwm = next(line for line in status if line.startswith("VmHWM"))
    peak = int(hwm.split()[1]) / 1024
    print(
        json.dumps(
            {"seconds": whole, "fit_seconds": fit, "peak_mb": peak, "outcome": report.outcome}
        )
    )


if __name__ == "__main__":
    main()
