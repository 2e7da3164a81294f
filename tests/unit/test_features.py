"""Features from card and terminal state, computed before the transaction is added."""

import math
from dataclasses import replace

import pytest

from cardwatch.adapters.memory import InMemoryState
from cardwatch.domain.engine.features import FEATURES, Observation, change_of, compute, keys_of
from cardwatch.domain.engine.state import DAY_MS, LabelChange

T0 = 1_700_000_000_000
MINUTE = 60_000


def obs(
    n: int,
    at: int,
    amount: float = 20.0,
    terminal: str = "T1",
    card: str = "C1",
    lat: float | None = None,
    lon: float | None = None,
) -> Observation:
    return Observation(f"tx-{n}", at, card, terminal, amount, lat, lon)


def features(state: InMemoryState, observation: Observation) -> dict[str, float]:
    snapshot = state.read(
        observation.card_key,
        observation.terminal_id,
        observation.transaction_id,
        observation.timestamp_ms,
        keys_of(observation),
    )
    return dict(zip(FEATURES, compute(observation, snapshot), strict=True))


def add(state: InMemoryState, observation: Observation) -> bool:
    change = change_of(observation)
    return state.apply(change._replace(claimed=state.register(change)))


def label(state: InMemoryState, n: int, made_ms: int, fraud: bool, known_ms: int) -> None:
    state.apply_label(LabelChange(f"l-{n}", "C1", "T1", made_ms, fraud, known_ms))


def test_a_first_transaction_has_no_history() -> None:
    f = features(InMemoryState(), obs(1, T0))
    assert f["c_count_1d"] == 0 and f["c_history_count"] == 0
    assert math.isnan(f["c_ratio_30d"]) and math.isnan(f["c_geo_speed_kmh"])


def test_windows_count_what_came_before() -> None:
    state = InMemoryState()
    for n, minutes_ago in enumerate([2 * 24 * 60, 90, 30, 5]):
        add(state, obs(n, T0 - minutes_ago * MINUTE, terminal=f"T{n}"))
    f = features(state, obs(9, T0, amount=100.0))
    assert (f["c_count_10m"], f["c_count_1h"], f["c_count_1d"], f["c_count_7d"]) == (1, 2, 3, 4)
    assert f["c_distinct_terminals_1d"] == 3
    assert f["c_ratio_history"] == pytest.approx(5.0)
    assert f["t_distinct_cards_1d"] == 1  # T1 saw this card 30 minutes ago


def test_a_terminals_windows_are_exact_to_the_minute() -> None:
    # GIVEN a terminal with transactions 61, 59 and 1 minutes ago, and 25 hours ago
    state = InMemoryState()
    for n, minutes_ago in enumerate([25 * 60, 61, 59, 1]):
        add(state, obs(n, T0 - minutes_ago * MINUTE, card=f"C{n}"))
    f = features(state, obs(9, T0, card="new"))
    # THEN the hour holds two of them, the day three, each card a first visit of its day
    assert (f["t_count_1h"], f["t_count_1d"]) == (2, 3)
    assert (f["t_distinct_cards_1h"], f["t_distinct_cards_1d"]) == (2, 3)


def test_a_redelivered_transaction_changes_nothing() -> None:
    state = InMemoryState()
    assert add(state, obs(1, T0))
    before = features(state, obs(2, T0 + MINUTE))
    assert not add(state, obs(1, T0))
    assert features(state, obs(2, T0 + MINUTE)) == before


def test_a_card_seen_again_the_same_day_is_not_a_new_card() -> None:
    state = InMemoryState()
    for n in range(3):
        add(state, obs(n, T0 + n * MINUTE))
    f = features(state, obs(9, T0 + 5 * MINUTE, card="other"))
    assert f["t_count_1h"] == 3 and f["t_distinct_cards_1h"] == 1


def test_impossible_travel_is_measured_in_km_per_hour() -> None:
    state = InMemoryState()
    add(state, obs(1, T0, lat=40.7128, lon=-74.0060))  # New York
    f = features(state, obs(2, T0 + 60 * MINUTE, lat=51.5074, lon=-0.1278))
    assert f["c_geo_speed_kmh"] == pytest.approx(5570, rel=0.01)  # London, an hour later


def test_speed_is_timed_from_the_last_located_use_not_from_an_online_one() -> None:
    # GIVEN a card used in New York, then online (no coordinates) five hours later
    state = InMemoryState()
    add(state, obs(1, T0, lat=40.7128, lon=-74.0060))
    add(state, obs(2, T0 + 300 * MINUTE))
    # WHEN it is used in Boston an hour after the online purchase
    f = features(state, obs(3, T0 + 360 * MINUTE, lat=42.3601, lon=-71.0589))
    # THEN the 306 km are covered in six hours (51 km/h), not in one (306 km/h)
    assert f["c_geo_speed_kmh"] == pytest.approx(306 / 6, rel=0.02)
    # AND an online purchase has no speed at all
    assert math.isnan(features(state, obs(4, T0 + 361 * MINUTE))["c_geo_speed_kmh"])


