"""``POST /decisions``: the local stack's answer time beside a bare emulator call, the
round trips a decision makes, and the answer time on AWS modelled from them.

Locally, 300 decisions are asked one at a time (bursts of six on a card, as card testing
comes), then 300 from 8 clients at once; beside them, 300 bare ``GetItem`` calls to the
same emulator, the floor every round trip of the local stack stands on. The decide
function's own calls are counted per decision (botocore's hooks, in this process), and
the engine's scoring (rules and model on the feature vector) is timed where it runs.

On AWS the answer is modelled, not measured: the decision's sequential rounds of
DynamoDB calls (the calls of a round are made side by side) at DynamoDB's published
single-digit-millisecond latency, 5 ms a call at the median (the cost model's figure,
:mod:`bench.latencies`) and 10 ms at the 99th percentile (the top of "single-digit"),
plus the scoring time measured here. The p99 adds the rounds' p99s, which is above the
p99 of their sum: an upper bound. API Gateway's and Lambda's own overhead is not in it.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.latencies import DYNAMODB_SINGLE_MS
from bench.results import Result

DECISIONS = 300
BARE_CALLS = 300
#: DynamoDB's published latency is "single-digit milliseconds": the model's p99 per call
DYNAMODB_P99_MS = 10.0
#: the decision's sequential rounds: the id's guard; the registration (the card event
#: and its first-visit claims, side by side); the state's read (four to seven queries,
#: side by side); the item with its decision
ROUNDS = 4
#: the threads a decision's calls run on besides its own: its deadline's, and the state
#: store's parallel calls (only the decide function's state store makes them side by side)
_DECIDE_THREADS = ("decision-state", "state-call")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _bodies(prefix: str, count: int) -> list[dict[str, Any]]:
    from datetime import UTC, datetime

    from cardwatch.simulation.traffic import demo_pan

    stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return [
        {
            "transaction_id": f"{prefix}-{n}",
            "user_id": f"{prefix}-user-{n // 6}",
            "amount": 180 if n % 6 == 0 else 1,
            "currency": "USD",
            "timestamp": stamp,
            "terminal_id": f"{prefix}-shop-{n % 40}",
            "card_number": demo_pan(f"{prefix}-card-{n // 6}"),
            "channel": "ecommerce",
            "device_id": f"{prefix}-device-{n // 6}",
            "ip_address": f"198.51.100.{n % 200}",
        }
        for n in range(count)
    ]


def _bare_calls(ddb: Any, table: str) -> list[float]:
    """Round trips of a bare GetItem to the emulator, in ms."""
    took = []
    for n in range(BARE_CALLS):
        started = time.perf_counter()
        ddb.get_item(TableName=table, Key={"entity": {"S": f"b#{n}"}, "slot": {"S": "-"}})
        took.append((time.perf_counter() - started) * 1000)
    return took


def _eight_at_once(api: Any) -> list[float]:
    """Answer times of decisions asked from 8 clients at once, in ms."""
    from concurrent.futures import ThreadPoolExecutor

    took: list[float] = []

    def ask(body: dict[str, Any]) -> None:
        started = time.perf_counter()
        api.post("/decisions", json=body)
        took.append((time.perf_counter() - started) * 1000)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(ask, _bodies("eight", DECISIONS)))
    return took


def _measure() -> dict[str, Any]:
    """The local figures: latencies, calls per decision, scoring times, answers."""
    import boto3
    import httpx
    from botocore.client import BaseClient

    from cardwatch.domain.engine.detection import Detector
    from cardwatch.local.runtime.lambda_runtime import running_function
    from cardwatch.local.runtime.pipeline import LocalPipeline, LocalSettings

    settings = LocalSettings(
        port=0, analyze_every_seconds=3600, state_dir=Path(".cardwatch/bench-decision")
    )
    scoring_ms: list[float] = []
    judge = Detector.judge

    def timed(self: Detector, transaction_id: str, x: list[float]) -> Any:
        started = time.perf_counter()
        try:
            return judge(self, transaction_id, x)
        finally:
            scoring_ms.append((time.perf_counter() - started) * 1000)

    calls: Counter[str] = Counter()
    counting = [False]
    make_call = BaseClient._make_api_call

    def count(self: Any, operation: str, params: dict[str, Any]) -> Any:
        # the decide function's own thread, its deadline's and the state's parallel calls
        thread = threading.current_thread().name
        ours = running_function() == "decide" or thread.startswith(_DECIDE_THREADS)
        if counting[0] and ours and self.meta.service_model.service_name == "dynamodb":
            calls[operation] += 1
        return make_call(self, operation, params)

    Detector.judge = timed  # type: ignore[method-assign]
    BaseClient._make_api_call = count  # type: ignore[method-assign]
    try:
        with LocalPipeline(settings) as pipeline:
            ddb = boto3.client("dynamodb")
            table = pipeline.blueprint.profile_table_name
            bare = _bare_calls(ddb, table)
            headers = {"x-api-key": pipeline.api_key}
            with httpx.Client(base_url=pipeline.api_url, headers=headers, timeout=60) as api:
                api.post("/decisions", json=_bodies("warm", 1)[0])  # the cold start
                scoring_ms.clear()
                counting[0] = True
                one_at_a_time, answers = [], Counter[str]()
                for body in _bodies("one", DECISIONS):
                    started = time.perf_counter()
                    said = api.post("/decisions", json=body)
                    one_at_a_time.append((time.perf_counter() - started) * 1000)
                    answers[said.json().get("decision", str(said.status_code))] += 1
                counting[0] = False
                per_decision = {op: n / DECISIONS for op, n in sorted(calls.items())}
                eight = _eight_at_once(api)
    finally:
        Detector.judge = judge  # type: ignore[method-assign]
        BaseClient._make_api_call = make_call  # type: ignore[method-assign]
    return {
        "bare": bare,
        "one_at_a_time": one_at_a_time,
        "eight": eight,
        "scoring_ms": scoring_ms,
        "per_decision": per_decision,
        "answers": answers,
    }


def run() -> list[Result]:
    measured = _measure()
    bare, one_at_a_time, eight = measured["bare"], measured["one_at_a_time"], measured["eight"]
    scoring_ms, per_decision, answers = (
        measured["scoring_ms"],
        measured["per_decision"],
        measured["answers"],
    )
    bare_p50, bare_p99 = _percentile(bare, 0.5), _percentile(bare, 0.99)
    score_p50, score_p99 = _percentile(scoring_ms, 0.5), _percentile(scoring_ms, 0.99)
    modelled_p50 = ROUNDS * DYNAMODB_SINGLE_MS + score_p50
    modelled_p99 = ROUNDS * DYNAMODB_P99_MS + score_p99
    total_calls = sum(per_decision.values())
    calls_note = ", ".join(f"{op} {n:.2f}" for op, n in per_decision.items())
    flagged = answers["review"] + answers["block"]
    return [
        Result(
            "decision: local answer, one at a time (p50)",
            round(statistics.median(one_at_a_time), 1),
            "ms",
            300,
            round(bare_p50, 2),
            round(statistics.median(one_at_a_time) / bare_p50, 1),
            note=f"{DECISIONS} decisions in card-testing runs of six ({flagged} challenged "
            "or declined); baseline: a bare GetItem to the same emulator (p50), ratio: "
            "answer / bare call",
        ),
        Result(
            "decision: local answer, one at a time (p99)",
            round(_percentile(one_at_a_time, 0.99), 1),
            "ms",
            baseline=round(bare_p99, 2),
            ratio=round(_percentile(one_at_a_time, 0.99) / bare_p99, 1),
            note="baseline: a bare GetItem to the same emulator (p99)",
        ),
        Result(
            "decision: local answer, 8 clients at once (p50)",
            round(_percentile(eight, 0.5), 1),
            "ms",
            baseline=round(bare_p50, 2),
            note="the emulator and every function (detect and aggregate behind the "
            "answers) share this machine's 2 cores",
        ),
        Result(
            "decision: local answer, 8 clients at once (p99)",
            round(_percentile(eight, 0.99), 1),
            "ms",
            baseline=round(bare_p99, 2),
        ),
        Result(
            "decision: DynamoDB calls per decision (counted)",
            round(total_calls, 2),
            "calls",
            note=f"{calls_note}; in {ROUNDS} sequential rounds (guard, registration, read, "
            "item), the calls of a round side by side",
        ),
        Result(
            "decision: scoring (rules and model on the features), p50 / p99",
            round(score_p50, 3),
            "ms",
            note=f"p99 {score_p99:.3f} ms; measured in the decide function, this machine",
        ),
        Result(
            "decision on AWS, modelled: p50",
            round(modelled_p50, 1),
            "ms",
            100,
            note=f"{ROUNDS} rounds x {DYNAMODB_SINGLE_MS:.0f} ms (DynamoDB, median) + "
            "scoring p50; API Gateway's and Lambda's own overhead not included",
        ),
        Result(
            "decision on AWS, modelled: p99 (upper bound)",
            round(modelled_p99, 1),
            "ms",
            100,
            note=f"{ROUNDS} rounds x {DYNAMODB_P99_MS:.0f} ms (DynamoDB's single-digit ms, "
            "its top) + scoring p99; the sum of the rounds' p99s bounds the sum's p99",
        ),
    ]
