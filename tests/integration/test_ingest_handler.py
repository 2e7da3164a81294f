"""The ingest function end to end on moto: API Gateway proxy event in, item and answer out."""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.blueprint import Blueprint
from cardwatch.handlers import ingest
from cardwatch.local.runtime.provision import Provisioned
from tests.support.aws import scan_all
from tests.support.documents import TEST_PANS, body

Invoke = Callable[..., dict[str, Any]]


@pytest.fixture
def invoke(
    provisioned: object,
    api_event: Callable[..., dict[str, Any]],
    lambda_context: LambdaContext,
) -> Invoke:
    def call(text: str | None, **headers: str) -> dict[str, Any]:
        return ingest.handler(api_event(text, **headers), lambda_context)

    return call


def answer(response: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(response["body"])
    return parsed


@pytest.mark.requirement("R000-01")
@pytest.mark.requirement("R000-03")
@pytest.mark.requirement("R003-01")
def test_a_valid_transaction_is_created(invoke: Invoke, blueprint: Blueprint) -> None:
    response = invoke(body())
    assert response["statusCode"] == 201
    stored = answer(response)["transaction"]
    assert stored["amount"] == "125.50"
    assert stored["card"]["last4"] == "1111"
    assert [item["record_type"] for item in scan_all(blueprint.table_name)].count(
        "transaction"
    ) == 1


def test_a_repeat_is_answered_as_the_first_and_stores_nothing_new(
    invoke: Invoke, blueprint: Blueprint
) -> None:
    first = invoke(body())
    again = invoke(body())
    assert again["statusCode"] == first["statusCode"] == 201
    assert answer(again) == answer(first)
    assert again["multiValueHeaders"]["Idempotent-Replayed"] == ["true"]
    assert len(scan_all(blueprint.table_name)) == 2


def test_the_same_id_with_other_content_is_a_conflict(invoke: Invoke) -> None:
    invoke(body())
    response = invoke(body(amount=1))
    assert response["statusCode"] == 409
    assert "transaction_id" in answer(response)["message"]


@pytest.mark.requirement("R000-28")
@pytest.mark.parametrize(
    ("text", "field"),
    [
        (json.dumps({"amount": 1}), "transaction_id"),
        ('{"amount": NaN}', "body"),
        ("not json at all", "body"),
        ("", "body"),
        (None, "body"),
        (body(amount=None), "amount"),
        (body(cvv="123"), "cvv"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(invoke: Invoke, text: str | None, field: str) -> None:
    response = invoke(text)
    assert response["statusCode"] == 400
    assert field in [error["field"] for error in answer(response)["errors"]]


@pytest.mark.requirement("R000-28")
def test_a_400_lists_every_problem_and_counts_them(invoke: Invoke) -> None:
    # GIVEN a body with a contract problem and two the checks beyond it find
    response = invoke(body(channel="bike", amount=12.345, card_number="4111111111111112"))
    # THEN the answer lists all three, by field, and counts them
    assert response["statusCode"] == 400
    refused = answer(response)
    assert [error["field"] for error in refused["errors"]] == ["channel", "amount", "card_number"]
    assert refused["error_count"] == 3
    assert "4111111111111112" not in response["body"]


def test_an_oversized_body_is_a_413(invoke: Invoke) -> None:
    response = invoke(body(device_id="d" * 20_000))
    assert response["statusCode"] == 413
    assert "body" in answer(response)["message"]


def test_a_body_that_is_not_json_by_content_type_is_a_415(invoke: Invoke) -> None:
    response = invoke(body(), **{"content-type": "text/plain"})
    assert response["statusCode"] == 415
    assert "Content-Type" in answer(response)["message"]


def test_a_base64_body_is_decoded(
    invoke: Invoke, api_event: Callable[..., dict[str, Any]], lambda_context: LambdaContext
) -> None:
    event = api_event(base64.b64encode(body().encode()).decode())
    event["isBase64Encoded"] = True
    assert ingest.handler(event, lambda_context)["statusCode"] == 201


def test_no_card_number_in_logs_items_or_answers(
    invoke: Invoke, blueprint: Blueprint, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the function's log lines captured where Lambda would ship them
    log_lines = io.StringIO()
    previous = ingest.logger.registered_handler.setStream(log_lines)
    # WHEN valid and invalid card numbers arrive
    answers = [
        invoke(body(transaction_id=f"tx-{n}", card_number=pan)) for n, pan in enumerate(TEST_PANS)
    ]
    answers.append(invoke(body(transaction_id="tx-bad", card_number="4111111111111112")))
    ingest.logger.registered_handler.setStream(previous)
    # THEN no log line, answer, metric or stored item holds one
    captured = capsys.readouterr()
    seen = (
        log_lines.getvalue()
        + captured.out
        + captured.err
        + json.dumps(answers)
        + json.dumps(scan_all(blueprint.table_name), default=str)
    )
    assert "correlation_id" in seen
    for pan in (*TEST_PANS, "4111111111111112"):
        assert pan not in seen


def label_event(
    api_event: Callable[..., dict[str, Any]],
    transaction_id: str,
    text: str,
    key_id: str | None = None,
) -> dict[str, Any]:
    """A label request as API Gateway passes it, with the calling key's id (by default
    the analysts', as the environment names it)."""
    event = api_event(text)
    event["resource"] = "/transactions/{transaction_id}/label"
    event["path"] = f"/transactions/{transaction_id}/label"
    event["pathParameters"] = {"transaction_id": transaction_id}
    caller = os.environ["ANALYST_API_KEY_ID"] if key_id is None else key_id
    event["requestContext"].setdefault("identity", {})["apiKeyId"] = caller
    return event


def test_only_the_analysts_key_can_label(
    invoke: Invoke,
    provisioned: Provisioned,
    api_event: Callable[..., dict[str, Any]],
    lambda_context: LambdaContext,
) -> None:
    invoke(body())
    verdict = json.dumps({"label": "genuine", "source": "customer"})
    ingest_key_id = next(
        k
        for k in provisioned.api_keys.values()
        if k not in {provisioned.analyst_api_key_id, provisioned.feed_api_key_id}
    )
    refused = ingest.handler(
        label_event(api_event, "tx-0001", verdict, ingest_key_id), lambda_context
    )
    nobody = ingest.handler(label_event(api_event, "tx-0001", verdict, ""), lambda_context)
    assert (refused["statusCode"], nobody["statusCode"]) == (403, 403)
    assert ingest_key_id not in refused["body"]
    accepted = ingest.handler(label_event(api_event, "tx-0001", verdict), lambda_context)
    assert accepted["statusCode"] == 201


def test_a_label_teaches_the_engine_once_and_a_correction_relearns_it(
    invoke: Invoke,
    blueprint: Blueprint,
    api_event: Callable[..., dict[str, Any]],
    lambda_context: LambdaContext,
) -> None:
    # GIVEN a stored transaction
    invoke(body())
    verdict = json.dumps({"label": "genuine", "source": "analyst"})
    # WHEN an analyst labels it, twice, and an unknown id and a bad verdict arrive
    first = ingest.handler(label_event(api_event, "tx-0001", verdict), lambda_context)
    again = ingest.handler(label_event(api_event, "tx-0001", verdict), lambda_context)
    unknown = ingest.handler(label_event(api_event, "nope", verdict), lambda_context)
    bad = ingest.handler(label_event(api_event, "tx-0001", '{"label": "maybe"}'), lambda_context)
    # THEN the first is recorded, the resend answered the same way; the rest refused
    assert [first["statusCode"], again["statusCode"], unknown["statusCode"], bad["statusCode"]] == [
        201,
        201,
        404,
        400,
    ]
    assert again["multiValueHeaders"]["Idempotent-Replayed"] == ["true"]
    assert "nope" not in unknown["body"]
    # WHEN an analyst claims a chargeback: refused, nothing recorded
    chargeback = json.dumps({"label": "fraud", "source": "chargeback", "note": "case 77"})
    claimed = ingest.handler(label_event(api_event, "tx-0001", chargeback), lambda_context)
    assert claimed["statusCode"] == 403
    # WHEN the chargeback arrives through the disputes feed: it corrects the analyst
    feed = os.environ["FEED_API_KEY_ID"]
    corrected = ingest.handler(label_event(api_event, "tx-0001", chargeback, feed), lambda_context)
    assert json.loads(corrected["body"])["effective"] == {"label": "fraud", "source": "chargeback"}
    items = {i["record_type"]: i for i in scan_all(blueprint.table_name)}
    item = items["transaction"]
    effective = (item["label"], item["label_source"], item["label_version"])
    assert effective == ("fraud", "chargeback", 2)
    assert [(e["label"], e["source"], e["note"]) for e in item["labels"]] == [
        ("genuine", "analyst", ""),
        ("fraud", "chargeback", "case 77"),
    ]
    assert [e["by"] for e in item["labels"]] == [os.environ["ANALYST_API_KEY_ID"], feed]
    state = {(p["entity"], p["slot"]): p for p in scan_all(blueprint.profile_table_name)}
    labelled = [v for (entity, slot), v in state.items() if entity == "terminal#term-7"]
    assert [(v.get("l"), v.get("f")) for v in labelled if "l" in v] == [(1, 1)]


def test_the_analysts_key_cannot_send_transactions(
    provisioned: Provisioned,
    api_event: Callable[..., dict[str, Any]],
    lambda_context: LambdaContext,
    blueprint: Blueprint,
) -> None:
    """Its usage plan has no daily quota: it labels and reads cases, never ingests."""
    event = api_event(body(transaction_id="tx-by-analyst"))
    event["requestContext"].setdefault("identity", {})["apiKeyId"] = provisioned.analyst_api_key_id
    refused = ingest.handler(event, lambda_context)
    assert refused["statusCode"] == 403
    assert "processor's API key" in json.loads(refused["body"])["message"]
    assert provisioned.analyst_api_key_id not in refused["body"]
    assert not [i for i in scan_all(blueprint.table_name) if i["transaction_id"] == "tx-by-analyst"]
