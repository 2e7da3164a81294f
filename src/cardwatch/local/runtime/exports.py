"""Bring the local stack's decision-log exports up to date before a training run.

The export function's code, here, against the emulator: it registers what completed and
starts what is due, run until no export is running and the catalog holds the table as
of the moment it was asked: an incremental export when the last is 15 minutes old
(DynamoDB's shortest period), else a full one, so a training run reads every label
posted before it.
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
    """Run the export function's use case until no export runs and the catalog holds
    the table as of now (a full export when no incremental one may be taken yet): the
    last run, with every export registered on the way."""
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
    asked = time.time_ns() // 1000
    while True:
        now = time.time_ns() // 1000
        run = keep_exporting(exports, catalog, now, MIN_PERIOD_MICROS, as_of=asked)
        registered += run.registered
        current = (run.exported_to_micros or 0) >= asked
        if current and not run.started and not run.waiting.endswith("in progress"):
            return ExportRun(
                tuple(registered), None, run.waiting, run.failed, run.exported_to_micros
            )
        if time.monotonic() > deadline:
            raise TimeoutError(f"the exports did not finish in {timeout_s:.0f} s")
        time.sleep(0.2)
