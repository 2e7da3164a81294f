"""The case an analyst opens, on a fake reader."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from cardwatch.domain.errors import InvalidTransaction
from cardwatch.domain.transaction.validation import TransactionParser
from cardwatch.services.cases import CaseService
from cardwatch.services.label import TransactionNotFound
from tests.support.documents import TEST_PANS, body


class Items:
    def __init__(self, items: dict[str, dict[str, Any]]) -> None:
        self.items = items

    def case_item(self, transaction_id: str) -> dict[str, Any] | None:
        return self.items.get(transaction_id)


def test_a_case_shows_the_decision_features_and_labels_never_the_card(
    parser: TransactionParser,
) -> None:
    transaction = parser.parse(body())
    item = transaction.to_record() | {
        "decision": "review",
        "score": Decimal("0.61"),
        "reasons": ["CARD_TESTING"],
        "features": {"c_count_1h": Decimal(4), "t_count_1h": Decimal(12)},
        "model_version": "m-1",
        "labels": [
            {"label": "genuine", "source": "customer", "note": "", "by": "k", "at_ms": Decimal(5)},
            {"label": "fraud", "source": "chargeback", "note": "", "by": "k", "at_ms": Decimal(9)},
        ],
    }
    case = CaseService(Items({"tx-0001": item})).case("tx-0001")
    assert (case["decision"], case["score"], case["reasons"]) == ("review", 0.61, ["CARD_TESTING"])
    assert case["features"] == {"c_count_1h": 4.0, "t_count_1h": 12.0}
    assert case["label"] == {"label": "fraud", "source": "chargeback"}
    assert [entry["source"] for entry in case["labels"]] == ["customer", "chargeback"]
    assert TEST_PANS[0] not in str(case)


def test_a_case_before_detect_and_the_refusals(parser: TransactionParser) -> None:
    transaction = parser.parse(body())
    service = CaseService(Items({"tx-0001": transaction.to_record()}))
    case = service.case("tx-0001")
    assert (case["assessed"], case["decision"], case["labels"]) == (False, None, [])
    with pytest.raises(TransactionNotFound):
        service.case("tx-9")
    with pytest.raises(InvalidTransaction):
        service.case(TEST_PANS[0])
