"""Features of one transaction against its card's and terminal's state.

:func:`compute` reads a :class:`~cardwatch.domain.engine.state.Snapshot` taken *before* the
transaction (what came before it in event time); :func:`change_of` says what the
transaction then adds. Labels enter the state only when they become known, so a
feature can only use what an analyst would have known at that moment.

Every window is one of event time: the card's short windows from its recent events,
exact to the millisecond; the terminal's from per-minute counts (exact to the minute);
7 and 30 days from day buckets.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

from cardwatch.domain.engine.state import (
    CARD_SUMS,
    DAY_MS,
    HOUR_BUCKETS,
    HOUR_MS,
    MINUTE_MS,
    RECENT_EVENTS,
    TERMINAL_SUMS,
    CardEvent,
    CardState,
    Keys,
    Snapshot,
    StateChange,
    TerminalState,
    milli,
    past_sums,
)
from cardwatch.domain.transaction.currency import Rates, default_rates
from cardwatch.domain.transaction.record import Transaction

__all__ = [
    "FEATURES",
    "Observation",
    "change_of",
    "compute",
    "keys_of",
    "network_of",
    "observe",
]

_EARTH_KM = 6371.0
_SMALL_SHARE = 0.25  # "small" is under a quarter of the card's own mean amount
NAN = float("nan")
_ONE_HOUR_MINUTES = 60
_ONE_DAY_MINUTES = 1440
_HOURS_READ = HOUR_BUCKETS
#: the days a card's usual pace is taken over
_PACE_DAYS = 30.0

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
    # the processor's fields: what the card used before, and who else used the same
    # device, address range and card range
    "c_new_device",
    "c_devices_seen",
    "c_new_network",
    "c_new_country",
    "c_new_place_km",
    "card_not_present",
    "contactless",
    "dv_cards_1h",
    "dv_cards_1d",
    "ip_cards_1h",
    "ip_cards_1d",
    "bin_cards_1h",
    "bin_cards_1d",
    "m_labelled_28d",
    "m_fraud_rate_28d",
    # the card against its own rhythm: how much faster than its usual pace it is used
    # now, in runs of taps or across terminals it never used (what carries from one
    # market to another, where absolute counts and amounts do not)
    "c_pace_1h",
    "c_pace_1d",
    "c_taps_1h",
    "c_distinct_terminals_1h",
    "c_new_terminal",
)
#: channels where the card is not in front of the terminal
_NOT_PRESENT = frozenset({"ecommerce", "moto", "recurring"})
#: the spread entities, in the order of their features
SPREAD_KINDS = ("device", "ip", "bin")
_NO_SPREAD = [NAN] * (2 * len(SPREAD_KINDS))


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
    #: the offset of the place's local time from UTC: hour, night and weekend are local
    utc_offset_minutes: int = 0
    device_id: str | None = None
    ip_address: str | None = None
    country: str | None = None
    channel: str | None = None
    merchant_category_code: str | None = None
    card_bin: str | None = None


def observe(
    transaction: Transaction, rates: Rates | None = None, *, with_bin: bool = False
) -> Observation:
    """What the engine reads of a transaction (the card by its token, the amount in the
    rates table's reference currency; its BIN when BINs are counted, see
    ``Blueprint.spread_by_bin``)."""
    extras = transaction.extras
    latitude, longitude = extras.get("latitude"), extras.get("longitude")

    def text(name: str) -> str | None:
        value = extras.get(name)
        return None if value is None else str(value)

    return Observation(
        transaction.transaction_id,
        transaction.timestamp_ms,
        transaction.card.token,
        transaction.terminal_id,
        (rates or default_rates()).to_reference(transaction.amount, transaction.currency),
        None if latitude is None else float(latitude),
        None if longitude is None else float(longitude),
        transaction.utc_offset_minutes,
        text("device_id"),
        text("ip_address"),
        text("country"),
        text("channel"),
        text("merchant_category_code"),
        transaction.card.bin if with_bin else None,
    )


def network_of(address: str) -> str:
    """The network an address belongs to (IPv4 /24, IPv6 /48): a household's or an
    office's range, which a new address in it does not leave."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    prefix = 24 if parsed.version == 4 else 48
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))


def keys_of(obs: Observation) -> Keys:
    """The entities ``obs`` counts in besides its card and its terminal."""
    spread = []
    if obs.device_id:
        spread.append(f"device#{obs.device_id}")
    if obs.ip_address:
        spread.append(f"ip#{network_of(obs.ip_address)}")
    if obs.card_bin:
        spread.append(f"bin#{obs.card_bin}")
    category = f"mcc#{obs.merchant_category_code}" if obs.merchant_category_code else None
    return Keys(tuple(spread), category)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else NAN


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(math.sqrt(min(1.0, a)))


