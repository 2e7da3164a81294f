"""Duplicates under concurrency, and the API under sustained and burst load (bounded,
on loopback): 429 past the throttle, nothing accepted lost, no 5xx."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from boto3.dynamodb.types import TypeDeserializer

from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline, LocalSettings
from tests.support.documents import TEST_PANS


def transaction(tid: str, **changes: Any) -> dict[str, Any]:
    return {
        "transaction_id": tid,
        "user_id": "load-user",
        "amount": 12.5,
        "currency": "USD",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "terminal_id": "load-term",
        "card_number": TEST_PANS[1],
    } | changes


def stored(stack: LocalPipeline, prefix: str) -> list[dict[str, Any]]:
    pages = boto3.client("dynamodb").get_paginator("scan")  # a scan stops at 1 MB a page
    deserialize = TypeDeserializer().deserialize
    items = [
        {name: deserialize(value) for name, value in item.items()}
        for page in pages.paginate(TableName=stack.blueprint.table_name, ConsistentRead=True)
        for item in page["Items"]
    ]
    return [
        i
        for i in items
        if str(i["transaction_id"]).startswith(prefix) and i["record_type"] == "transaction"
    ]


def test_concurrent_submissions_of_one_transaction_store_one_item(
    api: httpx.Client, stack: LocalPipeline
) -> None:
    body = transaction("dup-concurrent", terminal_id="dup-term")
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(lambda _: api.post("/transactions", json=body).status_code, range(16))
        )
    assert statuses == [201] * 16
    assert len(stored(stack, "dup-concurrent")) == 1
    # AND it is assessed once: one decision on the item, one count in its terminal's state
    assert wait_until(lambda: "decision" in stored(stack, "dup-concurrent")[0], timeout=30)
    profiles = boto3.resource("dynamodb").Table(stack.blueprint.profile_table_name)
    day = int(stored(stack, "dup-concurrent")[0]["timestamp"]) // 86_400_000

    def bucket() -> dict[str, Any]:
        key = {"entity": f"terminal#{body['terminal_id']}", "slot": f"d#{day:06d}"}
        return profiles.get_item(Key=key, ConsistentRead=True).get("Item", {})

    # (the terminal's counters are folded from the profile stream, within a second)
    assert wait_until(lambda: bool(bucket()), timeout=30)
    time.sleep(2)  # a second fold, were the transaction counted twice, lands by now
    assert bucket()["n"] == 1


@pytest.fixture(scope="module")
def throttled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPipeline]:
    # Its own suffix: the emulators of one process share their state.
    settings = LocalSettings(
        port=0,
        analyze_every_seconds=3600,
        environment_suffix="throttled",
        state_dir=Path(tmp_path_factory.mktemp("throttled")),
        overrides={"api_rate_limit_per_second": 10, "api_burst_limit": 5},
    )
    with LocalPipeline(settings) as pipeline:
        yield pipeline


def test_past_the_throttle_429_and_nothing_accepted_is_lost(throttled: LocalPipeline) -> None:
    headers = {"x-api-key": throttled.api_key}
    # GIVEN a burst of 120 requests from 12 clients at once, far past 10/s with burst 5
    with (
        httpx.Client(base_url=throttled.api_url, headers=headers, timeout=30) as client,
        ThreadPoolExecutor(max_workers=12) as pool,
    ):
        responses = list(
            pool.map(
                lambda n: (
                    n,
                    client.post("/transactions", json=transaction(f"burst-{n}")).status_code,
                ),
                range(120),
            )
        )
    statuses = Counter(status for _n, status in responses)
    # THEN the excess is refused with 429, nothing is a 5xx, and every 201 is stored
    assert statuses[429] > 0 and not any(s >= 500 for s in statuses)
    accepted = {f"burst-{n}" for n, status in responses if status == 201}
    assert {i["transaction_id"] for i in stored(throttled, "burst-")} == accepted
    # GIVEN sustained load just under the rate, THEN it is all accepted
    time.sleep(1)
    with httpx.Client(base_url=throttled.api_url, headers=headers, timeout=30) as client:
        steady = []
        for n in range(40):
            steady.append(client.post("/transactions", json=transaction(f"steady-{n}")).status_code)
            time.sleep(1 / 8)
    assert steady.count(201) == 40
    assert len(stored(throttled, "steady-")) == 40
