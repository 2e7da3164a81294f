"""detect -> suspicious queue -> notify -> SNS -> alert queue, and analyze, on moto."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.adapters.dynamodb_cases import DynamoCaseStore
from cardwatch.blueprint import Blueprint
from cardwatch.domain.cases.case import CaseQuery
from cardwatch.domain.transaction.card import luhn_valid
from cardwatch.handlers import analyze, detect, ingest, notify
from cardwatch.local.runtime.provision import Provisioned
from tests.support.aws import scan_all
from tests.support.documents import TEST_PANS, body
from tests.support.pipeline import alerts_received, receive, sqs_event, stream_event


def minutes_ago(minutes: float) -> str:
    """A timestamp that far before the wall clock: detect judges lateness against the
    real time, as on Lambda, so what it must count has to be recent."""
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes)
    return moment.isoformat().replace("+00:00", "Z")


BURST = [("burst-0", 180.0, minutes_ago(10))] + [
    (f"burst-{n}", 1.0, minutes_ago(10 - n - 0.5)) for n in range(1, 7)
]


@pytest.fixture
def post(
    provisioned: Provisioned,
    api_event: Callable[..., dict[str, Any]],
    lambda_context: LambdaContext,
) -> Callable[..., dict[str, Any]]:
    def call(**changes: Any) -> dict[str, Any]:
        response = ingest.handler(api_event(body(**changes)), lambda_context)
        assert response["statusCode"] == 201, response["body"]
        return response

    return call


def detect_all(
    blueprint: Blueprint,
    ids: list[str],
    context: LambdaContext,
) -> list[dict[str, Any]]:
    return [detect.handler(stream_event(blueprint, tid, f"evt-{tid}"), context) for tid in ids]


def post_and_detect_burst(
    post: Callable[..., dict[str, Any]], blueprint: Blueprint, context: LambdaContext
) -> list[dict[str, Any]]:
    """Store the card-testing burst and pass each INSERT to the detect function."""
    for tid, amount, ts in BURST:
        post(transaction_id=tid, amount=amount, timestamp=ts)
    return detect_all(blueprint, [tid for tid, _, _ in BURST], context)


@pytest.mark.requirement("R003-11")
@pytest.mark.requirement("R003-14")
@pytest.mark.requirement("R000-09")
@pytest.mark.requirement("R000-10")
def test_a_card_testing_burst_becomes_one_alert(
    post: Callable[..., dict[str, Any]],
    blueprint: Blueprint,
    provisioned: Provisioned,
    lambda_context: LambdaContext,
) -> None:
    # GIVEN a purchase, then a burst of tiny amounts on the same card
    # WHEN each INSERT reaches the detect function
    results = post_and_detect_burst(post, blueprint, lambda_context)
    # THEN the late ones are queued as suspicious, with reasons, and recorded on the item
    assert results[0]["outcome"] == "approved"
    assert results[-1]["outcome"] == "queued"
    assert "CARD_TESTING" in results[-1]["reasons"]
    items = {
        i["transaction_id"]: i
        for i in scan_all(blueprint.table_name)
        if i["record_type"] == "transaction"
    }
    assert items["burst-6"]["decision"] in {"review", "block"}
    suspicious_url = provisioned.queue_urls[blueprint.suspicious_queue.name]
    messages = receive(suspicious_url)
    assert messages and all(TEST_PANS[0] not in m["Body"] for m in messages)
    # WHEN the notify function takes the batch
    arn = provisioned.queue_arns[blueprint.suspicious_queue.name]
    answer = notify.handler(sqs_event(messages, arn), lambda_context)
    # THEN every message succeeded and the alert reached the SNS-subscribed queue
    assert answer == {"batchItemFailures": []}
    alerts = alerts_received(blueprint, provisioned)
    assert alerts, "no alert reached the alert-processing queue"
    assert alerts[0]["MessageAttributes"]["severity"]["Value"] in {"medium", "high"}
    assert "411111******1111" in alerts[0]["Message"]
    assert TEST_PANS[0] not in json.dumps(alerts)


def test_a_redelivered_event_changes_nothing_twice(
    post: Callable[..., dict[str, Any]],
    blueprint: Blueprint,
    provisioned: Provisioned,
    lambda_context: LambdaContext,
) -> None:
    post(transaction_id="once", timestamp=minutes_ago(1))
    first = detect.handler(stream_event(blueprint, "once", "evt-1"), lambda_context)
    profiles_before = scan_all(blueprint.profile_table_name)
    again = detect.handler(stream_event(blueprint, "once", "evt-1"), lambda_context)
    assert first["outcome"] == "approved" and again["outcome"] == "already_seen"
    assert scan_all(blueprint.profile_table_name) == profiles_before


def test_the_same_alert_within_the_cooldown_is_sent_once(
    post: Callable[..., dict[str, Any]],
    blueprint: Blueprint,
    provisioned: Provisioned,
    lambda_context: LambdaContext,
) -> None:
    post_and_detect_burst(post, blueprint, lambda_context)
    messages = receive(provisioned.queue_urls[blueprint.suspicious_queue.name])
    arn = provisioned.queue_arns[blueprint.suspicious_queue.name]
    notify.handler(sqs_event(messages, arn), lambda_context)
    sent = alerts_received(blueprint, provisioned)
    notify.handler(sqs_event(messages, arn), lambda_context)  # SQS delivered them again
    # THEN the redelivery sends nothing, and each alert told the team something new: a
    # reason at a severity no earlier alert on the card carried (a burst's findings share
    # their first reason, so subjects may repeat while the reasons behind them grow)
    assert sent and alerts_received(blueprint, provisioned) == []
    told: set[tuple[str, str]] = set()
    for alert in sent:
        severity = alert["Subject"].split("]")[0].lstrip("[")
        reasons = {(line.split(":")[0].strip(" -"), severity) for line in why(alert)}
        assert reasons - told
        told |= reasons
    assert len(sent) < len(messages)


def why(alert: dict[str, Any]) -> list[str]:
    """The alert's reason lines ("  - CODE: detail")."""
    lines = alert["Message"].splitlines()
    return [line for line in lines[lines.index("why:") + 1 :] if line.startswith("  - ")]


