"""The transactions table's exports to S3 (DynamoDB) and the catalog table over their
files (Glue): :class:`~cardwatch.domain.ports.TableExports` and
:class:`~cardwatch.domain.ports.ExportCatalog`.

An export is found by the ``_started`` marker DynamoDB writes first under
``{prefix}/AWSDynamoDB/{ExportId}/`` and described by its ARN
(``{table ARN}/export/{ExportId}``): no ListExports, whose permission cannot be scoped
to the table. Exports write DynamoDB JSON, encrypted with the deployment's key. The
catalog table has one partition per export (``exported_micros``: the time it holds the
table as of), pointing at the export's ``data/`` folder with the table's own storage.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from cardwatch.domain.ports import TableExport

__all__ = ["DynamoTableExports", "GlueExportCatalog"]


def _micros(moment: datetime | float) -> int:
    seconds = moment.timestamp() if isinstance(moment, datetime) else float(moment)
    return round(seconds * 1_000_000)


class DynamoTableExports:
    def __init__(
        self, dynamodb: Any, s3: Any, *, table_arn: str, bucket: str, prefix: str, key_id: str
    ) -> None:
        self._dynamodb, self._s3 = dynamodb, s3
        self._table_arn, self._bucket, self._key_id = table_arn, bucket, key_id
        self._prefix = prefix.strip("/")

    def _root(self) -> str:
        return f"{self._prefix}/AWSDynamoDB/"

    def exports(self, known: Iterable[str] = ()) -> list[TableExport]:
        skip = set(known)
        found = []
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=self._root()
        )
        for page in pages:
            for entry in page.get("Contents", []):
                export_id, _, name = entry["Key"].removeprefix(self._root()).partition("/")
                if name == "_started" and export_id not in skip:
                    found.append(self._described(f"{self._table_arn}/export/{export_id}"))
        return sorted(found, key=lambda export: export.to_micros)

    def _described(self, arn: str) -> TableExport:
        described = self._dynamodb.describe_export(ExportArn=arn)["ExportDescription"]
        incremental = described.get("IncrementalExportSpecification") or {}
        export_id = arn.rsplit("/", 1)[-1]
        kind = described.get("ExportType", "FULL_EXPORT")
        moment = (
            incremental.get("ExportToTime")
            if kind == "INCREMENTAL_EXPORT"
            else described.get("ExportTime") or described.get("StartTime")
        )
        since = incremental.get("ExportFromTime")
        return TableExport(
            export_id,
            kind,
            described["ExportStatus"],
            _micros(moment or 0),
            None if since is None else _micros(since),
            f"s3://{self._bucket}/{self._root()}{export_id}/data/",
        )

    def start(self, kind: str, to_micros: int, from_micros: int | None, token: str) -> TableExport:
        request: dict[str, Any] = {
            "TableArn": self._table_arn,
            "S3Bucket": self._bucket,
            "S3Prefix": self._prefix,
            "S3SseAlgorithm": "KMS",
            "S3SseKmsKeyId": self._key_id,
            "ExportFormat": "DYNAMODB_JSON",
            "ExportType": kind,
            "ClientToken": token,
        }
        if kind == "INCREMENTAL_EXPORT":
            request["IncrementalExportSpecification"] = {
                "ExportFromTime": datetime.fromtimestamp((from_micros or 0) / 1_000_000, UTC),
                "ExportToTime": datetime.fromtimestamp(to_micros / 1_000_000, UTC),
                "ExportViewType": "NEW_IMAGE",
            }
        # a full export holds the table as of when it starts (no ExportTime: the same
        # request, retried, is the same export under its token)
        arn = self._dynamodb.export_table_to_point_in_time(**request)["ExportDescription"][
            "ExportArn"
        ]
        return self._described(arn)


class GlueExportCatalog:
    def __init__(self, glue: Any, database: str, table: str) -> None:
        self._glue, self._database, self._table = glue, database, table

    def registered(self) -> dict[str, int]:
        found: dict[str, int] = {}
        pages = self._glue.get_paginator("get_partitions").paginate(
            DatabaseName=self._database, TableName=self._table
        )
        for page in pages:
            for partition in page.get("Partitions", []):
                location = partition["StorageDescriptor"]["Location"].rstrip("/")
                export_id = location.removesuffix("/data").rsplit("/", 1)[-1]
                found[export_id] = int(partition["Values"][0])
        return found

    def register(self, export: TableExport) -> None:
        storage = self._glue.get_table(DatabaseName=self._database, Name=self._table)["Table"][
            "StorageDescriptor"
        ]
        answer = self._glue.batch_create_partition(
            DatabaseName=self._database,
            TableName=self._table,
            PartitionInputList=[
                {
                    "Values": [str(export.to_micros)],
                    "StorageDescriptor": {**storage, "Location": export.data_location},
                }
            ],
        )
        for error in answer.get("Errors", []):
            if error.get("ErrorDetail", {}).get("ErrorCode") != "AlreadyExistsException":
                raise RuntimeError(
                    f"the catalog refused export {export.export_id}: {error['ErrorDetail']}"
                )
