"""Reading dead-letter queues as an operator does: every message, not the first ten
again and again; each left in its queue; nothing that may be a card number shown."""

from __future__ import annotations

import json

import boto3
import pytest

from cardwatch.adapters.dead_letters import DeadLetterQueue, DeadLetters
from cardwatch.blueprint import Blueprint
from cardwatch.cli.dlq import _shown
from cardwatch.local.runtime.provision import Provisioned

pytestmark = pytest.mark.usefixtures("provisioned")


def _record(n: int, message: str = "throttled") -> str:
    """A failed invocation's record, as Lambda writes it to an on-failure destination."""
    return json.dumps(
        {
            "requestContext": {
                "functionArn": f"arn:aws:lambda:us-east-1:{'1' * 12}:function:fraud-detect:1",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            },
            "requestPayload": {"detail": {"transaction_id": f"tx-{n}"}},
            "responsePayload": {"errorType": "StoreBusy", "errorMessage": message},
        }
    )


def test_a_peek_sees_every_message_and_leaves_each_in_its_queue(
    blueprint: Blueprint, provisioned: Provisioned
) -> None:
    sqs = boto3.client("sqs")
    url = provisioned.queue_urls[blueprint.failures_dlq.name]
    for n in range(25):
        sqs.send_message(QueueUrl=url, MessageBody=_record(n))
    letters = DeadLetters(sqs, lambda _function, _event: False)
    queue = DeadLetterQueue(blueprint.failures_dlq.name, url, None)
    first = letters.peek(queue, 40)
    assert len({message["MessageId"] for message, _letter in first}) == 25
    again = letters.peek(queue, 40)  # none was taken: all visible again at once
    assert len(again) == 25
    shown = [_shown(message, letter) for message, letter in first]
    assert sorted(tx for row in shown for tx in row["transaction_ids"]) == sorted(
        f"tx-{n}" for n in range(25)
    )


@pytest.mark.parametrize(
    "spelled",
    ["4111 1111 1111 1111", "4111\u00a01111\u00a01111\u00a01111", "\uff14111111111111111"],
)
def test_no_field_of_a_shown_dead_letter_holds_a_card_number(
    blueprint: Blueprint, provisioned: Provisioned, spelled: str
) -> None:
    sqs = boto3.client("sqs")
    url = provisioned.queue_urls[blueprint.alerts_dlq.name]
    sqs.send_message(QueueUrl=url, MessageBody=_record(1, f"bad card {spelled}"))
    # the same, escaped: a body read only as sent would not show it
    sqs.send_message(
        QueueUrl=url, MessageBody=json.dumps({"note": f"card {spelled}"}, ensure_ascii=True)
    )
    letters = DeadLetters(sqs, lambda _function, _event: False)
    queue = DeadLetterQueue(blueprint.alerts_dlq.name, url, None)
    shown = json.dumps([_shown(m, letter) for m, letter in letters.peek(queue, 10)])
    digits = "".join(ch for ch in spelled if ch.isdigit())
    assert len(json.loads(shown)) == 2
    assert "4111" not in shown and digits not in shown and "withheld" in shown
