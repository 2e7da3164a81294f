"""The local stack with Lambda's shape (16 invocations of each function at once) under a
hot terminal and a hot card, with redeliveries and failures injected between writes:
every count in the detection state is exact, nothing lands in a DLQ, nothing is lost."""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from cardwatch.adapters.clients import client
from cardwatch.adapters.dynamodb_store import to_attributes
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline, LocalSettings
from cardwatch.simulation.traffic import demo_pan
from tests.support.documents import load_fixture
from tests.support.figures import figures

FIGURES = figures("concurrency")

CONCURRENCY = 16

# 16 invocations at once take both cores: it runs alone, after the tiers that run side by
# side (beside another worker it took over four minutes on a fresh machine)
pytestmark = [pytest.mark.slow, pytest.mark.serial]


class Faults:
    """Fails detect's state write for chosen transactions, once each: before the write
    reaches DynamoDB, or after it is applied (the answer lost). Lambda's retry must
    finish the work without counting anything twice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: set[tuple[str, str]] = set()
        self.injected = {"before": 0, "after": 0}

    @staticmethod
    def _kind(params: dict[str, Any]) -> str | None:
        first = params["TransactItems"][0]
        slot = first.get("Update", {}).get("Key", {}).get("slot", {}).get("S", "")
        if not slot.startswith("e#"):
            return None  # not a detection state change (ingest's write, a label)
        transaction = slot.rsplit("#", 1)[1]
        bucket = zlib.crc32(transaction.encode()) % 10
        return "before" if bucket == 0 else "after" if bucket in (1, 2) else None

    def _once(self, params: dict[str, Any], when: str) -> bool:
        kind = self._kind(params)
        if kind != when:
            return False
        key = (json.dumps(params["TransactItems"][0]["Update"]["Key"]["slot"]), when)
        with self._lock:
            if key in self._done:
                return False
            self._done.add(key)
            self.injected[when] += 1
            return True

    def before(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["cardwatch_params"] = params
        if self._once(params, "before"):
            raise ConnectionError("injected: the state write never reached DynamoDB")

    def after(self, context: dict[str, Any], **_: Any) -> None:
        params = context.get("cardwatch_params")
        if params is not None and self._once(params, "after"):
            raise ConnectionError("injected: the state write's answer was lost")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalPipeline, Faults]]:
    settings = LocalSettings(
        port=0,
        analyze_every_seconds=3600,
        environment_suffix="concurrency",
        state_dir=Path(tmp_path_factory.mktemp("concurrency")),
        concurrency=CONCURRENCY,
    )
    faults = Faults()
    with LocalPipeline(settings) as pipeline:
        events = client("dynamodb").meta.events  # the client the functions' adapters use
        events.register("provide-client-params.dynamodb.TransactWriteItems", faults.before)
        events.register("after-call.dynamodb.TransactWriteItems", faults.after)
        yield pipeline, faults


def stamp(seconds_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")


def post_all(pipeline: LocalPipeline, documents: list[dict[str, Any]]) -> list[int]:
    headers = {"x-api-key": pipeline.api_key}
    with (
        httpx.Client(base_url=pipeline.api_url, headers=headers, timeout=60) as api,
        ThreadPoolExecutor(max_workers=CONCURRENCY) as pool,
    ):

        def send(document: dict[str, Any]) -> int:
            for _ in range(5):  # a 503 (table busy) or 429 is to be retried, as it says
                status = api.post("/transactions", json=document).status_code
                if status not in (429, 503):
                    break
            return status

        return list(pool.map(send, documents))


def state_item(pipeline: LocalPipeline, entity: str, slot: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb").Table(pipeline.blueprint.profile_table_name)
    return table.get_item(Key={"entity": entity, "slot": slot}, ConsistentRead=True).get("Item", {})


def redeliver(pipeline: LocalPipeline, transaction_ids: list[str]) -> None:
    """Put the Pipe's event for each stored transaction on detect's invocation queue
    again: the at-least-once delivery an asynchronous invocation may make."""
    assert pipeline.made is not None
    table = boto3.resource("dynamodb").Table(pipeline.blueprint.table_name)
    sqs = boto3.client("sqs")
    for transaction_id in transaction_ids:
        items = table.query(
            KeyConditionExpression="transaction_id = :t",
            ExpressionAttributeValues={":t": transaction_id},
        )["Items"]
        item = next(i for i in items if i["record_type"] == "transaction")
        event = load_fixture("eventbridge_stream_insert.json")
        event["detail"]["dynamodb"]["NewImage"] = to_attributes(item)
        sqs.send_message(
            QueueUrl=pipeline.made.detect_invocation_queue_url,
            MessageBody=json.dumps(event, default=str),
        )


@pytest.mark.requirement("R003-08")
def test_a_hot_terminal_and_a_hot_card_keep_exact_counts(
    stack: tuple[LocalPipeline, Faults],
) -> None:
    pipeline, faults = stack
    # GIVEN 400 purchases from 400 cards at one terminal and 100 from one card at 100
    # terminals, within the last minutes, posted 16 at a time
    terminal_docs = [
        {
            "transaction_id": f"hot-t-{n}",
            "user_id": f"user-{n}",
            "amount": 10 + n % 7,
            "currency": "USD",
            "timestamp": stamp(240 - n * 0.5),
            "terminal_id": "hot-terminal",
            "card_number": demo_pan(f"card-{n}"),
        }
        for n in range(400)
    ]
    card_docs = [
        {
            "transaction_id": f"hot-c-{n}",
            "user_id": "hot-user",
            "amount": 1 + n % 3,
            "currency": "USD",
            "timestamp": stamp(200 - n),
            "terminal_id": f"shop-{n}",
            "card_number": demo_pan("hot-card"),
        }
        for n in range(100)
    ]
    # WHEN they are posted, detect runs 16 at a time with failures injected around its
    # state writes, and 60 of them are delivered to detect a second time
    statuses = post_all(pipeline, terminal_docs + card_docs)
    assert statuses == [201] * 500, Counter(statuses)
    assert pipeline.wiring is not None
    assert wait_until(lambda: pipeline.wiring.stats.detect_invocations >= 500, timeout=240)
    redeliver(pipeline, [d["transaction_id"] for d in terminal_docs[:40] + card_docs[:20]])
    day = int(datetime.now(UTC).timestamp() * 1000) // 86_400_000
    slot = f"d#{day:06d}"

    def settled() -> bool:
        return (
            pipeline.wiring is not None
            and pipeline.wiring.stats.detect_invocations >= 560
            and state_item(pipeline, "terminal#hot-terminal", slot).get("n", 0) >= 400
        )

    assert wait_until(settled, timeout=240), pipeline.wiring.stats
    # THEN the terminal counted each of its 400 transactions once, and 400 distinct cards
    assert pipeline.functions is not None and pipeline.functions.peak["detect"] > 1
    assert faults.injected["before"] > 5 and faults.injected["after"] > 5
    terminal_days = [
        state_item(pipeline, "terminal#hot-terminal", f"d#{d:06d}") for d in (day - 1, day)
    ]
    assert sum(int(item.get("n", 0)) for item in terminal_days) == 400
    # AND the card counted its 100 once
    with httpx.Client(base_url=pipeline.api_url, headers={"x-api-key": pipeline.api_key}) as api:
        repeat = api.post("/transactions", json=card_docs[0])
    token = repeat.json()["transaction"]["card"]["token"]
    total = state_item(pipeline, f"card#{token}", "d#total")
    assert int(total["n"]) == 100
    # AND nothing failed for good: the failures DLQ is empty
    assert pipeline.wiring.stats.sent_to_dlq == 0
    FIGURES.update(
        {
            "transactions posted (16 at a time)": 500,
            "redelivered to detect": 60,
            "detect invocations": pipeline.wiring.stats.detect_invocations,
            "events whose retries ran out": pipeline.wiring.stats.detect_failures,
            "state writes failed before reaching DynamoDB": faults.injected["before"],
            "state writes failed after they were applied": faults.injected["after"],
            "most detect invocations at once": pipeline.functions.peak["detect"],
            "hot terminal: transactions counted (of 400)": sum(
                int(item.get("n", 0)) for item in terminal_days
            ),
            "hot card: transactions counted (of 100)": int(total["n"]),
            "sent to the failures DLQ": pipeline.wiring.stats.sent_to_dlq,
        }
    )


def test_concurrent_requests_each_get_their_own_answer(
    stack: tuple[LocalPipeline, Faults],
) -> None:
    # GIVEN 64 different transactions, posted 16 at a time: each invocation of ingest
    # runs in an environment of its own, as on Lambda (Powertools' resolver holds the
    # event it is resolving in module state; shared, one request could read another's)
    pipeline, _faults = stack
    documents = [
        {
            "transaction_id": f"own-{n}",
            "user_id": f"own-user-{n}",
            "amount": 5 + n,
            "currency": "USD",
            "timestamp": stamp(30),
            "terminal_id": f"own-terminal-{n}",
            "card_number": demo_pan(f"own-{n}"),
        }
        for n in range(64)
    ]
    headers = {"x-api-key": pipeline.api_key}
    with (
        httpx.Client(base_url=pipeline.api_url, headers=headers, timeout=60) as api,
        ThreadPoolExecutor(max_workers=CONCURRENCY) as pool,
    ):
        answers = list(pool.map(lambda d: api.post("/transactions", json=d), documents))
    # THEN each answer is 201 for the transaction that was sent, with its own amount
    assert [a.status_code for a in answers] == [201] * 64
    for document, answer in zip(documents, answers, strict=True):
        sent = answer.json()["transaction"]
        assert (sent["transaction_id"], sent["terminal_id"]) == (
            document["transaction_id"],
            document["terminal_id"],
        )
        assert sent["amount"] == f"{document['amount']}.00"
    assert pipeline.functions is not None and pipeline.functions.peak["ingest"] > 1


def test_a_burst_of_decisions_on_one_card_is_caught_within_the_burst_and_counted_once(
    stack: tuple[LocalPipeline, Faults],
) -> None:
    # GIVEN a card-testing run of 12 probes on one card, stamped as they are sent, each
    # sent twice (a processor's retry), all 24 requests at once, 16 at a time
    pipeline, faults = stack
    before = faults.injected["before"] + faults.injected["after"]
    probes = [
        {
            "transaction_id": f"burst-{n}",
            "user_id": "burst-user",
            "amount": 180 if n == 0 else 1,
            "currency": "USD",
            "timestamp": stamp(0.05),
            "terminal_id": f"burst-shop-{n % 3}",
            "card_number": demo_pan("burst-card"),
        }
        for n in range(12)
    ]
    headers = {"x-api-key": pipeline.api_key}
    with (
        httpx.Client(base_url=pipeline.api_url, headers=headers, timeout=60) as api,
        ThreadPoolExecutor(max_workers=CONCURRENCY) as pool,
    ):
        answers = list(pool.map(lambda d: api.post("/decisions", json=d), probes + probes))
    # THEN every request is answered with a decision, and both sends of a probe with the
    # same one: the decision of record
    assert [a.status_code for a in answers] == [200] * 24, [a.text for a in answers]
    said = [a.json() for a in answers]
    assert said[:12] == said[12:]
    assert not any(s["degraded"] for s in said)
    assert pipeline.functions is not None and pipeline.functions.peak["decide"] > 1
    # AND the run is caught in its own answers: the last decision to read the state saw
    # the other eleven, whatever order they arrived in
    decisions = Counter(s["decision"] for s in said[:12])
    assert decisions["review"] + decisions["block"] >= 1, decisions
    table = boto3.resource("dynamodb").Table(pipeline.blueprint.table_name)
    stored = {}
    for probe in probes:
        items = table.query(
            KeyConditionExpression="transaction_id = :t",
            ExpressionAttributeValues={":t": probe["transaction_id"]},
        )["Items"]
        stored[probe["transaction_id"]] = next(
            i for i in items if i["record_type"] == "transaction"
        )
    seen = [int(item["features"]["c_count_1h"]) for item in stored.values()]
    assert max(seen) == 11, seen
    for answer in said[:12]:
        assert stored[answer["transaction_id"]]["decision"] == answer["decision"]
    # AND once detect has taken each decision as it is (failures injected around its
    # state writes), the card counts each probe once
    token = stored["burst-0"]["card_token"]

    def counted() -> int:
        return int(state_item(pipeline, f"card#{token}", "d#total").get("n", 0))

    assert wait_until(lambda: counted() >= 12, timeout=120), counted()
    time.sleep(2)  # a late duplicate would land now
    assert counted() == 12
    assert pipeline.wiring is not None and pipeline.wiring.stats.sent_to_dlq == 0
    for item in stored.values():  # never scored again: the decision of record stands
        again = table.get_item(
            Key={"transaction_id": item["transaction_id"], "timestamp": item["timestamp"]}
        )["Item"]
        assert (again["decision"], again["score"]) == (item["decision"], item["score"])
    FIGURES.update(
        {
            "decisions on one card sent at once (each twice)": 24,
            "decisions of the burst: review or block (of 12)": decisions["review"]
            + decisions["block"],
            "probes the last decision to read saw (of 11 others)": max(seen),
            "most decide invocations at once": pipeline.functions.peak["decide"],
            "burst card: transactions counted (of 12)": counted(),
            "state writes failed around detect's apply, during the burst": faults.injected["before"]
            + faults.injected["after"]
            - before,
        }
    )
