"""The transaction, as cardwatch keeps it: no card number, money as Decimal."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from cardwatch.domain.transaction.card import CardReference

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "MINUTE_MS",
    "OPTIONAL_FIELDS",
    "Transaction",
    "epoch_ms",
    "time_bucket",
]

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000

#: Optional processor fields, carried through unchanged (the contract describes each).
OPTIONAL_FIELDS = (
    "merchant_id",
    "merchant_category_code",
    "country",
    "channel",
    "device_id",
    "ip_address",
    "latitude",
    "longitude",
)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    """Whole milliseconds since the Unix epoch, computed without float rounding."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def time_bucket(timestamp_ms: int, bucket_seconds: int = 300) -> str:
    """The bucket a moment falls in, named by its start: ``2026-11-21T23:25``."""
    start = timestamp_ms // (bucket_seconds * 1000) * bucket_seconds
    return datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M")


@dataclass(frozen=True, slots=True)
class Transaction:
    """A validated, tokenized card transaction."""

    transaction_id: str
    user_id: str
    amount: Decimal
    currency: str
    occurred_at: datetime
    terminal_id: str
    card: CardReference
    extras: dict[str, str | Decimal] = field(default_factory=dict)
    #: the offset from UTC the client wrote the timestamp in: the place's local time
    utc_offset_minutes: int = 0

    @property
    def timestamp_ms(self) -> int:
        """The table's numeric sort key: epoch milliseconds, UTC."""
        return epoch_ms(self.occurred_at)

    def fingerprint(self) -> str:
        """SHA-256 of the content, to tell a repeat from a conflicting reuse of an id."""
        canonical = json.dumps(self.public_view(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def public_view(self) -> dict[str, Any]:
        """What a client may see of the stored transaction: JSON-ready, exact strings
        for money and coordinates, the card as token with BIN and last four."""
        view: dict[str, Any] = {
            "transaction_id": self.transaction_id,
            "user_id": self.user_id,
            "amount": str(self.amount),
            "currency": self.currency,
            "timestamp": self.occurred_at.isoformat().replace("+00:00", "Z"),
            "timestamp_ms": self.timestamp_ms,
            "terminal_id": self.terminal_id,
            "card": {key: value for key, value in asdict(self.card).items() if value},
        }
        view.update({key: str(value) for key, value in sorted(self.extras.items())})
        if self.utc_offset_minutes:
            view["utc_offset_minutes"] = self.utc_offset_minutes
        return view

    def to_record(self, bucket_seconds: int = 300) -> dict[str, Any]:
        """A flat record for a key-value store (numbers as Decimal or int)."""
        record: dict[str, Any] = {
            "transaction_id": self.transaction_id,
            "timestamp": self.timestamp_ms,
            "time_bucket": time_bucket(self.timestamp_ms, bucket_seconds),
            "occurred_at": self.occurred_at.isoformat(),
            "user_id": self.user_id,
            "amount": self.amount,
            "currency": self.currency,
            "terminal_id": self.terminal_id,
            "card_token": self.card.token,
        }
        if self.utc_offset_minutes:
            record["utc_offset_minutes"] = self.utc_offset_minutes
        if self.card.bin and self.card.last4:
            record["card_bin"] = self.card.bin
            record["card_last4"] = self.card.last4
        record.update(self.extras)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Transaction:
        """The inverse of :meth:`to_record` (extra keys in ``record`` are ignored)."""
        extras = {key: record[key] for key in OPTIONAL_FIELDS if key in record}
        return cls(
            transaction_id=str(record["transaction_id"]),
            user_id=str(record["user_id"]),
            amount=Decimal(record["amount"]),
            currency=str(record["currency"]),
            occurred_at=datetime.fromisoformat(str(record["occurred_at"])).astimezone(UTC),
            terminal_id=str(record["terminal_id"]),
            card=CardReference(
                token=str(record["card_token"]),
                bin=record.get("card_bin"),
                last4=record.get("card_last4"),
            ),
            extras=extras,
            utc_offset_minutes=int(record.get("utc_offset_minutes", 0)),
        )
