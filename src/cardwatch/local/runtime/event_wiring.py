"""The event plumbing of the deployments, run in process with the deployed semantics.

- **Pipe**: reads the table's stream (shard iterators, as Pipes do), keeps the records
  that match the blueprint's Pipe filter, and puts each on the event bus with the
  Pipe's source and detail-type.
- **Rule -> detect**: the bus and its rule live in the emulator, so moto applies the
  rule's event pattern; the rule's target is a queue that stands for Lambda's
  asynchronous invocation queue. The invoker takes events from it, invokes detect, and
  retries a failure ``async_retry_attempts`` times before sending an on-failure
  destination record to the failures DLQ.
- **Profile stream -> aggregate**: an event source mapping on the profile table's
  stream (:mod:`.stream_mapping`): applied card events, in batches gathered for the
  blueprint's window, split and retried on failure, then AWS's record of the batch to
  the failures DLQ.
- **Queue -> notify**: an event source mapping: batches, partial-batch failures left on
  the queue (visible again after a short local delay), redrive to the DLQ by SQS.
- **Scheduler -> analyze**: every ``analyze_every`` seconds, with the same retries.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.events.models import EventPattern

from cardwatch.blueprint import Blueprint
from cardwatch.local.runtime.aws_records import invocation_failure_record
from cardwatch.local.runtime.provision import Provisioned
from cardwatch.local.runtime.stream_mapping import StreamMapping

__all__ = ["EventWiring", "WiringStats"]

logger = logging.getLogger(__name__)
Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(slots=True)
class WiringStats:
    """What the wiring carried (counted under a lock: the pollers run concurrently)."""

    stream_records: int = 0
    filtered_out: int = 0
    detect_invocations: int = 0
    detect_failures: int = 0
    sent_to_dlq: int = 0
    #: records the Pipe could not put on the bus after its retries
    pipe_records_failed: int = 0
    notify_batches: int = 0
    notify_failed_items: int = 0
    analyze_runs: int = 0
    retrain_runs: int = 0
    export_runs: int = 0
    errors: list[str] = field(default_factory=list)


class EventWiring:
    """Background threads that carry events between the functions."""

    def __init__(
        self,
        blueprint: Blueprint,
        made: Provisioned,
        session: Any,
        invoke: Invoke,
        *,
        analyze_every: float = 300.0,
        retrain_every: float = 7 * 86_400.0,
        export_every: float = 6 * 3_600.0,
        retry_visibility_seconds: int = 2,
        poll_seconds: float = 0.2,
        concurrency: int = 1,
    ) -> None:
        self._blueprint = blueprint
        self._made = made
        self._invoke = invoke
        #: the emulator's account: AWS writes it in every ARN of a failure record
        self._account = session.client("sts").get_caller_identity()["Account"]
        self._analyze_every = analyze_every
        self._retrain_every = retrain_every
        self._export_every = export_every
        self._retry_visibility = retry_visibility_seconds
        self._poll = poll_seconds
        self._streams = session.client("dynamodbstreams")
        self._events = session.client("events")
        self._sqs = session.client("sqs")
        self._pipe_filter = EventPattern(None, blueprint.pipe_filter)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._concurrency = concurrency
        self._stats_lock = threading.Lock()
        self.stats = WiringStats()
        spec = blueprint.functions["aggregate"]
        self.aggregation = StreamMapping(
            self._streams,
            made.profile_stream_arn,
            blueprint.aggregate_filter,
            lambda event: invoke("aggregate", event),
            self._send_failure_record,
            function_arn=self._function_arn(spec.name),
            region=blueprint.region,
            batch_size=blueprint.aggregate_batch_size,
            retry_attempts=blueprint.aggregate_retry_attempts,
        )

    def _function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self._blueprint.region}:{self._account}:function:{name}"

    def _count(self, name: str) -> None:
        with self._stats_lock:
            setattr(self.stats, name, getattr(self.stats, name) + 1)

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        """One Pipe and one scheduler; as many detect invokers and notify pollers as
        the functions may run at once (Lambda's async invocations and an event source
        mapping's concurrent batches)."""
        loops = [
            ("pipe", self._run_pipe),
            ("aggregate", self._run_aggregation),
            ("aggregate-invocations", self._run_aggregate_invocations),
            ("scheduler", self._run_scheduler),
            ("retraining", self._run_retraining_schedule),
            ("exports", self._run_export_schedule),
        ]
        for n in range(self._concurrency):
            loops += [(f"detect-{n}", self._run_detect), (f"notify-{n}", self._run_notify)]
        for name, target in loops:
            thread = threading.Thread(
                target=self._guard(target), name=f"cardwatch-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _guard(self, loop: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    loop()
                except Exception as error:
                    with self._stats_lock:
                        self.stats.errors.append(f"{loop.__name__}: {error!r}")
                    logger.exception("event wiring loop failed; continuing")
                    self._stop.wait(1)

        return run

    # -- the Pipe -----------------------------------------------------------------
    def _run_pipe(self) -> None:
        stream = self._streams.describe_stream(StreamArn=self._made.table_stream_arn)
        iterators = [
            self._streams.get_shard_iterator(
                StreamArn=self._made.table_stream_arn,
                ShardId=shard["ShardId"],
                ShardIteratorType="TRIM_HORIZON",
            )["ShardIterator"]
            for shard in stream["StreamDescription"]["Shards"]
        ]
        while not self._stop.is_set():
            for position, iterator in enumerate(iterators):
                page = self._streams.get_records(ShardIterator=iterator, Limit=100)
                iterators[position] = page["NextShardIterator"]
                self._pipe_records(page["Records"])
            self._stop.wait(self._poll)

    def _pipe_records(self, records: list[dict[str, Any]]) -> None:
        """What the Pipe does with a poll's records: the filter, then one PutEvents per
        batch of the blueprint's size, each record its own event."""
        passed = []
        for raw in records:
            self._count("stream_records")
            record = json.loads(json.dumps(raw, default=str))
            if self._pipe_filter.matches_event(record):
                passed.append(record)
            else:
                self._count("filtered_out")
        size = self._blueprint.pipe_batch_size
        for start in range(0, len(passed), size):
            self._put_events(
                [
                    {
                        "Source": self._blueprint.event_source,
                        "DetailType": self._blueprint.event_detail_type,
                        "Detail": json.dumps(record),
                        "EventBusName": self._blueprint.event_bus_name,
                    }
                    for record in passed[start : start + size]
                ]
            )

    def _put_events(self, entries: list[dict[str, Any]]) -> None:
        """PutEvents, with the entries it failed (its FailedEntryCount) sent again, as
        the Pipe retries them, up to the blueprint's retries; what still fails is
        counted and named in the stats' errors."""
        for attempt in range(self._blueprint.pipe_retry_attempts + 1):
            answer = self._events.put_events(Entries=entries)
            if not answer.get("FailedEntryCount"):
                return
            results = answer.get("Entries", [])
            entries = [e for e, r in zip(entries, results, strict=False) if r.get("ErrorCode")]
            self._stop.wait(min(0.05 * 2**attempt, 1.0))
        self._count("pipe_records_failed")
        with self._stats_lock:
            self.stats.errors.append(f"the Pipe could not put {len(entries)} events on the bus")

    # -- the profile stream's mapping ---------------------------------------------------
    def _run_aggregation(self) -> None:
        while not self._stop.wait(self._blueprint.aggregate_batching_window_seconds):
            self.aggregation.poll()

    def _send_failure_record(self, record: dict[str, Any]) -> None:
        self._sqs.send_message(
            QueueUrl=self._made.queue_urls[self._blueprint.failures_dlq.name],
            MessageBody=json.dumps(record, default=str),
        )
        self._count("sent_to_dlq")

    # -- the rule's target: asynchronous invocations ----------------------------------
    def invoke_async(self, key: str, event: dict[str, Any]) -> bool:
        """One asynchronous invocation of ``key`` as Lambda runs it (whether it failed or
        not): retried ``async_retry_attempts`` times, then, for a function deployed with
        an on-failure destination (an asynchronous one), AWS's record of it in the
        failures DLQ; another's event is dropped, as Lambda drops it."""
        attempts = self._blueprint.async_retry_attempts + 1
        error: Exception | None = None
        for attempt in range(attempts):
            try:
                self._invoke(key, event)
                return True
            except Exception as caught:
                error = caught
                if attempt + 1 < attempts:
                    self._stop.wait(min(2.0, 0.2 * 2**attempt))
        if self._blueprint.functions[key].asynchronous:
            self._to_failure_destination(key, event, error)
        else:
            logger.warning("an event for %s failed %d times and was dropped", key, attempts)
        return False

    def _to_failure_destination(
        self, key: str, event: dict[str, Any], error: Exception | None
    ) -> None:
        spec = self._blueprint.functions[key]
        record = invocation_failure_record(
            self._function_arn(spec.name), event, error, self._blueprint.async_retry_attempts + 1
        )
        self._sqs.send_message(
            QueueUrl=self._made.queue_urls[self._blueprint.failures_dlq.name],
            MessageBody=json.dumps(record, default=str),
        )
        self._count("sent_to_dlq")

    def _run_detect(self) -> None:
        url = self._made.detect_invocation_queue_url
        self._run_invocations("detect", url, ("detect_invocations", "detect_failures"))

    def _run_aggregate_invocations(self) -> None:
        self._run_invocations("aggregate", self._made.aggregate_invocation_queue_url)

    def _run_invocations(self, key: str, url: str, counted: tuple[str, str] | None = None) -> None:
        """Asynchronous invocations of ``key`` from its stand-in queue, with Lambda's
        retries and on-failure destination; ``counted``: the stats counting its
        invocations and its failures."""
        while not self._stop.is_set():
            messages = self._sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1
            ).get("Messages", [])
            for message in messages:
                if counted:
                    self._count(counted[0])
                if not self.invoke_async(key, json.loads(message["Body"])) and counted:
                    self._count(counted[1])
                self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    # -- the event source mapping -----------------------------------------------------
    def _run_notify(self) -> None:
        spec = self._blueprint.suspicious_queue
        url, arn = self._made.queue_urls[spec.name], self._made.queue_arns[spec.name]
        while not self._stop.is_set():
            messages = self._sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=self._blueprint.notify_batch_size,
                WaitTimeSeconds=self._blueprint.notify_batching_window_seconds,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if messages:
                self._notify_batch(url, arn, messages)

    def _notify_batch(self, url: str, arn: str, messages: list[dict[str, Any]]) -> None:
        self._count("notify_batches")
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": self._blueprint.region,
                }
                for m in messages
            ]
        }
        try:
            answer = self._invoke("notify", event)
            failed = {item["itemIdentifier"] for item in answer.get("batchItemFailures", [])}
        except Exception:
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] in failed:
                self._count("notify_failed_items")
                self._sqs.change_message_visibility(
                    QueueUrl=url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self._retry_visibility,
                )
            else:
                self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    # -- the schedule -----------------------------------------------------------------
    def _run_scheduler(self) -> None:
        while not self._stop.wait(self._analyze_every):
            self.run_analysis()

    def _run_retraining_schedule(self) -> None:
        while not self._stop.wait(self._retrain_every):
            self.run_retraining()

    def _run_export_schedule(self) -> None:
        while not self._stop.wait(self._export_every):
            self.run_export()

    def run_export(self) -> bool:
        """One scheduled run of the export function (its own schedule, as deployed)."""
        self._count("export_runs")
        return self.invoke_async("export", self._scheduled_event())

    def run_retraining(self) -> bool:
        """One scheduled run of retrain (its own schedule, as deployed)."""
        self._count("retrain_runs")
        return self.invoke_async("retrain", self._scheduled_event())

    def run_analysis(self, window_end_ms: int | None = None) -> bool:
        """One scheduled run of analyze; ``window_end_ms`` names the window, as a
        schedule's input can (otherwise: the last whole window)."""
        self._count("analyze_runs")
        event = self._scheduled_event()
        if window_end_ms is not None:
            event["window_end_ms"] = window_end_ms
        return self.invoke_async("analyze", event)

    def _scheduled_event(self) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.scheduler",
            "time": datetime.now(UTC).isoformat(),
            "region": self._blueprint.region,
            "resources": [],
            "detail": {},
        }


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
