"""The transaction table in DynamoDB.

``transaction_id`` must be unique, but the table's key is (``transaction_id``,
``timestamp``): a conditional put of the item alone would let the same id in twice
under two timestamps. So a guard item at ``timestamp = 0`` claims the id for a body (its
content fingerprint), then the item is written; each put only if absent, and neither in
a transaction, which would charge both twice. Whoever writes the item answers 201, so
nothing is answered 201 and not stored; a request that stopped between the two leaves
the guard, and its resend writes the item. Another body under the id is a conflict
until no writer of the first can be alive (15 minutes), then takes the id over in one
transaction with its item, and a repeat that late completes the item in a transaction
conditional on the guard: a takeover and a completion never both write. Guard items
carry no ``user_id`` or time bucket, so no index holds them, and the Pipe's
filter passes only ``record_type = transaction``.

The time-bucket index is write-sharded. Every transaction of five minutes would land on
one key of the index (``2026-11-21T23:25``), and a key takes at most 1,000 write units
a second, whatever the table's capacity: at 1,000 transactions a second the index's
writes (the item, then the decision) come to about 3,000. So the key is the bucket and a
shard drawn from the transaction id, ``2026-11-21T23:25#07``: the writes of a bucket
spread over :data:`TIME_BUCKET_SHARDS` keys, and a window is read from all of them at
once (a few threads), merged in time order. The open review queue is sharded the same
way (:data:`REVIEW_SHARDS`). Items written before the sharding keep their one key (the
bare bucket, ``open``): reads take it as one more shard, so a deployed table needs no
migration, and the extra read can go once no such item is left in any window read.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NoReturn

import boto3
from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from cardwatch.adapters.dynamodb_errors import (
    BUSY_CODES,
    RETRYABLE_CANCELLATIONS,
    cancellation_codes,
)
from cardwatch.adapters.dynamodb_items import read_items_fast
from cardwatch.domain.engine.authorization import Authorization
from cardwatch.domain.engine.patterns import WindowEntry
from cardwatch.domain.errors import StoreBusy
from cardwatch.domain.labels.history import LabelEntry
from cardwatch.domain.labels.review_queue import QUEUED_DECISIONS, ReviewPosition, ReviewQuery
from cardwatch.domain.ports import Decide, DecisionRecord, StoredTransaction
from cardwatch.domain.transaction.card import CardReference
from cardwatch.domain.transaction.record import Transaction, time_bucket

__all__ = [
    "GUARD_TIMESTAMP",
    "RECORD_GUARD",
    "RECORD_TRANSACTION",
    "REVIEW_SHARDS",
    "TIME_BUCKET_SHARDS",
    "DynamoTransactionStore",
    "bucket_key",
    "review_key",
]

logger = logging.getLogger(__name__)

GUARD_TIMESTAMP = 0
#: the attribute DynamoDB's time to live reads (epoch seconds)
TTL_ATTRIBUTE = "expires_at"
#: a writer older than this is dead: Lambda ends every invocation within 15 minutes
WRITER_LIFETIME_MS = 15 * 60 * 1000
#: a repeat completes the item without a transaction only while a takeover is this far
#: off (more than any ingest request lives)
TAKEOVER_MARGIN_MS = 60 * 1000
#: the attribute of the review queue's sparse index, and its one value
REVIEW_QUEUE_ATTRIBUTE = "review_queue"
REVIEW_QUEUE_OPEN = "open"
#: index reads a page of the queue may take from each shard
_REVIEW_READS = 10
#: keys the open review queue spreads over: a card-testing burst flagged whole at 300
#: transactions a second writes about 600 units a second to the index, over a key's half
REVIEW_SHARDS = 4
#: keys each time bucket's writes spread over: at 3 write units a transaction, 16 keys
#: keep each under half its limit up to about 2,600 transactions a second
TIME_BUCKET_SHARDS = 16
#: threads reading a window's keys at once (bounded: a busy machine is not flooded)
_WINDOW_READERS = 8
RECORD_GUARD = "guard"
RECORD_TRANSACTION = "transaction"
_serializer = TypeSerializer()


def _number(value: float) -> Decimal:
    """A score or a feature as DynamoDB keeps it: nine significant digits."""
    return Decimal(f"{value:.9g}")


_deserializer = TypeDeserializer()


def _busy_or_raise(error: ClientError) -> NoReturn:
    """A conflict or throttling is :class:`StoreBusy` (the caller retries the request);
    anything else is raised as it came."""
    code = error.response["Error"]["Code"]
    if code in BUSY_CODES:
        raise StoreBusy(code) from error
    raise error


def _age(guard: dict[str, Any], held: dict[str, Any]) -> int:
    """How long before this request's guard the held one was claimed, in ms."""
    return int(guard["claimed_ms"]) - int(held.get("claimed_ms", 0))


