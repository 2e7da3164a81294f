import csv
from dataclasses import replace
from pathlib import Path

import numpy as np

from cardwatch.cli import main
from cardwatch.ops.simulate import SimulationSettings, simulate
from tests.ops.conftest import SMALL


def test_the_generator_is_deterministic_and_time_ordered() -> None:
    first, second = simulate(SMALL), simulate(SMALL)
    assert np.array_equal(first.amount, second.amount)
    assert np.all(np.diff(first.seconds) >= 0)


def test_all_three_fraud_scenarios_appear_at_a_realistic_rate() -> None:
    data = simulate(SMALL)
    assert set(np.unique(data.scenario)) == {0, 1, 2, 3}
    assert 0.002 < data.fraud.mean() < 0.2  # few terminals: compromises weigh more
    assert np.all(data.fraud[data.scenario > 0] == 1)


def test_card_testing_is_a_fourth_scenario_only_when_asked_for() -> None:
    plain = simulate(SMALL)
    probed = simulate(replace(SMALL, card_testing_per_day=1))
    testing = probed.scenario == 4
    # the handbook's scenarios are untouched, the bursts come on top, all fraud, in order
    assert 4 not in plain.scenario and len(probed) == len(plain) + testing.sum()
    assert np.all(probed.fraud[testing] == 1) and np.all(np.diff(probed.seconds) >= 0)
    # each card's burst: many tiny amounts, then one or two large ones
    assert (probed.amount[testing] < 3).sum() >= 6 * SMALL.days
    assert (probed.amount[testing] >= 150).sum() >= SMALL.days


def test_the_scenario_settings_are_the_generators_own() -> None:
    quiet = simulate(
        SimulationSettings(
            customers=200,
            terminals=400,
            days=20,
            seed=3,
            compromised_terminals_per_day=0,
            compromised_customers_per_day=0,
            fraud_amount=1e9,
        )
    )
    assert quiet.fraud.sum() == 0


def test_the_command_writes_the_fixed_columns(tmp_path: Path) -> None:
    out = tmp_path / "data.csv"
    assert (
        main(
            [
                "simulate",
                str(out),
                "--customers",
                "50",
                "--terminals",
                "100",
                "--days",
                "5",
                "--seed",
                "2",
            ]
        )
        == 0
    )
    with out.open() as file:
        header = next(csv.reader(file))
    assert header[:6] == [
        "transaction_id",
        "timestamp",
        "user_id",
        "terminal_id",
        "amount",
        "is_fraud",
    ]
