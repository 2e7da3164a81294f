"""The detect use case: score a newly stored transaction, record it, queue it if suspicious.

The order makes redelivery safe and loses nothing: the decision is recorded before the
finding is queued, and the state change is applied last, whole and once. A retry after a
failure at any step repeats at most the queueing (the notifier's cooldown absorbs that)
and then completes the change; once the change is in, a redelivery finds it there and
stops.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cardwatch.domain.engine.alerts import finding_from_assessment
from cardwatch.domain.engine.detection import Assessment, Detector
from cardwatch.domain.engine.features import observe
from cardwatch.domain.ports import DecisionLog, FindingQueue
from cardwatch.domain.transaction.currency import Rates
from cardwatch.domain.transaction.record import Transaction

__all__ = ["DetectOutcome", "Detected", "DetectionService"]


class DetectOutcome(enum.Enum):
    APPROVED = "approved"
    QUEUED = "queued"
    ALREADY_SEEN = "already_seen"


@dataclass(frozen=True, slots=True)
class Detected:
    outcome: DetectOutcome
    assessment: Assessment | None = None
    #: Arrived past the lateness limit: scored against the state as it is, not added.
    late: bool = False


class DetectionService:
    def __init__(
        self,
        detector: Detector,
        decisions: DecisionLog,
        queue: FindingQueue,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rates: Rates | None = None,
        *,
        spread_by_bin: bool = False,
    ) -> None:
        self._rates = rates
        self._spread_by_bin = spread_by_bin
        self._detector = detector
        self._decisions = decisions
        self._queue = queue
        self._now = now

    def handle(self, transaction: Transaction) -> Detected:
        seen = observe(transaction, self._rates, with_bin=self._spread_by_bin)
        pending = self._detector.prepare(seen, self._now_ms())
        if pending is None:
            return Detected(DetectOutcome.ALREADY_SEEN)
        assessment = pending.assessment
        self._decisions.record_decision(transaction, self._detector.record(assessment))
        outcome = DetectOutcome.APPROVED
        if assessment.suspicious:
            detected_at = self._now().isoformat(timespec="seconds")
            self._queue.send(finding_from_assessment(transaction, assessment, detected_at))
            outcome = DetectOutcome.QUEUED
        self._detector.commit(pending)
        return Detected(outcome, assessment, pending.late)

    def _now_ms(self) -> int:
        return int(self._now().timestamp() * 1000)
