"""The audit trail in DynamoDB: one item per act, appended once.

The table's partition key is the month (``YYYY-MM``) and its sort key the record's
time, act and target; a write is conditional on the key being free, so a retry of the
same act finds its record and changes nothing. The functions and the operators hold
``dynamodb:PutItem`` on it and nothing that updates or deletes (no ``UpdateItem``,
``DeleteItem`` or ``BatchWriteItem``); point-in-time recovery and deletion protection
keep it whole, and the archive keeps a copy for the 12 months PCI DSS asks.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from cardwatch.adapters.dynamodb_errors import BUSY_CODES
from cardwatch.adapters.dynamodb_store import from_attributes, to_attributes
from cardwatch.domain.audit.record import AuditRecord, months_between
from cardwatch.domain.errors import StoreBusy

__all__ = ["DynamoAuditTrail"]


class DynamoAuditTrail:
    """:class:`~cardwatch.domain.ports.AuditTrail` on a DynamoDB table."""

    def __init__(self, table_name: str, client: Any) -> None:
        self._table, self._client = table_name, client

    def record(self, entry: AuditRecord) -> bool:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_attributes(entry.to_item()),
                ConditionExpression="attribute_not_exists(#entry)",
                ExpressionAttributeNames={"#entry": "entry"},
            )
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code == "ConditionalCheckFailedException":
                return False
            if code in BUSY_CODES:
                raise StoreBusy(code) from error
            raise
        return True

    def between(self, start: str, end: str) -> list[AuditRecord]:
        found: list[AuditRecord] = []
        paginator = self._client.get_paginator("query")
        for month in months_between(start, end):
            pages = paginator.paginate(
                TableName=self._table,
                KeyConditionExpression="#month = :month AND #entry BETWEEN :start AND :end",
                ExpressionAttributeNames={"#month": "month", "#entry": "entry"},
                ExpressionAttributeValues={
                    ":month": {"S": month},
                    ":start": {"S": start},
                    ":end": {"S": end},
                },
            )
            for page in pages:
                found += [AuditRecord.from_item(from_attributes(i)) for i in page["Items"]]
        return [record for record in found if start <= record.at < end]
