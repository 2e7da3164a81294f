"""The detect use case: score a newly stored transaction, record it, queue it if suspicious.

The order makes redelivery safe and loses nothing: the decision is recorded before the
finding is queued, and the profiles are updated last. A retry after a failure at any
step repeats at most the queueing (the notifier's cooldown absorbs that), never the
learning.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime

from cardwatch.domain.alerts import finding_from_assessment
from cardwatch.domain.detection import Assessment, Detector
from cardwatch.domain.ports import DecisionLog, FindingQueue
from cardwatch.domain.transaction import Transaction

__all__ = ["DetectOutcome", "DetectionService"]


class DetectOutcome(enum.Enum):
    APPROVED = "approved"
    QUEUED = "queued"
    ALREADY_SEEN = "already_seen"


class DetectionService:
    def __init__(
        self,
        detector: Detector,
        decisions: DecisionLog,
        queue: FindingQueue,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._detector = detector
        self._decisions = decisions
        self._queue = queue
        self._now = now

    def handle(self, transaction: Transaction) -> tuple[DetectOutcome, Assessment | None]:
        pending = self._detector.prepare(transaction.observation())
        if pending is None:
            return DetectOutcome.ALREADY_SEEN, None
        assessment = pending.assessment
        self._decisions.record_decision(
            transaction,
            assessment.score,
            assessment.decision.value,
            [reason.code for reason in assessment.reasons],
        )
        outcome = DetectOutcome.APPROVED
        if assessment.suspicious:
            detected_at = self._now().isoformat(timespec="seconds")
            self._queue.send(finding_from_assessment(transaction, assessment, detected_at))
            outcome = DetectOutcome.QUEUED
        self._detector.commit(pending)
        return outcome, assessment
