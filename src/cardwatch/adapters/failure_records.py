"""What a dead letter is, and the event it came from (no AWS here).

Three kinds reach the dead-letter queues:

- ``invocation``: an asynchronous invocation's failure record (Lambda's on-failure
  destination: ``requestContext``, ``requestPayload``, ``responsePayload``); the
  original event is its ``requestPayload``, sent again to the same function;
- ``stream-batch``: the record of a DynamoDB stream batch that could not be delivered
  (the batch's shard and sequence numbers, not the items; the stream keeps them 24
  hours). An event source mapping's record names its function (aggregate's, from the
  profile table's stream): it is redriven by reading that range of the stream again
  and sending it to the function, whose fold is idempotent. The Pipe's record names no
  function: the items are in the table; it is shown, not redriven;
- ``message``: a queue's own message moved after too many receives (the suspicious and
  alert queues' DLQs); redriven to that queue as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["DeadLetter", "read_dead_letter"]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    kind: str  # invocation | stream-batch | message
    summary: str  # one line an operator reads
    #: the function an invocation record came from (its name), and the event to resend
    function: str | None = None
    event: dict[str, Any] | None = None
    #: a stream batch's ``DDBStreamBatchInfo`` (stream, shard, first and last sequence)
    batch: dict[str, Any] | None = None

    @property
    def redrivable(self) -> bool:
        if self.kind == "stream-batch":
            return self.function is not None and self.batch is not None
        return self.kind == "message" or (self.kind == "invocation" and self.event is not None)


def _function_of(arn: str) -> str | None:
    """The function an ARN names, with its version or alias when it has one: AWS writes a
    failure record's ``arn:aws:lambda:{region}:{account}:function:{name}:{qualifier}``
    (``$LATEST``, a version, an alias), and Lambda invokes ``{name}:{qualifier}``."""
    parts = arn.split(":")
    if len(parts) >= 7 and parts[5] == "function":
        return ":".join(parts[6:8])
    return arn.rsplit(":", 1)[-1] or None


def read_dead_letter(body: str) -> DeadLetter:
    """Classify one dead letter's body and say what it is."""
    try:
        document = json.loads(body)
    except ValueError:
        return DeadLetter("message", f"a message of {len(body)} characters (not JSON)")
    if not isinstance(document, dict):
        return DeadLetter("message", "a JSON message")
    if "requestPayload" in document and "requestContext" in document:
        context = document.get("requestContext") or {}
        function = _function_of(str(context.get("functionArn", "")))
        response = document.get("responsePayload") or {}
        error = response.get("errorType", "error") if isinstance(response, dict) else "error"
        message = response.get("errorMessage", "") if isinstance(response, dict) else ""
        payload = document.get("requestPayload")
        detail = payload.get("detail-type", "") if isinstance(payload, dict) else ""
        summary = (
            f"{function or 'a function'} failed {context.get('approximateInvokeCount', '?')} "
            f"time(s) ({context.get('condition', 'unknown')}): {error}: {message[:120]}"
            + (f" [event: {detail}]" if detail else "")
        )
        event = payload if isinstance(payload, dict) else None
        return DeadLetter("invocation", summary, function, event)
    batch = document.get("DDBStreamBatchInfo") or document.get("ddbStreamBatchInfo")
    if isinstance(batch, dict) or ("context" in document and "pipeArn" in str(document)):
        info = batch or {}
        context = document.get("requestContext") or {}
        function = _function_of(str(context.get("functionArn", "")))
        span = (
            f"shard {info.get('shardId', '?')}, sequence {info.get('startSequenceNumber', '?')}"
            f"..{info.get('endSequenceNumber', '?')}"
        )
        if function is not None and isinstance(batch, dict):
            return DeadLetter(
                "stream-batch",
                f"a stream batch {function} failed {context.get('approximateInvokeCount', '?')}"
                f" time(s) ({context.get('condition', 'unknown')}): {span}, "
                f"{info.get('batchSize', '?')} records (redriven from the stream, 24 hours)",
                function,
                batch=batch,
            )
        return DeadLetter(
            "stream-batch",
            f"a stream batch the Pipe could not deliver: {span}"
            " (the items are in the table; the stream keeps them 24 hours)",
        )
    kind = document.get("finding_type") or document.get("kind") or "message"
    return DeadLetter("message", f"a queued {kind} ({len(body)} characters)")
