"""The local stack's transactions and table, for the tiers that drive it over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from cardwatch.local.runtime.pipeline import LocalPipeline
from tests.support.documents import TEST_PANS


def now_stamp(seconds_ago: float = 0) -> str:
    moment = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def transaction(tid: str, **changes: Any) -> dict[str, Any]:
    body = {
        "transaction_id": tid,
        "user_id": "e2e-user",
        "amount": 42.5,
        "currency": "USD",
        "timestamp": now_stamp(),
        "terminal_id": "e2e-term",
        "card_number": TEST_PANS[0],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def items(stack: LocalPipeline) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb").Table(stack.blueprint.table_name)
    return list(table.scan()["Items"])