def _card_norm(card: CardState) -> tuple[float, float]:
    """The card's all-time mean amount and standard deviation (exact sums in, floats out)."""
    n = card.count
    if n == 0:
        return 0.0, 0.0
    mean = card.amount_milli / n / 1000
    if n == 1:
        return mean, 0.0
    spread = card.squares * n - card.amount_milli * card.amount_milli  # n^2 * variance, exact
    return mean, math.sqrt(max(spread, 0) / (n * (n - 1))) / 1000


def _card_days(card: CardState, today: int) -> tuple[float, ...]:
    """Count and amount over 1, 7 and 30 days, and frauds known in the last 30.

    The finished days' sums are kept on the state for the day they were taken (a card
    is read again and again the same day); only today's bucket is read each time.
    """
    past = card.past
    if past is None or past[0] != today:
        past = card.past = past_sums(card.days, today, CARD_SUMS, past)
    _today, n7, s7, n30, s30, known_fraud = past
    bucket = card.days.get(today)
    if bucket is None:
        return 0.0, 0.0, n7, s7, n30, s30, known_fraud
    n1, s1 = float(bucket.count), float(bucket.amount_milli)
    return n1, s1, n7 + n1, s7 + s1, n30 + n1, s30 + s1, known_fraud + bucket.frauds_known


def _consistent(
    card: CardState,
    today: int,
    seen_today: tuple[float, float],
    last_day: tuple[float, float],
    days: tuple[float, ...],
) -> tuple[float, float, float, float, float, float]:
    """Today's count and amount, and the 7- and 30-day ones, as the short windows see
    them: today's part is the card's events of today before this one (registered, so
    those in flight count too, and none later than it count), not today's bucket, which
    holds what is applied, later events included. Only when the recent events may not
    hold all of today's (the list is full of today) does the bucket count, if larger.
    Then no window is smaller than a shorter one (10 min <= 1 h <= 1 d <= 7 d <= 30 d),
    whatever is in flight: in a replay in time order both ways agree."""
    n1b, s1b, n7, s7, n30, s30 = days
    n1, s1 = seen_today
    if len(card.events) >= RECENT_EVENTS and card.events[0].timestamp_ms >= today * DAY_MS:
        n1, s1 = max(n1, n1b), max(s1, s1b)
    n7, s7 = max(n7 - n1b + n1, last_day[0]), max(s7 - s1b + s1, last_day[1])
    n30, s30 = max(n30 - n1b + n1, n7), max(s30 - s1b + s1, s7)
    return n1, s1, n7, s7, n30, s30


def _card_features(
    obs: Observation, card: CardState, today: int
) -> tuple[list[float], list[float]]:
    """The card's windows, and its pace against its own (the last group of features)."""
    now = obs.timestamp_ms
    mean, std = _card_norm(card)
    small = mean * _SMALL_SHARE
    # Floats throughout: the model's splits compare floats (an int operand is slower).
    count_10m = count_1h = count_1d = small_1h = amount_1d = today_n = today_s = taps_1h = 0.0
    today_from = today * DAY_MS
    terminals_1d: set[str] = set()
    terminals_1h: set[str] = set()
    last: CardEvent | None = None
    located: CardEvent | None = None
    # the last located event matters only when this one is located too
    seek_location = obs.latitude is not None and obs.longitude is not None
    this = obs.transaction_id
    for event in reversed(card.events):  # newest first
        ts = event.timestamp_ms
        if ts > now or event.transaction_id == this:
            continue  # later in event time, or this transaction itself
        if last is None:
            last = event
        if seek_location and located is None and event.latitude is not None:
            located = event
        age = now - ts
        if age >= DAY_MS:
            if located is not None or not seek_location:
                break
            continue
        count_1d += 1.0
        amount_1d += event.amount_milli
        if ts >= today_from:
            today_n += 1.0
            today_s += event.amount_milli
        terminals_1d.add(event.terminal_id)
        if age < HOUR_MS:
            count_1h += 1.0
            small_1h += event.amount_milli / 1000 < small
            count_10m += age < 10 * MINUTE_MS
            taps_1h += event.channel == "contactless"
            terminals_1h.add(event.terminal_id)
    days = _card_days(card, today)
    n1, s1, n7, s7, n30, s30 = _consistent(
        card, today, (today_n, today_s), (count_1d, amount_1d), days[:6]
    )
    known_fraud = days[6]
    mean_30 = _ratio(s30, n30) / 1000
    since = NAN if last is None else math.log1p(max(0, now - last.timestamp_ms) / 1000)
    speed = NAN
    if obs.latitude is not None and obs.longitude is not None and located is not None:
        assert located.latitude is not None and located.longitude is not None
        # the time since *that* located use: an online purchase in between shortens
        # no journey
        hours = max(now - located.timestamp_ms, MINUTE_MS) / HOUR_MS
        speed = _haversine_km(located.latitude, located.longitude, obs.latitude, obs.longitude)
        speed /= hours
    daily = n30 / _PACE_DAYS  # the card's usual transactions a day
    pace = [
        _ratio(count_1h, daily / 24),
        _ratio(n1, daily),
        taps_1h,
        float(len(terminals_1h)),
        _new_terminal(obs, card),
    ]
    return [
        count_10m,
        count_1h,
        count_1d,
        n7,
        n30,
        _ratio(s1, n1) / 1000,
        _ratio(s7, n7) / 1000,
        mean_30,
        _ratio(obs.amount, mean_30),
        _ratio(obs.amount, mean),
        (obs.amount - mean) / std if std > 0 else NAN,
        since,
        float(len(terminals_1d)),
        small_1h,
        known_fraud,
        float(card.count),
        speed,
    ], pace


