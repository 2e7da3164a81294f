"""Patterns that no single transaction shows, found in one window of transactions.

Each pattern compares a group (a terminal, a card, a BIN) with the other groups of the
same window, using a robust z-score (median and median absolute deviation), so that what
counts as unusual is learned from the traffic itself, not from a fixed number:

- **terminal spree**: a terminal taking far more distinct cards than terminals do;
- **card testing**: a card making a burst of transactions far smaller than the window's
  usual amount;
- **BIN attack**: many distinct cards of one BIN, far more than BINs show.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from cardwatch.domain.transaction.card import CardReference
from cardwatch.domain.transaction.record import Transaction

__all__ = ["PatternFinding", "PatternSettings", "WindowEntry", "find_patterns"]


class WindowEntry(NamedTuple):
    """What the patterns read of a transaction: its id, amount, terminal and card (a
    window of 300,000 is read with these only, not whole transactions)."""

    transaction_id: str
    amount: Decimal
    terminal_id: str
    card: CardReference

    @classmethod
    def of(cls, transaction: Transaction) -> WindowEntry:
        return cls(
            transaction.transaction_id,
            transaction.amount,
            transaction.terminal_id,
            transaction.card,
        )


@dataclass(frozen=True, slots=True)
class PatternSettings:
    #: How many robust standard deviations above the window's median is unusual.
    z_threshold: float = 6.0
    #: Smallest group worth an alert at all (a burst of two is not a burst).
    min_distinct_cards: int = 5
    min_burst: int = 4
    #: A card-testing amount is below this share of the window's median amount.
    small_share: Decimal = Decimal("0.25")


@dataclass(frozen=True, slots=True)
class PatternFinding:
    pattern: str  # TERMINAL_SPREE, CARD_TESTING, BIN_ATTACK
    subject: str  # terminal id, card token, or BIN
    count: int
    baseline: float
    z_score: float
    transaction_ids: tuple[str, ...]
    masked_card: str | None = None

    @property
    def detail(self) -> str:
        what = {
            "TERMINAL_SPREE": "distinct cards at terminal",
            "CARD_TESTING": "small transactions on one card",
            "BIN_ATTACK": "distinct cards of one BIN",
        }[self.pattern]
        return f"{self.count} {what} in the window; usual is {self.baseline:.1f}"


def _robust_z(values: Sequence[float]) -> tuple[float, float]:
    """Median and scale (1.4826 x MAD, at least 1) of ``values``."""
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values)
    return median, max(1.0, 1.4826 * mad)


def _unusual(
    groups: dict[str, set[str] | list[str]],
    minimum: int,
    z_threshold: float,
    everyone: Iterable[int] | None = None,
) -> list[tuple[str, int, float, float]]:
    sizes = {key: len(members) for key, members in groups.items()}
    population = list(everyone) if everyone is not None else list(sizes.values())
    if not population:
        return []
    median, scale = _robust_z(population)
    found = []
    for key, size in sizes.items():
        z = (size - median) / scale
        if size >= minimum and z >= z_threshold:
            found.append((key, size, median, z))
    return found


def find_patterns(
    window: Sequence[WindowEntry] | Sequence[Transaction], settings: PatternSettings | None = None
) -> list[PatternFinding]:
    settings = settings or PatternSettings()
    if not window:
        return []
    by_terminal: dict[str, set[str]] = defaultdict(set)
    by_bin: dict[str, set[str]] = defaultdict(set)
    by_card: dict[str, list[str]] = defaultdict(list)
    ids_by_terminal: dict[str, list[str]] = defaultdict(list)
    ids_by_bin: dict[str, list[str]] = defaultdict(list)
    masks: dict[str, str] = {}
    small = statistics.median(t.amount for t in window) * settings.small_share
    for t in window:
        by_terminal[t.terminal_id].add(t.card.token)
        ids_by_terminal[t.terminal_id].append(t.transaction_id)
        if t.card.bin:
            by_bin[t.card.bin].add(t.card.token)
            ids_by_bin[t.card.bin].append(t.transaction_id)
        if t.amount < small:
            by_card[t.card.token].append(t.transaction_id)
            masks[t.card.token] = t.card.masked
    card_counts: dict[str, int] = defaultdict(int)
    for t in window:
        card_counts[t.card.token] += 1
    findings = [
        PatternFinding("TERMINAL_SPREE", key, size, median, z, tuple(ids_by_terminal[key]))
        for key, size, median, z in _unusual(
            dict(by_terminal), settings.min_distinct_cards, settings.z_threshold
        )
    ]
    findings += [
        PatternFinding("BIN_ATTACK", key, size, median, z, tuple(ids_by_bin[key]))
        for key, size, median, z in _unusual(
            dict(by_bin), settings.min_distinct_cards, settings.z_threshold
        )
    ]
    findings += [
        PatternFinding("CARD_TESTING", key, size, median, z, tuple(by_card[key]), masks[key])
        for key, size, median, z in _unusual(
            dict(by_card), settings.min_burst, settings.z_threshold, everyone=card_counts.values()
        )
    ]
    return findings
