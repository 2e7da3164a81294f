"""The Fraud Detection Handbook's measures: AUC ROC, average precision, card precision@k."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score, roc_auc_score

from cardwatch.simulation.handbook import SimulationSettings
from cardwatch.simulation.labelled_file import LabelledHistory

__all__ = [
    "HANDBOOK_BASELINES",
    "HANDBOOK_PROTOCOL",
    "HANDBOOK_TEST_DAYS",
    "card_precision_at_k",
    "detection_metrics",
    "handbook_comparable",
    "handbook_world",
]

#: The best published result on the handbook's simulated data (XGBoost after model
#: selection), on its test week. Figures of that world and that protocol: printed beside
#: a backtest only when both match (:func:`handbook_comparable`).
HANDBOOK_BASELINES = {
    "handbook XGBoost (model selection)": {
        "auc_roc": 0.869,
        "average_precision": 0.687,
        "card_precision@100": 0.303,
    },
}
#: How the handbook measured them, said beside them.
HANDBOOK_PROTOCOL = (
    "the handbook's model-selection protocol: hyperparameters chosen by prequential "
    "validation, one model trained on a week of labelled transactions and tested on a "
    "week that starts a week after its training ends, on the handbook's own data"
)
#: The handbook's test period, in days.
HANDBOOK_TEST_DAYS = 7
#: A simulated world's customers and terminals may fall short of the settings by this
#: share: a customer with no terminal in reach, or no transaction in the period, and a
#: terminal no customer reaches, leave no row.
_SHAPE_SLACK = 0.05


def _about(count: int, published: int) -> bool:
    return published * (1 - _SHAPE_SLACK) <= count <= published


def handbook_world(history: LabelledHistory) -> bool:
    """Whether ``history`` has the shape of the handbook's simulated world at its
    published size (the simulator's defaults): as many customers and terminals, the
    same first day and number of days, and the handbook's columns only (no processor
    fields, coordinates or offsets, which its world does not have)."""
    world = SimulationSettings()
    if not len(history) or history.extras or history.latitudes or history.utc_offsets:
        return False
    days = history.days
    first = np.datetime64(int(days.min()), "D").astype(date)
    return (
        first == date.fromisoformat(world.start)
        and int(days.max() - days.min()) + 1 == world.days
        and _about(len(set(history.users)), world.customers)
        and _about(len(set(history.terminals)), world.terminals)
    )


def handbook_comparable(history: LabelledHistory, test_days: int) -> bool:
    """Whether the handbook's published figures may be printed beside a backtest of
    ``history`` measured on its last ``test_days``: the handbook's world, a week's test."""
    return test_days == HANDBOOK_TEST_DAYS and handbook_world(history)


def card_precision_at_k(
    days: NDArray[np.int64],
    cards: Sequence[str],
    scores: NDArray[np.float64],
    labels: NDArray[np.int8],
    k: int = 100,
) -> float:
    """The handbook's card precision top-k: per day, each card's highest score and
    whether it had a fraud; the share of frauds among the k highest cards; averaged over
    the days. A card found compromised in a day's top k is known from then on: it is
    left out of the later days' lists (as the handbook counts, so a card caught once
    is not counted again)."""
    per_day: dict[int, dict[str, tuple[float, int]]] = defaultdict(dict)
    for day, card, score, label in zip(
        days.tolist(), cards, scores.tolist(), labels.tolist(), strict=True
    ):
        best, fraud = per_day[day].get(card, (-1.0, 0))
        per_day[day][card] = (max(best, score), max(fraud, label))
    precisions = []
    detected: set[str] = set()
    for day in sorted(per_day):
        ranked = sorted(
            ((card, pair) for card, pair in per_day[day].items() if card not in detected),
            key=lambda item: -item[1][0],
        )[:k]
        found = [card for card, (_score, fraud) in ranked if fraud]
        precisions.append(len(found) / k)
        detected.update(found)
    return float(np.mean(precisions)) if precisions else float("nan")


def detection_metrics(
    days: NDArray[np.int64],
    cards: Sequence[str],
    scores: NDArray[np.float64],
    labels: NDArray[np.int8],
    k: int = 100,
) -> dict[str, float]:
    """AUC ROC and average precision (NaN when the labels are all of one kind: neither
    is defined then), and card precision@k."""
    ranked = 0 < int(labels.sum()) < len(labels)
    return {
        "auc_roc": float(roc_auc_score(labels, scores)) if ranked else math.nan,
        "average_precision": float(average_precision_score(labels, scores)) if ranked else math.nan,
        f"card_precision@{k}": card_precision_at_k(days, cards, scores, labels, k),
    }
