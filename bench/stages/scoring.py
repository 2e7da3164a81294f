"""The engine's cost per transaction: features, rules and the model, against the same
without the model."""

from __future__ import annotations

import statistics
import time

from bench import workloads
from bench.results import Result
from cardwatch.adapters.memory import InMemoryState
from cardwatch.domain.engine.detection import Detector
from cardwatch.domain.engine.features import Observation
from cardwatch.domain.engine.model_store import default_model
from cardwatch.domain.engine.rules import default_policy


def _time_each(detector: Detector, observations: list[Observation]) -> list[float]:
    timings = []
    for obs in observations:
        started = time.perf_counter_ns()
        detector.assess(obs)
        timings.append((time.perf_counter_ns() - started) / 1000)
    return timings


def run() -> list[Result]:
    observations = workloads.observations(60_000)
    with_model = _time_each(
        Detector(InMemoryState(), default_policy(), default_model()), observations
    )
    rules_only = _time_each(Detector(InMemoryState(), default_policy()), observations)
    median, base = statistics.median(with_model), statistics.median(rules_only)
    return [
        Result(
            "scoring: engine per transaction (median)",
            median,
            "us",
            200,
            base,
            median / base,
            note="features + rules + 60-tree model; baseline: no model",
        ),
        Result(
            "scoring: engine per transaction (p99)",
            statistics.quantiles(with_model, n=100)[98],
            "us",
        ),
    ]
