"""The export function's ports (TableExports, ExportCatalog): the use-case tests' fakes
and DynamoDB's exports with Glue's catalog (on the emulator)."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from cardwatch.adapters.table_exports import DynamoTableExports, GlueExportCatalog
from cardwatch.domain.ports import TableExport
from cardwatch.handlers.config import ExportConfig
from cardwatch.handlers.wiring import export as wiring
from tests.fakes import DictExportCatalog, FakeTableExports

Ports = tuple[FakeTableExports | DynamoTableExports, DictExportCatalog | GlueExportCatalog]


@pytest.fixture(params=["memory", "aws"])
def ports(request: pytest.FixtureRequest) -> Ports:
    if request.param == "memory":
        return FakeTableExports(), DictExportCatalog()
    request.getfixturevalue("provisioned")
    chosen = ExportConfig.from_env()
    return wiring.exports(chosen, boto3.client), wiring.catalog(chosen, boto3.client)


def _completed(exports: Any, export_id: str) -> TableExport:
    """The export once it completed (the fake's at once; DynamoDB's in its own time)."""
    if isinstance(exports, FakeTableExports):
        exports.finish(export_id)
    for _ in range(200):
        found = {e.export_id: e for e in exports.exports()}
        if export_id in found and found[export_id].status == "COMPLETED":
            return found[export_id]
        time.sleep(0.05)
    raise AssertionError("the export did not complete")


def test_an_export_started_once_is_listed_and_catalogued_once(ports: Ports) -> None:
    exports, catalog = ports
    now = time.time_ns() // 1000
    started = exports.start("FULL_EXPORT", now, None, "token-1")
    assert started.kind == "FULL_EXPORT" and started.status in {"IN_PROGRESS", "COMPLETED"}
    # the same request under the same token is the same export
    assert exports.start("FULL_EXPORT", now, None, "token-1").export_id == started.export_id
    done = _completed(exports, started.export_id)
    assert done.data_location.endswith(f"/{started.export_id}/data/")
    assert abs(done.to_micros - now) < 60_000_000
    assert catalog.registered() == {}
    catalog.register(done)
    catalog.register(done)  # again: no change
    assert catalog.registered() == {done.export_id: done.to_micros}
    assert exports.exports(known=[done.export_id]) == []


def test_an_incremental_export_says_its_period(ports: Ports) -> None:
    exports, _ = ports
    now = time.time_ns() // 1000
    full = _completed(exports, exports.start("FULL_EXPORT", now, None, "t-full").export_id)
    later = time.time_ns() // 1000 + 1000
    time.sleep(0.01)
    incremental = exports.start("INCREMENTAL_EXPORT", later, full.to_micros, "t-inc")
    done = _completed(exports, incremental.export_id)
    assert done.kind == "INCREMENTAL_EXPORT"
    assert done.from_micros == full.to_micros
    assert abs(done.to_micros - later) < 1000  # DynamoDB's API speaks milliseconds
    assert [e.export_id for e in exports.exports()] == [full.export_id, done.export_id]
