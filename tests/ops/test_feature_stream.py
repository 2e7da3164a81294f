"""The state kept in a worker process gives every row the features it gets in this one."""

from dataclasses import replace

import numpy as np
import pytest

from cardwatch.adapters.memory import InMemoryState
from cardwatch.domain.engine.detection import Detector
from cardwatch.domain.engine.rules import default_policy
from cardwatch.evaluation.feature_stream import Columns, observed, stream
from cardwatch.evaluation.replay import LabelledHistory, ReplaySettings, _columns, replay
from cardwatch.training.model_choice import Promotion

SETTINGS = ReplaySettings(label_delay_days=7, retrain_every_days=7)


def _columns_of(history: LabelledHistory) -> Columns:
    order = np.argsort(history.timestamp_ms, kind="stable")
    return _columns(history, order, SETTINGS)


def test_the_worker_streams_every_row_as_observed_here_through_a_small_ring(
    small_history: LabelledHistory,
) -> None:
    # GIVEN a history with a repeated id, many times the length of a two-batch ring
    ids = list(small_history.transaction_ids)
    ids[500] = ids[400]
    history = replace(small_history, transaction_ids=ids)
    columns = _columns_of(history)
    assert len(columns) > 7 * 2048
    # WHEN its rows are observed here, and in the worker (which must wait for the reader)
    here = list(observed(columns, Detector(InMemoryState(), default_policy())))
    apart = list(stream(columns, ring_rows=2048))
    # THEN the same rows, labels known, features (NaN included) and the repeat skipped
    assert [(i, v) for i, v, _ in apart] == [(i, v) for i, v, _ in here]
    assert sum(x is None for _, _, x in apart) == 1
    for (_, _, mine), (_, _, theirs) in zip(here, apart, strict=True):
        assert (mine is None) == (theirs is None)
        if mine is not None and theirs is not None:
            assert np.array_equal(np.array(mine), np.array(theirs), equal_nan=True)


@pytest.mark.parametrize("promotion", [None, Promotion(margin=0.0, evaluation_days=7)])
def test_a_replay_with_its_state_in_a_worker_scores_every_row_as_one_in_one_process(
    small_history: LabelledHistory, promotion: Promotion | None
) -> None:
    settings = replace(SETTINGS, promotion=promotion)
    together = replay(small_history, replace(settings, fit_ahead=False, state_worker=False))
    apart = replay(small_history, replace(settings, fit_ahead=True, state_worker=True))
    assert len(together.retrains) >= 2
    assert apart.models_in_force == together.models_in_force
    assert np.array_equal(apart.scores, together.scores)
    assert np.array_equal(apart.model_scores, together.model_scores, equal_nan=True)
    assert np.array_equal(apart.features, together.features, equal_nan=True)
    assert np.array_equal(apart.decisions, together.decisions)
    assert np.array_equal(apart.rule_hits, together.rule_hits)
    assert apart.reasons == together.reasons


def test_a_reader_that_stops_early_ends_the_worker(small_history: LabelledHistory) -> None:
    rows = stream(_columns_of(small_history), ring_rows=2048)
    first = [next(rows) for _ in range(3000)]  # past a full ring: the worker is waiting
    rows.close()  # the worker is stopped and its memory freed, without an error
    assert len(first) == 3000


def test_a_ring_under_two_batches_is_refused(small_history: LabelledHistory) -> None:
    with pytest.raises(ValueError, match="two batches"):
        next(stream(_columns_of(small_history), ring_rows=1024))
