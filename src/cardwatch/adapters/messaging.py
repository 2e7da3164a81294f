"""The suspicious-transactions queue (SQS) and the alert topic (SNS)."""

from __future__ import annotations

from typing import Any

import boto3

from cardwatch.domain.engine.alerts import Alert, Finding

__all__ = ["SnsAlertPublisher", "SqsFindingQueue"]


class SqsFindingQueue:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self._url = queue_url
        self._client = client or boto3.client("sqs")

    def send(self, finding: Finding) -> None:
        self._client.send_message(
            QueueUrl=self._url,
            MessageBody=finding.to_json(),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": finding.kind},
                "severity": {"DataType": "String", "StringValue": finding.severity},
            },
        )


class SnsAlertPublisher:
    def __init__(self, topic_arn: str, client: Any | None = None) -> None:
        self._arn = topic_arn
        self._client = client or boto3.client("sns")

    def publish(self, alert: Alert) -> None:
        self._client.publish(
            TopicArn=self._arn,
            Subject=alert.subject,
            Message=alert.body,
            MessageAttributes={
                "severity": {"DataType": "String", "StringValue": alert.severity},
                "kind": {"DataType": "String", "StringValue": alert.finding.kind},
            },
        )