def test_labels_count_only_once_known_and_within_the_window() -> None:
    state = InMemoryState()
    label(state, 1, T0 - 3 * DAY_MS, True, known_ms=T0)
    label(state, 2, T0 - 2 * DAY_MS, False, known_ms=T0)
    f = features(state, obs(1, T0 + 1))
    assert (f["t_fraud_known_last_7d"], f["t_labelled_28d"], f["t_fraud_rate_28d"]) == (1, 2, 0.5)
    assert f["c_known_fraud_30d"] == 1
    later = features(state, obs(2, T0 + 40 * DAY_MS))
    assert later["t_labelled_28d"] == 0 and later["c_known_fraud_30d"] == 0


def test_every_feature_is_a_float_for_the_model_to_compare() -> None:
    # GIVEN a card and a terminal with history, labels and coordinates, and an empty pair
    state = InMemoryState()
    for n in range(4):
        add(state, obs(n, T0 + n * MINUTE, lat=1.0, lon=2.0))
    label(state, 1, T0, True, T0 + DAY_MS)
    for observation in (
        obs(9, T0 + 2 * DAY_MS, lat=1.5, lon=2.5),
        obs(9, T0, card="x", terminal="y"),
    ):
        # WHEN the features of a new transaction are computed
        vector = list(features(state, observation).values())
        # THEN each is a float (counts too): the scorer's splits then compare like with like
        assert [type(v).__name__ for v in vector] == ["float"] * len(FEATURES)


