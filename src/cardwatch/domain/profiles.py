"""What the engine remembers of each card and each terminal, as plain data.

Recent events are kept exactly for one day (short windows, distinct counts); older
activity is kept as daily buckets for thirty days. Both are bounded, so a profile stays
small enough for one DynamoDB item, and JSON-ready through :meth:`to_dict`.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CARD_FRAUD_DAYS",
    "DAY_MS",
    "FRAUD_KNOWN_DAYS",
    "LABEL_DAYS",
    "CardProfile",
    "DailyBuckets",
    "TerminalProfile",
]

DAY_MS = 86_400_000
HISTORY_DAYS = 30
MAX_RECENT = 2_000
#: How far back labels count for a terminal, and how recent a known fraud is "recent".
LABEL_DAYS = 28
FRAUD_KNOWN_DAYS = 7
#: How long a card's confirmed fraud counts against it.
CARD_FRAUD_DAYS = 30
#: Sums and moments are stored to a micro-unit: enough for every feature, and no long
#: digit runs (which a card-number scanner would rightly flag) in the stored state.
_STORED_DECIMALS = 6


@dataclass(slots=True)
class DailyBuckets:
    """Per-day count and amount sum, for the last :data:`HISTORY_DAYS` days.

    The totals over every bucket kept are maintained as buckets come and go (summed
    afresh when a profile is loaded, so rounding cannot build up past one lifetime in
    memory): a 30-day window is then the totals less any bucket that aged out since, and
    only the last week's buckets are read one by one.
    """

    days: deque[list[float]] = field(default_factory=deque)  # [day, count, amount_sum]
    count: float = field(init=False, default=0.0)
    amount: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self._total()

    def _total(self) -> None:
        self.count = float(sum(bucket[1] for bucket in self.days))
        self.amount = float(sum(bucket[2] for bucket in self.days))

    def add(self, day: int, amount: float) -> None:
        days = self.days
        if days and days[-1][0] == day:
            days[-1][1] += 1
            days[-1][2] += amount
        else:
            days.append([day, 1, amount])
        self.count += 1
        self.amount += amount
        while days[0][0] <= day - HISTORY_DAYS:
            _day, n, gone = days.popleft()
            self.count -= n
            self.amount -= gone

    def windows(self, today: int) -> tuple[float, float, float, float, float, float]:
        """(count, amount sum) over the 1, 7 and 30 days ending with ``today``, flat."""
        n30, s30 = self.count, self.amount
        for day, n, amount in self.days:  # oldest first: what aged out since the last add
            if today - day < HISTORY_DAYS:
                break
            n30 -= n
            s30 -= amount
        n1 = s1 = n7 = s7 = 0.0
        for day, n, amount in reversed(self.days):
            age = today - day
            if age >= 7:
                break
            n7 += n
            s7 += amount
            if age < 1:
                n1 += n
                s1 += amount
        if n30 <= 0:  # every bucket aged out: no rounding remainder survives
            s30 = 0.0
        return n1, s1, n7, s7, n30, s30


@dataclass(slots=True)
class CardProfile:
    """A card's (or a user's) history."""

    recent: deque[tuple[int, float, str]] = field(default_factory=deque)  # ts, amount, terminal
    daily: DailyBuckets = field(default_factory=DailyBuckets)
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0  # Welford's running sum of squared deviations of amounts
    last_ms: int | None = None
    last_lat: float | None = None
    last_lon: float | None = None
    known_fraud_ms: deque[int] = field(default_factory=deque)  # when frauds became known
    #: Recent transaction ids, oldest first (a dict as an ordered set), for redelivery.
    seen: dict[str, None] = field(default_factory=dict)
    version: int = 0

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "recent": [list(event) for event in self.recent],
            "daily": [[d, n, round(s, _STORED_DECIMALS)] for d, n, s in self.daily.days],
            "count": self.count,
            "mean": round(self.mean, _STORED_DECIMALS),
            "m2": round(self.m2, _STORED_DECIMALS),
            "last_ms": self.last_ms,
            "last_lat": self.last_lat,
            "last_lon": self.last_lon,
            "known_fraud_ms": list(self.known_fraud_ms),
            "seen": list(self.seen),
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CardProfile:
        return cls(
            recent=deque((int(t), float(a), str(term)) for t, a, term in data["recent"]),
            daily=DailyBuckets(deque([int(d), float(n), float(s)] for d, n, s in data["daily"])),
            count=int(data["count"]),
            mean=float(data["mean"]),
            m2=float(data["m2"]),
            last_ms=data["last_ms"],
            last_lat=data["last_lat"],
            last_lon=data["last_lon"],
            known_fraud_ms=deque(int(t) for t in data["known_fraud_ms"]),
            seen=dict.fromkeys(str(s) for s in data["seen"]),
            version=int(data["version"]),
        )


@dataclass(slots=True)
class TerminalProfile:
    """A terminal's (or merchant's) history, and the labels known for it so far.

    Labels are kept as counts per day, not one by one, so a merchant that sees
    thousands of transactions a day still has a profile of a few kilobytes (one
    DynamoDB item) and features that cost the same as a corner shop's.
    """

    recent: deque[tuple[int, float, str]] = field(default_factory=deque)  # ts, amount, card
    daily: DailyBuckets = field(default_factory=DailyBuckets)
    #: Day of the labelled transactions -> [labels, frauds among them], last LABEL_DAYS.
    label_days: dict[int, list[int]] = field(default_factory=dict)
    #: Day a fraud became known -> how many, last FRAUD_KNOWN_DAYS.
    fraud_known_days: dict[int, int] = field(default_factory=dict)
    version: int = 0

    def add_label(self, transaction_day: int, is_fraud: bool, known_day: int) -> None:
        counts = self.label_days.setdefault(transaction_day, [0, 0])
        counts[0] += 1
        counts[1] += is_fraud
        if is_fraud:
            self.fraud_known_days[known_day] = self.fraud_known_days.get(known_day, 0) + 1
        # forget the days no window can reach any more
        for day in [d for d in self.label_days if d <= known_day - LABEL_DAYS]:
            del self.label_days[day]
        for day in [d for d in self.fraud_known_days if d <= known_day - FRAUD_KNOWN_DAYS]:
            del self.fraud_known_days[day]

    def to_dict(self) -> dict[str, Any]:
        return {
            "recent": [list(event) for event in self.recent],
            "daily": [[d, n, round(s, _STORED_DECIMALS)] for d, n, s in self.daily.days],
            "label_days": [[d, n, f] for d, (n, f) in sorted(self.label_days.items())],
            "fraud_known_days": [[d, n] for d, n in sorted(self.fraud_known_days.items())],
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TerminalProfile:
        return cls(
            recent=deque((int(t), float(a), str(c)) for t, a, c in data["recent"]),
            daily=DailyBuckets(deque([int(d), float(n), float(s)] for d, n, s in data["daily"])),
            label_days={int(d): [int(n), int(f)] for d, n, f in data["label_days"]},
            fraud_known_days={int(d): int(n) for d, n in data["fraud_known_days"]},
            version=int(data["version"]),
        )
