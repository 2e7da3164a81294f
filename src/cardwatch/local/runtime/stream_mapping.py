"""A Lambda event source mapping on a DynamoDB stream, run as AWS runs one.

Each shard is read in order from its start (``TRIM_HORIZON``); the records that match
the mapping's filter are handed to the function in batches of up to ``batch_size``, one
batch of a shard at a time. A batch that fails is split in two and each half tried
again (``BisectBatchOnFunctionError``; a split spends no retry), a single record that
fails is tried again until its retries are spent; then AWS's
on-failure record of the batch (``DDBStreamBatchInfo``: the shard and the first and
last sequence numbers) goes to the on-failure destination, and the shard moves on.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.events.models import EventPattern

from cardwatch.local.runtime.aws_records import stream_failure_record

__all__ = ["MappingStats", "StreamMapping"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class MappingStats:
    records: int = 0
    filtered_out: int = 0
    batches: int = 0
    failed_invocations: int = 0
    sent_to_destination: int = 0


class StreamMapping:
    """Polls one stream for one function (thread-safe: one poll at a time)."""

    def __init__(
        self,
        streams: Any,
        stream_arn: str,
        pattern: dict[str, Any],
        invoke: Callable[[dict[str, Any]], Any],
        on_failure: Callable[[dict[str, Any]], None],
        *,
        function_arn: str,
        region: str,
        batch_size: int,
        retry_attempts: int,
    ) -> None:
        self._streams = streams
        self._arn = stream_arn
        self._filter = EventPattern(None, pattern)
        self._invoke = invoke
        self._on_failure = on_failure
        self._function_arn = function_arn
        self._region = region
        self._batch_size = batch_size
        self._retries = retry_attempts
        self._iterators: dict[str, str] = {}
        self._lock = threading.Lock()
        self.stats = MappingStats()

    def poll(self) -> int:
        """Read every shard once and deliver what matched; the records read."""
        with self._lock:
            self._discover()
            read = 0
            for shard, iterator in list(self._iterators.items()):
                page = self._streams.get_records(ShardIterator=iterator, Limit=self._batch_size)
                self._iterators[shard] = page["NextShardIterator"]
                records = page["Records"]
                read += len(records)
                self._deliver(shard, records)
            return read

    def drain(self, max_polls: int = 1_000) -> int:
        """Poll until a poll reads nothing; the records read."""
        total = 0
        for _ in range(max_polls):
            read = self.poll()
            if not read:
                return total
            total += read
        return total

    def _discover(self) -> None:
        stream = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]
        for shard in stream["Shards"]:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]

    def _deliver(self, shard: str, raw: list[dict[str, Any]]) -> None:
        matched = []
        for record in raw:
            self.stats.records += 1
            event = json.loads(json.dumps(record, default=str)) | {"eventSourceARN": self._arn}
            if self._filter.matches_event(event):
                matched.append(event)
            else:
                self.stats.filtered_out += 1
        if matched:
            self._batch(shard, matched, self._retries)

    def _batch(self, shard: str, records: list[dict[str, Any]], retries: int) -> None:
        """Invoke with ``records``; on failure split them in two (a split does not count
        against the retries, as in AWS), or try a single record again while retries
        remain; then send the batch's record to the destination."""
        self.stats.batches += 1
        try:
            self._invoke({"Records": records})
            return
        except Exception as error:
            self.stats.failed_invocations += 1
            if len(records) == 1 and retries <= 0:
                self._send_failure(shard, records, error)
                return
        if len(records) > 1:
            half = len(records) // 2
            self._batch(shard, records[:half], retries)
            self._batch(shard, records[half:], retries)
        else:
            self._batch(shard, records, retries - 1)

    def _send_failure(self, shard: str, records: list[dict[str, Any]], error: Exception) -> None:
        logger.error("stream batch failed its retries: %s", error)  # AWS's record has none
        self._on_failure(
            stream_failure_record(self._function_arn, self._arn, shard, records, self._retries + 1)
        )
        self.stats.sent_to_destination += 1
