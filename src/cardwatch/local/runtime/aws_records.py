"""The records local mode writes in AWS's place, in AWS's formats (Lambda's on-failure
destination records, its document of a function's unhandled error): built here, once,
and held by ``tests/unit/test_record_formats.py`` to fixtures transcribed from AWS's
documented examples, so the operators' tools (``cardwatch dlq``) read local records as
they read a deployment's."""

from __future__ import annotations

import contextlib
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["function_error", "invocation_failure_record", "stream_failure_record"]

#: Where the frames of local mode's stand-in for Lambda's runtime are (and the context
#: managers it runs a function in): Lambda's own frames never show in a stack trace.
_RUNTIME_FILES = (str(Path(__file__).parents[1]), str(contextlib.__file__))


def _now() -> str:
    """ISO 8601 with milliseconds and ``Z``, as Lambda writes its timestamps."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def function_error(error: BaseException) -> dict[str, Any]:
    """Lambda's document of a function's unhandled error, as the Invoke API returns it
    and the runtime logs it: the message, the type, and the stack from the handler down
    (the runtime's frames left out; all of them when the error is the runtime's own)."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame.filename.startswith(_RUNTIME_FILES) for frame in frames]
    first = ours.index(False) if False in ours else 0
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": traceback.format_list(frames[first:]),
    }


def invocation_failure_record(
    function_arn: str, event: dict[str, Any], error: BaseException | None, attempts: int
) -> dict[str, Any]:
    """An asynchronous invocation's record once its retries are spent: the event, and the
    function qualified by the version that ran (``...:function:NAME:$LATEST``)."""
    return {
        "version": "1.0",
        "timestamp": _now(),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {
            "errorType": type(error).__name__ if error else "Unknown",
            "errorMessage": str(error) if error else "",
        },
    }


def _arrival(record: dict[str, Any]) -> str:
    created = record.get("ApproximateCreationDateTime")
    if isinstance(created, int | float):
        moment = datetime.fromtimestamp(created, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return str(created or _now())


def stream_failure_record(
    function_arn: str, stream_arn: str, shard: str, records: list[dict[str, Any]], attempts: int
) -> dict[str, Any]:
    """A stream batch's record once its retries are spent: where the batch is in the
    stream (shard, first and last sequence numbers), never its records."""
    first, last = records[0]["dynamodb"], records[-1]["dynamodb"]
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "version": "1.0",
        "timestamp": _now(),
        "DDBStreamBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _arrival(first),
            "approximateArrivalOfLastRecord": _arrival(last),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }
