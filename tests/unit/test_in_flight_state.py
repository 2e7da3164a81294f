"""The backtest's state as the deployment serves it under load: a transaction's event is
registered at once, its card's counters land when its transaction commits and its
terminal's when aggregate folds the batch, so training sees the rows detect serves."""

from __future__ import annotations

import random

import pytest

from cardwatch.adapters.memory import InFlight, InFlightState, InMemoryState
from cardwatch.domain.engine.detection import Detector
from cardwatch.domain.engine.features import FEATURES, Observation
from cardwatch.domain.engine.rules import default_policy

T0 = 1_795_000_000_000
T_COUNT = FEATURES.index("t_count_1h")
T_CARDS = FEATURES.index("t_distinct_cards_1h")
C_COUNT = FEATURES.index("c_count_1d")


def _features(detector: Detector, n: int, at_ms: int, card: str, terminal: str) -> list[float]:
    seen = detector.observe(Observation(f"tx-{n}", at_ms, card, terminal, 10.0))
    assert seen is not None
    x, change = seen
    assert change is not None and detector.state.apply(change)
    return x


def test_a_terminals_counts_lag_by_the_fold_and_a_cards_own_events_never_lag() -> None:
    sequential = Detector(InMemoryState(), default_policy())
    in_flight = Detector(InFlightState(InFlight(apply_ms=25, fold_ms=1_000)), default_policy())
    rows = [(0, "card-a"), (100, "card-b"), (110, "card-a"), (1_200, "card-c")]
    served = {
        name: [_features(d, n, T0 + at, card, "busy") for n, (at, card) in enumerate(rows)]
        for name, d in (("sequential", sequential), ("in flight", in_flight))
    }
    # the terminal saw 1, then 2, then 3 transactions before these, sequentially...
    assert [x[T_COUNT] for x in served["sequential"]] == [0, 1, 2, 3]
    # ...but the fold lands a second later: nothing until the fourth, which sees three
    assert [x[T_COUNT] for x in served["in flight"]] == [0, 0, 0, 3]
    assert served["in flight"][3][T_CARDS] == served["sequential"][3][T_CARDS] == 2
    # the card's own earlier event is registered before scoring: it never lags
    assert served["in flight"][2][C_COUNT] == served["sequential"][2][C_COUNT] == 1


def test_rows_far_apart_are_served_as_a_sequential_replay_serves_them() -> None:
    draw = random.Random(7)
    sequential = Detector(InMemoryState(), default_policy())
    in_flight = Detector(InFlightState(), default_policy())
    at = T0
    for n in range(400):
        at += draw.randint(1_001, 90_000)  # more than the fold's second apart
        card, terminal = f"card-{draw.randint(0, 20)}", f"t-{draw.randint(0, 5)}"
        expected = _features(sequential, n, at, card, terminal)
        assert _features(in_flight, n, at, card, terminal) == pytest.approx(expected, nan_ok=True)


def test_a_transaction_is_applied_once_however_often_it_comes() -> None:
    state = InFlightState()
    detector = Detector(state, default_policy())
    _features(detector, 1, T0, "card-a", "t-1")
    seen = detector.observe(Observation("tx-1", T0 + 5, "card-a", "t-1", 10.0))
    assert seen is None  # applied (its effects still in flight): nothing to do
    x = _features(detector, 2, T0 + 2_000, "card-b", "t-1")
    assert x[T_COUNT] == 1
