"""Bring the local stack's decision-log exports up to date before a training run.

The export function's code, here, against the emulator: it registers what completed and
starts what is due, run until no export is running. The first run exports the table in
full; later ones add an incremental export once the last is 15 minutes old (DynamoDB's
shortest period), so a training run reads the log as of the newest completed export.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cardwatch.blueprint import Blueprint, Handle
from cardwatch.handlers.config import ExportConfig
from cardwatch.handlers.wiring import export as wiring
from cardwatch.services.history_export import MIN_PERIOD_MICROS, ExportRun, keep_exporting

__all__ = ["export_until_current"]


def export_until_current(
    blueprint: Blueprint, clients: Callable[[str], Any], timeout_s: float = 120.0
) -> ExportRun:
    """Run the export function's use case until no export runs; the last run, with
    every export registered on the way."""
    table = clients("dynamodb").describe_table(TableName=blueprint.table_name)["Table"]
    key = clients("kms").describe_key(KeyId=blueprint.key_alias)["KeyMetadata"]
    outputs = {Handle.TABLE: table["TableArn"], Handle.KEY: key["Arn"]}
    environment = {
        name: outputs[value] if isinstance(value, Handle) else value
        for name, value in blueprint.functions["export"].environment.items()
    }
    chosen = ExportConfig.from_env(environment)
    exports, catalog = wiring.exports(chosen, clients), wiring.catalog(chosen, clients)
    registered: list[str] = []
    deadline = time.monotonic() + timeout_s
    while True:
        run = keep_exporting(exports, catalog, time.time_ns() // 1000, MIN_PERIOD_MICROS)
        registered += run.registered
        if not run.started and not run.waiting.endswith("in progress"):
            return ExportRun(
                tuple(registered), None, run.waiting, run.failed, run.exported_to_micros
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"the exports did not finish in {timeout_s:.0f} s")
        time.sleep(0.2)
