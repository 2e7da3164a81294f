"""What the engine can decide, and why: light enough for the functions that only read
decisions (notify, the alerts) to import without the engine."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Decision", "DecisionRecord", "Reason"]


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REVIEW = "review"
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    detail: str
    source: str  # "rule:<id>" or "model"
    #: for a model reason: the feature behind it and its value
    feature: str | None = None
    value: float | None = None


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """What detect decided, and what it scored: the features (by the engine's names;
    a missing value, NaN, is left out) and the model's version (``None``: rules only);
    with a challenger in shadow, its version and the score it would have given."""

    score: float
    decision: str
    reasons: tuple[str, ...]
    features: dict[str, float]
    model_version: str | None
    challenger_version: str | None = None
    challenger_score: float | None = None
