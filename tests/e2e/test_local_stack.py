"""The local stack over HTTP: what lands in the table, the queues and the alert queue."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import boto3
import httpx
import pytest

from cardwatch.domain.transaction.card import luhn_valid
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline
from cardwatch.local.sender import encode_body
from cardwatch.simulation.traffic import demo_pan
from tests.support.local_stack import items, now_stamp, transaction
from tests.support.signing import as_analyst

#: A card number's shape: 13-19 digits starting with a card network's major industry
#: identifier (2-6); epoch milliseconds (13 digits from 1) are not card numbers.
LUHN_RUN = re.compile(r"(?<![0-9A-Za-z.])[2-6]\d{12,18}(?![0-9A-Za-z])")


@pytest.mark.requirement("R000-01")
@pytest.mark.requirement("R003-01")
def test_a_valid_post_is_201_and_stored(api: httpx.Client, stack: LocalPipeline) -> None:
    response = api.post("/transactions", json=transaction("e2e-valid"))
    assert response.status_code == 201
    assert response.json()["transaction"]["card"]["last4"] == "1111"
    assert any(
        i["transaction_id"] == "e2e-valid" and i["record_type"] == "transaction"
        for i in items(stack)
    )


@pytest.mark.requirement("R000-02")
def test_a_body_missing_amount_is_400_naming_amount(api: httpx.Client) -> None:
    response = api.post("/transactions", json=transaction("e2e-no-amount", amount=None))
    assert response.status_code == 400
    # API Gateway's model answers (its shape check names the missing field)
    assert "amount: is required" in response.json()["detail"]


@pytest.mark.requirement("R000-05")
def test_no_api_key_is_403(stack: LocalPipeline) -> None:
    response = httpx.post(f"{stack.api_url}/transactions", json=transaction("e2e-nokey"))
    assert response.status_code == 403


def test_a_repeated_transaction_leaves_one_item(api: httpx.Client, stack: LocalPipeline) -> None:
    body = transaction("e2e-twice")
    answers = [api.post("/transactions", json=body) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[2].headers["idempotent-replayed"] == "true"
    stored = [
        i
        for i in items(stack)
        if i["transaction_id"] == "e2e-twice" and i["record_type"] == "transaction"
    ]
    assert len(stored) == 1


def test_the_openapi_document_is_served(stack: LocalPipeline) -> None:
    document = httpx.get(f"{stack.api_url}/openapi.json").json()
    assert document["servers"][0]["url"] == stack.api_url
    assert "/transactions" in document["paths"]


def test_local_json_describes_the_stack(stack: LocalPipeline) -> None:
    state = json.loads((stack.settings.state_dir / "local.json").read_text())
    assert {"api_url", "api_key", "aws_endpoint", "region", "resources"} <= set(state)
    assert state["resources"]["table"] == stack.blueprint.table_name


@pytest.mark.requirement("R003-15")
@pytest.mark.requirement("R003-22")
def test_a_fraudulent_burst_reaches_the_alert_queue_and_no_card_number_leaks(
    api: httpx.Client, stack: LocalPipeline
) -> None:
    # GIVEN a window of ordinary traffic, a purchase each from ten cards (the analysis
    # learns what is usual from the window itself; the burst must stand out from it,
    # whatever else this stack's other tests have posted)
    for n in range(10):
        ordinary = transaction(
            f"e2e-usual-{n}",
            user_id=f"e2e-usual-{n}",
            card_number=demo_pan(f"e2e-usual-{n}"),
            amount=30 + n,
            terminal_id=f"shop-{n}",
            timestamp=now_stamp(70 - n),
        )
        assert api.post("/transactions", json=ordinary).status_code == 201
    # AND a card that buys once, then runs tiny amounts in quick succession
    pan = demo_pan("e2e-victim")
    api.post(
        "/transactions",
        content=encode_body(
            transaction(
                "e2e-burst-0",
                user_id="e2e-victim",
                card_number=pan,
                amount=120,
                terminal_id="t1",
                timestamp=now_stamp(60),
            )
        ),
    )
    for n in range(1, 8):
        response = api.post(
            "/transactions",
            json=transaction(
                f"e2e-burst-{n}",
                user_id="e2e-victim",
                card_number=pan,
                amount=1,
                terminal_id="web-1",
                timestamp=now_stamp(40 - 5 * n),
            ),
        )
        assert response.status_code == 201
    # WHEN the stream, detect (up to 8 invocations at once, as Lambda runs them: each
    # probe registers before it is scored, so they see each other), the five-minute
    # analysis of the window holding the burst, the queue and notify have run
    assert stack.wiring is not None
    wait_until(lambda: stack.wiring is not None and stack.wiring.stats.detect_invocations >= 18, 30)
    window_ms = stack.blueprint.analysis_window_seconds * 1000
    now_ms = int(time.time() * 1000)
    for end in {
        (now_ms - 60_000) // window_ms * window_ms + window_ms,
        now_ms // window_ms * window_ms + window_ms,
    }:
        stack.wiring.run_analysis(window_end_ms=end)
    sqs = boto3.client("sqs")
    assert stack.made is not None
    alerts_url = stack.made.queue_urls[stack.blueprint.alerts_queue.name]
    received: list[dict[str, Any]] = []

    def alert_arrived() -> bool:
        received.extend(
            sqs.receive_message(QueueUrl=alerts_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []
            )
        )
        mask = f"{pan[:6]}******{pan[-4:]}"  # this burst's card (other tests alert too)
        return any("CARD_TESTING" in m["Body"] and mask in m["Body"] for m in received)

    # THEN an alert reaches the SNS-subscribed queue, naming the card by BIN and last four
    assert wait_until(alert_arrived, timeout=60), stack.wiring.stats if stack.wiring else ""
    assert any(f"{pan[:6]}******{pan[-4:]}" in m["Body"] for m in received)
    # AND no item, message or log line holds a card number
    texts = [json.dumps(items(stack), default=str)]
    texts += [m["Body"] for m in received]
    for url in stack.made.queue_urls.values():
        texts += [
            m["Body"]
            for m in sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
            ).get("Messages", [])
        ]
    logs = stack.settings.state_dir / "logs"
    texts += [path.read_text() for path in logs.glob("*.log")]
    leaks = [run for text in texts for run in LUHN_RUN.findall(text) if luhn_valid(run)]
    assert leaks == []
    assert LUHN_RUN.findall(f"card {pan}.") == [pan]  # the scan would see one
    # AND the analysts find the flagged probes in the review queue, newest first; a
    # label settles a case and it leaves the queue
    state = json.loads((stack.settings.state_dir / "local.json").read_text())
    analyst = {"x-api-key": state["analyst_api_key"]}
    assert api.get("/reviews").status_code == 403  # the processor's key

    def queued() -> list[dict[str, Any]]:
        page = api.get("/reviews", params={"limit": "100"}, auth=as_analyst(state))
        assert page.status_code == 200, page.text
        return [c for c in page.json()["reviews"] if c["transaction_id"].startswith("e2e-burst")]

    assert wait_until(lambda: bool(queued()), timeout=30)
    cases = queued()
    stamps = [case["transaction"]["timestamp_ms"] for case in cases]
    assert stamps == sorted(stamps, reverse=True)
    assert {case["decision"] for case in cases} <= {"review", "block"}
    assert all(case["reasons"] for case in cases) and pan not in json.dumps(cases)
    settled = cases[0]["transaction_id"]
    label = {"label": "fraud", "source": "analyst"}
    answer = api.post(f"/transactions/{settled}/label", json=label, headers=analyst)
    assert answer.status_code == 201
    assert settled not in {case["transaction_id"] for case in queued()}
    refused = api.get("/reviews", params={"limit": "0", "decision": pan}, auth=as_analyst(state))
    assert refused.status_code == 400 and pan not in refused.text
    assert {e["field"] for e in refused.json()["errors"]} == {"limit", "decision"}
