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
from cardwatch.domain.engine.authorization import Authorization
from cardwatch.domain.engine.detection import Assessment, Detector
from cardwatch.domain.engine.features import Observation, observe
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
    #: Decided at authorization time (``POST /decisions``): taken as it was, not scored.
    decided: bool = False


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

    def handle(
        self, transaction: Transaction, authorization: Authorization | None = None
    ) -> Detected:
        """Score ``transaction``, or, when ``POST /decisions`` scored it
        (``authorization``, not degraded), take that decision of record as it is: its
        state change is applied once and its finding queued, and nothing is scored or
        recorded again. A degraded answer was no score: the transaction is scored here
        like any other."""
        seen = observe(transaction, self._rates, with_bin=self._spread_by_bin)
        if authorization is not None and authorization.degraded is None:
            return self._settle(transaction, seen, authorization)
        pending = self._detector.prepare(seen, self._now_ms())
        if pending is None:
            return Detected(DetectOutcome.ALREADY_SEEN)
        assessment = pending.assessment
        self._decisions.record_decision(transaction, self._detector.record(assessment))
        outcome = self._queue_if_suspicious(transaction, assessment)
        self._detector.commit(pending)
        return Detected(outcome, assessment, pending.late)

    def _settle(
        self, transaction: Transaction, seen: Observation, authorization: Authorization
    ) -> Detected:
        """The decided transaction's change and finding. A redelivery after the change
        was applied may queue its finding again (the notifier's cooldown keeps the
        alert to one) and changes nothing."""
        assessment = Assessment(
            transaction.transaction_id,
            authorization.score or 0.0,
            authorization.decision,
            authorization.reasons,
            None,
            (),
        )
        # late or not as of its decision: what the decision registered is applied
        pending = self._detector.settle(seen, assessment, _ms(authorization.decided_at))
        outcome = self._queue_if_suspicious(transaction, assessment)
        if pending.change is not None and not self._detector.commit(pending):
            return Detected(DetectOutcome.ALREADY_SEEN, assessment)
        return Detected(outcome, assessment, pending.late, decided=True)

    def _queue_if_suspicious(
        self, transaction: Transaction, assessment: Assessment
    ) -> DetectOutcome:
        if not assessment.suspicious:
            return DetectOutcome.APPROVED
        detected_at = self._now().isoformat(timespec="seconds")
        self._queue.send(finding_from_assessment(transaction, assessment, detected_at))
        return DetectOutcome.QUEUED

    def _now_ms(self) -> int:
        return int(self._now().timestamp() * 1000)


def _ms(moment: str) -> int:
    """An ISO 8601 time in epoch milliseconds."""
    return int(datetime.fromisoformat(moment).timestamp() * 1000)
