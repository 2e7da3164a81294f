"""``cardwatch replay``: send transactions through the HTTP API and watch the alerts."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import boto3
import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from cardwatch.local.traffic import Planned

__all__ = ["AlertWatcher", "ReplaySummary", "encode_body", "send_all"]


def encode_body(body: dict[str, Any]) -> str:
    """JSON with every Decimal written as an exact JSON number (never via float)."""
    marks: dict[str, str] = {}

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            key = f"__decimal_{len(marks)}__"
            marks[key] = str(value)
            return key
        return value

    text = json.dumps({key: mark(value) for key, value in body.items()})
    for key, digits in marks.items():
        text = text.replace(f'"{key}"', digits)
    return text


@dataclass(slots=True)
class ReplaySummary:
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)
    fraud_sent: dict[str, str] = field(default_factory=dict)  # transaction id -> kind
    seconds: float = 0.0

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class AlertWatcher:
    """Reads the SNS-subscribed alert queue in the background and prints each alert."""

    def __init__(
        self, queue_url: str, endpoint: str, region: str, console: Console | None = None
    ) -> None:
        self._url = queue_url
        self._sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=region)
        self._console = console
        self.alerts: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="alert-watcher")

    def start(self) -> AlertWatcher:
        self._thread.start()
        return self

    def stop(self, linger: float = 0.0) -> None:
        if linger:
            time.sleep(linger)
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            messages = self._sqs.receive_message(
                QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
            for message in messages:
                envelope = json.loads(message["Body"])
                alert = {
                    "subject": envelope.get("Subject", ""),
                    "message": envelope.get("Message", ""),
                    "severity": envelope.get("MessageAttributes", {})
                    .get("severity", {})
                    .get("Value", ""),
                }
                self.alerts.append(alert)
                if self._console is not None:
                    self._console.print(f"[bold red]ALERT[/] {alert['subject']}")
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])


def send_all(
    planned: Iterable[Planned],
    api_url: str,
    api_key: str,
    *,
    rate: float,
    total: int | None = None,
    console: Console | None = None,
) -> ReplaySummary:
    """POST each body at ``rate`` requests a second, with a progress bar."""
    console = console or Console()
    summary = ReplaySummary()
    interval = 1.0 / rate if rate > 0 else 0.0
    started = time.perf_counter()
    headers = {"x-api-key": api_key, "content-type": "application/json"}
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with (
        httpx.Client(base_url=api_url, headers=headers, timeout=30) as client,
        Progress(*columns, console=console) as progress,
    ):
        task = progress.add_task("sending transactions", total=total)
        for n, item in enumerate(planned):
            due = started + n * interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            sent_at = time.perf_counter()
            response = client.post("/transactions", content=encode_body(item.body))
            summary.latencies_ms.append((time.perf_counter() - sent_at) * 1000)
            summary.statuses[response.status_code] += 1
            if item.is_fraud:
                summary.fraud_sent[item.body["transaction_id"]] = item.kind
            progress.advance(task)
    summary.seconds = time.perf_counter() - started
    return summary


def summary_table(summary: ReplaySummary, alerts: int) -> Table:
    table = Table(title="replay summary")
    table.add_column("measure")
    table.add_column("value", justify="right")
    accepted = summary.statuses.get(201, 0)
    rejected = sum(n for status, n in summary.statuses.items() if 400 <= status < 500)
    rows = [
        ("sent", f"{summary.sent:,} in {summary.seconds:.1f} s"),
        ("accepted (201)", f"{accepted:,}"),
        ("rejected (4xx)", f"{rejected:,}"),
        ("server errors (5xx)", f"{sum(n for s, n in summary.statuses.items() if s >= 500):,}"),
        ("fraudulent sent", f"{len(summary.fraud_sent):,}"),
        ("alerts received", f"{alerts:,}"),
        (
            "latency p50 / p95 / p99",
            f"{summary.percentile(0.5):.1f} / "
            f"{summary.percentile(0.95):.1f} / "
            f"{summary.percentile(0.99):.1f} ms",
        ),
    ]
    if summary.latencies_ms:
        rows.append(("latency mean", f"{statistics.fmean(summary.latencies_ms):.1f} ms"))
    for name, value in rows:
        table.add_row(name, value)
    return table
