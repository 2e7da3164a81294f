"""``cardwatch replay``: send transactions through the HTTP API and watch the alerts."""

from __future__ import annotations

import hashlib
import json
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import httpx
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from cardwatch.domain.engine.authorization import Outcomes
from cardwatch.domain.engine.decisions import Decision
from cardwatch.domain.transaction.record import epoch_ms
from cardwatch.simulation.traffic import Planned

__all__ = ["AlertWatcher", "ReplaySummary", "encode_body", "fresh_ids", "run_tag", "send_all"]


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
    requested_rate: float = 0.0
    clients: int = 1
    #: the answer that means done: 201 (stored), 200 (decided)
    ok_status: int = 201
    #: sent to POST /decisions: by send order, (card, fraud or not, the decision)
    decisions: dict[int, tuple[str, bool, Decision]] = field(default_factory=dict)
    #: the transactions accepted: id -> its timestamp in epoch milliseconds (its key)
    accepted: dict[str, int] = field(default_factory=dict)

    @property
    def outcomes(self) -> Outcomes | None:
        """What the answers did, when they were decisions."""
        if not self.decisions:
            return None
        return Outcomes.tally(self.decisions[n] for n in sorted(self.decisions))

    @property
    def rate(self) -> float:
        """Requests a second reached."""
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def refused(self) -> int:
        """Answers other than the one that means done (0: no answer at all)."""
        return sum(n for status, n in self.statuses.items() if status != self.ok_status)

    def rate_shortfall(self) -> str | None:
        """Why the requested rate was not reached (None when it was, within 10 %)."""
        if not self.requested_rate or self.rate >= 0.9 * self.requested_rate:
            return None
        capacity = 1000 * self.clients / max(self.percentile(0.5), 1e-3)
        return (
            f"reached {self.rate:.0f} of {self.requested_rate:.0f} requests a second: "
            f"{self.clients} client(s) at a median answer of {self.percentile(0.5):.0f} ms "
            f"send at most about {capacity:.0f} a second (raise --clients)"
        )

    def as_dict(self, alerts: int) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "seconds": round(self.seconds, 3),
            "rate": round(self.rate, 1),
            "statuses": {str(status): n for status, n in sorted(self.statuses.items())},
            "refused": self.refused,
            "fraudulent_sent": len(self.fraud_sent),
            "alerts": alerts,
            "latency_ms": {
                name: round(self.percentile(share), 1) if self.latencies_ms else None
                for name, share in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
            },
            "rate_shortfall": self.rate_shortfall(),
        } | ({} if self.outcomes is None else {"authorization": self.outcomes.as_dict()})

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def percentile(self, share: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class AlertWatcher:
    """Counts the alerts the topic publishes during a run, on a queue of its own that it
    subscribes to the alert topic and deletes at the end: the downstream alert queue
    (another team's) is never read. With ``tag``, only alerts naming this run's
    transactions count."""

    def __init__(
        self,
        topic_arn: str,
        endpoint: str,
        region: str,
        console: Console | None = None,
        tag: str = "",
    ) -> None:
        self._topic = topic_arn
        # the local emulator takes any credentials; a shell without AWS ones still works
        self._session = boto3.session.Session(
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 (the emulator's, not a secret)
            region_name=region,
        )
        self._sqs = self._session.client("sqs", endpoint_url=endpoint)
        self._sns = self._session.client("sns", endpoint_url=endpoint)
        self._console = console
        self._tag = tag
        self.alerts: list[dict[str, Any]] = []
        self.error: str | None = None
        self._url = ""
        self._subscription = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="alert-watcher")

    def start(self) -> AlertWatcher:
        name = f"cardwatch-replay-{uuid.uuid4().hex[:12]}"
        self._url = self._sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._subscription = self._sns.subscribe(
            TopicArn=self._topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        self._thread.start()
        return self

    def quiet(self, seconds: float, most: float) -> None:
        """Wait until no alert has arrived for ``seconds`` (at most ``most`` seconds)."""
        deadline = time.monotonic() + most
        seen, since = len(self.alerts), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - since < seconds:
            time.sleep(0.2)
            if len(self.alerts) != seen:
                seen, since = len(self.alerts), time.monotonic()

    def stop(self, linger: float = 0.0) -> None:
        if linger:
            time.sleep(linger)
        self._stop.set()
        self._thread.join(timeout=5)
        subscription, url, self._subscription, self._url = self._subscription, self._url, "", ""
        try:  # once: a second stop has nothing left to remove
            if subscription:
                self._sns.unsubscribe(SubscriptionArn=subscription)
            if url:
                self._sqs.delete_queue(QueueUrl=url)
        except (BotoCoreError, ClientError) as error:
            self.error = self.error or f"could not remove the run's queue: {error}"

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._receive()
        except (BotoCoreError, ClientError) as error:  # said in the summary, not a traceback
            self.error = f"alert watcher stopped: {error}"

    def _receive(self) -> None:
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
            self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
            if self._tag and self._tag not in alert["message"]:
                continue  # another run's or another client's transactions
            self.alerts.append(alert)
            if self._console is not None:
                self._console.print(f"[bold red]ALERT[/] {alert['subject']}")


def _timestamp_ms(body: dict[str, Any]) -> int:
    """The moment a body names, as its item's key holds it."""
    return epoch_ms(datetime.fromisoformat(str(body["timestamp"])).astimezone(UTC))


def fresh_ids(planned: Iterable[Planned], tag: str) -> list[Planned]:
    """``planned`` with each transaction id prefixed by this run's ``tag``: a second run
    of the same data is new transactions, not repeats (ids stay within the contract's
    64 characters)."""
    fresh = []
    for item in planned:
        original = str(item.body["transaction_id"])
        kept = original[-(63 - len(tag)) :]
        body = {**item.body, "transaction_id": f"{tag}-{kept}"}
        fresh.append(Planned(body, item.kind, item.is_fraud))
    return fresh


def run_tag() -> str:
    """A short tag for one run's transaction ids."""
    return "r" + uuid.uuid4().hex[:8]


def send_all(
    planned: Iterable[Planned],
    api_url: str,
    api_key: str,
    *,
    rate: float,
    total: int | None = None,
    console: Console | None = None,
    clients: int = 1,
    decisions: bool = False,
) -> ReplaySummary:
    """POST each body at ``rate`` requests a second from up to ``clients`` connections at
    once (a bounded pool), with a progress bar; with ``decisions``, to ``POST
    /decisions``, keeping each answer's decision."""
    console = console or Console()
    path = "/decisions" if decisions else "/transactions"
    summary = ReplaySummary(ok_status=200 if decisions else 201)
    interval = 1.0 / rate if rate > 0 else 0.0
    headers = {"x-api-key": api_key, "content-type": "application/json"}
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    lock = threading.Lock()

    def post(client: httpx.Client, n: int, item: Planned) -> None:
        sent_at = time.perf_counter()
        decided = None
        try:
            answer = client.post(path, content=encode_body(item.body))
            status = answer.status_code
            if decisions and status == 200:
                decided = Decision(answer.json()["decision"])
        except (httpx.HTTPError, ValueError, KeyError):
            status = 0  # no answer (a transport failure), or not one to read
        with lock:
            summary.latencies_ms.append((time.perf_counter() - sent_at) * 1000)
            summary.statuses[status] += 1
            if decided is not None:
                # the card, only as a digest (held in memory to group its payments)
                held = item.body.get("card_number") or item.body.get("card_token") or n
                card = hashlib.sha256(str(held).encode()).hexdigest()
                summary.decisions[n] = (card, item.is_fraud, decided)
            if status == summary.ok_status:
                summary.accepted[str(item.body["transaction_id"])] = _timestamp_ms(item.body)
            if item.is_fraud:
                summary.fraud_sent[item.body["transaction_id"]] = item.kind
            progress.advance(task)

    limits = httpx.Limits(max_connections=clients)
    started = time.perf_counter()
    with (
        httpx.Client(base_url=api_url, headers=headers, timeout=30, limits=limits) as client,
        Progress(*columns, console=console) as progress,
        ThreadPoolExecutor(max_workers=clients, thread_name_prefix="replay") as pool,
    ):
        task = progress.add_task(
            "asking for decisions" if decisions else "sending transactions", total=total
        )
        slots = threading.Semaphore(clients)
        for n, item in enumerate(planned):
            due = started + n * interval
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            slots.acquire()  # never queue more than the pool can send
            future = pool.submit(post, client, n, item)
            future.add_done_callback(lambda _done: slots.release())
    summary.seconds = time.perf_counter() - started
    summary.requested_rate = rate
    summary.clients = clients
    return summary


def summary_table(
    summary: ReplaySummary, alerts: int, extra: Iterable[tuple[str, str]] = ()
) -> Table:
    table = Table(title="replay summary")
    table.add_column("measure")
    table.add_column("value", justify="right")
    done = summary.statuses.get(summary.ok_status, 0)
    rejected = sum(n for status, n in summary.statuses.items() if 400 <= status < 500)
    rows = [
        ("sent", f"{summary.sent:,} in {summary.seconds:.1f} s"),
        (
            f"{'decided' if summary.ok_status == 200 else 'accepted'} ({summary.ok_status})",
            f"{done:,}",
        ),
        ("rejected (4xx)", f"{rejected:,}"),
        ("server errors (5xx)", f"{sum(n for s, n in summary.statuses.items() if s >= 500):,}"),
        ("no answer (connection failed)", f"{summary.statuses.get(0, 0):,}"),
        ("rate reached", f"{summary.rate:.1f} requests a second"),
        ("fraudulent sent", f"{len(summary.fraud_sent):,}"),
        ("alerts received", f"{alerts:,}"),
        *extra,
        (
            "latency p50 / p95 / p99",
            f"{summary.percentile(0.5):.1f} / "
            f"{summary.percentile(0.95):.1f} / "
            f"{summary.percentile(0.99):.1f} ms",
        ),
    ]
    if summary.latencies_ms:
        rows.append(("latency mean", f"{statistics.fmean(summary.latencies_ms):.1f} ms"))
    outcomes = summary.outcomes
    if outcomes is not None:
        whole, frauds = max(outcomes.payments, 1), max(outcomes.frauds, 1)
        rows += [
            ("approved", f"{outcomes.approved:,} ({outcomes.approved / whole:.2%})"),
            ("challenged (review)", f"{outcomes.challenged:,} ({outcomes.challenged / whole:.2%})"),
            ("declined (block)", f"{outcomes.declined:,} ({outcomes.declined / whole:.2%})"),
            (
                "fraud stopped at authorization",
                f"{outcomes.fraud_at_authorization:,} of {outcomes.frauds:,} "
                f"({outcomes.fraud_at_authorization / frauds:.0%})",
            ),
            (
                "fraud stopped after the fact (a later payment)",
                f"{outcomes.fraud_after_the_fact:,}",
            ),
            ("fraud missed", f"{outcomes.fraud_missed:,}"),
        ]
    for name, value in rows:
        table.add_row(name, value)
    return table
