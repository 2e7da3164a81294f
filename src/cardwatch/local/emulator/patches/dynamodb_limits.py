"""DynamoDB's physics on the emulator: partition throughput and transaction conflicts.

moto serves any number of writes a second to one key and never cancels a transaction
for another in flight; DynamoDB does both, and a design that works only without them
fails at scale. These limits are kept here, for :mod:`.dynamodb` to apply under its lock:

- **Partition throughput.** Each partition key value of a table, and of each global
  secondary index, takes at most ``CARDWATCH_DYNAMODB_PARTITION_WCU`` write units
  (default 1,000, DynamoDB's limit per partition) and ``CARDWATCH_DYNAMODB_PARTITION_RCU``
  read units (3,000) in any second. A request that reaches a partition which has used
  its second's units is refused: ``ProvisionedThroughputExceededException`` for a
  single-item request, a transaction cancelled with ``ThrottlingError`` on that write.
  A write whose item is in an index partition over its units is refused the same way:
  an index's back-pressure throttles the base table. A key's units are not split among
  partitions by heat: DynamoDB's split for heat cannot divide one key value, and a
  key whose sort key only grows (a time bucket) gains nothing from a split.
- **Transaction conflicts.** The items a transaction writes stay held for
  ``CARDWATCH_DYNAMODB_TRANSACTION_HOLD_MS`` after it commits (default 0: off), standing
  for the tens of milliseconds a transaction is in flight in DynamoDB, which moto,
  serving one request at a time under a lock, never is. Another transaction that writes
  a held item is cancelled with ``TransactionConflict`` on that write; a single-item
  write to it is refused with ``TransactionConflictException``.

The numbers can be scaled down (a test or ``make bench`` reaching a partition's limit
with tens of requests, not thousands); :func:`heat` keeps each partition's busiest
second, which the bench reports per table and index.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from cardwatch.blueprint import PARTITION_READ_UNITS, PARTITION_WRITE_UNITS

__all__ = [
    "PARTITION_READ_UNITS",
    "PARTITION_WRITE_UNITS",
    "Limits",
    "Partition",
    "admit",
    "configure",
    "events",
    "heat",
    "held",
    "hold",
    "limits",
    "record",
    "reset",
    "totals",
    "track_heat",
    "transacted",
]

#: (table, index name or "" for the table itself, the partition key's value as text)
Partition = tuple[str, str, str]
_WINDOW_S = 1.0


@dataclass(frozen=True, slots=True)
class Limits:
    write_units: float = PARTITION_WRITE_UNITS
    read_units: float = PARTITION_READ_UNITS
    hold_ms: float = 0.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if env is None else env
        return cls(
            float(env.get("CARDWATCH_DYNAMODB_PARTITION_WCU", PARTITION_WRITE_UNITS)),
            float(env.get("CARDWATCH_DYNAMODB_PARTITION_RCU", PARTITION_READ_UNITS)),
            float(env.get("CARDWATCH_DYNAMODB_TRANSACTION_HOLD_MS", 0.0)),
        )


_limits = Limits.from_env()
_clock: Callable[[], float] = time.monotonic
#: every function below takes it (the DynamoDB patch calls them under its own lock; a
#: test or the bench may reset or read from another thread)
_lock = threading.RLock()
#: each partition's (time, units) in the last second, by kind ("write" or "read"); a
#: partition leaves when its second is empty, so the emulator keeps no more than it uses
_recent: dict[tuple[str, Partition], deque[tuple[float, float]]] = {}
_used: dict[tuple[str, Partition], float] = {}
#: with heat tracked (:func:`track_heat`): each partition's busiest second and its units
#: in all, and each item's transactional writes
_tracking = False
_peak: dict[tuple[str, Partition], float] = {}
_total: dict[tuple[str, Partition], float] = {}
_transacted: Counter[tuple[str, str]] = Counter()
#: (table, the item's key as text) -> held until
_held: dict[tuple[str, str], float] = {}
_events: Counter[str] = Counter()
#: how many entries the window and the holds may reach before a sweep of the expired
_SWEEP_AT = 10_000


def limits() -> Limits:
    return _limits


def configure(clock: Callable[[], float] | None = None, **changes: float) -> Limits:
    """Change the limits (``write_units``, ``read_units``, ``hold_ms``) in this process;
    a new clock forgets what the old one timed."""
    global _limits, _clock  # noqa: PLW0603 (the emulator's one set of limits)
    with _lock:
        _limits = replace(_limits, **changes)
        if clock is not None:
            _clock = clock
            _recent.clear()
            _used.clear()
            _held.clear()
        return _limits


def track_heat(on: bool = True) -> None:
    """Keep (or stop keeping) each partition's busiest second and total, and each item's
    transactional writes, for a heat report; off by default, so a long-running local
    stack keeps nothing per key."""
    global _tracking  # noqa: PLW0603
    with _lock:
        _tracking = on


def reset() -> None:
    """Forget every partition's use, every hold and every count."""
    with _lock:
        for store in (_recent, _used, _peak, _total, _transacted, _held, _events):
            store.clear()


