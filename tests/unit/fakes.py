"""In-memory stand-ins for the ports, for domain tests with no AWS and no sockets."""

from __future__ import annotations

from cardwatch.domain.ports import StoredTransaction
from cardwatch.domain.transaction import Transaction


class InMemoryTransactionStore:
    def __init__(self) -> None:
        self.items: dict[str, StoredTransaction] = {}

    def add(self, transaction: Transaction, fingerprint: str) -> StoredTransaction | None:
        existing = self.items.get(transaction.transaction_id)
        if existing is None:
            self.items[transaction.transaction_id] = StoredTransaction(transaction, fingerprint)
        return existing

    def get(self, transaction_id: str) -> StoredTransaction | None:
        return self.items.get(transaction_id)
