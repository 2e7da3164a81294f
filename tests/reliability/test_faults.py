"""Injected faults: throttling from DynamoDB, SQS and SNS at a chosen rate, on the
functions' own clients. Every accepted transaction ends processed once (a decision on
its item) or as a record in the failures DLQ: none is lost."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError

from cardwatch.handlers import wiring
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline, LocalSettings
from cardwatch.local.sender import encode_body
from cardwatch.simulation.traffic import demo_pan
from tests.support.figures import figures

FIGURES = figures("reliability")

FAULT_RATE = 0.08
FAULTY = {"PutItem", "UpdateItem", "GetItem", "SendMessage", "Publish"}


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPipeline]:
    settings = LocalSettings(
        port=0,
        analyze_every_seconds=3600,
        environment_suffix="faults",
        state_dir=Path(tmp_path_factory.mktemp("faults")),
    )
    with LocalPipeline(settings) as pipeline:
        rng = random.Random(5)

        def inject(model: Any, **_: Any) -> None:
            if model.name in FAULTY and rng.random() < FAULT_RATE:
                FIGURES["faults injected"] += 1
                raise ClientError(
                    {"Error": {"Code": "ThrottlingException", "Message": "injected"}}, model.name
                )

        # The functions' clients come from boto3's default session; the plumbing that
        # stands in for AWS (pollers, redrive) has its own session and stays healthy.
        wiring.reset()
        events = boto3._get_default_session().events
        events.register("before-call.*.*", inject, unique_id="cardwatch-faults")
        yield pipeline
        events.unregister("before-call.*.*", unique_id="cardwatch-faults")
        wiring.reset()


def test_every_transaction_ends_processed_once_or_in_a_dlq(faulty: LocalPipeline) -> None:
    headers = {"x-api-key": faulty.api_key, "content-type": "application/json"}
    accepted: list[str] = []
    with httpx.Client(base_url=faulty.api_url, headers=headers, timeout=30) as client:
        for n in range(120):
            body = {
                "transaction_id": f"fault-{n}",
                "user_id": f"u{n % 30}",
                "amount": 20,
                "currency": "USD",
                "terminal_id": f"t{n % 7}",
                "card_number": demo_pan(f"u{n % 30}"),
                "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
            for _attempt in range(8):  # a client retries a 503, as the API asks
                response = client.post("/transactions", content=encode_body(body))
                if response.status_code != 503:
                    break
                FIGURES["503 answers retried by the client"] += 1
            assert response.status_code in {201, 503}
            if response.status_code == 201:
                accepted.append(body["transaction_id"])
    assert faulty.made is not None and faulty.wiring is not None
    stats = faulty.wiring.stats
    wait_until(lambda: stats.detect_invocations >= len(accepted), timeout=180)
    table = boto3.resource("dynamodb").Table(faulty.blueprint.table_name)

    def decided() -> set[str]:
        items = table.scan()["Items"]
        return {i["transaction_id"] for i in items if "decision" in i}

    def dead_lettered() -> set[str]:
        sqs = boto3.client(
            "sqs", endpoint_url=faulty.emulator.endpoint if faulty.emulator else None
        )
        url = faulty.made.queue_urls[faulty.blueprint.failures_dlq.name]
        found = set()
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", []):
            record = json.loads(message["Body"])
            image = record["requestPayload"]["detail"]["dynamodb"]["NewImage"]
            found.add(image["transaction_id"]["S"])
        return found

    wait_until(lambda: set(accepted) <= decided() | dead_lettered(), timeout=120, step=1)
    done, dead = decided(), dead_lettered()
    lost = set(accepted) - done - dead
    FIGURES["transactions accepted under faults"] = len(accepted)
    FIGURES["processed once (decision recorded)"] = len(set(accepted) & done)
    FIGURES["in the failures DLQ after retries"] = len(set(accepted) & dead - done)
    FIGURES["lost"] = len(lost)
    assert FIGURES["faults injected"] > 0
    assert lost == set()