def _new_terminal(obs: Observation, card: CardState) -> float:
    """1.0 when none of the card's recent events (before this one) was at this
    terminal; NaN for a card with none."""
    now, this, terminal = obs.timestamp_ms, obs.transaction_id, obs.terminal_id
    earlier = False
    for event in card.events:
        if event.timestamp_ms > now or event.transaction_id == this:
            continue
        if event.terminal_id == terminal:
            return 0.0
        earlier = True
    return 1.0 if earlier else NAN


def _context_features(obs: Observation, card: CardState) -> list[float]:
    """What the card used before (its recent events): new device, network, country;
    how far from the nearest place it was used in person; how it is presented. Read
    only when the transaction names a device, an address, a country or a place."""
    channel = obs.channel
    present = NAN if not channel else float(channel in _NOT_PRESENT)
    tap = NAN if not channel else float(channel == "contactless")
    if not (obs.device_id or obs.ip_address or obs.country or obs.latitude is not None):
        return [NAN, NAN, NAN, NAN, NAN, present, tap]  # nothing to compare: skip the walk
    devices: set[str] = set()
    networks: set[str] = set()
    countries: set[str] = set()
    places: set[tuple[float, float]] = set()
    now, this = obs.timestamp_ms, obs.transaction_id
    for event in card.events:
        if event.timestamp_ms > now or event.transaction_id == this:
            continue
        if event.device:
            devices.add(event.device)
        if event.network:
            networks.add(event.network)
        if event.country:
            countries.add(event.country)
        if event.latitude is not None and event.longitude is not None:
            places.add((event.latitude, event.longitude))
    network = network_of(obs.ip_address) if obs.ip_address else None
    new_place_km = NAN
    if places and obs.latitude is not None and obs.longitude is not None:
        lat, lon = obs.latitude, obs.longitude
        new_place_km = min(_haversine_km(p_lat, p_lon, lat, lon) for p_lat, p_lon in places)
    return [
        NAN if not obs.device_id else float(obs.device_id not in devices),
        float(len(devices)),
        NAN if network is None else float(network not in networks),
        NAN if not obs.country else float(obs.country not in countries),
        new_place_km,
        present,
        tap,
    ]


def _spread_features(obs: Observation, state: Snapshot) -> list[float]:
    """Distinct cards over the last hour and day per device, address range, card range."""
    if not state.spread:
        return _NO_SPREAD
    keys = dict(zip(SPREAD_KINDS, (obs.device_id, obs.ip_address, obs.card_bin), strict=True))
    spread = {key.split("#", 1)[0]: found for key, found in state.spread.items()}
    values: list[float] = []
    for kind in SPREAD_KINDS:
        found = spread.get(kind)
        if not keys[kind] or found is None:
            values += [NAN, NAN]
            continue
        _count_1h, _count_1d, cards_1h, cards_1d = _terminal_windows(found, obs.timestamp_ms)
        values += [cards_1h, cards_1d]
    return values


def _category_features(state: TerminalState | None, today: int) -> list[float]:
    """The merchant category's labels made known in the last 28 days, and its fraud rate
    (a category's days hold its labels by the day they became known)."""
    if state is None:
        return [NAN, NAN]
    *_counts, frauds, labelled = _terminal_days(state, today)
    return [labelled, _ratio(frauds, labelled)]


