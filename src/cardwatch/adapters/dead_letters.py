"""The dead-letter queues through SQS (and Lambda, to resend a failed invocation)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from cardwatch.adapters.dynamodb_counters import applied_event
from cardwatch.adapters.failure_records import DeadLetter, read_dead_letter

__all__ = [
    "DeadLetterQueue",
    "DeadLetters",
    "Redriven",
    "lambda_invoker",
    "letter_key",
    "queue_invoker",
]

#: Resends an invocation's event to a function (by name) asynchronously; False when
#: that function cannot be invoked from here.
InvokeAsync = Callable[[str, dict[str, Any]], bool]
#: How long a peek holds the messages it has received (released as soon as it ends).
_PEEK_HOLD_SECONDS = 30


@dataclass(frozen=True, slots=True)
class DeadLetterQueue:
    name: str  # the blueprint's queue name
    url: str
    #: where its messages came from: a queue URL, or None (failure records)
    source_url: str | None


@dataclass(slots=True)
class Redriven:
    moved: int = 0
    skipped: int = 0  # not redrivable (the Pipe's stream batches), left in the queue
    #: what each resent letter carried (:func:`letter_key`): a letter that fails again
    #: comes back to the queue with the same key
    resent: list[str] = field(default_factory=list)


def letter_key(letter: DeadLetter, body: str) -> str:
    """What a dead letter carries, as a digest that stays the same when it fails again:
    a failed invocation's event (its record is new each time), else the message's body."""
    carried = json.dumps(letter.event, sort_keys=True) if letter.event is not None else body
    return hashlib.sha256(carried.encode()).hexdigest()


class DeadLetters:
    def __init__(self, sqs: Any, invoke_async: InvokeAsync, streams: Any | None = None) -> None:
        self._sqs = sqs
        self._invoke_async = invoke_async
        self._streams = streams

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
        """Up to ``limit`` dead letters, left in the queue: each is held while the next
        are received (so that every call finds new ones), then made visible again."""
        found: dict[str, tuple[dict[str, Any], DeadLetter]] = {}
        held: list[str] = []
        try:
            while len(found) < limit:
                messages = self._sqs.receive_message(
                    QueueUrl=queue.url,
                    MaxNumberOfMessages=min(10, limit - len(found)),
                    VisibilityTimeout=_PEEK_HOLD_SECONDS,
                    AttributeNames=["SentTimestamp", "ApproximateReceiveCount"],
                ).get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    held.append(message["ReceiptHandle"])
                    found.setdefault(
                        message["MessageId"], (message, read_dead_letter(message["Body"]))
                    )
        finally:
            self._release(queue, held)
        return list(found.values())[:limit]

    def _release(self, queue: DeadLetterQueue, handles: list[str]) -> None:
        """Make received messages visible again at once, ten a call."""
        for start in range(0, len(handles), 10):
            self._sqs.change_message_visibility_batch(
                QueueUrl=queue.url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                    for n, handle in enumerate(handles[start : start + 10])
                ],
            )

    def redrive(self, queue: DeadLetterQueue, limit: int) -> Redriven:
        """Send up to ``limit`` dead letters back where they came from, each deleted only
        once resent: a queue's messages to that queue, an invocation's event to its
        function, a mapping's stream batch read again and sent to its function. The Pipe's
        stream-batch records stay (see :mod:`cardwatch.adapters.failure_records`)."""
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
                if self._resend(queue, letter, message["Body"]):
                    self._sqs.delete_message(
                        QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"]
                    )
                    done.moved += 1
                    if letter.kind != "stream-batch":  # a batch comes back as new records
                        done.resent.append(letter_key(letter, message["Body"]))
                else:  # left in the queue, visible again at once
                    self._sqs.change_message_visibility(
                        QueueUrl=queue.url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=0,
                    )
                    done.skipped += 1
        return done

    def _resend(self, queue: DeadLetterQueue, letter: DeadLetter, body: str) -> bool:
        """Send one dead letter back where it came from; False when it cannot be."""
        if letter.kind == "message" and queue.source_url:
            self._sqs.send_message(QueueUrl=queue.source_url, MessageBody=body)
            return True
        if letter.kind == "stream-batch":
            return self._replay(letter)
        return bool(
            letter.redrivable
            and letter.function
            and letter.event is not None
            and self._invoke_async(letter.function, letter.event)
        )

    def _replay(self, letter: DeadLetter) -> bool:
        """Read a failed stream batch's range again (the stream keeps 24 hours) and send
        it to its function as the mapping would; False when it cannot be: the Pipe's
        record, no stream client, the range trimmed, or no function to resend to."""
        if not letter.redrivable or self._streams is None or letter.function is None:
            return False
        batch = letter.batch or {}
        records = self._read_range(
            self._streams,
            str(batch["streamArn"]),
            str(batch["shardId"]),
            str(batch["startSequenceNumber"]),
            int(batch["endSequenceNumber"]),
        )
        if records is None:
            return False
        # only what the mapping's filter passes (the range holds every change of its
        # shard: registrations, card buckets, folds), sent in invocations that fit an
        # asynchronous payload; folding is idempotent, so a part sent again is harmless
        wanted = [r for r in records if applied_event(r["dynamodb"].get("NewImage") or {})]
        return all(
            self._invoke_async(letter.function, {"Records": wanted[at : at + REDRIVE_RECORDS]})
            for at in range(0, len(wanted), REDRIVE_RECORDS)
        )

    @staticmethod
    def _read_range(
        streams: Any, stream_arn: str, shard: str, first: str, last: int
    ) -> list[dict[str, Any]] | None:
        try:
            iterator = streams.get_shard_iterator(
                StreamArn=stream_arn,
                ShardId=shard,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=first,
            )["ShardIterator"]
        except ClientError as error:  # trimmed (older than 24 hours), or no such shard
            if error.response["Error"]["Code"] in _GONE:
                return None
            raise
        records: list[dict[str, Any]] = []
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            for record in page["Records"]:
                if int(record["dynamodb"]["SequenceNumber"]) > last:
                    return records
                records.append(
                    json.loads(json.dumps(record, default=str)) | {"eventSourceARN": stream_arn}
                )
            if not page["Records"]:
                return records
            iterator = page.get("NextShardIterator")
        return records


#: applied events per redriven invocation: about 100 KB, inside the 256 KB an
#: asynchronous invocation's payload may take
REDRIVE_RECORDS = 100

#: a stream range that is no longer there to read
_GONE = frozenset({"TrimmedDataAccessException", "ResourceNotFoundException"})


def lambda_invoker(lambda_client: Any) -> InvokeAsync:
    """A deployment's resend: an asynchronous invocation of the function by name, of the
    version or alias the record names (``name:qualifier``, as Lambda takes it)."""

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
        url = queues.get(function.split(":", 1)[0])  # local mode runs $LATEST only
        if url is None:
            return False
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))
        return True

    return invoke
