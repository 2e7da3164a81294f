"""A small simulated history, made once per test session."""

from pathlib import Path

import pytest

from cardwatch.ops.replay import LabelledHistory, load_history
from cardwatch.ops.simulate import SimulationSettings, simulate, write_csv

SMALL = SimulationSettings(customers=250, terminals=500, days=35, seed=11)


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sim") / "small.csv"
    write_csv(simulate(SMALL), path)
    return path


@pytest.fixture(scope="session")
def small_history(small_csv: Path) -> LabelledHistory:
    return load_history(small_csv)
