"""The domain: pure logic with no AWS SDK, no Powertools, no provider imports."""

from cardwatch.domain.card import CardReference, CardTokenizer, luhn_valid
from cardwatch.domain.errors import (
    FieldProblem,
    InvalidTransaction,
    StoreBusy,
    TransactionConflict,
)
from cardwatch.domain.ingest import IngestResult, IngestService, Outcome
from cardwatch.domain.money import minor_units, parse_amount
from cardwatch.domain.ports import StoredTransaction, TransactionStore
from cardwatch.domain.transaction import Transaction
from cardwatch.domain.validation import TimeWindow, TransactionParser, contract_problems

__all__ = [
    "CardReference",
    "CardTokenizer",
    "FieldProblem",
    "IngestResult",
    "IngestService",
    "InvalidTransaction",
    "Outcome",
    "StoreBusy",
    "StoredTransaction",
    "TimeWindow",
    "Transaction",
    "TransactionConflict",
    "TransactionParser",
    "TransactionStore",
    "contract_problems",
    "luhn_valid",
    "minor_units",
    "parse_amount",
]
