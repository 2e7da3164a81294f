"""Helpers that move events between the functions as AWS would, on moto."""

from __future__ import annotations

import json
from typing import Any

import boto3

from cardwatch.adapters.dynamodb_store import to_attributes
from cardwatch.blueprint import Blueprint
from cardwatch.local.runtime.provision import Provisioned
from tests.support.documents import load_fixture


def stream_event(blueprint: Blueprint, transaction_id: str, event_id: str) -> dict[str, Any]:
    """The EventBridge event the Pipe makes of the stored item's INSERT record."""
    table = boto3.resource("dynamodb").Table(blueprint.table_name)
    items = table.query(
        KeyConditionExpression="transaction_id = :t",
        ExpressionAttributeValues={":t": transaction_id},
    )["Items"]
    item = next(i for i in items if i["record_type"] == "transaction")
    event: dict[str, Any] = load_fixture("eventbridge_stream_insert.json")
    event["id"] = event_id
    event["detail"]["dynamodb"]["NewImage"] = to_attributes(item)
    event["detail"]["dynamodb"]["Keys"] = to_attributes(
        {"transaction_id": item["transaction_id"], "timestamp": item["timestamp"]}
    )
    return event


def receive(url: str, wait: int = 0) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event an SQS event source mapping hands the notify function."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "0",
                    "SenderId": "x",
                    "ApproximateFirstReceiveTimestamp": "0",
                },
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def alerts_received(blueprint: Blueprint, made: Provisioned) -> list[dict[str, Any]]:
    """What reached the SNS-subscribed alert-processing queue, unwrapped."""
    return [json.loads(m["Body"]) for m in receive(made.queue_urls[blueprint.alerts_queue.name])]
