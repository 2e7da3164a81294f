"""Fitting ahead on the other core changes when a model is fitted, never which model."""

from dataclasses import replace

import numpy as np
import pytest

from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.engine.model import TreeModel
from cardwatch.evaluation.replay import LabelledHistory, ReplaySettings, replay
from cardwatch.training.batch_scoring import probabilities, raw_scores
from cardwatch.training.fit import fit_artifact
from cardwatch.training.model_choice import Promotion

SETTINGS = ReplaySettings(label_delay_days=7, retrain_every_days=7)


@pytest.mark.parametrize("promotion", [None, Promotion(margin=0.0, evaluation_days=7)])
def test_a_replay_fitting_ahead_scores_every_row_as_one_fitting_inline(
    small_history: LabelledHistory, promotion: Promotion | None
) -> None:
    # GIVEN one history replayed with its fits made inline and in the worker process
    settings = replace(SETTINGS, promotion=promotion)
    inline = replay(small_history, replace(settings, fit_ahead=False))
    ahead = replay(small_history, replace(settings, fit_ahead=True))
    # THEN the same retrainings, the same models in force, the same scores and features
    assert len(inline.retrains) >= 2
    assert [r["at_ms"] for r in ahead.retrains] == [r["at_ms"] for r in inline.retrains]
    assert [r["rows"] for r in ahead.retrains] == [r["rows"] for r in inline.retrains]
    assert [v for _, v in ahead.models_in_force] == [v for _, v in inline.models_in_force]
    assert np.array_equal(ahead.scores, inline.scores)
    assert np.array_equal(ahead.features, inline.features, equal_nan=True)
    assert np.array_equal(ahead.decisions, inline.decisions)
    # and the features are the caller's own array once the worker is gone
    assert ahead.features.flags.owndata and ahead.features.flags.writeable


def test_a_labels_delay_of_zero_still_retrains_on_the_rows_scored_so_far(
    small_history: LabelledHistory,
) -> None:
    instant = replace(SETTINGS, label_delay_days=0)
    inline = replay(small_history, replace(instant, fit_ahead=False))
    ahead = replay(small_history, replace(instant, fit_ahead=True))
    assert inline.retrains and np.array_equal(ahead.scores, inline.scores)


def test_the_matrix_scorer_walks_the_trees_as_the_compiled_scorer_does(
    small_history: LabelledHistory,
) -> None:
    # GIVEN a model fitted on replayed features, and rows with missing values in them
    features = replay(small_history, replace(SETTINGS, retrain_every_days=0)).features
    model = TreeModel.from_artifact(fit_artifact(features, small_history.labels))
    rows = features[:: max(1, len(features) // 3000)].astype(np.float64)
    rng = np.random.default_rng(3)
    rows[rng.random(rows.shape) < 0.1] = np.nan
    assert rows.shape[1] == len(FEATURES)
    # THEN every row's log-odds and probability are the per-row scorer's, to the bit
    expected = [model.raw_score(row) for row in rows.tolist()]
    assert raw_scores(model, rows).tolist() == expected
    assert probabilities(model, rows).tolist() == [model.probability(r) for r in rows.tolist()]
