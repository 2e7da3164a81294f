"""A small simulated history, made once per test session."""

from dataclasses import replace
from pathlib import Path

import pytest

from cardwatch.evaluation.replay import LabelledHistory, load_history
from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv

SMALL = SimulationSettings(customers=250, terminals=500, days=35, seed=11)


def short_compromises(base: SimulationSettings) -> SimulationSettings:
    """Another generator's fraud: more compromised terminals for shorter spells, shorter
    card compromises, customers who roam farther."""
    return replace(
        base,
        radius=10.0,
        compromised_terminals_per_day=3,
        terminal_compromise_days=14,
        compromised_customers_per_day=2,
        customer_compromise_days=7,
    )


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sim") / "small.csv"
    write_csv(simulate(SMALL), path)
    return path


@pytest.fixture(scope="session")
def small_history(small_csv: Path) -> LabelledHistory:
    return load_history(small_csv)
