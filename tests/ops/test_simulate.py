import csv
from dataclasses import replace
from pathlib import Path

import numpy as np

from cardwatch.cli.main import main
from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv
from cardwatch.simulation.rich import RichSettings
from tests.support.worlds import SMALL


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


RICH = SimulationSettings(customers=400, terminals=800, days=28, seed=9, rich=RichSettings())


def test_a_rich_world_leaves_the_handbook_world_alone(tmp_path: Path) -> None:
    """Rich fields draw from a stream of their own: the plain file is byte for byte the
    same, and the rich one has the handbook's customers, times and labels under it."""
    plain = simulate(SMALL)
    rich = simulate(
        replace(
            SMALL,
            rich=RichSettings(
                takeovers_per_day=0,
                spread_testing_per_week=0,
                skimmers_per_week=0,
                stolen_taps_per_day=0,
                friendly_fraud_per_day=0,
                trips_per_day=0,
            ),
        )
    )
    assert plain.context is None
    assert np.array_equal(plain.seconds, rich.seconds)
    assert np.array_equal(plain.customer, rich.customer)
    assert np.array_equal(plain.fraud, rich.fraud)


def test_a_rich_world_has_every_scenario_and_field(tmp_path: Path) -> None:
    data = simulate(RICH)
    assert {5, 6, 7, 8, 9} <= set(np.unique(data.scenario).tolist())
    assert data.context is not None and np.all(np.diff(data.seconds) >= 0)
    channel, device = data.context["channel"], data.context["device_id"]
    online = channel == "ecommerce"
    # online purchases have a device and an IP and no coordinates; in person the opposite
    assert np.all(device[online] != "") and np.all(np.isnan(data.context["latitude"][online]))
    assert np.all(device[~online] == "") and not np.isnan(data.context["latitude"][~online]).any()
    # each currency is priced in its own unit: yen amounts are whole and larger
    yen = data.context["currency"] == "JPY"
    assert np.all(data.amount[yen] == np.round(data.amount[yen]))
    assert np.median(data.amount[yen]) > 20 * np.median(data.amount[~yen])
    # takeovers come from devices the card never used before
    takeover = data.scenario == 5
    assert all(d.startswith("ato") for d in device[takeover].tolist())
    out = tmp_path / "rich.csv"
    write_csv(data, out)
    with out.open() as file:
        rows = list(csv.DictReader(file))
    assert {"currency", "device_id", "ip_address", "merchant_category_code"} <= set(rows[0])
    assert any(row["timestamp"].endswith("+09:00") for row in rows)