def bucket_key(transaction_id: str, timestamp_ms: int, bucket_seconds: int = 300) -> str:
    """The time-bucket index's key of a transaction: its bucket and its shard (stable:
    drawn from the id, so a rewrite of the item lands on the same key)."""
    shard = zlib.crc32(transaction_id.encode()) % TIME_BUCKET_SHARDS
    return f"{time_bucket(timestamp_ms, bucket_seconds)}#{shard:02d}"


def review_key(transaction_id: str) -> str:
    """The review queue index's key of an open case: ``open`` and a shard of the id."""
    return f"{REVIEW_QUEUE_OPEN}#{zlib.crc32(transaction_id.encode()) % REVIEW_SHARDS}"


def _shard_key(bucket: str, shard: str | None) -> str:
    """A time-bucket index key: the bucket and a shard, or the bucket alone (None: the
    key of items written before the index was sharded, read until none are left)."""
    return bucket if shard is None else f"{bucket}#{shard}"


def _order(position: ReviewPosition) -> tuple[int, str]:
    return (position.timestamp_ms, position.transaction_id)


def _item_order(item: dict[str, Any]) -> tuple[int, str]:
    return (int(item["timestamp"]), str(item["transaction_id"]))


_stored_number = DYNAMODB_CONTEXT.create_decimal


def to_attributes(record: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in record.items()}


def from_attributes(item: dict[str, Any]) -> dict[str, Any]:
    """``item``'s values in Python: strings and numbers (nearly every value read) taken
    directly, with boto3's decimal context; the rest by boto3's deserializer (a window's
    300,000 items spend half the parse in its per-value dispatch)."""
    plain: dict[str, Any] = {}
    for key, value in item.items():
        if "S" in value:
            plain[key] = value["S"]
        elif "N" in value:
            plain[key] = _stored_number(value["N"])
        else:
            plain[key] = _deserializer.deserialize(value)
    return plain


def decision_values(record: DecisionRecord, transaction_id: str) -> dict[str, Any]:
    """The decision log's attributes of a transaction's item: the decision, score,
    reasons, the features scored and the models; a case for analysts is put in the
    review queue (its sparse index's key)."""
    values: dict[str, Any] = {
        "decision": record.decision,
        "score": _number(record.score),
        "reasons": list(record.reasons),
        "features": {name: _number(value) for name, value in record.features.items()},
        "assessed_at": datetime.now(UTC).isoformat(),
    }
    if record.model_version is not None:
        values["model_version"] = record.model_version
    if record.challenger_version is not None and record.challenger_score is not None:
        values["challenger_version"] = record.challenger_version
        values["challenger_score"] = _number(record.challenger_score)
    if record.decision in QUEUED_DECISIONS:
        values[REVIEW_QUEUE_ATTRIBUTE] = review_key(transaction_id)  # into the queue
    return values


def authorization_of(item: dict[str, Any]) -> Authorization | None:
    """What ``POST /decisions`` answered for the item's transaction (None: nothing)."""
    kept = item.get("authorization")
    return None if not kept else Authorization.from_record(kept)


def _decided(record: dict[str, Any], decide: Decide | None) -> dict[str, Any]:
    """``record`` with the decision ``decide`` makes (once), as the item keeps it."""
    if decide is None or "authorization" in record:
        return record
    answer = decide()
    decided = record | {"authorization": answer.to_record()}
    if answer.record is not None:  # scored: the decision of record (else scored later)
        decided |= decision_values(answer.record, str(record["transaction_id"]))
    return decided


