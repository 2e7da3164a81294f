"""The ports the domain needs from the outside world, as Protocols."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cardwatch.domain.transaction import Transaction

__all__ = ["StoredTransaction", "TransactionStore"]


@dataclass(frozen=True, slots=True)
class StoredTransaction:
    """A transaction as the store holds it, with the fingerprint it was stored under."""

    transaction: Transaction
    fingerprint: str


class TransactionStore(Protocol):
    """Where accepted transactions live; ``transaction_id`` is unique."""

    def add(self, transaction: Transaction, fingerprint: str) -> StoredTransaction | None:
        """Store ``transaction`` unless its id is taken.

        Returns ``None`` when stored, or what is already stored under that id.
        """
        ...

    def get(self, transaction_id: str) -> StoredTransaction | None:
        """The transaction stored under ``transaction_id``, if any."""
        ...
