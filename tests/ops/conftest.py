"""A small simulated history, made once per test session."""

from pathlib import Path

import pytest

from cardwatch.evaluation.replay import LabelledHistory, load_history
from cardwatch.simulation.handbook import simulate, write_csv
from tests.support.worlds import SMALL


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sim") / "small.csv"
    write_csv(simulate(SMALL), path)
    return path


@pytest.fixture(scope="session")
def small_history(small_csv: Path) -> LabelledHistory:
    return load_history(small_csv)
