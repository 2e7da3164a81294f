"""The label use case: a confirmed verdict on a stored transaction teaches the engine."""

from __future__ import annotations

from dataclasses import dataclass

from cardwatch.domain.detection import Detector, Label
from cardwatch.domain.ports import LabelLog, TransactionStore
from cardwatch.domain.validation import check_path_id, parse_label

__all__ = ["LabelConflict", "LabelResult", "LabelService", "TransactionNotFound"]


class TransactionNotFound(LookupError):
    def __init__(self, transaction_id: str) -> None:
        self.transaction_id = transaction_id
        super().__init__("transaction_id: no stored transaction has this id")


class LabelConflict(Exception):
    def __init__(self, transaction_id: str) -> None:
        super().__init__("transaction_id: the transaction already has a label")


@dataclass(frozen=True, slots=True)
class LabelResult:
    transaction_id: str
    label: str
    source: str


class LabelService:
    def __init__(self, store: TransactionStore, log: LabelLog, detector: Detector) -> None:
        self._store = store
        self._log = log
        self._detector = detector

    def label(self, transaction_id: str, body: str | bytes, now_ms: int) -> LabelResult:
        check_path_id(transaction_id)
        document = parse_label(body)
        stored = self._store.get(transaction_id)
        if stored is None:
            raise TransactionNotFound(transaction_id)
        transaction = stored.transaction
        if not self._log.record_label(transaction, document["label"], document["source"]):
            raise LabelConflict(transaction_id)
        self._detector.learn(
            Label(
                transaction_id,
                transaction.timestamp_ms,
                transaction.card.token,
                transaction.terminal_id,
                document["label"] == "fraud",
                now_ms,
                transaction.observation().merchant_category_code,
            )
        )
        return LabelResult(transaction_id, document["label"], document["source"])
