"""The pure-Python scorer agrees with scikit-learn on the model it exported."""

import os

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_info

from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.engine.model import TreeModel
from cardwatch.domain.engine.model_store import default_model
from cardwatch.training.fit import TrainingSettings, fit_artifact, training_threads


def test_exported_trees_score_like_scikit_learn() -> None:
    # GIVEN data with missing values and a learnable signal
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, len(FEATURES))).astype(np.float32)
    x[rng.random(x.shape) < 0.1] = np.nan
    y = (np.nan_to_num(x[:, 0]) + np.nan_to_num(x[:, 3]) > 1.5).astype(np.int8)
    # WHEN the artifact is fitted and a reference classifier is fitted the same way
    artifact = fit_artifact(x, y, seed=1)
    settings = TrainingSettings()
    reference = HistGradientBoostingClassifier(
        max_iter=settings.max_iter,
        learning_rate=settings.learning_rate,
        max_leaf_nodes=settings.max_leaf_nodes,
        min_samples_leaf=settings.min_samples_leaf,
        l2_regularization=settings.l2_regularization,
        early_stopping=False,
        random_state=1,
    ).fit(x, y)
    # THEN the JSON model's probabilities are scikit-learn's
    model = TreeModel.from_artifact(artifact)
    ours = [model.probability([float(v) for v in row]) for row in x[:500]]
    assert ours == pytest.approx(reference.predict_proba(x[:500])[:, 1].tolist(), abs=1e-6)


def test_genuine_sampling_keeps_probabilities_calibrated() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20_000, len(FEATURES))).astype(np.float32)
    y = (rng.random(20_000) < 0.02).astype(np.int8)

    class Small(TrainingSettings):
        max_genuine = 2_000

    model = TreeModel.from_artifact(fit_artifact(x, y, settings=Small()))
    mean = np.mean([model.probability([float(v) for v in row]) for row in x[:2000]])
    assert mean == pytest.approx(0.02, abs=0.015)


def test_the_shipped_model_loads_and_scores() -> None:
    model = default_model()
    assert model.features == FEATURES
    assert 0 <= model.probability([0.0] * len(FEATURES)) <= 1


def test_a_fit_uses_no_more_threads_than_it_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a limit of one thread, and a fit that reports the OpenMP threads it may use
    seen: list[int] = []
    real_fit = HistGradientBoostingClassifier.fit

    def fit(self: HistGradientBoostingClassifier, *args: object, **kwargs: object) -> object:
        seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp")
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(HistGradientBoostingClassifier, "fit", fit)
    monkeypatch.setenv("CARDWATCH_THREADS", "1")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, len(FEATURES))).astype(np.float32)
    y = (x[:, 0] > 1).astype(np.int8)
    # WHEN it is fitted
    fit_artifact(x, y)
    # THEN OpenMP was held to one thread (scikit-learn's own pool is OpenMP)
    assert seen and set(seen) == {1}
    # AND without a setting, half the cores (at least one) are used
    monkeypatch.delenv("CARDWATCH_THREADS")
    assert training_threads() == max(1, (os.cpu_count() or 1) // 2)