def _by_minute(counts: dict[int, int], age_first: int) -> tuple[float, float]:
    """What per-minute ``counts`` put in the last hour and day (minutes of an hour whose
    first minute is ``age_first`` minutes old)."""
    hour = day = 0.0
    for minute, n in counts.items():
        age = age_first - minute
        if 0 <= age < _ONE_DAY_MINUTES:
            day += n
            if age < _ONE_HOUR_MINUTES:
                hour += n
    return hour, day


def _terminal_windows(terminal: TerminalState, now_ms: int) -> tuple[float, float, float, float]:
    """Transactions and new cards over the last hour and day, to the minute.

    A window of N minutes ends with the transaction's own minute (which counts whole:
    events in the same minute may be processed in any order).
    """
    minute_now = now_ms // MINUTE_MS
    count_1h = count_1d = cards_1h = cards_1d = 0.0
    hours = terminal.hours
    if len(hours) > _HOURS_READ:  # a store that keeps more: look up the 25 that count
        hour_now = minute_now // 60
        wanted = ((h, hours.get(h)) for h in range(hour_now - _HOURS_READ + 1, hour_now + 1))
        buckets = [(h, b) for h, b in wanted if b is not None]
    else:
        buckets = list(hours.items())
    for hour, bucket in buckets:
        first = hour * 60
        age_first = minute_now - first  # age in minutes of the bucket's first minute
        if age_first < 0 or age_first - 59 >= _ONE_DAY_MINUTES:
            continue  # later than the transaction, or wholly older than a day
        if age_first - 59 >= _ONE_HOUR_MINUTES and age_first < _ONE_DAY_MINUTES:
            count_1d += bucket.count  # every minute in the day, none in the last hour
            cards_1d += sum(bucket.new_cards.values())
            continue
        hour_part, day_part = _by_minute(bucket.minutes, age_first)
        count_1h += hour_part
        count_1d += day_part
        hour_part, day_part = _by_minute(bucket.new_cards, age_first)
        cards_1h += hour_part
        cards_1d += day_part
    return count_1h, count_1d, cards_1h, cards_1d


def _terminal_days(state: TerminalState, today: int) -> tuple[float, ...]:
    """Count over 7 and 30 days, amount over 30, frauds made known in the last 7, labels
    (and frauds among them) on transactions of the last 28; finished days kept as
    :func:`_card_days` keeps them."""
    past = state.past
    if past is None or past[0] != today:
        past = state.past = past_sums(state.days, today, TERMINAL_SUMS, past)
    _today, n7, n30, s30, fraud_7, fraud_28, labelled_28 = past
    bucket = state.days.get(today)
    if bucket is None:
        return n7, n30, s30, fraud_7, fraud_28, labelled_28
    return (
        n7 + bucket.count,
        n30 + bucket.count,
        s30 + bucket.amount_milli,
        fraud_7 + bucket.frauds_known,
        fraud_28 + bucket.frauds,
        labelled_28 + bucket.labelled,
    )


def _terminal_features(obs: Observation, terminal: TerminalState, today: int) -> list[float]:
    count_1h, count_1d, cards_1h, cards_1d = _terminal_windows(terminal, obs.timestamp_ms)
    n7, n30, s30, fraud_7, fraud_28, labelled_28 = _terminal_days(terminal, today)
    mean_30 = _ratio(s30, n30) / 1000
    return [
        count_1h,
        count_1d,
        n7,
        n30,
        cards_1h,
        cards_1d,
        mean_30,
        _ratio(obs.amount, mean_30),
        fraud_7,
        fraud_28,
        labelled_28,
        _ratio(fraud_28, labelled_28),
    ]


def compute(obs: Observation, state: Snapshot) -> list[float]:
    """The feature vector of ``obs``, in the order of :data:`FEATURES`."""
    seconds = obs.timestamp_ms // 1000 + obs.utc_offset_minutes * 60  # local time
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
    card, pace = _card_features(obs, state.card, today)
    return (
        head
        + card
        + _terminal_features(obs, state.terminal, today)
        + _context_features(obs, state.card)
        + _spread_features(obs, state)
        + _category_features(state.category, today)
        + pace
    )


def change_of(obs: Observation) -> StateChange:
    """What ``obs`` adds to its card's and its terminal's state (its first-visit claim
    is settled by the store's :meth:`register`)."""
    return StateChange(
        obs.card_key,
        obs.terminal_id,
        CardEvent(
            obs.transaction_id,
            obs.timestamp_ms,
            milli(obs.amount),
            obs.terminal_id,
            obs.latitude,
            obs.longitude,
            obs.device_id or None,
            network_of(obs.ip_address) if obs.ip_address else None,
            obs.country or None,
            obs.channel or None,
        ),
        keys=keys_of(obs),
    )
