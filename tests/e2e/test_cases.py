"""Cases on the local stack, as a fraud team works them: a card-testing run is one case;
two analysts, each signed in with their own identity, leave two principals on it; a
viewer reads but changes nothing; an unsigned or forged request is refused by the
gateway, as API Gateway refuses it."""

from __future__ import annotations

import json
from typing import Any

import boto3
import httpx

from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline
from cardwatch.simulation.traffic import demo_pan
from tests.support.local_stack import now_stamp, transaction
from tests.support.signing import analyst_arn, as_analyst


def _cases(api: httpx.Client, stack: LocalPipeline, **search: str) -> list[dict[str, Any]]:
    found = api.get("/cases", params=search, auth=as_analyst(stack, "vic"))
    assert found.status_code == 200, found.text
    return list(found.json()["cases"])


def test_a_card_testing_run_is_one_case_that_two_analysts_work(
    stack: LocalPipeline, api: httpx.Client
) -> None:
    # GIVEN a card-testing run: twelve small charges on one card at several terminals
    pan = demo_pan("e2e-case-run")
    for n in range(12):
        body = transaction(
            f"e2e-case-run-{n}",
            user_id="e2e-case-user",
            card_number=pan,
            amount=1 + n % 3,
            terminal_id=f"e2e-case-term-{n % 3}",
            merchant_id="e2e-case-shop",
            timestamp=now_stamp(300 - n),
        )
        assert api.post("/transactions", json=body).status_code == 201

    # THEN its flagged charges are one case, found by user, terminal and card
    def settled() -> bool:
        found = _cases(api, stack, user="e2e-case-user")
        return len(found) == 1 and found[0]["transaction_count"] >= 6

    assert wait_until(settled, 90)
    (case,) = _cases(api, stack, user="e2e-case-user")
    card = f"{pan[:6]}:{pan[-4:]}"
    assert [c["case_id"] for c in _cases(api, stack, card=card)] == [case["case_id"]]
    assert case["case_id"] in {c["case_id"] for c in _cases(api, stack, terminal="e2e-case-term-1")}
    assert [c["case_id"] for c in _cases(api, stack, merchant="e2e-case-shop")] == [case["case_id"]]
    assert case["card"]["shown"] == f"{pan[:6]}\u2022\u2022\u2022{pan[-4:]}"
    path = f"/cases/{case['case_id']}"

    # WHEN a viewer tries to change it, and someone sends it unsigned or forged
    viewer = api.post(path, json={"action": "assign"}, auth=as_analyst(stack, "vic"))
    unsigned = api.post(path, json={"action": "assign"})
    forged = api.post(
        path,
        json={"action": "assign"},
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIA/x/us-east-1/execute-api/"
            "aws4_request, SignedHeaders=host, Signature=00"
        },
    )
    # THEN the gateway refuses each, and nothing changed
    assert [r.status_code for r in (viewer, unsigned, forged)] == [403, 403, 403]
    assert "not authorized" in viewer.text

    # WHEN ana takes it; ben labels one transaction genuine and notes it; then ana
    # labels the whole case fraud and closes it
    ana, ben = as_analyst(stack, "ana"), as_analyst(stack, "ben")
    assert api.post(path, json={"action": "assign"}, auth=ana).status_code == 200
    first = api.get(path, auth=ana).json()["transactions"][0]["transaction_id"]
    chosen = {"action": "label", "label": "genuine", "transaction_ids": [first]}
    assert api.post(path, json=chosen, auth=ben).status_code == 200
    noted = api.post(path, json={"action": "note", "note": "customer denies all"}, auth=ben)
    assert noted.status_code == 200, noted.text
    done = api.post(
        path, json={"action": "label", "label": "fraud", "close": True, "note": "testing"}, auth=ana
    )
    assert done.status_code == 200, done.text
    whole = done.json()

    # THEN it is closed as fraud, with two principals on its thread and history
    assert (whole["status"], whole["outcome"]) == ("closed", "fraud")
    assert whole["assignee"] == analyst_arn(stack, "ana")
    authors = {note["by"] for note in whole["notes"]}
    assert authors == {analyst_arn(stack, "ana"), analyst_arn(stack, "ben")}
    # AND every transaction of the case carries ana's label, from her principal; the
    # one ben labelled first keeps both labels, each with its own principal
    labels = [t["labels"][-1] for t in whole["transactions"] if t.get("labels")]
    assert len(labels) == whole["transaction_count"]
    assert {(label["label"], label["by"]) for label in labels} == {
        ("fraud", analyst_arn(stack, "ana"))
    }
    (history,) = [t["labels"] for t in whole["transactions"] if t["transaction_id"] == first]
    assert [(h["label"], h["by"]) for h in history] == [
        ("genuine", analyst_arn(stack, "ben")),
        ("fraud", analyst_arn(stack, "ana")),
    ]
    # AND the audit trail names her for the labels and the assignment
    trail = boto3.client("dynamodb").scan(TableName=stack.blueprint.audit_table_name)["Items"]
    actors = {
        item["actor"]["S"]
        for item in trail
        if case["case_id"] in json.dumps(item)
        or any(t["transaction_id"] in json.dumps(item) for t in whole["transactions"])
    }
    assert analyst_arn(stack, "ana") in actors
    # AND the reasons are in words, the features in plain names
    detailed = [t for t in whole["transactions"] if t.get("features")]
    assert detailed and all(t["reasons"] for t in detailed)
    assert all("words" in f for f in detailed[0]["features"])
