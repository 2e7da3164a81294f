"""Features from card and terminal history, computed before the transaction is added."""

import json
import math

import pytest

from cardwatch.domain.features import FEATURES, Observation, compute, remember, remember_label
from cardwatch.domain.profiles import DAY_MS, CardProfile, TerminalProfile

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


def feature_map(
    observation: Observation, card: CardProfile, terminal: TerminalProfile
) -> dict[str, float]:
    return dict(zip(FEATURES, compute(observation, card, terminal), strict=True))


def test_a_first_transaction_has_no_history() -> None:
    f = feature_map(obs(1, T0), CardProfile(), TerminalProfile())
    assert f["c_count_1d"] == 0 and f["c_history_count"] == 0
    assert math.isnan(f["c_ratio_30d"]) and math.isnan(f["c_geo_speed_kmh"])


def test_windows_count_what_came_before() -> None:
    card, terminal = CardProfile(), TerminalProfile()
    for n, minutes_ago in enumerate([2 * 24 * 60, 90, 30, 5]):
        remember(obs(n, T0 - minutes_ago * MINUTE, terminal=f"T{n}"), card, terminal)
    f = feature_map(obs(9, T0, amount=100.0), card, terminal)
    assert (f["c_count_10m"], f["c_count_1h"], f["c_count_1d"], f["c_count_7d"]) == (1, 2, 3, 4)
    assert f["c_distinct_terminals_1d"] == 3
    assert f["c_ratio_history"] == pytest.approx(5.0)
    assert f["t_distinct_cards_1d"] == 1


def test_a_redelivered_transaction_changes_nothing() -> None:
    card, terminal = CardProfile(), TerminalProfile()
    assert remember(obs(1, T0), card, terminal)
    before = (card.to_dict(), terminal.to_dict())
    assert not remember(obs(1, T0), card, terminal)
    assert (card.to_dict(), terminal.to_dict()) == before


def test_impossible_travel_is_measured_in_km_per_hour() -> None:
    card, terminal = CardProfile(), TerminalProfile()
    remember(obs(1, T0, lat=40.7128, lon=-74.0060), card, terminal)  # New York
    f = feature_map(obs(2, T0 + 60 * MINUTE, lat=51.5074, lon=-0.1278), card, terminal)
    assert f["c_geo_speed_kmh"] == pytest.approx(5570, rel=0.01)  # London, an hour later


def test_labels_count_only_once_known_and_within_the_window() -> None:
    card, terminal = CardProfile(), TerminalProfile()
    remember_label(card, terminal, T0 - 3 * DAY_MS, True, known_ms=T0)
    remember_label(card, terminal, T0 - 2 * DAY_MS, False, known_ms=T0)
    f = feature_map(obs(1, T0 + 1), card, terminal)
    assert (f["t_fraud_known_last_7d"], f["t_labelled_28d"], f["t_fraud_rate_28d"]) == (1, 2, 0.5)
    assert f["c_known_fraud_30d"] == 1
    later = feature_map(obs(2, T0 + 40 * DAY_MS), card, terminal)
    assert later["t_labelled_28d"] == 0 and later["c_known_fraud_30d"] == 0


def test_profiles_survive_a_round_trip_through_json_ready_dicts() -> None:
    card, terminal = CardProfile(), TerminalProfile()
    for n in range(5):
        remember(obs(n, T0 + n * MINUTE, lat=1.0, lon=2.0), card, terminal)
    remember_label(card, terminal, T0, True, T0 + DAY_MS)
    assert CardProfile.from_dict(card.to_dict()).to_dict() == card.to_dict()
    assert TerminalProfile.from_dict(terminal.to_dict()).to_dict() == terminal.to_dict()
    assert CardProfile.from_dict(card.to_dict()).mean == pytest.approx(card.mean)


def test_every_feature_is_a_float_for_the_model_to_compare() -> None:
    # GIVEN a card and a terminal with history, labels and coordinates, and an empty pair
    card, terminal = CardProfile(), TerminalProfile()
    for n in range(4):
        remember(obs(n, T0 + n * MINUTE, lat=1.0, lon=2.0), card, terminal)
    remember_label(card, terminal, T0, True, T0 + DAY_MS)
    restored = CardProfile.from_dict(card.to_dict()), TerminalProfile.from_dict(terminal.to_dict())
    for profiles in ((card, terminal), restored, (CardProfile(), TerminalProfile())):
        # WHEN the features of a new transaction are computed
        vector = compute(obs(9, T0 + 2 * DAY_MS, lat=1.5, lon=2.5), *profiles)
        # THEN each is a float (counts too): the scorer's splits then compare like with like
        assert [type(v).__name__ for v in vector] == ["float"] * len(FEATURES)


def test_a_busy_merchants_profile_stays_small() -> None:
    # GIVEN a merchant with 2,000 labelled transactions a day for 60 days, 1 % fraud
    card, terminal = CardProfile(), TerminalProfile()
    for n in range(120_000):
        at = T0 + n * (DAY_MS // 2000)
        remember_label(card, terminal, at, n % 100 == 0, known_ms=at + 7 * DAY_MS)
    # THEN it keeps counts for the last 28 days of transactions, not 56,000 labels
    assert len(terminal.label_days) <= 28 and len(terminal.fraud_known_days) <= 7
    assert len(json.dumps(terminal.to_dict())) < 2_000
    # AND the features read them as before: 28 days of labels, 1 % of them fraud
    f = feature_map(obs(1, T0 + 67 * DAY_MS), CardProfile(), terminal)
    assert f["t_labelled_28d"] > 20 * 2000 and f["t_fraud_rate_28d"] == pytest.approx(
        0.01, rel=0.01
    )
    assert f["t_fraud_known_last_7d"] == pytest.approx(7 * 20, rel=0.1)