def _stored(
    transaction: Transaction, record: dict[str, Any], there: dict[str, Any]
) -> StoredTransaction:
    """The repeat's answer: what is stored, with its decision (if it was decided)."""
    return StoredTransaction(
        transaction,
        str(there.get("fingerprint", record["fingerprint"])),
        authorization=authorization_of(there),
    )


class DynamoTransactionStore:
    """:class:`~cardwatch.domain.ports.TransactionStore` on a DynamoDB table."""

    def __init__(
        self,
        table_name: str,
        client: Any | None = None,
        time_bucket_index: str = "time_bucket-timestamp-index",
        bucket_seconds: int = 300,
        review_index: str = "review_queue-timestamp-index",
        *,
        clock: Callable[[], float] = time.time,
        retention_days: int = 396,
    ) -> None:
        self._table = table_name
        self._clock = clock
        self._retention_ms = retention_days * 86_400_000
        # windows and the decision log are read by the page: items without botocore's walk
        self._client = read_items_fast(client or boto3.client("dynamodb"))
        self._bucket_index = time_bucket_index
        self._bucket_seconds = bucket_seconds
        self._review_index = review_index

    def add(
        self, transaction: Transaction, fingerprint: str, decide: Decide | None = None
    ) -> StoredTransaction | None:
        """See :class:`~cardwatch.domain.ports.TransactionStore`. ``decide`` runs only
        when this request is about to write the item (a repeat finds it written), and its
        answer goes into that one write: the decision fields the decision log keeps (and
        the review queue's key), plus ``authorization``, what the processor was told."""
        record = transaction.to_record(self._bucket_seconds) | {
            "time_bucket": bucket_key(
                transaction.transaction_id, transaction.timestamp_ms, self._bucket_seconds
            ),
            "record_type": RECORD_TRANSACTION,
            "fingerprint": fingerprint,
            "received_at": datetime.now(UTC).isoformat(),
            # DynamoDB's time to live deletes it (and its decision and labels) then
            TTL_ATTRIBUTE: (transaction.timestamp_ms + self._retention_ms) // 1000,
        }
        guard = {
            "transaction_id": transaction.transaction_id,
            "timestamp": GUARD_TIMESTAMP,
            "record_type": RECORD_GUARD,
            "fingerprint": fingerprint,
            "item_timestamp": transaction.timestamp_ms,
            "claimed_ms": int(self._clock() * 1000),
            TTL_ATTRIBUTE: record[TTL_ATTRIBUTE],
        }
        held = self._put_new(guard)
        mine = held is not None and held.get("claimed_ms") == guard["claimed_ms"]
        if held is None or (mine and held.get("fingerprint") == fingerprint):
            # the id is this request's
            return self._write_item(transaction, _decided(record, decide))
        if str(held["fingerprint"]) != fingerprint:
            answered, answer, held = self._other_body(transaction, record, guard, held, decide)
            if answered:
                return answer
        return self._repeat(transaction, record, guard, held, decide)

    def _other_body(
        self,
        transaction: Transaction,
        record: dict[str, Any],
        guard: dict[str, Any],
        held: dict[str, Any],
        decide: Decide | None,
    ) -> tuple[bool, StoredTransaction | None, dict[str, Any]]:
        """Another body holds the id: (answered, the answer, the guard now)."""
        stored = self.get(transaction.transaction_id)
        conflict = stored or StoredTransaction(transaction, str(held["fingerprint"]))
        if stored is not None or _age(guard, held) < WRITER_LIFETIME_MS:
            return True, conflict, held  # written, or its writer may be alive
        # no writer of that body can be alive: take the id over, with the item
        if self._guarded_put(_decided(record, decide), held, guard) == "written":
            return True, None, guard
        held = self._get_item(transaction.transaction_id, GUARD_TIMESTAMP) or held
        if held["fingerprint"] != guard["fingerprint"]:  # another body took it first
            stored = self.get(transaction.transaction_id)
            return True, stored or StoredTransaction(transaction, str(held["fingerprint"])), held
        return False, None, held  # this body took it first: a repeat

    def _repeat(
        self,
        transaction: Transaction,
        record: dict[str, Any],
        guard: dict[str, Any],
        held: dict[str, Any],
        decide: Decide | None = None,
    ) -> StoredTransaction | None:
        """This body holds the id: its item is written, by the first request or, if it
        never finished (an answer its client never had), by this one. A decision is made
        only when the item is not there (a repeat answers the one recorded)."""
        if decide is not None and "authorization" not in record:
            there = self._get_item(transaction.transaction_id, transaction.timestamp_ms)
            if there is not None:
                return _stored(transaction, record, there)
            record = _decided(record, decide)
        if _age(guard, held) < WRITER_LIFETIME_MS - TAKEOVER_MARGIN_MS:
            return self._write_item(transaction, record)  # no takeover can race it yet
        outcome = self._guarded_put(record, held)  # only while the guard is this body's
        if outcome == "written":
            return None
        if outcome == "taken":
            return self.get(transaction.transaction_id) or StoredTransaction(
                transaction, "another body"
            )
        there = self._get_item(transaction.transaction_id, transaction.timestamp_ms)
        return _stored(transaction, record, there or {})

    def _write_item(
        self, transaction: Transaction, record: dict[str, Any]
    ) -> StoredTransaction | None:
        """Write the transaction's item unless it is there: None (created) if this
        request wrote it, a botocore retry of this request's write included (the item
        carries the request's ``received_at``); else the repeat."""
        there = self._put_new(record)
        if there is None or there.get("received_at") == record["received_at"]:
            return None
        return _stored(transaction, record, there)

    def _guarded_put(
        self,
        record: dict[str, Any],
        held: dict[str, Any],
        guard: dict[str, Any] | None = None,
    ) -> str:
        """Write the item only while the guard is still ``held`` (and, with ``guard``,
        replace it), in one transaction (rare: a takeover, or a completion late enough
        that a takeover may race it): "written", "exists" (the item is there) or
        "taken" (the guard changed)."""
        key = {"transaction_id": record["transaction_id"], "timestamp": GUARD_TIMESTAMP}
        check = {
            "TableName": self._table,
            "ConditionExpression": "fingerprint = :held AND claimed_ms = :claimed",
            "ExpressionAttributeValues": to_attributes(
                {":held": held["fingerprint"], ":claimed": held.get("claimed_ms", 0)}
            ),
        }
        on_guard = (
            {"Put": {**check, "Item": to_attributes(guard)}}
            if guard is not None
            else {"ConditionCheck": {**check, "Key": to_attributes(key)}}
        )
        if "claimed_ms" not in held:  # a guard written before takeovers existed
            condition = "fingerprint = :held AND attribute_not_exists(claimed_ms)"
            part = next(iter(on_guard.values()))
            part["ConditionExpression"] = condition
            part["ExpressionAttributeValues"] = to_attributes({":held": held["fingerprint"]})
        try:
            self._client.transact_write_items(
                TransactItems=[
                    on_guard,
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_attributes(record),
                            "ConditionExpression": "attribute_not_exists(transaction_id)",
                        }
                    },
                ]
            )
        except ClientError as error:
            codes = cancellation_codes(error)
            if codes[:1] == ["ConditionalCheckFailed"]:
                return "taken"
            if codes[1:2] == ["ConditionalCheckFailed"]:
                return "exists"
            if codes and all(c in RETRYABLE_CANCELLATIONS | {"None"} for c in codes):
                raise StoreBusy(codes[0] if codes[0] != "None" else codes[-1]) from error
            _busy_or_raise(error)
        return "written"

    def _put_new(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """Put ``item`` unless its key is taken: None if put, else the item there."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_attributes(item),
                ConditionExpression="attribute_not_exists(transaction_id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                _busy_or_raise(error)
            held = error.response.get("Item")
            if held:
                return from_attributes(held)
            there = self._get_item(str(item["transaction_id"]), int(item["timestamp"]))
            return there if there is not None else dict(item)
        return None

    def case_item(self, transaction_id: str) -> dict[str, Any] | None:
        """The stored item as it is: the transaction, its decision and its labels."""
        guard = self._get_item(transaction_id, GUARD_TIMESTAMP)
        if guard is None:
            return None
        return self._get_item(transaction_id, int(guard["item_timestamp"]))

    def get(self, transaction_id: str) -> StoredTransaction | None:
        guard = self._get_item(transaction_id, GUARD_TIMESTAMP)
        if guard is None:
            return None
        item = self._get_item(transaction_id, int(guard["item_timestamp"]))
        if item is None:
            return None
        return StoredTransaction(
            Transaction.from_record(item),
            str(guard["fingerprint"]),
            tuple(LabelEntry.from_record(entry) for entry in item.get("labels", [])),
            authorization_of(item),
        )

    def _get_item(self, transaction_id: str, timestamp: int) -> dict[str, Any] | None:
        try:
            response = self._client.get_item(
                TableName=self._table,
                Key=to_attributes({"transaction_id": transaction_id, "timestamp": timestamp}),
                ConsistentRead=True,
            )
        except ClientError as error:
            _busy_or_raise(error)
        item = response.get("Item")
        return from_attributes(item) if item else None

    def record_decision(self, transaction: Transaction, record: DecisionRecord) -> bool:
        """Record the detector's decision on the item, once (a redelivery keeps the first),
        with the features it scored and the model's version, for analysts and retraining."""
        values = decision_values(record, transaction.transaction_id)
        if record.decision not in QUEUED_DECISIONS:
            return self._set_once(transaction, values)
        item: dict[str, Any] = {}
        if not self._set_once(transaction, values, item):
            return False
        if "label_version" in item:  # labelled before it was scored: already settled
            self._update_if(
                transaction,
                UpdateExpression="REMOVE #queue",
                ConditionExpression="attribute_exists(label_version)",
                ExpressionAttributeNames={"#queue": REVIEW_QUEUE_ATTRIBUTE},
            )
        return True

    def append_label(
        self, transaction: Transaction, entry: LabelEntry, version: int, current: LabelEntry
    ) -> bool:
        """Append ``entry`` to the item's ``labels`` as number ``version`` (conditional on
        ``label_version``: one writer wins, the other re-reads) and set the effective
        ``label``, ``label_source``, ``label_by`` (who posted it: retraining weighs how
        much of its fraud one identity supplied) and ``labelled_at``."""
        first = version == 1
        return self._update_if(
            transaction,
            UpdateExpression=(
                "SET #labels = list_append(if_not_exists(#labels, :none), :entry), "
                "#version = :version, #label = :label, #source = :source, #by = :by, #at = :at "
                "REMOVE #queue"  # a label settles the case: out of the review queue
            ),
            ConditionExpression="attribute_exists(transaction_id) AND "
            + ("attribute_not_exists(#version)" if first else "#version = :before"),
            ExpressionAttributeNames={
                "#labels": "labels",
                "#version": "label_version",
                "#label": "label",
                "#source": "label_source",
                "#by": "label_by",
                "#at": "labelled_at",
                "#queue": REVIEW_QUEUE_ATTRIBUTE,
            },
            ExpressionAttributeValues=to_attributes(
                {
                    ":none": [],
                    ":entry": [entry.to_record()],
                    ":version": version,
                    ":label": current.label,
                    ":source": current.source,
                    ":by": current.by,
                    ":at": datetime.fromtimestamp(entry.at_ms / 1000, UTC).isoformat(),
                    **({} if first else {":before": version - 1}),
                }
            ),
        )

    def _set_once(
        self, transaction: Transaction, values: dict[str, Any], item: dict[str, Any] | None = None
    ) -> bool:
        """Set ``values`` on the stored item unless its first attribute is already set
        (``item``, if given, receives the whole item as written)."""
        names = {f"#a{i}": name for i, name in enumerate(values)}
        return self._update_if(
            transaction,
            item,
            UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(names))),
            ConditionExpression=("attribute_exists(transaction_id) AND attribute_not_exists(#a0)"),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_attributes(
                {f":v{i}": value for i, value in enumerate(values.values())}
            ),
        )

    def _update_if(
        self, transaction: Transaction, item: dict[str, Any] | None = None, **update: Any
    ) -> bool:
        """One conditional UpdateItem on the transaction's item: False when its
        condition failed; throttling is :class:`StoreBusy`. ``item``, if given, receives
        the whole item after the update."""
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key=to_attributes(
                    {
                        "transaction_id": transaction.transaction_id,
                        "timestamp": transaction.timestamp_ms,
                    }
                ),
                **update,
                **({} if item is None else {"ReturnValues": "ALL_NEW"}),
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "ConditionalCheckFailedException":
                return False
            _busy_or_raise(error)
        if item is not None:
            item.update(from_attributes(answer.get("Attributes", {})))
        return True

    def open_reviews(
        self, query: ReviewQuery
    ) -> tuple[list[dict[str, Any]], ReviewPosition | None]:
        """The review queue's sparse index, newest first across its shards.

        Cases are ordered by (timestamp, id), newest first; a page holds those after
        ``query.after`` in that order. Every shard (and the one key of items written
        before the queue was sharded) is read newest first; only cases newer than every
        unfinished shard's last read are sure to be in order whatever order the index
        gives equal timestamps, so shards are read on until a page is full of sure
        cases or the queue ends (at most :data:`_REVIEW_READS` rounds). The position is
        the last case the page looked at (a decision filter may pass over some)."""
        after = None if query.after is None else _order(query.after)
        keys = [f"{REVIEW_QUEUE_OPEN}#{shard}" for shard in range(REVIEW_SHARDS)]
        shards = [_ShardRead(self, key, query, after) for key in (*keys, REVIEW_QUEUE_OPEN)]
        page: list[dict[str, Any]] = []
        walked: list[dict[str, Any]] = []
        with ThreadPoolExecutor(len(shards)) as pool:
            for _round in range(_REVIEW_READS):
                unfinished = [shard for shard in shards if not shard.done]
                list(pool.map(_ShardRead.read, unfinished))
                frontier = max((s.last_ts for s in shards if not s.done), default=None)
                looked = sorted(
                    (item for s in shards for item in s.found), key=_item_order, reverse=True
                )
                sure = [i for i in looked if frontier is None or int(i["timestamp"]) > frontier]
                page, walked = _walk(sure, query)
                if len(page) >= query.limit or frontier is None:
                    break
        if frontier is not None and not walked:  # a tie longer than every read: as it came
            page, walked = _walk(looked, query)
        if not walked or (frontier is None and len(walked) == len(looked)):
            return page, None
        last = walked[-1]
        return page, ReviewPosition(str(last["transaction_id"]), int(last["timestamp"]))

    @property
    def table_name(self) -> str:
        return self._table

    @property
    def review_index(self) -> str:
        return self._review_index

    def query_page(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """One Query's page; a throttled or busy table is :class:`StoreBusy`."""
        return self._query(kwargs)

    def _query(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        try:
            page: dict[str, Any] = self._client.query(**kwargs)
        except ClientError as error:
            _busy_or_raise(error)
        return page

    def transactions_between(self, start_ms: int, end_ms: int) -> list[Transaction]:
        """Every transaction with ``start_ms <= timestamp < end_ms``, bucket by bucket."""
        return [Transaction.from_record(item) for item in self._window(start_ms, end_ms)]

    def entries_between(self, start_ms: int, end_ms: int) -> list[WindowEntry]:
        """What the patterns read of the window's transactions: only those attributes
        are sent back and parsed."""
        attributes = ("amount", "terminal_id", "card_token", "card_bin", "card_last4")
        return [
            WindowEntry(
                str(item["transaction_id"]),
                Decimal(item["amount"]),
                str(item["terminal_id"]),
                CardReference(
                    str(item["card_token"]), item.get("card_bin"), item.get("card_last4")
                ),
            )
            for item in self._window(start_ms, end_ms, attributes)
        ]

    def scores_between(self, start_ms: int, end_ms: int) -> list[float]:
        """The recorded scores of the window's transactions (through the same index, only
        the score and the keys that order them read back)."""
        window = self._window(start_ms, end_ms, ("score",))
        return [float(item["score"]) for item in window if "score" in item]

    def decisions_between(self, start_ms: int, end_ms: int) -> list[tuple[int, str, str]]:
        """(timestamp, decision, model version) of the window's assessed transactions
        ("" for what is not recorded): the console's rates over time."""
        return [
            (int(item["timestamp"]), str(item["decision"]), str(item.get("model_version", "")))
            for item in self._window(start_ms, end_ms, ("decision", "model_version"))
            if "decision" in item
        ]

    def _window(
        self, start_ms: int, end_ms: int, attributes: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        """Every item with ``start_ms <= timestamp < end_ms``: each bucket's shards read
        at once, merged in time order; ``attributes``: only those (and the keys) are sent
        back and parsed (the units are the same: DynamoDB charges the items read)."""
        step = self._bucket_seconds * 1000
        reads = [
            (_shard_key(time_bucket(bucket_start, self._bucket_seconds), shard), lo, hi)
            for bucket_start in range(start_ms // step * step, end_ms, step)
            for lo, hi in [(max(start_ms, bucket_start), min(end_ms, bucket_start + step) - 1)]
            for shard in [*(f"{s:02d}" for s in range(TIME_BUCKET_SHARDS)), None]
        ]
        with ThreadPoolExecutor(min(_WINDOW_READERS, len(reads) or 1)) as pool:
            pages = list(
                pool.map(lambda r: self._bucket_items(r[0], r[1], r[2], attributes), reads)
            )
        found = [item for page in pages for item in page]
        return sorted(found, key=lambda item: (int(item["timestamp"]), item["transaction_id"]))

    def _bucket_items(
        self, key: str, lo: int, hi: int, attributes: tuple[str, ...] = ()
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": self._bucket_index,
            "KeyConditionExpression": "time_bucket = :b AND #ts BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#ts": "timestamp"},
            "ExpressionAttributeValues": to_attributes({":b": key, ":lo": lo, ":hi": hi}),
        }
        if attributes:
            names = {f"#a{i}": name for i, name in enumerate(attributes)}
            kwargs["ExpressionAttributeNames"] |= names | {"#id": "transaction_id"}
            kwargs["ProjectionExpression"] = ", ".join(["#ts", "#id", *names])
        found: list[dict[str, Any]] = []
        while True:
            page = self._query(kwargs)
            found.extend(from_attributes(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _walk(
    items: list[dict[str, Any]], query: ReviewQuery
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The page of ``items`` (in order) that passes the decision filter, and the items
    looked at to fill it."""
    page: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if query.decision is None or item.get("decision") == query.decision:
            page.append(item)
        if len(page) >= query.limit:
            return page, items[: index + 1]
    return page, list(items)


class _ShardRead:
    """One key of the review queue's index, read newest first a page at a time from
    before the position: the cases found after it, and the timestamp of the last case
    read while the key has more (``done``: it was read to its end)."""

    def __init__(
        self,
        store: DynamoTransactionStore,
        key: str,
        query: ReviewQuery,
        after: tuple[int, str] | None,
    ) -> None:
        until = query.until_ms if after is None else min(query.until_ms, after[0])
        self._store, self._after = store, after
        self._kwargs: dict[str, Any] = {
            "TableName": store.table_name,
            "IndexName": store.review_index,
            "KeyConditionExpression": "#queue = :open AND #ts BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#queue": REVIEW_QUEUE_ATTRIBUTE, "#ts": "timestamp"},
            "ExpressionAttributeValues": to_attributes(
                {":open": key, ":lo": query.since_ms, ":hi": until}
            ),
            "ScanIndexForward": False,
            "Limit": query.limit + 1,
        }
        self.found: list[dict[str, Any]] = []
        self.last_ts = 0
        self.done = False

    def read(self) -> None:
        page = self._store.query_page(self._kwargs)
        items = [from_attributes(item) for item in page.get("Items", [])]
        self.found.extend(i for i in items if self._after is None or _item_order(i) < self._after)
        if "LastEvaluatedKey" not in page:
            self.done = True
            return
        self._kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        self.last_ts = int(from_attributes(page["LastEvaluatedKey"])["timestamp"])
