"""The shared entities' counters, folded from applied transactions in batches.

A terminal, a device, an address range or a card range can carry a large share of the
traffic: a busy terminal 100 transactions a second, a card-testing device 300. Their
hour and day buckets are therefore not changed by each transaction. A transaction's
own change (its card's event, day and totals) is applied when it is scored
(:meth:`~cardwatch.domain.engine.state.StateStore.apply`); what it adds to the shared
entities is computed here, for a whole batch of applied transactions at once, and
added bucket by bucket: one write to a busy terminal's hour carries every transaction
of the batch that fell in it.

Each transaction is folded once: the store marks it folded in the same atomic write
that adds its counts, and a batch met again (a retry, a redelivery) folds only what is
not marked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

from cardwatch.domain.engine.state import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    StateChange,
    terminal_entity,
)

__all__ = [
    "AppliedEvent",
    "Bucket",
    "EntityCounters",
    "Folded",
    "bucket_counts",
    "buckets_of",
]


class AppliedEvent(NamedTuple):
    """What a transaction, once applied, adds to its shared entities."""

    transaction_id: str
    card_key: str
    timestamp_ms: int
    amount_milli: int
    terminal_id: str
    #: the entities (``terminal#..``, ``device#..``) whose first-visit claim it holds
    claimed: frozenset[str] = frozenset()
    #: its spread entities besides the terminal (``device#..``, ``ip#..``, ``bin#..``)
    spread: tuple[str, ...] = ()

    @classmethod
    def of(cls, change: StateChange) -> AppliedEvent:
        """What ``change``, once applied, adds to its shared entities."""
        event = change.event
        return cls(
            event.transaction_id,
            change.card_key,
            event.timestamp_ms,
            event.amount_milli,
            change.terminal_id,
            change.claimed,
            change.keys.spread,
        )


class Bucket(NamedTuple):
    """One counter item of a shared entity: its hour (``period`` "h") or day ("d")."""

    entity: str
    period: str
    number: int  # hours or days since the epoch


def buckets_of(event: AppliedEvent) -> dict[Bucket, dict[str, int]]:
    """The counters ``event`` moves, bucket by bucket: an hour's ``n``, its minute's
    ``m<mm>`` and, for a card's first visit of the day, ``c<mm>``; the terminal's day
    ``n`` and amount sum ``s``."""
    hour, minute = event.timestamp_ms // HOUR_MS, event.timestamp_ms // MINUTE_MS % 60
    terminal = terminal_entity(event.terminal_id)
    moves: dict[Bucket, dict[str, int]] = {}
    for entity in (terminal, *event.spread):
        counters = {"n": 1, f"m{minute:02d}": 1}
        if entity in event.claimed:
            counters[f"c{minute:02d}"] = 1
        moves[Bucket(entity, "h", hour)] = counters
    moves[Bucket(terminal, "d", event.timestamp_ms // DAY_MS)] = {
        "n": 1,
        "s": event.amount_milli,
    }
    return moves


def bucket_counts(events: Iterable[AppliedEvent]) -> dict[Bucket, dict[str, int]]:
    """Every bucket ``events`` move, with their counters summed."""
    total: dict[Bucket, dict[str, int]] = {}
    for event in events:
        for bucket, counters in buckets_of(event).items():
            into = total.setdefault(bucket, {})
            for name, amount in counters.items():
                into[name] = into.get(name, 0) + amount
    return total


class Folded(NamedTuple):
    """What one fold did: transactions added now, and those found folded before."""

    folded: int
    before: int


class EntityCounters(Protocol):
    """Where the shared entities' buckets live (the profile table, or memory)."""

    def fold(self, events: Sequence[AppliedEvent]) -> Folded:
        """Add every event of ``events`` not folded before to its buckets, each once,
        atomically with marking it folded."""
        ...
