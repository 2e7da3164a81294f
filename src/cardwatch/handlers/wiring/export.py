"""The export function's parts: the table's exports and the catalog over them."""

from __future__ import annotations

from typing import Any

from cardwatch.adapters.clients import client
from cardwatch.adapters.table_exports import DynamoTableExports, GlueExportCatalog
from cardwatch.handlers.config import ExportConfig

__all__ = ["catalog", "config", "exports"]


def config() -> ExportConfig:
    return ExportConfig.from_env()


def exports(chosen: ExportConfig, clients: Any = client) -> DynamoTableExports:
    return DynamoTableExports(
        clients("dynamodb"),
        clients("s3"),
        table_arn=chosen.table_arn,
        bucket=chosen.history_bucket,
        prefix=chosen.export_prefix,
        key_id=chosen.export_key_arn,
    )


def catalog(chosen: ExportConfig, clients: Any = client) -> GlueExportCatalog:
    return GlueExportCatalog(clients("glue"), chosen.history_database, chosen.history_table)
