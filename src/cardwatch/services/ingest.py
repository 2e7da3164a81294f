"""The ingest use case: parse, tokenize, store once."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cardwatch.domain.errors import TransactionConflict
from cardwatch.domain.ports import TransactionStore
from cardwatch.domain.transaction.record import Transaction
from cardwatch.domain.transaction.validation import TransactionParser

__all__ = ["IngestResult", "IngestService", "Outcome"]


class Outcome(enum.Enum):
    CREATED = "created"
    REPEATED = "repeated"


@dataclass(frozen=True, slots=True)
class IngestResult:
    outcome: Outcome
    transaction: Transaction


class IngestService:
    """Accepts a transaction body; a repeat is answered as the first time, never stored
    twice, and a reused id with other content is a :class:`TransactionConflict`."""

    def __init__(self, parser: TransactionParser, store: TransactionStore) -> None:
        self._parser = parser
        self._store = store

    def ingest(self, body: str | bytes) -> IngestResult:
        transaction = self._parser.parse(body)
        fingerprint = transaction.fingerprint()
        existing = self._store.add(transaction, fingerprint)
        if existing is None:
            return IngestResult(Outcome.CREATED, transaction)
        if existing.fingerprint != fingerprint:
            raise TransactionConflict(transaction.transaction_id)
        return IngestResult(Outcome.REPEATED, existing.transaction)
