"""Dead letters read for what they are (no AWS)."""

from __future__ import annotations

import json

from cardwatch.adapters.failure_records import read_dead_letter


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
