"""The Fraud Detection Handbook's measures: AUC ROC, average precision, card precision@k."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = ["HANDBOOK_BASELINES", "card_precision_at_k", "detection_metrics"]

#: The best published result on the handbook's simulated data (XGBoost after model
#: selection), on its test week.
HANDBOOK_BASELINES = {
    "handbook XGBoost (model selection)": {
        "auc_roc": 0.869,
        "average_precision": 0.687,
        "card_precision@100": 0.303,
    },
}


def card_precision_at_k(
    days: NDArray[np.int64],
    cards: Sequence[str],
    scores: NDArray[np.float64],
    labels: NDArray[np.int8],
    k: int = 100,
) -> float:
    """Per day: each card's highest score and whether it had a fraud; the share of
    frauds among the k highest cards; averaged over the days."""
    per_day: dict[int, dict[str, tuple[float, int]]] = defaultdict(dict)
    for day, card, score, label in zip(
        days.tolist(), cards, scores.tolist(), labels.tolist(), strict=True
    ):
        best, fraud = per_day[day].get(card, (-1.0, 0))
        per_day[day][card] = (max(best, score), max(fraud, label))
    precisions = []
    for cards_of_day in per_day.values():
        top = sorted(cards_of_day.values(), key=lambda pair: -pair[0])[:k]
        precisions.append(sum(fraud for _score, fraud in top) / k)
    return float(np.mean(precisions)) if precisions else float("nan")


def detection_metrics(
    days: NDArray[np.int64],
    cards: Sequence[str],
    scores: NDArray[np.float64],
    labels: NDArray[np.int8],
    k: int = 100,
) -> dict[str, float]:
    return {
        "auc_roc": float(roc_auc_score(labels, scores)),
        "average_precision": float(average_precision_score(labels, scores)),
        f"card_precision@{k}": card_precision_at_k(days, cards, scores, labels, k),
    }
