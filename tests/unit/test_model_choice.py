"""Champion and challenger: a retrained model takes over only when it ranks the latest
labelled rows better by the margin, and never on no evidence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.engine.model import TreeModel
from cardwatch.training.fit import fit_artifact
from cardwatch.training.model_choice import Promotion, challenge


def rows(seed: int, size: int = 3000) -> tuple[NDArray[np.float32], NDArray[np.int8]]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(size, len(FEATURES))).astype(np.float32)
    y = (x[:, 0] + 0.5 * rng.normal(size=size) > 1.8).astype(np.int8)
    return x, y


@pytest.fixture(scope="module")
def models() -> tuple[TreeModel, TreeModel]:
    """One model that reads the telling feature, one fitted without it."""
    x, y = rows(1)
    seeing = TreeModel.from_artifact(fit_artifact(x, y))
    blind = TreeModel.from_artifact(fit_artifact(x, y, ignored=(FEATURES[0],)))
    return seeing, blind


def test_a_better_challenger_is_promoted_and_a_worse_one_is_not(
    models: tuple[TreeModel, TreeModel],
) -> None:
    seeing, blind = models
    x, y = rows(2)  # rows neither model was fitted on
    better = challenge(blind, seeing, x, y, Promotion())
    assert better.promoted
    assert better.challenger_ap > better.champion_ap + 0.2
    worse = challenge(seeing, blind, x, y, Promotion())
    assert not worse.promoted
    assert "kept the champion" in worse.describe()


def test_an_equal_challenger_does_not_win_within_the_margin(
    models: tuple[TreeModel, TreeModel],
) -> None:
    seeing, _blind = models
    x, y = rows(3)
    same = challenge(seeing, seeing, x, y, Promotion(margin=0.01))
    assert same.challenger_ap == same.champion_ap
    assert not same.promoted
    assert challenge(seeing, seeing, x, y, Promotion(margin=0.0)).promoted


def test_no_evidence_keeps_a_champion_and_takes_a_first_model(
    models: tuple[TreeModel, TreeModel],
) -> None:
    seeing, blind = models
    x, y = rows(4)
    few = np.zeros_like(y)
    few[:3] = 1  # three frauds: below the ten a judgement needs
    kept = challenge(blind, seeing, x, few, Promotion())
    assert not kept.promoted
    assert math.isnan(kept.challenger_ap)
    assert challenge(None, seeing, x, few, Promotion()).promoted
    first = challenge(None, seeing, x, y, Promotion())
    assert first.promoted
    assert first.challenger_ap > 0.5


def test_ignored_features_are_never_split_on(models: tuple[TreeModel, TreeModel]) -> None:
    _seeing, blind = models
    assert all(0 not in tree[0] for tree in blind.trees)
    assert blind.features == FEATURES  # the artifact keeps every feature
