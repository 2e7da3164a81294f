"""Detection state in the profile table: small items, changed only by atomic adds.

Key ``entity`` (``card#<token>``, ``terminal#<id>``, a spread entity ``device#<id>``,
``ip#<network>``, ``bin#<digits>``, or a category ``mcc#<code>``) and ``slot``:

=========================  ==========================================================
``e#<ts>#<transaction>``   a card's event (amount, terminal, coordinates, device,
                           network, country, channel), put once, then marked
                           ``applied`` once
``d#<day>``                a day bucket: ``n``, ``s`` (amount sum), label counts (a
                           category's: labels by the day they became known)
``d#total``                a card's all-time ``n``, ``s``, ``q`` (sum of squares)
``h#<hour>``               a terminal's or spread entity's hour: ``n``,
                           ``m<minute>``, ``c<minute>``
``p#<day>#<card>``         first-visit marker: which transaction claimed the card's
                           first visit to the terminal (spread entity) that day
``l#<transaction>``        a card's label marker: that label was learnt
=========================  ==========================================================

Before it is scored, a transaction *registers*: its event item is put (only if absent),
so an invocation scoring the same card at the same moment sees it, and it claims the
first-visit marker (put only if absent, naming its owner): exactly one transaction per
card, terminal and day counts the card among the terminal's distinct cards. After
scoring, the card's own counters are one ``TransactWriteItems``: the event item marked
``applied`` (only if not yet) with the entities it touches (``sp``) and the first
visits it holds (``cl``), and an ``ADD`` to the card's day and totals, so concurrent
transactions commute and a retry never counts twice. A cancelled write is retried as
it stands (conflict, throttling) or not at all (applied before).

The terminal's and spread entities' hours and days are not in that transaction: a
busy terminal would take a transactional write per transaction on one item, which
DynamoDB cancels as conflicts long before the partition is full. The marked event
reaches the table's stream, and the counters' fold adds a whole batch of them to each
bucket in one write (:mod:`cardwatch.adapters.dynamodb_counters`). Items stay small
(under 1 KB) whatever a terminal's traffic: the cost of a transaction does not grow
with it. Every bucket's time to live follows from its own time, never from a late
event's. Cooldowns (``cooldown#<key>``) share the table.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, TypeVar

import boto3
from botocore.exceptions import ClientError

from cardwatch.adapters.dynamodb_counters import (
    day_slot,
    event_key,
    expiry,
    hour_slot,
    string_list,
)
from cardwatch.adapters.dynamodb_errors import (
    BUSY_CODES,
    RETRYABLE_CANCELLATIONS,
    cancellation_codes,
)
from cardwatch.domain.engine.budget import count_bins
from cardwatch.domain.engine.state import (
    BUCKET_GRACE_DAYS,
    DAY_MS,
    EVENT_RETENTION_DAYS,
    HISTORY_DAYS,
    HOUR_BUCKETS,
    HOUR_MS,
    LABEL_DAYS,
    NO_KEYS,
    RECENT_EVENTS,
    CardDay,
    CardEvent,
    CardState,
    Keys,
    LabelChange,
    Snapshot,
    StateChange,
    TerminalDay,
    TerminalHour,
    TerminalState,
    terminal_entity,
)
from cardwatch.domain.errors import StoreBusy

__all__ = ["ConcurrentStateUpdate", "DynamoCooldown", "DynamoScoreLog", "DynamoStateStore"]

ENTITY, SLOT = "entity", "slot"
T = TypeVar("T")
#: threads a process's parallel state calls share (bounded: a busy machine, or many
#: execution environments in one local-mode process, is not flooded)
_CALL_THREADS = 8


@cache
def _calls() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(_CALL_THREADS, thread_name_prefix="state-call")


TTL = "expires_at"
_DAY_S = DAY_MS // 1000
_TOTAL = "d#total"
_ATTEMPTS = 6


class ConcurrentStateUpdate(RuntimeError):
    """Transactions kept conflicting on the same items; retrying the event is safe."""


def card_entity(card_key: str) -> str:
    return f"card#{card_key}"


def _n(value: int | float) -> dict[str, str]:
    return {"N": str(value)}


def _key(entity: str, slot: str) -> dict[str, Any]:
    return {ENTITY: {"S": entity}, SLOT: {"S": slot}}


def _event_key(change: StateChange) -> dict[str, Any]:
    event = change.event
    return event_key(change.card_key, event.timestamp_ms, event.transaction_id)


def _bucket_ttl(bucket_end_ms: int, keep_days: int) -> dict[str, str]:
    return _n(expiry(bucket_end_ms, keep_days))


class DynamoStateStore:
    """:class:`~cardwatch.domain.engine.state.StateStore` on the profile table."""

    def __init__(
        self,
        table_name: str,
        client: Any | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        consistent: bool = True,
        parallel: bool = False,
    ) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")
        self._clock = clock
        self._sleep = sleep
        self._consistent = consistent
        #: a read's queries, and a registration's puts, made at once (one round trip's
        #: wait instead of one per call): what an answer waiting on them wants
        self._parallel = parallel
        #: Capacity units consumed by this store's calls, for measurement.
        self.consumed = {"read": 0.0, "write": 0.0}
        self._counting = threading.Lock()

    def _all(self, calls: list[Callable[[], T]]) -> list[T]:
        """Each of ``calls``' results, in order: side by side when parallel."""
        if not self._parallel or len(calls) < 2:
            return [call() for call in calls]
        return list(_calls().map(lambda call: call(), calls))

    # -- reads ----------------------------------------------------------------------
    def read(
        self,
        card_key: str,
        terminal_id: str,
        transaction_id: str,
        at_ms: int,
        keys: Keys = NO_KEYS,
    ) -> Snapshot:
        card, terminal = card_entity(card_key), terminal_entity(terminal_id)
        today, hour = at_ms // DAY_MS, at_ms // HOUR_MS
        first_hour, last_hour = hour_slot(hour - HOUR_BUCKETS + 1), hour_slot(hour)
        first_day = day_slot(today - HISTORY_DAYS + 1)
        reads: list[Callable[[], list[dict[str, Any]]]] = [
            lambda: self._query(card, "e#", f"e#{at_ms:015d}$", newest_first=True),
            lambda: self._query(card, first_day, _TOTAL),
            lambda: self._query(terminal, first_hour, last_hour),
            lambda: self._query(terminal, first_day, day_slot(today)),
        ]
        reads += [
            lambda key=key: self._query(key, first_hour, last_hour)  # type: ignore[misc]
            for key in keys.spread
        ]
        if keys.category is not None:
            category_key = keys.category
            reads.append(
                lambda: self._query(category_key, day_slot(today - LABEL_DAYS + 1), day_slot(today))
            )
        events, card_days, hours, terminal_days, *rest = self._all(reads)
        spread = {
            key: TerminalState(hours={int(item[SLOT]["S"][2:]): _hour(item) for item in found})
            for key, found in zip(keys.spread, rest, strict=False)
        }
        category = None
        if keys.category is not None:
            category = TerminalState(
                days={int(item[SLOT]["S"][2:]): _terminal_day(item) for item in rest[-1]}
            )
        state = CardState(events=deque(_event(item) for item in reversed(events)))
        for item in card_days:
            if item[SLOT]["S"] == _TOTAL:
                state.count, state.amount_milli = _int(item, "n"), _int(item, "s")
                state.squares = _int(item, "q")
            else:
                state.days[int(item[SLOT]["S"][2:])] = CardDay(
                    _int(item, "n"), _int(item, "s"), _int(item, "kf")
                )
        applied = any(
            "applied" in item and _event(item).transaction_id == transaction_id for item in events
        )
        return Snapshot(
            state,
            TerminalState(
                hours={int(item[SLOT]["S"][2:]): _hour(item) for item in hours},
                days={int(item[SLOT]["S"][2:]): _terminal_day(item) for item in terminal_days},
            ),
            applied=applied,
            spread=spread,
            category=category,
        )

    def _query(
        self, entity: str, low: str, high: str, *, newest_first: bool = False
    ) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#e = :e AND #s BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#e": ENTITY, "#s": SLOT},
            "ExpressionAttributeValues": {
                ":e": {"S": entity},
                ":lo": {"S": low},
                ":hi": {"S": high},
            },
            "ConsistentRead": self._consistent,
        }
        if newest_first:
            kwargs |= {"ScanIndexForward": False, "Limit": RECENT_EVENTS}
        items: list[dict[str, Any]] = []
        while True:
            page = self._call("query", **kwargs)
            items.extend(page.get("Items", []))
            if newest_first or "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- changes --------------------------------------------------------------------
    def register(self, change: StateChange) -> frozenset[str]:
        visited = change.visited
        claims: list[Callable[[], bool]] = [lambda: self._put_event(change)]
        claims += [lambda key=key: self._claim(key, change) for key in visited]  # type: ignore[misc]
        _, *held = self._all(claims)
        return frozenset(key for key, holds in zip(visited, held, strict=True) if holds)

    def _put_event(self, change: StateChange) -> bool:
        """Put the card event unless an earlier attempt did (True: this call put it)."""
        try:
            self._call(
                "put_item",
                TableName=self._table,
                Item=self._event_item(change),
                ConditionExpression=f"attribute_not_exists({ENTITY})",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False  # registered by an earlier attempt
        return True

    def _claim(self, entity: str, change: StateChange) -> bool:
        """Claim the card's first visit to ``entity`` that day (True: this transaction
        holds it, now or from an earlier attempt)."""
        owner = change.event.transaction_id
        slot = f"p#{change.day:06d}#{change.card_key}"
        marker = {
            **_key(entity, slot),
            "owner": {"S": owner},
            TTL: _bucket_ttl((change.day + 1) * DAY_MS, 3),
        }
        try:
            self._call(
                "put_item",
                TableName=self._table,
                Item=marker,
                ConditionExpression=f"attribute_not_exists({ENTITY})",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            held = error.response.get("Item") or self._call(
                "get_item", TableName=self._table, Key=_key(entity, slot), ConsistentRead=True
            ).get("Item", {})
            return bool(held.get("owner", {}).get("S") == owner)
        return True

    def apply(self, change: StateChange) -> bool:
        return self._once(self._writes(change), change.event.transaction_id)

    @staticmethod
    def _event_item(change: StateChange) -> dict[str, Any]:
        event = change.event
        item: dict[str, Any] = {
            **_event_key(change),
            "ts": _n(event.timestamp_ms),
            "a": _n(event.amount_milli),
            "t": {"S": event.terminal_id},
            TTL: _bucket_ttl(event.timestamp_ms, EVENT_RETENTION_DAYS),
        }
        if event.latitude is not None and event.longitude is not None:
            item |= {"lat": _n(event.latitude), "lon": _n(event.longitude)}
        for name, value in zip(_CONTEXT, event[_CONTEXT_AT:], strict=True):
            if value:
                item[name] = {"S": value}
        return item

    def _writes(self, change: StateChange) -> list[dict[str, Any]]:
        """The card's own change, in one transaction; what the transaction adds to its
        terminal and spread entities is named on its event, for the counters' fold
        (:mod:`cardwatch.adapters.dynamodb_counters`, from the table's stream)."""
        event, card = change.event, card_entity(change.card_key)
        amount, day = event.amount_milli, change.day
        day_ttl = _bucket_ttl((day + 1) * DAY_MS, HISTORY_DAYS + BUCKET_GRACE_DAYS)
        return [
            {  # the event, registered before scoring: marked applied, once
                "Update": {
                    "Key": _event_key(change),
                    "UpdateExpression": "SET applied = :one, cl = :claimed, sp = :spread",
                    "ConditionExpression": f"attribute_exists({ENTITY}) AND "
                    "attribute_not_exists(applied)",
                    "ExpressionAttributeValues": {
                        ":one": _n(1),
                        ":claimed": string_list(sorted(change.claimed)),
                        ":spread": string_list(change.keys.spread),
                    },
                }
            },
            _add(card, day_slot(day), "n :one, s :a", {":a": _n(amount)}, day_ttl),
            _add(
                card,
                _TOTAL,
                "n :one, s :a, q :q",
                {":a": _n(amount), ":q": _n(amount * amount)},
                _n(int(self._clock()) + EVENT_RETENTION_DAYS * _DAY_S),
            ),
        ]

    def apply_label(self, change: LabelChange) -> bool:
        card = card_entity(change.card_key)
        entities: dict[str, Callable[[str], str]] = {
            "card": card_entity,
            "terminal": terminal_entity,
            "place": str,
        }
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "Item": {
                        **_key(card, f"l#{change.applied_key}"),
                        "fraud": _n(int(change.is_fraud)),
                        "known_ms": _n(change.known_ms),
                        TTL: _n(int(self._clock()) + EVENT_RETENTION_DAYS * _DAY_S),
                    },
                    "ConditionExpression": f"attribute_not_exists({ENTITY})",
                }
            }
        ]
        # one ADD per (entity, day) bucket, with every counter it moves
        buckets: dict[tuple[str, int], dict[str, int]] = {}
        for kind, key, day, counter, amount in change.deltas():
            counters = buckets.setdefault((entities[kind](key), day), {})
            counters[_LABEL_ATTRIBUTES[kind, counter]] = amount
        for (entity, day), counters in buckets.items():
            names = sorted(counters)
            writes.append(
                _add(
                    entity,
                    day_slot(day),
                    ", ".join(f"{name} :{name}" for name in names),
                    {f":{name}": _n(counters[name]) for name in names},
                    _bucket_ttl((day + 1) * DAY_MS, HISTORY_DAYS + BUCKET_GRACE_DAYS),
                )
            )
        return self._once(writes, change.transaction_id)

    # -- calls ----------------------------------------------------------------------
    def _once(self, writes: list[dict[str, Any]], transaction_id: str) -> bool:
        """Run ``writes`` as one transaction whose first write holds only while the
        change is not applied: True when applied now, False when it was before. A
        conflict or a throttled partition is retried with exponential backoff and full
        jitter (nothing is slept after the last attempt), then left to the event's own
        retry, and at last to the failures queue."""
        for write in writes:
            next(iter(write.values()))["TableName"] = self._table
        for attempt in range(_ATTEMPTS):
            if attempt:
                self._sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 (jitter)
            try:
                self._call("transact_write_items", TransactItems=writes)
                return True
            except ClientError as error:
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                codes = cancellation_codes(error)
                if codes[:1] == ["ConditionalCheckFailed"]:
                    return False  # applied before
                # retried only when every write that failed may pass if tried again
                passing = RETRYABLE_CANCELLATIONS | BUSY_CODES | {"None"}
                if not codes or not all(code in passing for code in codes):
                    raise
        raise ConcurrentStateUpdate(transaction_id)

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = getattr(self._client, operation)(
                ReturnConsumedCapacity="TOTAL", **kwargs
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in BUSY_CODES:
                raise StoreBusy(code) from error
            raise
        used = answer.get("ConsumedCapacity", [])
        kind = "read" if operation in {"query", "get_item"} else "write"
        with self._counting:
            for entry in used if isinstance(used, list) else [used]:
                self.consumed[kind] += float(entry.get("CapacityUnits", 0))
        return answer


def _add(
    entity: str, slot: str, adds: str, values: dict[str, Any], ttl: dict[str, str]
) -> dict[str, Any]:
    return {
        "Update": {
            "Key": _key(entity, slot),
            "UpdateExpression": f"ADD {adds} SET #ttl = :ttl",
            "ExpressionAttributeNames": {"#ttl": TTL},
            "ExpressionAttributeValues": {":one": _n(1), ":ttl": ttl, **values},
        }
    }


#: Which attribute of a day bucket holds each counter a label moves.
_LABEL_ATTRIBUTES = {
    ("card", "frauds_known"): "kf",
    ("terminal", "labelled"): "l",
    ("terminal", "frauds"): "f",
    ("terminal", "frauds_known"): "k",
    ("place", "labelled"): "l",
    ("place", "frauds"): "f",
}


def _int(item: dict[str, Any], name: str) -> int:
    value = item.get(name)
    return int(value["N"]) if value else 0


#: a card event's context attributes: device, network, country, channel
_CONTEXT = ("dv", "ip", "co", "ch")
_CONTEXT_AT = CardEvent._fields.index("device")


def _event(item: dict[str, Any]) -> CardEvent:
    slot = item[SLOT]["S"]
    return CardEvent(
        slot[slot.index("#", 2) + 1 :],
        int(item["ts"]["N"]),
        int(item["a"]["N"]),
        item["t"]["S"],
        float(item["lat"]["N"]) if "lat" in item else None,
        float(item["lon"]["N"]) if "lon" in item else None,
        *(item[name]["S"] if name in item else None for name in _CONTEXT),
    )


def _hour(item: dict[str, Any]) -> TerminalHour:
    bucket = TerminalHour(_int(item, "n"))
    for name, value in item.items():
        if len(name) == 3 and name[0] in "mc" and name[1:].isdigit():
            target = bucket.minutes if name[0] == "m" else bucket.new_cards
            target[int(name[1:])] = int(value["N"])
    return bucket


def _terminal_day(item: dict[str, Any]) -> TerminalDay:
    return TerminalDay(*(_int(item, name) for name in ("n", "s", "l", "f", "k")))


class DynamoCooldown:
    """:class:`~cardwatch.domain.ports.CooldownStore` as TTL items in the profile table."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")

    def active(self, key: str, now_ms: int) -> bool:
        item = self._client.get_item(
            TableName=self._table, ConsistentRead=True, Key=_key(f"cooldown#{key}", "-")
        ).get("Item")
        return item is not None and int(item["until_ms"]["N"]) > now_ms

    def start(self, key: str, until_ms: int) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                **_key(f"cooldown#{key}", "-"),
                "until_ms": _n(until_ms),
                TTL: _n(until_ms // 1000 + 86_400),
            },
        )


_SCORES = "scores"


class DynamoScoreLog:
    """:class:`~cardwatch.domain.ports.ScoreLog` in the profile table: one item per day
    (``scores`` / ``d#<day>``) with a count per score bin (``b<bin>``), and one marker
    per folded window, written together in one transaction (a window counts once)."""

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self._table = table_name
        self._client = client or boto3.client("dynamodb")

    def fold(self, window_start_ms: int, scores: Iterable[float]) -> bool:
        counts = count_bins(scores)
        day = window_start_ms // DAY_MS
        keep = _bucket_ttl((day + 1) * DAY_MS, HISTORY_DAYS + BUCKET_GRACE_DAYS)
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**_key(_SCORES, f"w#{window_start_ms:015d}"), TTL: keep},
                    "ConditionExpression": f"attribute_not_exists({ENTITY})",
                }
            }
        ]
        if counts:
            names = {f"#b{index}": f"b{index}" for index in counts}
            values = {f":b{index}": _n(n) for index, n in counts.items()}
            writes.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _key(_SCORES, day_slot(day)),
                        "UpdateExpression": "ADD "
                        + ", ".join(f"#b{index} :b{index}" for index in counts)
                        + " SET #ttl = :ttl",
                        "ExpressionAttributeNames": {**names, "#ttl": TTL},
                        "ExpressionAttributeValues": {**values, ":ttl": keep},
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            if cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
                return False  # folded before
            raise
        return True

    def counts(self, first_day: int, last_day: int) -> Counter[int]:
        total: Counter[int] = Counter()
        for counts in self.daily_counts(first_day, last_day).values():
            total.update(counts)
        return total

    def daily_counts(self, first_day: int, last_day: int) -> dict[int, Counter[int]]:
        days: dict[int, Counter[int]] = {}
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#e = :e AND #s BETWEEN :lo AND :hi",
            "ExpressionAttributeNames": {"#e": ENTITY, "#s": SLOT},
            "ExpressionAttributeValues": {
                ":e": {"S": _SCORES},
                ":lo": {"S": day_slot(first_day)},
                ":hi": {"S": day_slot(last_day - 1)},
            },
        }
        while True:
            page = self._client.query(**kwargs)
            for item in page.get("Items", []):
                day = int(item[SLOT]["S"].partition("#")[2])
                counts = days.setdefault(day, Counter())
                for name, value in item.items():
                    if name[:1] == "b" and name[1:].isdigit():
                        counts[int(name[1:])] += int(value["N"])
            if "LastEvaluatedKey" not in page:
                return {day: counts for day, counts in sorted(days.items()) if counts}
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
