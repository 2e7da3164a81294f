"""The decide function end to end on moto: ``POST /decisions`` in, the decision of
record stored and answered; detect then takes it as it is."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.adapters.dynamodb_store import to_attributes
from cardwatch.blueprint import Blueprint
from cardwatch.handlers import decide, detect, ingest
from cardwatch.handlers.wiring import reset
from tests.support.aws import scan_all
from tests.support.documents import body, load_fixture

Invoke = Callable[..., dict[str, Any]]


def decision_event(api_event: Callable[..., dict[str, Any]], text: str | None, **headers: str):
    event = api_event(text, **headers)
    event["resource"] = event["path"] = "/decisions"
    return event


@pytest.fixture
def decide_(
    provisioned: object,
    api_event: Callable[..., dict[str, Any]],
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> Invoke:
    # moto in this process answers a call in milliseconds, not DynamoDB's single digits
    # of them, and a read is seven: the deployed quarter second would answer by policy
    monkeypatch.setenv("DECISION_DEADLINE_SECONDS", "30")
    reset()

    def call(text: str | None, **headers: str) -> dict[str, Any]:
        return decide.handler(decision_event(api_event, text, **headers), lambda_context)

    return call


@pytest.fixture
def ingest_(
    provisioned: object, api_event: Callable[..., dict[str, Any]], lambda_context: LambdaContext
) -> Invoke:
    def call(text: str | None, **headers: str) -> dict[str, Any]:
        return ingest.handler(api_event(text, **headers), lambda_context)

    return call


def answer(response: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(response["body"])
    return parsed


_sent: dict[int, str] = {}


@pytest.fixture(autouse=True)
def _fresh_run() -> None:
    _sent.clear()


def probe(n: int) -> str:
    """The n-th of a card-testing run happening now, stamped as it is sent (a decision
    is made as the payment is), the same body each time it is sent again."""
    if n not in _sent:
        at = datetime.now(UTC) - timedelta(milliseconds=20)
        _sent[n] = body(
            transaction_id=f"p-{n}",
            amount=180.0 if n == 0 else 0.5,
            timestamp=at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        )
    return _sent[n]


def item_of(blueprint: Blueprint, transaction_id: str) -> dict[str, Any]:
    return next(
        item
        for item in scan_all(blueprint.table_name)
        if item["transaction_id"] == transaction_id and item["record_type"] == "transaction"
    )


def test_the_answer_is_the_decision_of_record(decide_: Invoke, blueprint: Blueprint) -> None:
    answers = [decide_(probe(n)) for n in range(9)]
    assert {response["statusCode"] for response in answers} == {200}
    said = [answer(response) for response in answers]
    assert said[0]["decision"] == "approve"
    assert {s["decision"] for s in said[5:]} <= {"review", "block"}  # caught in its answers
    last = said[-1]
    assert last["rules_version"].startswith("sha256:") and last["degraded"] is False
    assert last["model_version"] and last["reasons"][0]["code"] and last["action"]
    item = item_of(blueprint, "p-8")
    # the item carries the same decision for the case, the queue and retraining
    assert item["decision"] == last["decision"]
    assert round(float(item["score"]), 4) == last["score"]
    assert item["review_queue"].startswith("open#")
    assert item["authorization"]["decision"] == last["decision"]
    assert item["features"]["c_count_1h"] == 8


def test_a_repeat_answers_the_recorded_decision(decide_: Invoke, blueprint: Blueprint) -> None:
    first = decide_(probe(0))
    for n in range(1, 6):
        decide_(probe(n))
    again = decide_(probe(0))
    assert again["statusCode"] == 200
    assert answer(again) == answer(first)
    assert again["multiValueHeaders"]["Idempotent-Replayed"] == ["true"]
    assert sum(i["record_type"] == "transaction" for i in scan_all(blueprint.table_name)) == 6


BAD = [
    json.dumps({"amount": 1}),
    '{"amount": NaN}',
    "not json at all",
    "",
    None,
    body(amount=None),
    body(cvv="123"),
    body(merchant_name="card 4111 1111 1111 1111"),
    body(device_id="d" * 20_000),
    body(amount=1),  # a conflict with the first body
]


def test_bad_input_gets_the_same_answer_as_ingest(decide_: Invoke, ingest_: Invoke) -> None:
    assert decide_(body())["statusCode"] == 200
    assert ingest_(body(transaction_id="tx-other"))["statusCode"] == 201
    ingest_(body())  # the same id is a repeat to ingest: the conflict below is alike
    for text in BAD:
        decided, ingested = decide_(text), ingest_(text)
        assert decided["statusCode"] == ingested["statusCode"] and decided["statusCode"] < 500
        assert answer(decided) == answer(ingested)
        assert "4111" not in decided["body"]
    as_text = decide_(body(), **{"content-type": "text/plain"})
    assert as_text["statusCode"] == 415


def test_an_id_sent_to_post_transactions_is_not_decided_here(
    decide_: Invoke, ingest_: Invoke
) -> None:
    ingest_(body())
    response = decide_(body())
    assert response["statusCode"] == 409
    assert "after the fact" in answer(response)["message"]


def test_only_the_processors_key_decides(
    api_event: Callable[..., dict[str, Any]], lambda_context: LambdaContext, provisioned: object
) -> None:
    event = decision_event(api_event, body())
    event["requestContext"].setdefault("identity", {})["apiKeyId"] = os.environ[
        "ANALYST_API_KEY_ID"
    ]
    assert decide.handler(event, lambda_context)["statusCode"] == 403


def test_detect_takes_the_decision_as_it_is(
    decide_: Invoke, blueprint: Blueprint, lambda_context: LambdaContext
) -> None:
    said = [answer(decide_(probe(n))) for n in range(9)]
    for n in range(9):
        event = load_fixture("eventbridge_stream_insert.json")
        event["detail"]["dynamodb"]["NewImage"] = to_attributes(item_of(blueprint, f"p-{n}"))
        summary = detect.handler(event, lambda_context)
        assert summary["decided_at_authorization"] is True
        assert summary["decision"] == said[n]["decision"]
        assert summary["score"] == said[n]["score"]
    queue = boto3.client("sqs").get_queue_url(QueueName=blueprint.suspicious_queue.name)
    messages = boto3.client("sqs").receive_message(
        QueueUrl=queue["QueueUrl"], MaxNumberOfMessages=10
    )["Messages"]
    queued = {json.loads(m["Body"])["finding_id"] for m in messages}
    assert queued == {f"p-{n}" for n in range(9) if said[n]["decision"] != "approve"}
    card = item_of(blueprint, "p-0")["card_token"]
    total = boto3.client("dynamodb").get_item(
        TableName=blueprint.profile_table_name,
        Key={"entity": {"S": f"card#{card}"}, "slot": {"S": "d#total"}},
    )["Item"]
    assert total["n"]["N"] == "9"  # each counted once, by detect


@pytest.mark.parametrize(
    ("policy", "decision"), [("fail-open", "approve"), ("fail-closed", "block")]
)
def test_an_unreachable_state_gets_the_policys_answer(
    decide_: Invoke,
    blueprint: Blueprint,
    monkeypatch: pytest.MonkeyPatch,
    policy: str,
    decision: str,
) -> None:
    monkeypatch.setenv("PROFILE_TABLE_NAME", "no-such-table")
    monkeypatch.setenv("DEGRADED_POLICY", policy)
    reset()
    said = answer(decide_(probe(0)))
    assert (said["decision"], said["degraded"], said["policy"]) == (decision, True, policy)
    assert said["score"] is None and said["reasons"][0]["code"] == "ENGINE_UNAVAILABLE"
    item = item_of(blueprint, "p-0")
    assert "decision" not in item  # scored after the fact
    assert item["authorization"]["policy"] == policy
