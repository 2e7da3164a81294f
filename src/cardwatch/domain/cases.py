"""The case an analyst opens: one transaction with what the engine decided and why, the
features it scored, the model's version and every label, never card data."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Protocol

from cardwatch.domain.label_history import LabelEntry, effective
from cardwatch.domain.labels import TransactionNotFound
from cardwatch.domain.transaction import Transaction
from cardwatch.domain.validation import check_path_id

__all__ = ["CaseReader", "CaseService"]


class CaseReader(Protocol):
    def case_item(self, transaction_id: str) -> Mapping[str, Any] | None:
        """The stored item (transaction, decision, labels), or None."""
        ...


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float | Decimal) else None


class CaseService:
    def __init__(self, reader: CaseReader) -> None:
        self._reader = reader

    def case(self, transaction_id: str) -> dict[str, Any]:
        check_path_id(transaction_id)
        item = self._reader.case_item(transaction_id)
        if item is None:
            raise TransactionNotFound(transaction_id)
        transaction = Transaction.from_record(dict(item))
        labels = [LabelEntry.from_record(entry) for entry in item.get("labels", [])]
        current = effective(labels)
        decision = item.get("decision")
        return {
            "transaction_id": transaction.transaction_id,
            "transaction": transaction.public_view(),
            "decision": decision,
            "assessed": decision is not None,
            "score": _number(item.get("score")),
            "reasons": list(item.get("reasons", [])),
            "features": {
                name: _number(value) for name, value in dict(item.get("features", {})).items()
            },
            "model_version": item.get("model_version"),
            "assessed_at": item.get("assessed_at"),
            "label": None
            if current is None
            else {"label": current[0].label, "source": current[0].source},
            "labels": [entry.to_record() for entry in labels],
        }
