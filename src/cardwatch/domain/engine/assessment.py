"""What the engine says of one transaction: its score, decision, reasons and the features
it scored. Its own module, so that what only reads decisions (the alerts, notify) needs
neither it nor the feature list at run time."""

from __future__ import annotations

from dataclasses import dataclass

from cardwatch.domain.engine.decisions import Decision, Reason
from cardwatch.domain.engine.features import FEATURES

__all__ = ["Assessment"]


@dataclass(frozen=True, slots=True)
class Assessment:
    transaction_id: str
    score: float
    decision: Decision
    reasons: tuple[Reason, ...]
    model_score: float | None
    features: tuple[float, ...]
    #: the score the challenger in shadow would have given (None: no challenger)
    challenger_score: float | None = None

    @property
    def suspicious(self) -> bool:
        return self.decision is not Decision.APPROVE

    def feature(self, name: str) -> float:
        return self.features[FEATURES.index(name)]
