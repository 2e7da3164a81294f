"""The local stack with DynamoDB's physics on: 64 invocations of each function at once on
one terminal, one device and one card, with the emulator cancelling transactions that
overlap (a 25 ms window in flight) and throttling every partition key at a scaled-down
write rate. Whatever the conflicts and throttles cost, every count is exact, nothing
accepted is lost, and an event whose retries ran out waits in the failures queue with a
record an operator redrives."""

from __future__ import annotations

import json
import subprocess
import sys
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
from cardwatch.adapters.dynamodb_cases import DynamoCaseStore
from cardwatch.domain.cases.case import CaseQuery
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline, LocalSettings
from cardwatch.simulation.traffic import demo_pan
from tests.support.figures import figures

# alone, after the tiers that run side by side: 64 invocations at once take both cores
pytestmark = [pytest.mark.slow, pytest.mark.serial]

FIGURES = figures("concurrency")
CONCURRENCY = 64
#: the emulator's limits for this tier: conflicts on, and a partition's write units cut
#: so that one machine's traffic reaches them (a key's 1,000 a second on AWS)
PHYSICS = {
    "CARDWATCH_DYNAMODB_TRANSACTION_HOLD_MS": "25",
    "CARDWATCH_DYNAMODB_PARTITION_WCU": "40",
}
TRANSACTIONS, ON_THE_CARD = 240, 60


class Cancellations:
    """Counts the functions' transactions DynamoDB cancelled, by reason."""

    def __init__(self) -> None:
        self.reasons: Counter[str] = Counter()

    def __call__(self, parsed: dict[str, Any], **_: Any) -> None:
        for reason in parsed.get("CancellationReasons") or []:
            if reason.get("Code") not in (None, "None"):
                self.reasons[reason["Code"]] += 1


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LocalPipeline, Cancellations]]:
    settings = LocalSettings(
        port=0,
        analyze_every_seconds=3600,
        environment_suffix="physics",
        state_dir=Path(tmp_path_factory.mktemp("physics")),
        concurrency=CONCURRENCY,
        emulator_settings=PHYSICS,
    )
    cancellations = Cancellations()
    with LocalPipeline(settings) as pipeline:
        events = client("dynamodb").meta.events  # the functions' adapters' client
        events.register("after-call.dynamodb.TransactWriteItems", cancellations)
        yield pipeline, cancellations


