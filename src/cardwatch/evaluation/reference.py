"""A reference to hold the engine against: a larger gradient-boosted model, fitted
once at the start of the test days on every label visible then, given the engine's
point-in-time features *and* the processor's raw fields as categories.

It is what a team could do offline with no limit on model size or scoring speed; the
engine's own model must stay small enough to score in pure Python within detect. The
ratio of their average precisions on the test days says what the engine leaves behind.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score
from threadpoolctl import threadpool_limits

from cardwatch.domain.engine.state import DAY_MS
from cardwatch.simulation.labelled_file import LabelledHistory
from cardwatch.training.fit import training_threads

__all__ = ["CATEGORY_COLUMNS", "reference_average_precision"]

#: raw fields the reference takes as categories (when the file has them)
CATEGORY_COLUMNS = ("channel", "merchant_category_code", "country", "currency")


def _codes(texts: list[str]) -> NDArray[np.float32]:
    values = {text: float(index) for index, text in enumerate(sorted(set(texts)))}
    return np.asarray([values[text] if text else np.nan for text in texts], dtype=np.float32)


def reference_average_precision(
    history: LabelledHistory,
    features: NDArray[np.float32],
    test: NDArray[np.bool_],
    label_delay_days: float,
    seeds: tuple[int, ...] = (0, 1, 2),
) -> float:
    """The reference's average precision on the ``test`` rows (mean over ``seeds``)."""
    start = int(history.timestamp_ms[test].min())
    visible = (~test) & (history.timestamp_ms + int(label_delay_days * DAY_MS) <= start)
    columns = [features]
    categorical = [False] * features.shape[1]
    for name in CATEGORY_COLUMNS:
        if name in history.extras:
            columns.append(_codes(history.extras[name])[:, None])
            categorical.append(True)
    x = np.hstack(columns)
    x[:, np.isnan(x).all(axis=0)] = 0.0  # a column the file never fills cannot be binned
    y = history.labels
    if y[visible].sum() == 0 or y[test].sum() == 0:
        return float("nan")
    scores = []
    for seed in seeds:
        model = HistGradientBoostingClassifier(
            max_iter=300,
            learning_rate=0.05,
            max_leaf_nodes=31,
            categorical_features=np.asarray(categorical),
            early_stopping=False,
            random_state=seed,
        )
        with threadpool_limits(limits=training_threads()):
            model.fit(x[visible], y[visible])
            predicted = model.predict_proba(x[test])[:, 1]
        scores.append(average_precision_score(y[test], predicted))
    return float(np.mean(scores))
