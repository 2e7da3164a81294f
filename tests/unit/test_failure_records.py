"""Dead letters read for what they are (no AWS)."""

from __future__ import annotations

import json
from typing import Any

from cardwatch.adapters.dead_letters import lambda_invoker
from cardwatch.adapters.failure_records import read_dead_letter
from tests.support.documents import FIXTURES


def test_an_invocation_record_gives_back_its_event_and_function() -> None:
    record = {
        "requestContext": {
            "functionArn": "arn:aws:lambda:us-east-1:1:function:fraud-detect-dev",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"detail-type": "TransactionInserted", "detail": {}},
        "responsePayload": {"errorType": "StoreBusy", "errorMessage": "throttled"},
    }
    letter = read_dead_letter(json.dumps(record))
    assert (letter.kind, letter.function, letter.redrivable) == (
        "invocation",
        "fraud-detect-dev",
        True,
    )
    assert letter.event == record["requestPayload"]
    assert "StoreBusy" in letter.summary and "3 time(s)" in letter.summary


def test_the_pipes_stream_batch_is_shown_not_redriven() -> None:
    record = {
        "context": {"pipeArn": "arn:aws:pipes:us-east-1:1:pipe/transaction-stream-dev"},
        "DDBStreamBatchInfo": {
            "shardId": "s-1",
            "startSequenceNumber": "1",
            "endSequenceNumber": "9",
        },
    }
    letter = read_dead_letter(json.dumps(record))
    assert letter.kind == "stream-batch" and not letter.redrivable
    assert "s-1" in letter.summary


def test_a_queue_message_is_redriven_as_it_is() -> None:
    for body in ('{"finding_type": "transaction"}', "not json", "[1, 2]"):
        letter = read_dead_letter(body)
        assert letter.kind == "message" and letter.redrivable


def test_aws_failure_record_redrives_to_the_version_it_names() -> None:
    """AWS writes the function's ARN with its qualifier ($LATEST, a version, an alias):
    the redrive invokes that function, at that version."""
    body = (FIXTURES / "lambda_failure_record.json").read_text()
    letter = read_dead_letter(body)
    assert letter.kind == "invocation" and letter.redrivable
    assert letter.function == "fraud-detect-dev:$LATEST"
    invoked: list[dict[str, Any]] = []

    class Lambda:
        def invoke(self, **request: Any) -> None:
            invoked.append(request)

    assert lambda_invoker(Lambda())(letter.function, letter.event or {})
    assert invoked[0]["FunctionName"] == "fraud-detect-dev:$LATEST"
    # unqualified, as some records and older tools write it: the function itself
    plain = json.loads(body)
    plain["requestContext"]["functionArn"] = "arn:aws:lambda:us-east-1:1:function:fraud-detect-dev"
    assert read_dead_letter(json.dumps(plain)).function == "fraud-detect-dev"
