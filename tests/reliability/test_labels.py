"""Labels through the local API as the fraud team uses them: the analysts' key only, a
resend answered as the first, a correction that the engine follows; and the contract's
edges never answer 5xx."""

from __future__ import annotations

import json
from datetime import datetime

import boto3
import httpx

from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline
from tests.support.documents import TEST_PANS, valid_document
from tests.support.figures import figures
from tests.support.signing import as_analyst

FIGURES = figures("reliability")


def terminal_day_counts(stack: LocalPipeline, terminal: str) -> tuple[int, int]:
    """The terminal's labels and frauds over its day buckets, as detect reads them."""
    items = boto3.client("dynamodb").query(
        TableName=stack.blueprint.profile_table_name,
        KeyConditionExpression="entity = :e AND begins_with(slot, :d)",
        ExpressionAttributeValues={":e": {"S": f"terminal#{terminal}"}, ":d": {"S": "d#"}},
    )["Items"]
    labelled = sum(int(item["l"]["N"]) for item in items if "l" in item)
    frauds = sum(int(item["f"]["N"]) for item in items if "f" in item)
    return labelled, frauds


def test_labels_take_the_analysts_key_and_follow_the_latest_verdict(
    api: httpx.Client, stack: LocalPipeline
) -> None:
    state = json.loads((stack.settings.state_dir / "local.json").read_text())
    analyst = {"x-api-key": state["analyst_api_key"]}
    document = valid_document(transaction_id="label-1", terminal_id="label-terminal")
    assert api.post("/transactions", json=document).status_code == 201
    path = "/transactions/label-1/label"
    genuine = {"label": "genuine", "source": "customer"}
    # the processor's key cannot label; an unknown key is API Gateway's 403
    assert api.post(path, json=genuine).status_code == 403
    assert api.post(path, json=genuine, headers={"x-api-key": "nope"}).status_code == 403
    # the analysts' key can; the same label again is answered the same way
    first = api.post(path, json=genuine, headers=analyst)
    again = api.post(path, json=genuine, headers=analyst)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert wait_until(lambda: terminal_day_counts(stack, "label-terminal") == (1, 0), timeout=10)
    # the analysts' key cannot claim a chargeback: a source is proven by its channel
    claimed = api.post(path, json={"label": "fraud", "source": "chargeback"}, headers=analyst)
    assert claimed.status_code == 403
    # the disputes feed's key can: its chargeback corrects the customer, and the
    # terminal's risk follows it
    feed = {"x-api-key": state["feed_api_key"]}
    chargeback = api.post(path, json={"label": "fraud"}, headers=feed)
    assert chargeback.json()["effective"] == {"label": "fraud", "source": "chargeback"}
    assert (
        api.post(path, json={"label": "genuine", "source": "analyst"}, headers=feed).status_code
        == 403
    )
    # the feed cannot read cases
    assert api.get("/transactions/label-1", headers=feed).status_code == 403
    assert terminal_day_counts(stack, "label-terminal") == (1, 1)
    # a customer's later "genuine" is kept in the history and changes nothing
    kept = api.post(path, json={**genuine, "note": "customer disputes"}, headers=analyst)
    assert kept.status_code == 201 and kept.json()["effective"]["label"] == "fraud"
    assert terminal_day_counts(stack, "label-terminal") == (1, 1)
    # the history keeps every label, in order
    stamp = int(datetime.fromisoformat(document["timestamp"]).timestamp() * 1000)
    item = boto3.client("dynamodb").get_item(
        TableName=stack.blueprint.table_name,
        Key={"transaction_id": {"S": "label-1"}, "timestamp": {"N": str(stamp)}},
    )["Item"]
    assert [entry["M"]["source"]["S"] for entry in item["labels"]["L"]] == [
        "customer",
        "chargeback",
        "customer",
    ]


def test_the_contracts_edges_never_answer_5xx(api: httpx.Client) -> None:
    edges = [
        valid_document(transaction_id="edge-1", timestamp="0001-01-01T00:00:00+14:00"),
        valid_document(transaction_id="edge-2", timestamp="9999-12-31T23:59:59-14:00"),
        valid_document(transaction_id="edge-3\n"),
        valid_document(transaction_id="edge-4", latitude=1e-200),
        valid_document(transaction_id="edge-5", card_number=None, card_token="tok_" + "0" * 64),
    ]
    answers = [api.post("/transactions", content=json.dumps(edge)) for edge in edges]
    crowded = valid_document(transaction_id="edge-6") | {f"k{n}": n for n in range(1_200)}
    answers.append(api.post("/transactions", content=json.dumps(crowded)))
    statuses = [answer.status_code for answer in answers]
    FIGURES["contract edges answered 5xx"] = sum(status >= 500 for status in statuses)
    assert statuses == [400] * len(edges) + [400]
    assert len(answers[-1].content) < 2_000  # the first problems and a count
    assert answers[-1].json()["error_count"] == 1_200
    assert TEST_PANS[0] not in "".join(answer.text for answer in answers)


def test_an_analyst_opens_a_case_with_its_decision_and_labels(
    api: httpx.Client, stack: LocalPipeline
) -> None:
    state = json.loads((stack.settings.state_dir / "local.json").read_text())
    analyst = {"x-api-key": state["analyst_api_key"]}
    document = valid_document(transaction_id="case-1", terminal_id="case-terminal")
    assert api.post("/transactions", json=document).status_code == 201
    assert api.get("/transactions/case-1").status_code == 403  # the processor's key

    signed = as_analyst(stack)  # reads take a person's own identity, signed

    def assessed() -> bool:
        return bool(api.get("/transactions/case-1", auth=signed).json()["assessed"])

    assert wait_until(assessed, timeout=30)
    label = {"label": "fraud", "source": "analyst", "note": "called the customer"}
    api.post("/transactions/case-1/label", json=label, headers=analyst)  # a verdict import
    case = api.get("/transactions/case-1", auth=signed).json()
    assert case["decision"] in {"approve", "review", "block"} and 0 <= case["score"] <= 1
    assert "t_count_1h" in case["features"] and case["model_version"]
    assert case["label"] == {"label": "fraud", "source": "analyst"}
    assert case["labels"][0]["note"] == "called the customer"
    assert TEST_PANS[0] not in json.dumps(case)
    assert api.get("/transactions/nope-1", auth=signed).status_code == 404
    assert api.get("/transactions/case-1", headers=analyst).status_code == 403  # a key
