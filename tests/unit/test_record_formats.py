"""What local mode writes in AWS's place has AWS's format: each record, built by local
mode, has the shape (every key, every value's type) of a fixture written from AWS's
documented example (Lambda's on-failure destination records, for an asynchronous
invocation and for a stream batch), and the values AWS's tools read are spelled as AWS
spells them."""

from __future__ import annotations

import json
import re
from typing import Any

from cardwatch.adapters.failure_records import read_dead_letter
from cardwatch.local.runtime.aws_records import (
    invocation_failure_record,
    stream_failure_record,
)
from tests.support.documents import load_fixture

FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:fraud-detect-dev"
STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/entity-state-dev/stream/2026-11-20T11:00"
#: Lambda's timestamps: ISO 8601, UTC, with a Z
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: shape(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def test_an_invocation_failure_record_has_lambdas_format() -> None:
    documented = load_fixture("lambda_failure_record.json")
    event = load_fixture("eventbridge_stream_insert.json")
    record = invocation_failure_record(FUNCTION, event, TimeoutError("store busy"), 3)
    # the payload is the event that failed, whatever its shape
    assert record["requestPayload"] == event
    ours = {k: v for k, v in record.items() if k != "requestPayload"}
    theirs = {k: v for k, v in documented.items() if k != "requestPayload"}
    assert shape(ours) == shape(theirs)
    assert record["requestContext"]["functionArn"] == f"{FUNCTION}:$LATEST"
    assert TIMESTAMP.match(record["timestamp"])
    # and the operators' tool reads it as a deployment's: redrivable, to its function
    letter = read_dead_letter(json.dumps(record))
    assert letter.redrivable and letter.function == "fraud-detect-dev:$LATEST"


def test_a_stream_batch_failure_record_has_lambdas_format() -> None:
    documented = load_fixture("lambda_stream_failure_record.json")
    records = [
        {"dynamodb": {"SequenceNumber": str(700 + n), "ApproximateCreationDateTime": 1763640058}}
        for n in range(30)
    ]
    record = stream_failure_record(FUNCTION, STREAM, "shardId-0001", records, 3)
    assert shape(record) == shape(documented)
    batch = record["DDBStreamBatchInfo"]
    assert (batch["startSequenceNumber"], batch["endSequenceNumber"]) == ("700", "729")
    assert batch["batchSize"] == 30 and batch["streamArn"] == STREAM
    for moment in (
        record["timestamp"],
        batch["approximateArrivalOfFirstRecord"],
        batch["approximateArrivalOfLastRecord"],
    ):
        assert TIMESTAMP.match(moment), moment
    # never the records themselves: where they are in the stream, which the operators'
    # tool reads back to redrive that range
    letter = read_dead_letter(json.dumps(record))
    assert letter.kind == "stream-batch" and letter.batch == batch and letter.redrivable
