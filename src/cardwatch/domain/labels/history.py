"""A transaction's labels: append-only, and which one the engine follows.

Every label posted is kept (verdict, source, note, who, when). The *effective* verdict is
the latest label of the highest-ranked source seen so far: a chargeback outranks an
analyst, an analyst a customer (the ranking is a setting); a lower-ranked label is kept
in the history and changes nothing. The engine learns the effective verdict, and
unlearns it when a later label changes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cardwatch.domain.transaction.record import DAY_MS

__all__ = [
    "DEFAULT_SOURCE_RANKS",
    "MAX_LABELS",
    "LabelEntry",
    "Verdict",
    "effective",
    "parse_ranks",
]

#: Source -> rank; a label counts when no higher-ranked source has spoken.
DEFAULT_SOURCE_RANKS: Mapping[str, int] = {
    "chargeback": 3,
    "issuer": 3,
    "analyst": 2,
    "customer": 1,
}
#: Labels one transaction may hold (its item stays far below DynamoDB's 400 KB).
MAX_LABELS = 50


@dataclass(frozen=True, slots=True)
class Verdict:
    """A label as the engine learnt it: fraud or not, and when it became known."""

    is_fraud: bool
    known_ms: int

    @property
    def known_day(self) -> int:
        return self.known_ms // DAY_MS


@dataclass(frozen=True, slots=True)
class LabelEntry:
    label: str  # fraud | genuine
    source: str
    note: str
    by: str  # the caller: the API key id (or IAM principal) that posted it
    at_ms: int

    @property
    def is_fraud(self) -> bool:
        return self.label == "fraud"

    def repeats(self, other: LabelEntry) -> bool:
        """The same verdict, source and note: a resend, not a new label."""
        return (self.label, self.source, self.note) == (other.label, other.source, other.note)

    def to_record(self) -> dict[str, object]:
        return {
            "label": self.label,
            "source": self.source,
            "note": self.note,
            "by": self.by,
            "at_ms": self.at_ms,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, object]) -> LabelEntry:
        return cls(
            str(record["label"]),
            str(record["source"]),
            str(record.get("note", "")),
            str(record.get("by", "")),
            int(str(record["at_ms"])),
        )


def effective(
    entries: Sequence[LabelEntry], ranks: Mapping[str, int] = DEFAULT_SOURCE_RANKS
) -> tuple[LabelEntry, Verdict] | None:
    """The label the engine follows, and its verdict (known since the label that first
    made it effective); None before any label."""
    current: LabelEntry | None = None
    verdict: Verdict | None = None
    for entry in entries:
        if current is not None and ranks.get(entry.source, 0) < ranks.get(current.source, 0):
            continue  # outranked: kept in the history only
        if verdict is None or verdict.is_fraud != entry.is_fraud:
            verdict = Verdict(entry.is_fraud, entry.at_ms)
        current = entry
    if current is None or verdict is None:
        return None
    return current, verdict


def parse_ranks(text: str | None) -> Mapping[str, int]:
    """The ranking from its setting (a JSON object of source -> rank); the default when
    unset."""
    if not text:
        return DEFAULT_SOURCE_RANKS
    loaded = json.loads(text)
    return {str(source): int(rank) for source, rank in loaded.items()}
