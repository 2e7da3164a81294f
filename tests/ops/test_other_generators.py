"""The engine learns from the data it is given: generators with other parameters than the
handbook's defaults are detected too, with nothing in the engine tuned to them."""

from dataclasses import replace

import numpy as np
import pytest

from cardwatch.evaluation.backtest import backtest
from cardwatch.evaluation.replay import LabelledHistory, ReplaySettings, load_history
from cardwatch.simulation.handbook import SimulationSettings, simulate, write_csv
from tests.support.worlds import short_compromises

BASE = SimulationSettings(customers=600, terminals=1200, days=49, seed=21)
SETTINGS = ReplaySettings(label_delay_days=7, retrain_every_days=7)


def history_of(
    settings: SimulationSettings, tmp_path_factory: pytest.TempPathFactory
) -> LabelledHistory:
    path = tmp_path_factory.mktemp("generator") / "data.csv"
    write_csv(simulate(settings), path)
    return load_history(path)


@pytest.fixture(scope="module")
def lower_threshold(tmp_path_factory: pytest.TempPathFactory) -> LabelledHistory:
    """Every amount over 150 is fraud here (the handbook's generator says 220)."""
    settings = replace(BASE, fraud_amount=150.0, compromised_amount_factor=3.0)
    return history_of(settings, tmp_path_factory)


def test_the_engine_learns_an_amount_threshold_it_was_not_given(
    lower_threshold: LabelledHistory,
) -> None:
    # WHEN the history is replayed with labels arriving a week late
    result, report = backtest(lower_threshold, SETTINGS, test_days=7)
    # THEN the test week's amounts between this generator's 150 and the handbook's 220
    # score far above the amounts just under 150
    days = lower_threshold.days
    test = days > days.max() - 7
    amounts = np.array(lower_threshold.amounts)
    above = test & (amounts > 155) & (amounts < 215)
    below = test & (amounts > 100) & (amounts < 145)
    assert above.sum() > 20 and below.sum() > 100
    assert np.median(result.scores[above]) > 10 * np.median(result.scores[below])
    prevalence = lower_threshold.labels[test].mean()
    assert report.metrics["average_precision"] > 5 * prevalence


def test_the_engine_learns_other_compromise_patterns(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # GIVEN more compromised terminals for shorter spells, and shorter card compromises
    settings = replace(short_compromises(BASE), seed=22)
    history = history_of(settings, tmp_path_factory)
    # WHEN it is replayed
    _result, report = backtest(history, SETTINGS, test_days=7)
    # THEN the frauds of the test week still rank far above their share
    test = history.days > history.days.max() - 7
    assert report.metrics["average_precision"] > 5 * history.labels[test].mean()
    assert report.metrics["auc_roc"] > 0.65


def test_card_testing_is_caught_though_the_handbook_never_shows_it(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # GIVEN two cards a day probed with bursts of tiny amounts, then used for big ones
    settings = replace(BASE, card_testing_per_day=2, seed=31)
    data = simulate(settings)
    history = history_of(settings, tmp_path_factory)
    # WHEN the history is replayed
    result, _report = backtest(history, SETTINGS, test_days=7)
    # THEN in the test week most probes, and every purchase after them, are flagged,
    # while few genuine transactions are
    test = history.days > history.days.max() - 7
    amounts = np.array(history.amounts)
    probes = test & (data.scenario == 4) & (amounts < 3)
    purchases = test & (data.scenario == 4) & (amounts >= 3)
    genuine = test & (history.labels == 0)
    assert probes.sum() > 50 and purchases.sum() > 5
    flagged = result.scores >= 0.5
    assert flagged[probes].mean() > 0.75
    assert flagged[purchases].mean() > 0.9
    assert flagged[genuine].mean() < 0.05
