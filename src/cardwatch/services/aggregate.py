"""The aggregate use case: fold a batch of applied transactions into the counters of the
entities they share (terminals, devices, address ranges, card ranges).

Detect applies each transaction's own change to its card; the profile table's stream
then carries the applied events here in batches, and each bucket they move takes one
write per batch instead of one per transaction (:mod:`cardwatch.domain.engine.counters`).
A batch met again folds nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from cardwatch.domain.engine.counters import AppliedEvent, EntityCounters, Folded

__all__ = ["AggregationService"]


class AggregationService:
    def __init__(self, counters: EntityCounters) -> None:
        self._counters = counters

    def handle(self, events: Sequence[AppliedEvent]) -> Folded:
        """Fold ``events`` (a stream batch's applied events) into their buckets, once."""
        if not events:
            return Folded(0, 0)
        return self._counters.fold(events)
