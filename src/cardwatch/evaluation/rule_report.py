"""What each rule adds to the model: its hits, their precision, and the average precision
the scores would have without it (a rule that lowers it does not earn its place)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import average_precision_score

from cardwatch.domain.engine.rules import Policy

__all__ = ["RuleEffect", "combined_scores", "rule_effects"]


@dataclass(frozen=True, slots=True)
class RuleEffect:
    rule_id: str
    hits: int
    frauds: int
    average_precision_without: float
    average_precision_change: float  # with the rule minus without it

    @property
    def precision(self) -> float:
        return self.frauds / self.hits if self.hits else float("nan")


def combined_scores(
    model_scores: NDArray[np.float64], rule_hits: NDArray[np.int64], weights: list[float]
) -> NDArray[np.float64]:
    """:func:`~cardwatch.domain.engine.rules.combine` over arrays: the model's scores and the
    rules whose bits are set (a test holds the two to the same numbers)."""
    keep = 1.0 - np.nan_to_num(model_scores, nan=0.0)
    for bit, weight in enumerate(weights):
        fired = (rule_hits >> bit) & 1 == 1
        keep = np.where(fired, keep * (1.0 - weight), keep)
    return 1.0 - keep


def _ap(labels: NDArray[np.int8], scores: NDArray[np.float64]) -> float:
    return float(average_precision_score(labels, scores)) if labels.any() else float("nan")


def rule_effects(
    policy: Policy,
    model_scores: NDArray[np.float64],
    rule_hits: NDArray[np.int64],
    labels: NDArray[np.int8],
) -> tuple[float, float, list[RuleEffect]]:
    """AP of the model alone, AP with every rule, and each rule's effect (rows given are
    the ones measured, the test days say)."""
    weights = [rule.weight for rule in policy.rules]
    with_all = _ap(labels, combined_scores(model_scores, rule_hits, weights))
    model_alone = _ap(labels, combined_scores(model_scores, rule_hits, [0.0] * len(weights)))
    effects = []
    for bit, rule in enumerate(policy.rules):
        fired = (rule_hits >> bit) & 1 == 1
        without = list(weights)
        without[bit] = 0.0
        ap_without = _ap(labels, combined_scores(model_scores, rule_hits, without))
        effects.append(
            RuleEffect(
                rule.id,
                int(fired.sum()),
                int(labels[fired].sum()),
                ap_without,
                with_all - ap_without,
            )
        )
    return model_alone, with_all, effects
