"""Where DynamoDB's writes and reads land at a given traffic, and what a busy item costs.

Two models, both stated so that their figures can be checked against their inputs:

- **Heat.** The real code paths are driven with a traffic mix whose event times run at
  the rate to model (``make bench`` drives a few seconds of it through the emulator),
  and the emulator records the units each partition key consumed. A key's rate at that
  traffic is its units divided by the span of event time driven: every transaction of
  the span lands on the keys it would land on at that rate (a time bucket, a terminal,
  the review queue), so the rate is what that key takes at that traffic. Compared with
  DynamoDB's limits per partition key: 1,000 write units and 3,000 read units a second.
- **Conflicts.** A transaction is in flight for a window ``w``; another that writes one
  of its items while it is in flight is cancelled (TransactionConflict). With the item's
  transactional writes arriving as a Poisson stream at ``rate`` a second, an attempt
  meets one in flight with probability ``1 - exp(-rate * w)``; attempts spread by
  backoff are taken as independent, so every one of ``attempts`` fails with that
  probability to the power ``attempts``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cardwatch.blueprint import PARTITION_READ_UNITS, PARTITION_WRITE_UNITS

__all__ = [
    "PARTITION_READ_UNITS",
    "PARTITION_WRITE_UNITS",
    "Hottest",
    "all_attempts_fail",
    "hottest_keys",
]


@dataclass(frozen=True, slots=True)
class Hottest:
    """A table's or index's busiest partition key at the modelled traffic."""

    kind: str  # "write" or "read"
    table: str
    index: str  # "" for the table itself
    key: str
    per_second: float

    @property
    def limit(self) -> float:
        return PARTITION_WRITE_UNITS if self.kind == "write" else PARTITION_READ_UNITS

    @property
    def share_of_limit(self) -> float:
        return self.per_second / self.limit


def hottest_keys(totals: Iterable[Mapping[str, Any]], seconds: float) -> list[Hottest]:
    """Per table or index and kind, the key with the most units, as units a second over
    ``seconds`` of event time; busiest first."""
    if seconds <= 0:
        raise ValueError("the span of event time must be positive")
    best: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for row in totals:
        where = (row["kind"], row["table"], row["index"])
        if where not in best or row["units"] > best[where]["units"]:
            best[where] = row
    found = [
        Hottest(kind, table, index, str(row["key"]), float(row["units"]) / seconds)
        for (kind, table, index), row in best.items()
    ]
    return sorted(found, key=lambda hot: -hot.share_of_limit)


def all_attempts_fail(rate: float, window_ms: float, attempts: int) -> float:
    """The share of events whose every attempt meets a transaction in flight on the
    same item (see the module's conflict model)."""
    if rate < 0 or window_ms < 0 or attempts < 1:
        raise ValueError("rate and window must be at least 0, attempts at least 1")
    one = 1.0 - math.exp(-rate * window_ms / 1000.0)
    return one**attempts
