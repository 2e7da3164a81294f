"""Features of one transaction against its card's and terminal's history.

:func:`compute` reads the profiles as they were *before* the transaction;
:func:`remember` then adds it. Labels (confirmed fraud or genuine) enter through
:func:`remember_label` when they become known, never earlier, so a feature can only use
what an analyst would have known at that moment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cardwatch.domain.profiles import (
    CARD_FRAUD_DAYS,
    DAY_MS,
    FRAUD_KNOWN_DAYS,
    LABEL_DAYS,
    MAX_RECENT,
    CardProfile,
    TerminalProfile,
)

__all__ = ["FEATURES", "Observation", "compute", "remember", "remember_label"]

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
_EARTH_KM = 6371.0
_SEEN_IDS = 64
_SMALL_SHARE = 0.25  # "small" is under a quarter of the card's own mean amount
NAN = float("nan")

FEATURES: tuple[str, ...] = (
    "amount",
    "log_amount",
    "hour",
    "is_weekend",
    "is_night",
    "c_count_10m",
    "c_count_1h",
    "c_count_1d",
    "c_count_7d",
    "c_count_30d",
    "c_mean_1d",
    "c_mean_7d",
    "c_mean_30d",
    "c_ratio_30d",
    "c_ratio_history",
    "c_zscore",
    "c_log_seconds_since_last",
    "c_distinct_terminals_1d",
    "c_small_count_1h",
    "c_known_fraud_30d",
    "c_history_count",
    "c_geo_speed_kmh",
    "t_count_1h",
    "t_count_1d",
    "t_count_7d",
    "t_count_30d",
    "t_distinct_cards_1h",
    "t_distinct_cards_1d",
    "t_mean_30d",
    "t_ratio_30d",
    "t_fraud_known_last_7d",
    "t_known_fraud_28d",
    "t_labelled_28d",
    "t_fraud_rate_28d",
)


@dataclass(frozen=True, slots=True)
class Observation:
    """What the engine needs of a transaction (money as a float only for scoring)."""

    transaction_id: str
    timestamp_ms: int
    card_key: str
    terminal_id: str
    amount: float
    latitude: float | None = None
    longitude: float | None = None


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else NAN


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(math.sqrt(min(1.0, a)))


def _card_features(obs: Observation, card: CardProfile, today: int) -> list[float]:
    now = obs.timestamp_ms
    # Floats throughout: the model's splits compare floats (an int operand is slower).
    count_10m = count_1h = count_1d = small_1h = 0.0
    terminals_1d: set[str] = set()
    small = card.mean * _SMALL_SHARE
    for ts, amount, terminal in reversed(card.recent):
        age = now - ts
        if age >= DAY_MS:
            break
        count_1d += 1.0
        terminals_1d.add(terminal)
        if age < HOUR_MS:
            count_1h += 1.0
            small_1h += amount < small
            count_10m += age < 10 * MINUTE_MS
    n1, s1, n7, s7, n30, s30 = card.daily.windows(today)
    mean_30 = _ratio(s30, n30)
    std = card.std
    since = NAN if card.last_ms is None else math.log1p(max(0, now - card.last_ms) / 1000)
    speed = NAN
    if (
        obs.latitude is not None
        and obs.longitude is not None
        and card.last_lat is not None
        and card.last_lon is not None
        and card.last_ms is not None
    ):
        hours = max(now - card.last_ms, MINUTE_MS) / HOUR_MS
        speed = _haversine_km(card.last_lat, card.last_lon, obs.latitude, obs.longitude) / hours
    known_fraud = 0.0
    for known in card.known_fraud_ms:
        known_fraud += now - known < CARD_FRAUD_DAYS * DAY_MS
    return [
        count_10m,
        count_1h,
        count_1d,
        n7,
        n30,
        _ratio(s1, n1),
        _ratio(s7, n7),
        mean_30,
        _ratio(obs.amount, mean_30),
        _ratio(obs.amount, card.mean),
        (obs.amount - card.mean) / std if std > 0 else NAN,
        since,
        float(len(terminals_1d)),
        small_1h,
        known_fraud,
        float(card.count),
        speed,
    ]


def _terminal_features(obs: Observation, terminal: TerminalProfile, today: int) -> list[float]:
    now = obs.timestamp_ms
    count_1h = count_1d = 0.0
    cards_1h: set[str] = set()
    cards_1d: set[str] = set()
    for ts, _amount, card in reversed(terminal.recent):
        age = now - ts
        if age >= DAY_MS:
            break
        count_1d += 1.0
        cards_1d.add(card)
        if age < HOUR_MS:
            count_1h += 1.0
            cards_1h.add(card)
    _n1, _s1, n7, _s7, n30, s30 = terminal.daily.windows(today)
    fraud_7 = fraud_28 = labelled_28 = 0.0
    for day, (labelled, frauds) in terminal.label_days.items():
        if today - day < LABEL_DAYS:
            labelled_28 += labelled
            fraud_28 += frauds
    for day, frauds in terminal.fraud_known_days.items():
        if today - day < FRAUD_KNOWN_DAYS:
            fraud_7 += frauds
    mean_30 = _ratio(s30, n30)
    return [
        count_1h,
        count_1d,
        n7,
        n30,
        float(len(cards_1h)),
        float(len(cards_1d)),
        mean_30,
        _ratio(obs.amount, mean_30),
        fraud_7,
        fraud_28,
        labelled_28,
        _ratio(fraud_28, labelled_28),
    ]


def compute(obs: Observation, card: CardProfile, terminal: TerminalProfile) -> list[float]:
    """The feature vector of ``obs``, in the order of :data:`FEATURES`."""
    seconds = obs.timestamp_ms // 1000
    hour = (seconds % 86_400) // 3600
    weekday = (seconds // 86_400 + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    today = obs.timestamp_ms // DAY_MS
    head = [
        obs.amount,
        math.log1p(max(obs.amount, 0.0)),
        float(hour),
        float(weekday >= 5),
        float(hour < 6),
    ]
    return head + _card_features(obs, card, today) + _terminal_features(obs, terminal, today)


def remember(obs: Observation, card: CardProfile, terminal: TerminalProfile) -> bool:
    """Add ``obs`` to both profiles; False (and nothing changed) if it was seen before."""
    if obs.transaction_id in card.seen:
        return False
    now, today = obs.timestamp_ms, obs.timestamp_ms // DAY_MS
    for events in (card.recent, terminal.recent):
        while events and (now - events[0][0] >= DAY_MS or len(events) >= MAX_RECENT):
            events.popleft()
    card.recent.append((now, obs.amount, obs.terminal_id))
    terminal.recent.append((now, obs.amount, obs.card_key))
    card.daily.add(today, obs.amount)
    terminal.daily.add(today, obs.amount)
    card.count += 1
    delta = obs.amount - card.mean
    card.mean += delta / card.count
    card.m2 += delta * (obs.amount - card.mean)
    card.last_ms = now
    if obs.latitude is not None and obs.longitude is not None:
        card.last_lat, card.last_lon = obs.latitude, obs.longitude
    card.seen[obs.transaction_id] = None
    while len(card.seen) > _SEEN_IDS:
        del card.seen[next(iter(card.seen))]
    card.version += 1
    terminal.version += 1
    return True


def remember_label(
    card: CardProfile, terminal: TerminalProfile, transaction_ms: int, is_fraud: bool, known_ms: int
) -> None:
    """A label became known at ``known_ms`` for a transaction made at ``transaction_ms``."""
    if is_fraud:
        card.known_fraud_ms.append(known_ms)
        while card.known_fraud_ms and known_ms - card.known_fraud_ms[0] >= CARD_FRAUD_DAYS * DAY_MS:
            card.known_fraud_ms.popleft()
    terminal.add_label(transaction_ms // DAY_MS, is_fraud, known_ms // DAY_MS)
    card.version += 1
    terminal.version += 1
