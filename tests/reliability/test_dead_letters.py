"""``cardwatch dlq`` on the local stack: every DLQ listed, dead letters shown for what
they are, and redriven where they came from (a queue's message to its queue, a failed
invocation's event to its function), each deleted only once resent."""

from __future__ import annotations

import json
import subprocess
import sys

import boto3

from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline
from tests.support.documents import load_fixture


def cardwatch(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cardwatch.cli.main", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_dead_letters_are_listed_shown_and_redriven(stack: LocalPipeline) -> None:
    assert stack.made is not None and stack.wiring is not None and stack.functions is not None
    state = str(stack.settings.state_dir / "local.json")
    sqs = boto3.client("sqs")
    urls = stack.made.queue_urls
    blueprint = stack.blueprint
    # GIVEN a failed detect invocation's record (as Lambda's destination writes it) and
    # a message the downstream alert queue gave up on
    event = load_fixture("eventbridge_stream_insert.json")
    record = {
        "version": "1.0",
        "requestContext": {
            "requestId": "r-1",
            # as AWS writes it: the account and the version that ran
            "functionArn": f"arn:aws:lambda:us-east-1:123456789012:function:"
            f"{blueprint.functions['detect'].name}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        "responsePayload": {"errorType": "StoreBusy", "errorMessage": "throttled"},
    }
    sqs.send_message(QueueUrl=urls[blueprint.failures_dlq.name], MessageBody=json.dumps(record))
    sqs.send_message(QueueUrl=urls[blueprint.alerts_dlq.name], MessageBody='{"kind": "test"}')
    listed = json.loads(cardwatch("dlq", "list", "--json", "--state", state).stdout)
    assert set(listed) == {"suspicious", "alerts", "failures"}
    assert listed["failures"]["waiting"] >= 1 and listed["alerts"]["waiting"] >= 1
    shown = json.loads(cardwatch("dlq", "show", "failures", "--json", "--state", state).stdout)
    ours = [row for row in shown if "StoreBusy" in row["summary"]]
    assert ours and ours[0]["kind"] == "invocation" and ours[0]["redrivable"]
    # WHEN both are redriven
    invoked = stack.wiring.stats.detect_invocations
    failures = cardwatch("dlq", "redrive", "failures", "--watch", "2", "--json", "--state", state)
    alerts = cardwatch("dlq", "redrive", "alerts", "--watch", "2", "--json", "--state", state)
    # THEN the event reached detect again and the message its queue; both DLQs are empty
    assert json.loads(failures.stdout)["redriven"] >= 1, failures.stderr
    assert json.loads(alerts.stdout)["redriven"] == 1, alerts.stderr
    assert wait_until(lambda: stack.wiring.stats.detect_invocations > invoked, timeout=30)
    after = json.loads(cardwatch("dlq", "list", "--json", "--state", state).stdout)
    assert after["alerts"]["waiting"] == 0
    # AND a bad name is one line, exit 2
    bad = cardwatch("dlq", "show", "nowhere", "--state", state)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_a_poison_message_redriven_is_said_to_have_come_back(stack: LocalPipeline) -> None:
    """A finding notify can never read fails again after a redrive: the command watches,
    says it came back and exits 1, rather than counting it redriven and moving on."""
    assert stack.made is not None
    state = str(stack.settings.state_dir / "local.json")
    sqs = boto3.client("sqs")
    dlq = stack.made.queue_urls[stack.blueprint.suspicious_dlq.name]
    poison = json.dumps({"poison": "not a finding", "transaction_id": "poison-1"})
    sqs.send_message(QueueUrl=dlq, MessageBody=poison)
    shown = json.loads(cardwatch("dlq", "show", "suspicious", "--json", "--state", state).stdout)
    assert any(row["transaction_ids"] == ["poison-1"] for row in shown), shown
    run = cardwatch("dlq", "redrive", "suspicious", "--watch", "90", "--json", "--state", state)
    report = json.loads(run.stdout)
    assert report["redriven"] == 1 and report["came_back"] == 1, run.stderr
    assert run.returncode == 1
    # the operator drains it for the tests after: shown, then deleted by hand
    for message in sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", []):
        sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
