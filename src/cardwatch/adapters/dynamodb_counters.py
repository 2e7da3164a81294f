"""The shared entities' buckets in the profile table, folded in batches from its stream.

The profile table's stream carries each card event the moment detect marks it applied
(:class:`~cardwatch.adapters.dynamodb_state.DynamoStateStore`); the event item names the
transaction's terminal, amount, time, spread entities and first-visit claims. A batch
of such records is folded here in as few transactions as DynamoDB allows (100 items
each): every bucket the chunk moves gets one ``ADD`` with the chunk's sums, and every
event of the chunk is marked ``folded``, on the condition that it was not. A busy
terminal's hour therefore takes one transactional write per chunk, not one per
transaction, and a batch met again (a retry of the whole batch, or of a half of it)
folds nothing twice: a cancellation for an event folded before drops that event, and
the chunk is tried again without it.

Chunks of one batch that share no bucket run side by side, on a bounded pool; chunks
that share one run one after the other (they would only cancel each other).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from botocore.exceptions import ClientError

from cardwatch.adapters.dynamodb_errors import (
    BUSY_CODES,
    RETRYABLE_CANCELLATIONS,
    cancellation_codes,
)
from cardwatch.domain.engine.counters import AppliedEvent, Bucket, Folded, bucket_counts
from cardwatch.domain.engine.state import BUCKET_GRACE_DAYS, DAY_MS, HISTORY_DAYS, HOUR_MS

__all__ = [
    "DynamoEntityCounters",
    "FoldConflict",
    "applied_event",
    "day_slot",
    "event_key",
    "expiry",
    "hour_slot",
    "string_list",
]

#: DynamoDB's limit on the items of one TransactWriteItems
TRANSACTION_ITEMS = 100
_ATTEMPTS = 6
_DAY_S = DAY_MS // 1000
#: an hour bucket is read for a day and a little; kept three days past its hour
HOUR_KEEP_DAYS = 3


class FoldConflict(RuntimeError):
    """A chunk kept being cancelled by other writers; the batch is retried whole."""


def event_key(card_key: str, timestamp_ms: int, transaction_id: str) -> dict[str, Any]:
    """The key of a card's event item (its card's partition, time-ordered)."""
    return {
        "entity": {"S": f"card#{card_key}"},
        "slot": {"S": f"e#{timestamp_ms:015d}#{transaction_id}"},
    }


def applied_event(image: Mapping[str, Any]) -> AppliedEvent | None:
    """The event an applied card event item stands for (a stream record's new image, in
    DynamoDB's attribute format); None for any other item, for an event folded before,
    and for one applied before events named their spread entities (counted then)."""
    entity, slot = image.get("entity", {}).get("S", ""), image.get("slot", {}).get("S", "")
    if not (entity.startswith("card#") and slot.startswith("e#")):
        return None
    if "applied" not in image or "folded" in image or "sp" not in image:
        return None

    def names(attribute: str) -> tuple[str, ...]:
        return tuple(value["S"] for value in image.get(attribute, {}).get("L", []))

    return AppliedEvent(
        transaction_id=slot[slot.index("#", 2) + 1 :],
        card_key=entity[len("card#") :],
        timestamp_ms=int(image["ts"]["N"]),
        amount_milli=int(image["a"]["N"]),
        terminal_id=image["t"]["S"],
        claimed=frozenset(names("cl")),
        spread=names("sp"),
    )


def string_list(values: Iterable[str]) -> dict[str, Any]:
    """``values`` as a DynamoDB list of strings (a set cannot be empty)."""
    return {"L": [{"S": value} for value in values]}


def day_slot(day: int) -> str:
    """A day bucket's slot: ``d#<days since the epoch>``."""
    return f"d#{day:06d}"


def hour_slot(hour: int) -> str:
    """An hour bucket's slot: ``h#<hours since the epoch>``."""
    return f"h#{hour:08d}"


def expiry(bucket_end_ms: int, keep_days: int) -> int:
    """A bucket's time to live (epoch seconds): ``keep_days`` after its own end."""
    return bucket_end_ms // 1000 + keep_days * _DAY_S


def _slot(bucket: Bucket) -> str:
    return hour_slot(bucket.number) if bucket.period == "h" else day_slot(bucket.number)


def _ttl(bucket: Bucket) -> str:
    if bucket.period == "h":
        return str(expiry((bucket.number + 1) * HOUR_MS, HOUR_KEEP_DAYS))
    return str(expiry((bucket.number + 1) * DAY_MS, HISTORY_DAYS + BUCKET_GRACE_DAYS))


def chunks(events: Sequence[AppliedEvent]) -> list[list[AppliedEvent]]:
    """``events`` packed into transactions of at most :data:`TRANSACTION_ITEMS` items
    (an item per bucket moved, one per event marked), neighbours in terminal and time
    together so that a busy entity's events share their buckets."""
    ordered = sorted(events, key=lambda e: (e.terminal_id, e.spread, e.timestamp_ms))
    packed: list[list[AppliedEvent]] = []
    current: list[AppliedEvent] = []
    buckets: set[Bucket] = set()
    for event in ordered:
        mine = set(bucket_counts([event]))
        if current and len(buckets | mine) + len(current) + 1 > TRANSACTION_ITEMS:
            packed.append(current)
            current, buckets = [], set()
        current.append(event)
        buckets |= mine
    if current:
        packed.append(current)
    return packed


def waves(packed: list[list[AppliedEvent]]) -> list[list[list[AppliedEvent]]]:
    """Chunks in rounds where no two share a bucket (first fit, in order)."""
    rounds: list[tuple[set[Bucket], list[list[AppliedEvent]]]] = []
    for chunk in packed:
        mine = set(bucket_counts(chunk))
        for taken, members in rounds:
            if not taken & mine:
                taken.update(mine)
                members.append(chunk)
                break
        else:
            rounds.append((mine, [chunk]))
    return [members for _taken, members in rounds]


class DynamoEntityCounters:
    """:class:`~cardwatch.domain.engine.counters.EntityCounters` on the profile table."""

    def __init__(
        self,
        table_name: str,
        client: Any | None = None,
        *,
        threads: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")
        self._threads = threads
        self._sleep = sleep

    def fold(self, events: Sequence[AppliedEvent]) -> Folded:
        unique = list({event.transaction_id: event for event in events}.values())
        before = len(events) - len(unique)
        folded = 0
        with ThreadPoolExecutor(max_workers=self._threads) as pool:
            for wave in waves(chunks(unique)):
                # a wave of one chunk (or one thread) is folded on the caller's thread
                run = map if self._threads == 1 or len(wave) == 1 else pool.map
                for now, earlier in run(self._fold_chunk, wave):
                    folded, before = folded + now, before + earlier
        return Folded(folded, before)

    def _fold_chunk(self, chunk: list[AppliedEvent]) -> tuple[int, int]:
        """Fold one chunk: (events folded now, events found folded before)."""
        before = 0
        for attempt in range(_ATTEMPTS):
            if not chunk:
                return 0, before
            if attempt:
                self._sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 (jitter)
            try:
                self._client.transact_write_items(TransactItems=self._writes(chunk))
                return len(chunk), before
            except ClientError as error:
                code = error.response["Error"]["Code"]
                if code in BUSY_CODES:
                    continue
                if code != "TransactionCanceledException":
                    raise
                reasons = cancellation_codes(error)
                # the markers come first, in the chunk's order
                done = {
                    i
                    for i, reason in enumerate(reasons[: len(chunk)])
                    if reason == "ConditionalCheckFailed"
                }
                if done:
                    before += len(done)
                    chunk = [event for i, event in enumerate(chunk) if i not in done]
                    continue
                passing = RETRYABLE_CANCELLATIONS | {"None"}
                if not reasons or not all(reason in passing for reason in reasons):
                    raise
        if not chunk:
            return 0, before
        raise FoldConflict(f"{len(chunk)} events kept meeting other writers")

    def _writes(self, chunk: list[AppliedEvent]) -> list[dict[str, Any]]:
        writes: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": event_key(event.card_key, event.timestamp_ms, event.transaction_id),
                    "UpdateExpression": "SET folded = :one",
                    "ConditionExpression": "attribute_exists(applied) AND "
                    "attribute_not_exists(folded)",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            }
            for event in chunk
        ]
        for bucket, counters in sorted(bucket_counts(chunk).items()):
            names = sorted(counters)
            writes.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"entity": {"S": bucket.entity}, "slot": {"S": _slot(bucket)}},
                        "UpdateExpression": "ADD "
                        + ", ".join(f"{name} :{name}" for name in names)
                        + " SET #ttl = :ttl",
                        "ExpressionAttributeNames": {"#ttl": "expires_at"},
                        "ExpressionAttributeValues": {
                            **{f":{name}": {"N": str(counters[name])} for name in names},
                            ":ttl": {"N": _ttl(bucket)},
                        },
                    }
                }
            )
        return writes
