"""Documents every tier shares: a token key, a fixed clock, valid transaction bodies, the
review queue's history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cardwatch.domain.ports import DecisionRecord
from cardwatch.domain.transaction.validation import TransactionParser

FIXTURES = Path(__file__).parent.parent / "fixtures"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOKEN_KEY = bytes(range(32))
#: Luhn-valid test card numbers of the major schemes.
TEST_PANS = ("4111111111111111", "5555555555554444", "378282246310005", "6011111111111117")


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def valid_document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "transaction_id": "tx-0001",
        "user_id": "user-42",
        "amount": 125.5,
        "currency": "USD",
        "timestamp": "2026-11-20T11:58:00Z",
        "terminal_id": "term-7",
        "card_number": TEST_PANS[0],
        "merchant_category_code": "5411",
        "country": "US",
        "channel": "pos",
        "latitude": 40.7128,
        "longitude": -74.006,
    }
    document.update(changes)
    return {key: value for key, value in document.items() if value is not None}


def body(**changes: Any) -> str:
    return json.dumps(valid_document(**changes))


#: the review queue's history: a decision a minute, the last one a minute before NOW
QUEUE_DECISIONS = ("review", "approve", "block", "review", "block", "approve", "review")


def decided_history(parser: TransactionParser, store: Any) -> list[Any]:
    """``QUEUE_DECISIONS`` stored and decided in ``store`` as tx-0000, tx-0001, ...; the
    transactions, in order (five flagged: three reviews, two blocks)."""
    stored = []
    for minute, decision in enumerate(QUEUE_DECISIONS):
        transaction = parser.parse(
            body(
                transaction_id=f"tx-{minute:04d}",
                timestamp=(NOW - timedelta(minutes=60 - minute)).isoformat(),
            )
        )
        store.add(transaction, transaction.fingerprint())
        store.record_decision(transaction, DecisionRecord(0.9, decision, ("R",), {}, "m-1"))
        stored.append(transaction)
    return stored


def all_pages(service: Any, now_ms: int, **parameters: str) -> list[list[str]]:
    """Every page of ``service``'s review queue: each page's transaction ids."""
    pages, cursor = [], None
    while True:
        page = service.reviews(parameters | ({"cursor": cursor} if cursor else {}), now_ms)
        pages.append([case["transaction_id"] for case in page["reviews"]])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
