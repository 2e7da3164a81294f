"""AuditTrail: the in-memory fake and the DynamoDB table: append once, read a period."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from cardwatch.adapters.dynamodb_audit import DynamoAuditTrail
from cardwatch.blueprint import Blueprint
from cardwatch.domain.audit.record import AuditRecord
from cardwatch.domain.ports import AuditTrail
from tests.fakes import InMemoryAuditTrail


@pytest.fixture(params=["memory", "dynamodb"])
def trail(request: pytest.FixtureRequest, blueprint: Blueprint) -> AuditTrail:
    if request.param == "memory":
        return InMemoryAuditTrail()
    request.getfixturevalue("provisioned")
    return DynamoAuditTrail(blueprint.audit_table_name, boto3.client("dynamodb"))


def _record(at: str, target: str = "tx-1", action: str = "label") -> AuditRecord:
    return AuditRecord("key-a", action, target, at, "", "fraud", {"source": "analyst"})


def test_a_record_is_appended_once_and_read_back_whole(trail: AuditTrail) -> None:
    first = _record("2026-12-05T10:00:00.000+00:00")
    assert trail.record(first) is True
    assert trail.record(first) is False  # a retry of the same act
    assert trail.between("2026-12-01", "2026-12-31") == [first]


def test_a_period_spans_months_and_excludes_its_end(trail: AuditTrail) -> None:
    stamps = [
        "2026-10-31T23:59:59.999+00:00",
        "2026-11-15T08:00:00.000+00:00",
        "2026-12-01T00:00:00.000+00:00",
    ]
    for n, at in enumerate(stamps):
        trail.record(_record(at, f"tx-{n}"))
    found = trail.between("2026-10-31T00:00:00", "2026-12-01T00:00:00.000+00:00")
    assert [r.target for r in found] == ["tx-0", "tx-1"]


def test_concurrent_records_of_one_act_leave_one(trail: AuditTrail) -> None:
    record = _record("2026-12-05T11:00:00.000+00:00", "tx-9", "model.promote")
    with ThreadPoolExecutor(max_workers=4) as pool:
        written = list(pool.map(lambda _: trail.record(record), range(8)))
    assert written.count(True) == 1
    assert trail.between("2026-12-05", "2026-12-06") == [record]


def test_an_unknown_action_or_time_is_refused() -> None:
    with pytest.raises(ValueError, match="audited"):
        AuditRecord("a", "delete.everything", "t", "2026-12-05T00:00:00")
    with pytest.raises(ValueError, match=r"isoformat|Invalid"):
        AuditRecord("a", "label", "t", "yesterday")
