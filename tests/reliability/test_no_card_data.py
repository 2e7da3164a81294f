"""After a full local run with test card numbers: no card number in any table item,
queue message or log line, and no CVV field anywhere."""

from __future__ import annotations

import json
import re

import boto3
import httpx

from cardwatch.domain.card import luhn_valid
from cardwatch.local.event_wiring import wait_until
from cardwatch.local.pipeline import LocalPipeline
from cardwatch.local.replay import encode_body
from cardwatch.local.traffic import demo_traffic
from tests.reliability.figures import FIGURES

#: 13-19 digits starting with a card network's major industry identifier (2-6), standing
#: alone (a digit run inside a hexadecimal token is not a card number).
CARD_RUN = re.compile(r"(?<![0-9A-Za-z])[2-6]\d{12,18}(?![0-9A-Za-z])")
CVV = re.compile(r'"(cvv2?|cvc2?|card_verification_value|security_code)"', re.IGNORECASE)


def test_nothing_at_rest_or_in_logs_holds_a_card_number(
    api: httpx.Client, stack: LocalPipeline
) -> None:
    planned = demo_traffic(150, seed=21)
    pans = {item.body["card_number"] for item in planned}
    for item in planned:
        api.post(
            "/transactions",
            content=encode_body(
                item.body | {"transaction_id": "pan-" + item.body["transaction_id"]}
            ),
        )
    assert stack.functions is not None
    assert wait_until(lambda: len(stack.functions.durations["detect"]) >= len(planned), timeout=120)
    texts: list[str] = []
    dynamodb = boto3.client("dynamodb")
    for table in (stack.blueprint.table_name, stack.blueprint.profile_table_name):
        texts += [json.dumps(item) for item in dynamodb.scan(TableName=table)["Items"]]
    sqs = boto3.client("sqs")
    assert stack.made is not None
    for url in stack.made.queue_urls.values():
        texts += [
            m["Body"]
            for m in sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
            ).get("Messages", [])
        ]
    texts += [p.read_text() for p in (stack.settings.state_dir / "logs").glob("*.log")]
    runs = [
        text[max(0, m.start() - 60) : m.end() + 10]
        for text in texts
        for m in CARD_RUN.finditer(text)
        if luhn_valid(m.group())
    ]
    FIGURES["card numbers sent"] = len(pans)
    FIGURES["texts scanned (items, messages, log files)"] = len(texts)
    FIGURES["Luhn-valid card numbers found"] = len(runs)
    assert runs == []
    assert not any(CVV.search(text) for text in texts)
    assert any(CARD_RUN.findall(pan) for pan in pans)  # the scan would see them
