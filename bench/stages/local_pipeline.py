"""Local mode end to end: ingest latency at 20 and 100 requests a second, the handlers'
durations on the emulator and the alert latency. Returns, beside its results, the
handlers' median durations and what each did per record (its own CPU, its AWS calls,
the bytes it logged), which the cost stage reads."""

from __future__ import annotations

import os
import shutil
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.results import FunctionUse, HandlerDurations, Result

STATE_DIR = Path(".cardwatch/bench")


@contextmanager
def _counted_calls() -> Iterator[dict[str, Counter[str]]]:
    """Every AWS call made while an invocation runs on the calling thread, counted by
    function and ``service.Operation`` (botocore's one call path, wrapped for the
    block)."""
    from botocore.client import BaseClient

    from cardwatch.local.runtime.lambda_runtime import running_function

    counted: dict[str, Counter[str]] = defaultdict(Counter)
    original = BaseClient._make_api_call

    def counting(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        key = running_function()
        if key is not None:
            counted[key][f"{self.meta.service_model.service_name}.{operation_name}"] += 1
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = counting
    try:
        yield counted
    finally:
        BaseClient._make_api_call = original


@contextmanager
def _fold_on_invoking_thread() -> Iterator[None]:
    """aggregate folds on its invoking thread for the block, so that its CPU and its
    calls are counted as its own (its pool's threads are not the invocation's)."""
    saved = os.environ.get("FOLD_THREADS")
    os.environ["FOLD_THREADS"] = "1"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("FOLD_THREADS", None)
        else:
            os.environ["FOLD_THREADS"] = saved


def _uses(pipeline: Any, counted: dict[str, Counter[str]]) -> dict[str, FunctionUse]:
    """Per function: its own CPU per record (the median invocation's), its calls and the
    bytes it logged per record."""
    uses = {}
    for key, invocations in pipeline.functions.invocations.items():
        if not invocations:
            continue
        records = sum(i.records for i in invocations)
        log = STATE_DIR / "logs" / f"{pipeline.blueprint.functions[key].name}.log"
        uses[key] = FunctionUse(
            invocations=len(invocations),
            records=records,
            cpu_ms=statistics.median(i.cpu_ms / max(1, i.records) for i in invocations),
            calls={call: n / records for call, n in sorted(counted[key].items())},
            log_bytes=(log.stat().st_size if log.exists() else 0) / records,
        )
    return uses


def run() -> tuple[list[Result], HandlerDurations]:
    import boto3
    import httpx

    from cardwatch.local.runtime.event_wiring import wait_until
    from cardwatch.local.runtime.pipeline import LocalPipeline, LocalSettings
    from cardwatch.local.sender import encode_body, send_all
    from cardwatch.simulation.traffic import demo_pan, demo_traffic

    results: list[Result] = []
    handler_ms: dict[str, float] = {}
    settings = LocalSettings(port=0, analyze_every_seconds=3600, state_dir=STATE_DIR)
    shutil.rmtree(STATE_DIR / "logs", ignore_errors=True)  # bytes logged: this run's
    # the fold's override goes in after the pipeline sets every function's environment
    with (
        _counted_calls() as counted,
        LocalPipeline(settings) as pipeline,
        _fold_on_invoking_thread(),
    ):
        assert pipeline.made is not None
        table = pipeline.blueprint.profile_table_name
        idle = _bare_put_ms(table, "idle", 300)
        # R000-30's figure at a rate the local stack sustains with detect working beside
        # it, then issue 18's at 100 requests a second, which it does not
        steady = send_all(
            demo_traffic(300, seed=10),
            pipeline.api_url,
            pipeline.api_key,
            rate=20,
            console=Console(quiet=True),
            clients=4,
        )
        results += [
            Result(
                f"ingest: POST /transactions at 20 req/s ({name})",
                steady.percentile(share),
                "ms",
                200 if name == "p50" else None,
                idle,
                steady.percentile(share) / idle,
                note=f"{steady.rate:.0f} req/s reached from 4 clients; baseline: bare "
                "put_item to the same emulator, idle",
            )
            for name, share in (("p50", 0.5), ("p99", 0.99))
        ]
        planned = demo_traffic(500, seed=11)
        summary = send_all(
            planned,
            pipeline.api_url,
            pipeline.api_key,
            rate=100,
            total=len(planned),
            console=Console(quiet=True),
            clients=16,
        )
        busy = _bare_put_ms(table, "busy", 300)  # while detect works off the traffic
        p50, p99 = summary.percentile(0.5), summary.percentile(0.99)
        reached = f"{summary.rate:.0f} req/s reached from 16 clients"
        results += [
            Result(
                "ingest: POST /transactions at 100 req/s (p50)",
                p50,
                "ms",
                None,
                idle,
                p50 / idle,
                note=f"{reached}; local gateway + handler + emulator; baseline: bare "
                "put_item to the same emulator, idle",
            ),
            Result(
                "ingest: POST /transactions at 100 req/s (p99)",
                p99,
                "ms",
                150,
                busy,
                p99 / busy,
                note=f"{reached}; baseline: bare put_item while detect works off the traffic",
            ),
        ]
        sqs = boto3.client("sqs")
        alerts_url = pipeline.made.queue_urls[pipeline.blueprint.alerts_queue.name]
        # Let detect finish the traffic above, so each burst is timed on its own.
        functions = pipeline.functions
        assert functions is not None
        accepted = summary.statuses[201] + steady.statuses[201]
        wait_until(lambda: len(functions.durations["detect"]) >= accepted, timeout=600)
        headers = {"x-api-key": pipeline.api_key, "content-type": "application/json"}
        latencies = []
        with httpx.Client(base_url=pipeline.api_url, headers=headers) as client:
            for burst in range(5):
                while drained := sqs.receive_message(
                    QueueUrl=alerts_url, MaxNumberOfMessages=10
                ).get("Messages"):
                    for message in drained:
                        sqs.delete_message(
                            QueueUrl=alerts_url, ReceiptHandle=message["ReceiptHandle"]
                        )
                pan = demo_pan(f"bench-burst-{burst}")
                now = datetime.now(UTC)
                for k in range(7):
                    moment = (
                        (now - timedelta(seconds=30 - 4 * k)).isoformat().replace("+00:00", "Z")
                    )
                    client.post(
                        "/transactions",
                        content=encode_body(
                            {
                                "transaction_id": f"bench-{burst}-{k}",
                                "user_id": f"b{burst}",
                                "card_number": pan,
                                "terminal_id": "web-9",
                                "currency": "USD",
                                "amount": Decimal("150.00") if k == 0 else Decimal("1.00"),
                                "timestamp": moment,
                            }
                        ),
                    )
                sent = time.perf_counter()
                got: list[dict[str, object]] = []

                def arrived(store: list[dict[str, object]] = got) -> bool:
                    store.extend(
                        sqs.receive_message(
                            QueueUrl=alerts_url, WaitTimeSeconds=0, MaxNumberOfMessages=10
                        ).get("Messages", [])
                    )
                    return bool(store)

                if wait_until(arrived, timeout=30, step=0.02):
                    latencies.append((time.perf_counter() - sent) * 1000)
        assert pipeline.functions is not None
        for key, durations in pipeline.functions.durations.items():
            if durations:
                handler_ms[key] = statistics.median(durations)
                results.append(
                    Result(
                        f"handler duration: {key} (median, on the emulator)",
                        handler_ms[key],
                        "ms",
                        note=f"{len(durations)} invocations",
                    )
                )
        results.append(
            Result(
                "alert latency: last POST to alert queue (max of 5 bursts)",
                max(latencies) if latencies else float("nan"),
                "ms",
                1000,
                note=f"{len(latencies)} of 5 bursts alerted",
            )
        )
    uses = _uses(pipeline, counted)  # closed: the logs are flushed
    results += [
        Result(
            f"own CPU per record: {key} (median, emulator's time taken out)",
            round(use.cpu_ms, 2),
            "ms",
            note=f"{use.invocations} invocations, {use.records} records; the "
            "invocation thread's CPU time",
        )
        for key, use in uses.items()
    ]
    return results, HandlerDurations(handler_ms, uses)


def _bare_put_ms(table: str, tag: str, count: int) -> float:
    """Median milliseconds of a bare ``put_item`` to the emulator (the baseline)."""
    import boto3

    ddb = boto3.client("dynamodb")
    taken = []
    for n in range(count):
        started = time.perf_counter()
        ddb.put_item(
            TableName=table,
            Item={"entity": {"S": f"bench#{tag}#{n}"}, "slot": {"S": "-"}, "v": {"N": "1"}},
        )
        taken.append((time.perf_counter() - started) * 1000)
    return statistics.median(taken)