@pytest.mark.requirement("R003-22")
def test_a_poison_message_fails_alone(
    post: Callable[..., dict[str, Any]],
    provisioned: Provisioned,
    blueprint: Blueprint,
    lambda_context: LambdaContext,
) -> None:
    # GIVEN a batch with a good finding and a message nobody can read
    post_and_detect_burst(post, blueprint, lambda_context)
    url = provisioned.queue_urls[blueprint.suspicious_queue.name]
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody="this is not a finding")
    messages = receive(url)
    poison = next(m for m in messages if m["Body"] == "this is not a finding")
    # WHEN notify takes the batch
    answer = notify.handler(sqs_event(messages, "arn:aws:sqs:us-east-1:1:q"), lambda_context)
    # THEN only the poison message is reported back (SQS redrives it to the DLQ later)
    assert answer == {"batchItemFailures": [{"itemIdentifier": poison["MessageId"]}]}
    assert alerts_received(blueprint, provisioned)


@pytest.mark.requirement("R000-13")
@pytest.mark.requirement("R000-14")
def test_the_analyzer_finds_a_terminal_hit_by_many_cards(
    provisioned: Provisioned,
    blueprint: Blueprint,
    api_event: Callable[..., dict[str, Any]],
    lambda_context: LambdaContext,
) -> None:
    # GIVEN one window: quiet terminals with a card or two, one terminal with forty cards
    pans = [p for p in (f"4000000000{n:05d}" for n in range(2000)) if luhn_valid(p)][:60]
    for n in range(20):
        ingest.handler(
            api_event(
                body(
                    transaction_id=f"q{n}",
                    terminal_id=f"quiet-{n}",
                    card_number=pans[n % 5],
                    timestamp=f"2026-11-20T11:4{n % 5}:00Z",
                )
            ),
            lambda_context,
        )
    for n in range(40):
        ingest.handler(
            api_event(
                body(
                    transaction_id=f"s{n}",
                    terminal_id="skimmed",
                    card_number=pans[20 + n % 40],
                    timestamp=f"2026-11-20T11:4{n % 5}:10Z",
                )
            ),
            lambda_context,
        )
    # WHEN the scheduled analysis runs just after that window
    window_end = 1_795_175_100_000  # 2026-11-20T11:45:00Z: the window is 11:40 to 11:45
    summary = analyze.handler({}, lambda_context, now_ms=window_end)
    # THEN it read the window through the index and queued the pattern
    assert summary["transactions"] == 60
    assert summary["findings"] == ["TERMINAL_SPREE:skimmed"]
    messages = receive(provisioned.queue_urls[blueprint.suspicious_queue.name])
    finding = json.loads(messages[0]["Body"])
    assert finding["kind"] == "pattern" and finding["terminal_id"] == "skimmed"
    # AND notify opens a case of its own for the pattern: a terminal case holding the
    # window's transactions at that terminal, found by the terminal, linked by the alert
    notify.handler(sqs_event(messages, "arn:aws:sqs:us-east-1:1:q"), lambda_context)
    store = DynamoCaseStore.of(blueprint, boto3.client("dynamodb"))
    found, _ = store.search(CaseQuery(0, 2**53, key="terminal:skimmed"))
    assert [case.kind for case in found] == ["terminal"]
    members = {m.transaction_id for m in store.members(found[0].case_id)}
    assert members == {f"s{n}" for n in range(40)}
    (alert,) = alerts_received(blueprint, provisioned)
    assert f"#case={found[0].case_id}" in alert["Message"]
    assert '"transaction_ids"' not in alert["Message"]  # the e-mail stays short
