"""Fit the gradient-boosted trees with scikit-learn and export the JSON artifact that
:class:`cardwatch.domain.engine.model.TreeModel` scores in pure Python."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from cardwatch.domain.engine.features import FEATURES
from cardwatch.domain.engine.model import ARTIFACT_FORMAT

__all__ = ["TrainingSettings", "fit_artifact", "training_threads"]


def training_threads() -> int:
    """Threads a fit may use: ``CARDWATCH_THREADS``, else half the cores (at least one).

    OpenMP's threads wait for each other by spinning: with one per core, a core taken by
    another process stalls every step of the fit (10 to 40 times slower was measured).
    Leaving half the cores free keeps a busy neighbour from doing that.
    """
    configured = os.environ.get("CARDWATCH_THREADS", "").strip()
    if configured:
        return max(1, int(configured))
    return max(1, (os.cpu_count() or 1) // 2)


class TrainingSettings:
    """Model size and sampling; small trees keep pure-Python scoring fast."""

    max_iter = 60
    learning_rate = 0.1
    max_leaf_nodes = 15
    min_samples_leaf = 40
    l2_regularization = 1.0
    max_genuine = 100_000


def _export_tree(nodes: Any, shrinkage: float) -> dict[str, list[Any]]:
    leaf = nodes["is_leaf"].astype(bool)
    # Leaf values already carry the learning rate; inner values do not (they only serve
    # to explain a score), so scale them the same way.
    value = np.where(leaf, nodes["value"], nodes["value"] * shrinkage)
    return {
        "feature": np.where(leaf, -1, nodes["feature_idx"]).astype(int).tolist(),
        "threshold": [float(t) for t in nodes["num_threshold"]],
        "missing_left": nodes["missing_go_to_left"].astype(int).tolist(),
        "left": nodes["left"].astype(int).tolist(),
        "right": nodes["right"].astype(int).tolist(),
        "value": [float(v) for v in value],
    }


def fit_artifact(
    x: NDArray[np.float32],
    y: NDArray[np.int8],
    *,
    seed: int = 0,
    settings: TrainingSettings | None = None,
    note: dict[str, Any] | None = None,
    rows: NDArray[np.int64] | None = None,
    ignored: Sequence[str] = (),
    genuine_share: float = 1.0,
) -> dict[str, Any]:
    """Fit on ``x`` (rows in :data:`FEATURES` order) and ``y``; return the artifact.

    ``rows`` limits the fit to those rows of ``x`` and ``y`` without copying the rest;
    the ``ignored`` features are never split on (the artifact keeps every feature).
    Genuine rows beyond ``max_genuine`` are sampled away; the baseline is shifted by the
    log of the kept share, so probabilities stay calibrated to the full data.
    ``genuine_share``: the share of the genuine that ``y`` holds already (a training set
    drawn where the log is), counted into the kept share.
    """
    settings = settings or TrainingSettings()
    rng = np.random.default_rng(seed)
    candidates = np.arange(len(y)) if rows is None else rows
    labels = y[candidates]
    genuine = candidates[labels == 0]
    fraud = candidates[labels == 1]
    kept_share = genuine_share
    if len(genuine) > settings.max_genuine:
        kept_share *= settings.max_genuine / len(genuine)
        genuine = rng.choice(genuine, settings.max_genuine, replace=False)
    chosen = np.sort(np.concatenate([genuine, fraud]))
    classifier = HistGradientBoostingClassifier(
        max_iter=settings.max_iter,
        learning_rate=settings.learning_rate,
        max_leaf_nodes=settings.max_leaf_nodes,
        min_samples_leaf=settings.min_samples_leaf,
        l2_regularization=settings.l2_regularization,
        early_stopping=False,
        random_state=seed,
    )
    sample = x[chosen]
    # A feature the data never fills (no coordinates, say) cannot be binned; as a
    # constant it is simply never split on.
    sample[:, np.isnan(sample).all(axis=0)] = 0.0
    sample[:, [FEATURES.index(name) for name in ignored]] = 0.0
    with threadpool_limits(limits=training_threads()):
        classifier.fit(sample, y[chosen])
    baseline = float(np.ravel(classifier._baseline_prediction)[0]) + math.log(kept_share)
    trees = [
        _export_tree(predictors[0].nodes, settings.learning_rate)
        for predictors in classifier._predictors
    ]
    return {
        "format": ARTIFACT_FORMAT,
        "features": list(FEATURES),
        "baseline": baseline,
        "trees": trees,
        "metadata": {
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "rows": len(chosen),
            "frauds": len(fraud),
            "genuine_kept_share": kept_share,
            **(note or {}),
        },
    }