def _in_window(kind: str, partition: Partition, now: float) -> float:
    key = (kind, partition)
    recent = _recent.get(key)
    if recent is None:
        return 0.0
    while recent and recent[0][0] <= now - _WINDOW_S:
        _used[key] -= recent.popleft()[1]
    if not recent:
        del _recent[key], _used[key]
        return 0.0
    return _used[key]


def _sweep(now: float) -> None:
    """Drop the partitions whose second is over and the holds that have ended."""
    for kind, partition in list(_recent):
        _in_window(kind, partition, now)
    for item, until in list(_held.items()):
        if until <= now:
            del _held[item]


def admit(kind: str, partitions: Iterable[Partition]) -> Partition | None:
    """The first of ``partitions`` that has used its second's units (None: all may)."""
    with _lock:
        cap = _limits.write_units if kind == "write" else _limits.read_units
        now = _clock()
        for partition in partitions:
            if _in_window(kind, partition, now) >= cap:
                _events[f"throttled {kind}s"] += 1
                return partition
        return None


def record(kind: str, partition: Partition, units: float) -> None:
    """``units`` consumed now on ``partition``."""
    if units <= 0:
        return
    with _lock:
        now = _clock()
        key = (kind, partition)
        _in_window(kind, partition, now)
        _recent.setdefault(key, deque()).append((now, units))
        _used[key] = _used.get(key, 0.0) + units
        if _tracking:
            _peak[key] = max(_peak.get(key, 0.0), _used[key])
            _total[key] = _total.get(key, 0.0) + units
        if len(_recent) > _SWEEP_AT:
            _sweep(now)


def held(table: str, key: str) -> bool:
    """Whether a transaction in flight holds the item."""
    with _lock:
        until = _held.get((table, key))
        if until is None:
            return False
        if until <= _clock():
            del _held[(table, key)]
            return False
        _events["transaction conflicts"] += 1
        return True


def hold(items: Iterable[tuple[str, str]]) -> None:
    """A transaction wrote ``items``: they stay held for the hold window."""
    with _lock:
        items = list(items)
        if _tracking:
            _transacted.update(items)
        if _limits.hold_ms <= 0:
            return
        now = _clock()
        for item in items:
            _held[item] = now + _limits.hold_ms / 1000
        if len(_held) > _SWEEP_AT:
            _sweep(now)


def _rows(units_by_partition: dict[tuple[str, Partition], float]) -> list[dict[str, Any]]:
    with _lock:
        rows = [
            {"kind": kind, "table": table, "index": index, "key": key, "units": units}
            for (kind, (table, index, key)), units in units_by_partition.items()
        ]
    return sorted(rows, key=lambda row: -row["units"])


def heat() -> list[dict[str, Any]]:
    """Each partition's busiest second while heat was tracked (units), hottest first."""
    return _rows(_peak)


def totals() -> list[dict[str, Any]]:
    """Each partition's units while heat was tracked, most first: divided by the span
    of event time they stand for, a partition's rate at that traffic."""
    return _rows(_total)


def transacted() -> list[tuple[str, str, int]]:
    """Each item's transactional writes while heat was tracked, most first."""
    with _lock:
        return [(table, key, n) for (table, key), n in _transacted.most_common()]


def events() -> dict[str, int]:
    """How many requests were throttled and transactions conflicted so far."""
    with _lock:
        return dict(_events)