def stamp(seconds_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")


def documents() -> list[dict[str, Any]]:
    """All at one terminal from one device; the first ON_THE_CARD from one card."""
    return [
        {
            "transaction_id": f"phys-{n}",
            "user_id": f"user-{n}",
            "amount": 10 + n % 7,
            "currency": "USD",
            "timestamp": stamp(200 - n * 0.5),
            "terminal_id": "busy-terminal",
            "device_id": "busy-device",
            "card_number": demo_pan("busy-card" if n < ON_THE_CARD else f"card-{n}"),
        }
        for n in range(TRANSACTIONS)
    ]


def post_all(pipeline: LocalPipeline, sent: list[dict[str, Any]]) -> Counter[int]:
    headers = {"x-api-key": pipeline.api_key}
    with (
        httpx.Client(base_url=pipeline.api_url, headers=headers, timeout=60) as api,
        ThreadPoolExecutor(max_workers=CONCURRENCY) as pool,
    ):

        def send(document: dict[str, Any]) -> int:
            for attempt in range(20):  # 503 (a partition busy) and 429 say: try again
                status = api.post("/transactions", json=document).status_code
                if status not in (429, 503):
                    return status
                wait_until(lambda: False, timeout=0.05 * (attempt + 1))
            return status

        return Counter(pool.map(send, sent))


def state_total(pipeline: LocalPipeline, entity: str) -> int:
    table = boto3.resource("dynamodb").Table(pipeline.blueprint.profile_table_name)
    days = table.query(
        KeyConditionExpression="entity = :e AND begins_with(slot, :d)",
        ExpressionAttributeValues={":e": entity, ":d": "d#"},
        ConsistentRead=True,
    )["Items"]
    return sum(int(item.get("n", 0)) for item in days if item["slot"] != "d#total")


def decided(pipeline: LocalPipeline) -> int:
    """Transactions whose decision is recorded: detect's work done."""
    table = boto3.resource("dynamodb").Table(pipeline.blueprint.table_name)
    pages, start = 0, None
    done = 0
    while pages == 0 or start is not None:
        page = table.scan(**({"ExclusiveStartKey": start} if start else {}))
        done += sum(1 for item in page["Items"] if "decision" in item)
        start, pages = page.get("LastEvaluatedKey"), pages + 1
    return done


def undecided(pipeline: LocalPipeline) -> list[dict[str, Any]]:
    """The transactions' items with no decision (a few, as they are): what a test that
    waited in vain says, to tell a lost decision from a slow one."""
    table = boto3.resource("dynamodb").Table(pipeline.blueprint.table_name)
    found: list[dict[str, Any]] = []
    start = None
    while True:
        page = table.scan(**({"ExclusiveStartKey": start} if start else {}))
        found += [
            {k: item.get(k) for k in ("transaction_id", "timestamp", "record_type", "received_at")}
            for item in page["Items"]
            if "decision" not in item and item.get("record_type") != "guard"
        ]
        start = page.get("LastEvaluatedKey")
        if start is None:
            return found[:10]


def flagged_on_the_card(pipeline: LocalPipeline) -> set[str]:
    """The busy card's transactions that detect sent to review or blocked."""
    table = boto3.resource("dynamodb").Table(pipeline.blueprint.table_name)
    found: set[str] = set()
    start = None
    while True:
        page = table.scan(**({"ExclusiveStartKey": start} if start else {}))
        found |= {
            item["transaction_id"]
            for item in page["Items"]
            if item.get("decision") in ("review", "block")
            and str(item["transaction_id"]).removeprefix("phys-").isdigit()
            and int(str(item["transaction_id"]).removeprefix("phys-")) < ON_THE_CARD
        }
        start = page.get("LastEvaluatedKey")
        if start is None:
            return found


def dead_letters(pipeline: LocalPipeline) -> int:
    assert pipeline.made is not None
    url = pipeline.made.queue_urls[pipeline.blueprint.failures_dlq.name]
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def redrive_failures(pipeline: LocalPipeline) -> int:
    """The operator's command: every dead letter of the failures queue sent back."""
    state = str(pipeline.settings.state_dir / "local.json")
    command = ["dlq", "redrive", "failures", "--watch", "0", "--json", "--state", state]
    done = subprocess.run(
        [sys.executable, "-m", "cardwatch.cli.main", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(json.loads(done.stdout)["redriven"])


def test_conflicts_and_throttles_cost_retries_but_no_count_and_no_transaction(
    stack: tuple[LocalPipeline, Cancellations],
) -> None:
    pipeline, cancellations = stack
    assert pipeline.wiring is not None and pipeline.functions is not None
    # GIVEN 240 purchases at one terminal from one device, 60 of them on one card,
    # posted 64 at a time while DynamoDB cancels overlapping transactions and throttles
    sent = documents()
    statuses = post_all(pipeline, sent)
    assert statuses == Counter({201: TRANSACTIONS}), statuses

    # WHEN detect has run every event (its retries and Lambda's) and an operator has
    # redriven whatever reached the failures queue
    def settled() -> bool:
        return decided(pipeline) + dead_letters(pipeline) >= TRANSACTIONS

    assert wait_until(settled, timeout=300), (pipeline.wiring.stats, undecided(pipeline))
    in_dlq, redriven = dead_letters(pipeline), 0
    for _ in range(10):
        if dead_letters(pipeline) == 0:
            break
        redriven += redrive_failures(pipeline)
        assert wait_until(settled, timeout=120), pipeline.wiring.stats
    assert wait_until(lambda: decided(pipeline) == TRANSACTIONS, timeout=120)

    # AND aggregate has folded the terminal's events (a second's batches behind detect,
    # longer under throttling), its failed batches redriven by the operator too
    def folded() -> bool:
        counted = state_total(pipeline, "terminal#busy-terminal")
        return counted >= TRANSACTIONS or dead_letters(pipeline) > 0

    for _ in range(10):
        assert wait_until(folded, timeout=120), pipeline.wiring.stats
        if dead_letters(pipeline) == 0:
            break
        redriven += redrive_failures(pipeline)
    # THEN the terminal and the card counted each of theirs exactly once
    assert state_total(pipeline, "terminal#busy-terminal") == TRANSACTIONS
    with httpx.Client(base_url=pipeline.api_url, headers={"x-api-key": pipeline.api_key}) as api:
        again = api.post("/transactions", json=sent[0])  # the same again: its replay
    token = again.json()["transaction"]["card"]["token"]
    total = (
        boto3.resource("dynamodb")
        .Table(pipeline.blueprint.profile_table_name)
        .get_item(Key={"entity": f"card#{token}", "slot": "d#total"}, ConsistentRead=True)["Item"]
    )
    assert int(total["n"]) == ON_THE_CARD
    # AND the card's flagged transactions are one case, each in it once, its count exact,
    # however notify's writes were throttled (a throttled finding is received again)
    flagged = flagged_on_the_card(pipeline)
    assert flagged, "the busy card was never flagged"
    cases = DynamoCaseStore.of(pipeline.blueprint, boto3.client("dynamodb"))
    now = int(datetime.now(UTC).timestamp() * 1000)

    def one_case() -> list[Any]:
        found, _ = cases.search(CaseQuery(now - 3_600_000, now, key=f"token:{token}"))
        return found

    assert wait_until(
        lambda: len(one_case()) == 1 and one_case()[0].members == len(flagged), timeout=120
    ), (len(flagged), one_case())
    (case,) = one_case()
    assert {m.transaction_id for m in cases.members(case.case_id)} == flagged
    assert cancellations.reasons, "no transaction was cancelled: the limits were not on"
    assert pipeline.functions.peak["detect"] > 16
    FIGURES.update(
        {
            "physics: transactions posted (64 at a time)": TRANSACTIONS,
            "physics: most detect invocations at once": pipeline.functions.peak["detect"],
            "physics: transactions cancelled, TransactionConflict": cancellations.reasons[
                "TransactionConflict"
            ],
            "physics: transactions cancelled, ThrottlingError": cancellations.reasons[
                "ThrottlingError"
            ],
            "physics: events in the failures DLQ before the redrive": in_dlq,
            "physics: dead letters redriven": redriven,
            "physics: terminal's count (of 240)": state_total(pipeline, "terminal#busy-terminal"),
            "physics: the busy card's flagged transactions, all in its one case": len(flagged),
        }
    )
