"""FindingQueue and AlertPublisher: the use-case tests' lists, and SQS and SNS. What a
consumer reads back is what was sent: the notify function's reading of a queued
finding, and an alert's subject, body and attributes as the alerts queue receives them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from cardwatch.adapters.messaging import SnsAlertPublisher, SqsFindingQueue
from cardwatch.blueprint import Blueprint
from cardwatch.domain.engine.alerts import Alert, Finding
from tests.fakes import ListPublisher, ListQueue

FINDING = Finding(
    kind="transaction",
    finding_id="tx-0001",
    subject_key="card-token-1",
    masked_card="411111******1111",
    amount="125.50",
    currency="USD",
    score=0.93,
    decision="block",
    reasons=({"code": "R001", "detail": "amount 9x the card's mean"},),
    detected_at="2026-11-20T12:00:00Z",
    terminal_id="term-7",
    user_id="user-42",
)

Read = Callable[[], list[Any]]


def _receive(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    answer = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
    )
    return list(answer.get("Messages", []))


@pytest.fixture(params=["memory", "sqs"])
def finding_queue(
    request: pytest.FixtureRequest, blueprint: Blueprint
) -> tuple[ListQueue | SqsFindingQueue, Read]:
    if request.param == "memory":
        fake = ListQueue()
        return fake, lambda: list(fake.sent)
    made = request.getfixturevalue("provisioned")
    url = made.queue_urls[blueprint.suspicious_queue.name]
    return SqsFindingQueue(url), lambda: [Finding.from_json(m["Body"]) for m in _receive(url)]


@pytest.fixture(params=["memory", "sns"])
def publisher(
    request: pytest.FixtureRequest, blueprint: Blueprint
) -> tuple[ListPublisher | SnsAlertPublisher, Read]:
    if request.param == "memory":
        fake = ListPublisher()
        return fake, lambda: [(a.subject, a.body, a.severity) for a in fake.published]
    made = request.getfixturevalue("provisioned")
    url = made.queue_urls[blueprint.alerts_queue.name]

    def read() -> list[Any]:
        notes = [json.loads(m["Body"]) for m in _receive(url)]
        return [
            (n["Subject"], n["Message"], n["MessageAttributes"]["severity"]["Value"]) for n in notes
        ]

    return SnsAlertPublisher(made.topic_arn), read


def test_a_sent_finding_is_read_back_as_the_same_finding(
    finding_queue: tuple[ListQueue | SqsFindingQueue, Read],
) -> None:
    queue, read = finding_queue
    queue.send(FINDING)
    assert read() == [FINDING]


def test_a_published_alert_reaches_its_readers_whole(
    publisher: tuple[ListPublisher | SnsAlertPublisher, Read],
) -> None:
    topic, read = publisher
    alert = Alert.from_finding(FINDING, console_url="https://console.example/")
    topic.publish(alert)
    assert read() == [(alert.subject, alert.body, alert.severity)]
