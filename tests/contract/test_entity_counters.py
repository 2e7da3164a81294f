"""EntityCounters: the fake the use-case tests fold into, and the profile table, where
each event folded is an applied card event item marked ``folded``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from cardwatch.adapters.dynamodb_counters import DynamoEntityCounters, event_key
from cardwatch.blueprint import Blueprint
from cardwatch.domain.engine.counters import AppliedEvent, Bucket, EntityCounters
from cardwatch.domain.engine.state import DAY_MS, HOUR_MS
from tests.fakes import DictEntityCounters

T0 = 1_763_000_000_000 // HOUR_MS * HOUR_MS + 5 * 60_000
Reader = Callable[[Bucket], dict[str, int]]


def events(count: int, terminal: str = "busy") -> list[AppliedEvent]:
    return [
        AppliedEvent(
            f"tx-{terminal}-{n}",
            f"card-{n % 7}",
            T0 + n * 1_000,
            10_000 + n,
            terminal,
            frozenset({f"terminal#{terminal}"}) if n % 7 == n else frozenset(),
            ("device#d-1",) if n % 2 else (),
        )
        for n in range(count)
    ]


@pytest.fixture(params=["memory", "dynamodb"])
def counters(request: pytest.FixtureRequest, blueprint: Blueprint) -> tuple[EntityCounters, Reader]:
    if request.param == "memory":
        fake = DictEntityCounters()
        return fake, lambda bucket: dict(fake.buckets.get(bucket, {}))
    request.getfixturevalue("provisioned")
    client = boto3.client("dynamodb")
    table = blueprint.profile_table_name
    for event in events(300) + events(5, "quiet"):  # the items detect marked applied
        client.put_item(
            TableName=table,
            Item={
                **event_key(event.card_key, event.timestamp_ms, event.transaction_id),
                "applied": {"N": "1"},
            },
        )

    def read(bucket: Bucket) -> dict[str, int]:
        width = 8 if bucket.period == "h" else 6
        item = client.get_item(
            TableName=table,
            Key={
                "entity": {"S": bucket.entity},
                "slot": {"S": f"{bucket.period}#{bucket.number:0{width}d}"},
            },
            ConsistentRead=True,
        ).get("Item", {})
        return {
            name: int(value["N"])
            for name, value in item.items()
            if name not in {"entity", "slot", "expires_at"}
        }

    return DynamoEntityCounters(table, client, sleep=lambda _s: None), read


def test_a_batch_is_folded_into_each_bucket_once(counters: tuple[EntityCounters, Any]) -> None:
    store, read = counters
    batch = events(300)
    assert store.fold(batch) == (300, 0)
    assert read(Bucket("terminal#busy", "d", T0 // DAY_MS)) == {
        "n": 300,
        "s": sum(10_000 + n for n in range(300)),
    }
    hour = read(Bucket("terminal#busy", "h", T0 // HOUR_MS))
    assert hour["n"] == 300 and sum(v for k, v in hour.items() if k[0] == "c") == 7
    assert read(Bucket("device#d-1", "h", T0 // HOUR_MS))["n"] == 150


def test_a_batch_met_again_or_in_part_folds_nothing_twice(
    counters: tuple[EntityCounters, Any],
) -> None:
    store, read = counters
    batch = events(300)
    assert store.fold(batch[:120]) == (120, 0)
    assert store.fold(batch) == (180, 120)  # the whole batch, retried after its first part
    assert store.fold(batch[50:60] * 2) == (0, 20)  # a half, delivered twice
    assert read(Bucket("terminal#busy", "d", T0 // DAY_MS))["n"] == 300


def test_buckets_of_other_entities_are_left_alone(counters: tuple[EntityCounters, Any]) -> None:
    store, read = counters
    store.fold(events(5, "quiet"))
    assert read(Bucket("terminal#quiet", "d", T0 // DAY_MS))["n"] == 5
    assert read(Bucket("terminal#busy", "d", T0 // DAY_MS)) == {}
