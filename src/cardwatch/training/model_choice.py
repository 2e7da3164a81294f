"""Champion and challenger: a retrained model takes over only when it ranks the most
recent labelled transactions better than the model in force, by a margin.

The challenger is fitted on the labels visible before the evaluation window and judged on
the window's transactions (their features as they were scored, their labels as known
now): it never sees the rows it is judged on, and the model promoted is the model judged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score

from cardwatch.domain.engine.model import TreeModel
from cardwatch.training.batch_scoring import raw_scores

__all__ = ["Challenge", "Promotion", "challenge"]

#: genuine rows a judgement scores at most (every fraud is kept; both models see the same)
_MAX_GENUINE = 20_000


@dataclass(frozen=True, slots=True)
class Promotion:
    """How a challenger wins: by ``margin`` of average precision on the last
    ``evaluation_days`` of labelled transactions, holding ``min_frauds`` frauds or more."""

    margin: float = 0.01
    evaluation_days: float = 14
    min_frauds: int = 10


@dataclass(frozen=True, slots=True)
class Challenge:
    champion_ap: float  # NaN: no model was in force
    challenger_ap: float
    rows: int
    frauds: int
    promoted: bool

    def describe(self) -> str:
        verdict = "promoted" if self.promoted else "kept the champion"
        return (
            f"challenger AP {self.challenger_ap:.3f} vs champion {self.champion_ap:.3f} "
            f"on {self.rows:,} rows ({self.frauds} frauds): {verdict}"
        )


def _average_precision(
    model: TreeModel,
    x: NDArray[np.float32],
    y: NDArray[np.int8],
    weights: NDArray[np.float32] | None = None,
) -> float:
    return float(average_precision_score(y, raw_scores(model, x), sample_weight=weights))


def challenge(
    champion: TreeModel | None,
    challenger: TreeModel,
    x: NDArray[np.float32],
    y: NDArray[np.int8],
    promotion: Promotion,
    *,
    seed: int = 0,
    weights: NDArray[np.float32] | None = None,
) -> Challenge:
    """Judge ``challenger`` against ``champion`` on the rows ``x`` labelled ``y``
    (``weights``: how many rows each stands for, a drawn training set's)."""
    frauds = int(y.sum())
    if frauds < promotion.min_frauds or frauds == len(y):
        # no evidence either way: a first model is taken, a champion stays
        return Challenge(math.nan, math.nan, len(y), frauds, promoted=champion is None)
    genuine = np.flatnonzero(y == 0)
    drawn = 1.0  # the share of the genuine judged
    if len(genuine) > _MAX_GENUINE:
        drawn = _MAX_GENUINE / len(genuine)
        genuine = np.random.default_rng(seed).choice(genuine, _MAX_GENUINE, replace=False)
    rows = np.sort(np.concatenate([genuine, np.flatnonzero(y == 1)]))
    x, y = x[rows], y[rows]
    if weights is not None:  # a weighted set: the genuine judged stand for all of them
        weights = weights[rows] / np.where(y == 0, drawn, 1.0).astype(np.float32)
    challenger_ap = _average_precision(challenger, x, y, weights)
    if champion is None:
        return Challenge(math.nan, challenger_ap, len(y), frauds, promoted=True)
    champion_ap = _average_precision(champion, x, y, weights)
    promoted = challenger_ap >= champion_ap + promotion.margin
    return Challenge(champion_ap, challenger_ap, len(y), frauds, promoted)
