"""The dead-letter queues through SQS (and Lambda, to resend a failed invocation)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cardwatch.adapters.failure_records import DeadLetter, read_dead_letter

__all__ = ["DeadLetterQueue", "DeadLetters", "Redriven", "lambda_invoker", "queue_invoker"]

#: Resends an invocation's event to a function (by name) asynchronously; False when
#: that function cannot be invoked from here.
InvokeAsync = Callable[[str, dict[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class DeadLetterQueue:
    name: str  # the blueprint's queue name
    url: str
    #: where its messages came from: a queue URL, or None (failure records)
    source_url: str | None


@dataclass(slots=True)
class Redriven:
    moved: int = 0
    skipped: int = 0  # not redrivable (stream batches), left in the queue


class DeadLetters:
    def __init__(self, sqs: Any, invoke_async: InvokeAsync) -> None:
        self._sqs = sqs
        self._invoke_async = invoke_async

    def depth(self, queue: DeadLetterQueue) -> dict[str, int]:
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=queue.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return {
            "waiting": int(attributes.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        }

    def peek(self, queue: DeadLetterQueue, limit: int) -> list[tuple[dict[str, Any], DeadLetter]]:
        """Up to ``limit`` dead letters, left in the queue (visible again at once)."""
        found: dict[str, tuple[dict[str, Any], DeadLetter]] = {}
        for _round in range(max(1, limit // 10 + 2)):
            messages = self._sqs.receive_message(
                QueueUrl=queue.url,
                MaxNumberOfMessages=min(10, limit),
                VisibilityTimeout=0,
                AttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
            ).get("Messages", [])
            for message in messages:
                found.setdefault(message["MessageId"], (message, read_dead_letter(message["Body"])))
            if not messages or len(found) >= limit:
                break
        return list(found.values())[:limit]

    def redrive(self, queue: DeadLetterQueue, limit: int) -> Redriven:
        """Send up to ``limit`` dead letters back where they came from, each deleted only
        once resent: a queue's messages to that queue, an invocation's event to its
        function. Stream-batch records stay (see :mod:`cardwatch.adapters.failure_records`)."""
        done = Redriven()
        seen: set[str] = set()
        while done.moved + done.skipped < limit:
            messages = self._sqs.receive_message(
                QueueUrl=queue.url, MaxNumberOfMessages=min(10, limit), VisibilityTimeout=30
            ).get("Messages", [])
            fresh = [m for m in messages if m["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh:
                seen.add(message["MessageId"])
                letter = read_dead_letter(message["Body"])
                if letter.kind == "message" and queue.source_url:
                    self._sqs.send_message(QueueUrl=queue.source_url, MessageBody=message["Body"])
                elif not (
                    letter.redrivable
                    and letter.function
                    and letter.event is not None
                    and self._invoke_async(letter.function, letter.event)
                ):
                    self._sqs.change_message_visibility(
                        QueueUrl=queue.url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0,
                    )
                    done.skipped += 1
                    continue
                self._sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
                done.moved += 1
        return done


def lambda_invoker(lambda_client: Any) -> InvokeAsync:
    """A deployment's resend: an asynchronous invocation of the function by name."""

    def invoke(function: str, event: dict[str, Any]) -> bool:
        lambda_client.invoke(
            FunctionName=function, InvocationType="Event", Payload=json.dumps(event).encode()
        )
        return True

    return invoke


def queue_invoker(sqs: Any, queues: dict[str, str]) -> InvokeAsync:
    """Local mode's resend: the function's stand-in queue of asynchronous invocations
    (``queues``: function name -> queue URL); a function without one is not resent."""

    def invoke(function: str, event: dict[str, Any]) -> bool:
        url = queues.get(function)
        if url is None:
            return False
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
        return True

    return invoke