def test_a_busy_merchants_state_stays_bounded() -> None:
    # GIVEN a merchant with 2,000 labelled transactions a day for 60 days, 1 % fraud
    state = InMemoryState()
    for n in range(120_000):
        at = T0 + n * (DAY_MS // 2000)
        label(state, n, at, n % 100 == 0, known_ms=at + 7 * DAY_MS)
    # THEN it keeps a bounded number of day buckets, not 120,000 labels
    assert len(state.terminals["T1"].state.days) <= 45
    # AND the features read them: 28 days of labels, 1 % of them fraud
    f = features(state, obs(1, T0 + 67 * DAY_MS))
    assert f["t_labelled_28d"] > 20 * 2000
    assert f["t_fraud_rate_28d"] == pytest.approx(0.01, rel=0.01)
    assert f["t_fraud_known_last_7d"] == pytest.approx(7 * 20, rel=0.1)


def test_hour_night_and_weekend_are_the_places_local_time() -> None:
    # GIVEN Friday 2023-11-17 20:30 UTC, in Tokyo (UTC+9: Saturday 05:30)
    friday_evening = 1_700_253_000_000
    state = InMemoryState()
    utc = features(state, obs(1, friday_evening))
    tokyo = features(state, replace(obs(2, friday_evening), utc_offset_minutes=540))
    # THEN the hour, the night and the weekend follow the offset the client wrote
    assert (utc["hour"], utc["is_night"], utc["is_weekend"]) == (20, 0, 0)
    assert (tokyo["hour"], tokyo["is_night"], tokyo["is_weekend"]) == (5, 1, 1)


def rich(n: int, at: int, card: str = "C1", **fields: object) -> Observation:
    return replace(obs(n, at, card=card), **fields)  # type: ignore[arg-type]


def test_a_device_network_and_country_are_new_only_to_a_card_that_never_used_them() -> None:
    state = InMemoryState()
    add(state, rich(1, T0, device_id="phone", ip_address="81.2.3.4", country="GB"))
    # same device, another address in the same /24, same country: nothing new
    same = features(
        state, rich(2, T0 + MINUTE, device_id="phone", ip_address="81.2.3.200", country="GB")
    )
    assert (same["c_new_device"], same["c_new_network"], same["c_new_country"]) == (0, 0, 0)
    assert same["c_devices_seen"] == 1
    other = features(
        state, rich(3, T0 + MINUTE, device_id="laptop", ip_address="126.9.9.9", country="JP")
    )
    assert (other["c_new_device"], other["c_new_network"], other["c_new_country"]) == (1, 1, 1)
    # fields not sent are missing, never "not new"
    bare = features(state, rich(4, T0 + MINUTE))
    assert all(
        math.isnan(bare[name]) for name in ("c_new_device", "c_new_network", "c_new_country")
    )
    # another card's history does not count
    stranger = features(state, rich(5, T0 + MINUTE, card="C2", device_id="phone"))
    assert stranger["c_new_device"] == 1


def test_distance_to_the_nearest_place_the_card_was_used_in_person() -> None:
    state = InMemoryState()
    add(state, rich(1, T0, latitude=51.5, longitude=-0.1))  # London
    add(state, rich(2, T0 + MINUTE, latitude=40.7, longitude=-74.0))  # New York
    near_london = features(state, rich(3, T0 + 2 * MINUTE, latitude=51.6, longitude=-0.1))
    assert 10 < near_london["c_new_place_km"] < 12  # the nearest, not a centre between
    tokyo = features(state, rich(4, T0 + 2 * MINUTE, latitude=35.7, longitude=139.7))
    assert tokyo["c_new_place_km"] > 9000
    assert math.isnan(features(state, rich(5, T0 + 2 * MINUTE))["c_new_place_km"])


def test_channels_are_card_not_present_or_contactless() -> None:
    state = InMemoryState()
    web = features(state, rich(1, T0, channel="ecommerce"))
    tap = features(state, rich(2, T0, channel="contactless"))
    assert (web["card_not_present"], web["contactless"]) == (1, 0)
    assert (tap["card_not_present"], tap["contactless"]) == (0, 1)


def test_a_device_an_address_range_and_a_bin_count_the_distinct_cards_they_saw() -> None:
    """Spread card testing: one device probes many cards, once or twice each."""
    state = InMemoryState()
    for n in range(12):
        card = f"card-{n // 2}"  # six cards, two probes each
        add(
            state,
            rich(
                n,
                T0 + n * MINUTE,
                card=card,
                device_id="bot",
                ip_address="203.0.113.7",
                card_bin="411111",
            ),
        )
    probe = features(
        state,
        rich(
            99,
            T0 + 13 * MINUTE,
            card="card-9",
            device_id="bot",
            ip_address="203.0.113.99",
            card_bin="411111",
        ),
    )
    assert probe["dv_cards_1h"] == probe["ip_cards_1h"] == probe["bin_cards_1h"] == 6
    assert probe["dv_cards_1d"] == 6
    later = features(state, rich(100, T0 + 3 * 60 * MINUTE, card="card-9", device_id="bot"))
    assert later["dv_cards_1h"] == 0 and later["dv_cards_1d"] == 6
    assert math.isnan(later["ip_cards_1h"]) and math.isnan(later["bin_cards_1d"])


def test_a_merchant_category_learns_its_fraud_rate_from_labels_as_they_become_known() -> None:
    state = InMemoryState()
    for n, fraud in enumerate([True, False, False, False]):
        state.apply_label(
            LabelChange(f"l-{n}", "C1", "T1", T0, fraud, T0 + DAY_MS, category="mcc#5732")
        )
    before = features(state, rich(1, T0 - DAY_MS, merchant_category_code="5732"))
    after = features(state, rich(2, T0 + DAY_MS + MINUTE, merchant_category_code="5732"))
    assert after["m_labelled_28d"] == 4 and after["m_fraud_rate_28d"] == 0.25
    # labels become known on their day: a transaction of an earlier day does not read them
    assert before["m_labelled_28d"] == 0
    # and after 28 days they are forgotten
    late = features(state, rich(4, T0 + 30 * DAY_MS, merchant_category_code="5732"))
    assert late["m_labelled_28d"] == 0
    other = features(state, rich(3, T0 + DAY_MS + MINUTE, merchant_category_code="5411"))
    assert other["m_labelled_28d"] == 0 and math.isnan(other["m_fraud_rate_28d"])


def test_applied_ids_are_forgotten_with_their_events_never_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cardwatch.adapters.memory as memory_state  # noqa: PLC0415
    from cardwatch.domain.engine.state import EVENT_RETENTION_DAYS  # noqa: PLC0415

    monkeypatch.setattr(memory_state, "_PRUNE_EVERY", 3)
    state = InMemoryState()
    # GIVEN one event a day for the retention period and beyond, one of them a day late
    days = EVENT_RETENTION_DAYS + 10
    for day in range(days):
        assert add(state, obs(day, T0 + day * DAY_MS))
    late = obs(10_000, T0 + (days - 2) * DAY_MS)  # applied after the newest
    assert add(state, late)
    # THEN ids past the retention are forgotten (a redelivery would count again) ...
    assert add(state, obs(0, T0))
    # ... ids within it are not: redeliveries change nothing, the late one's included
    assert not add(state, obs(days - 1, T0 + (days - 1) * DAY_MS))
    assert not add(state, obs(20, T0 + 20 * DAY_MS))
    assert not add(state, late)


def test_a_card_is_measured_against_its_own_pace() -> None:
    """A card used about once a day for a month, then three times in an hour."""
    state = InMemoryState()
    for day in range(1, 31):
        add(state, obs(day, T0 - day * DAY_MS, terminal="T1"))
    for n, minutes_ago in enumerate([40, 20], start=100):
        add(state, rich(n, T0 - minutes_ago * MINUTE, channel="contactless", terminal_id=f"N{n}"))
    f = features(state, rich(200, T0, channel="contactless", terminal_id="N300"))
    usual = f["c_count_30d"] / 30  # the card's usual transactions a day
    assert f["c_pace_1h"] == pytest.approx(2 / (usual / 24))
    assert f["c_pace_1h"] > 40
    assert f["c_taps_1h"] == 2 and f["c_distinct_terminals_1h"] == 2
    # the terminal is new to the card; the one it used every day is not
    assert f["c_new_terminal"] == 1.0
    assert features(state, rich(201, T0, terminal_id="T1"))["c_new_terminal"] == 0.0
    # a card with no history has no pace and no usual terminal
    empty = features(InMemoryState(), obs(1, T0))
    assert math.isnan(empty["c_pace_1h"]) and math.isnan(empty["c_new_terminal"])
    assert empty["c_taps_1h"] == 0
