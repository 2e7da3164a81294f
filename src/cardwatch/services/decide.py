"""The decision use case: parse, tokenize, score against the state as it is, store once
with the decision of record, answer it.

What a decision sees of others in flight is the engine's own protocol
(:meth:`~cardwatch.domain.engine.detection.Detector.prepare`): its card event and
first-visit claims are registered before the state is read, and it is scored as of the
moment it is made, so it counts every transaction registered before it reads, whatever
their timestamps. Of two decisions on one card at once, at least one sees the other, and
the last of a burst to read sees the whole burst. Nothing is counted here: the state
change is applied once, by the asynchronous path that every stored transaction takes
(:mod:`cardwatch.services.detect`), which takes this decision as it is and never scores
it again.

The order makes a retry safe: the id is claimed for this body first (a repeat or a
conflicting reuse of the id is never scored), then the transaction is scored, then it is
stored with its decision in one write. A request that stops before that write leaves its
card event registered, unapplied; its resend scores it again and stores it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from cardwatch.domain.engine.authorization import Authorization, Degraded
from cardwatch.domain.engine.detection import Detector
from cardwatch.domain.engine.features import observe
from cardwatch.domain.errors import DecidedAfterwards, TransactionConflict
from cardwatch.domain.ports import TransactionStore
from cardwatch.domain.transaction.currency import Rates
from cardwatch.domain.transaction.record import Transaction
from cardwatch.domain.transaction.validation import TransactionParser

__all__ = ["DecisionOutcome", "DecisionResult", "DecisionService"]


class DecisionOutcome(enum.Enum):
    CREATED = "created"
    REPEATED = "repeated"


@dataclass(frozen=True, slots=True)
class DecisionResult:
    outcome: DecisionOutcome
    transaction: Transaction
    authorization: Authorization


class DecisionService:
    """Answers ``POST /decisions``: the same body, contract and idempotency as ingest,
    and the decision in the answer."""

    def __init__(
        self,
        parser: TransactionParser,
        store: TransactionStore,
        detector: Detector,
        *,
        policy: Degraded = Degraded.OPEN,
        rules_version: str | None = None,
        rates: Rates | None = None,
        spread_by_bin: bool = False,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_degraded: Callable[[Exception], None] = lambda _error: None,
    ) -> None:
        self._parser = parser
        self._store = store
        self._detector = detector
        self._policy = policy
        self._rules_version = rules_version
        self._rates = rates
        self._spread_by_bin = spread_by_bin
        self._now = now
        self._on_degraded = on_degraded

    def decide(self, body: str | bytes) -> DecisionResult:
        transaction = self._parser.parse(body)
        fingerprint = transaction.fingerprint()
        made: list[Authorization] = []

        def decide_now() -> Authorization:
            made.append(self._authorize(transaction))
            return made[-1]

        existing = self._store.add(transaction, fingerprint, decide_now)
        if existing is None:
            return DecisionResult(DecisionOutcome.CREATED, transaction, made[-1])
        if existing.fingerprint != fingerprint:
            raise TransactionConflict(transaction.transaction_id)
        if existing.authorization is None:
            raise DecidedAfterwards(transaction.transaction_id)
        return DecisionResult(
            DecisionOutcome.REPEATED, existing.transaction, existing.authorization
        )

    def _authorize(self, transaction: Transaction) -> Authorization:
        """The engine's decision on ``transaction`` now; when the state cannot be
        registered or read (throttled, failing, unreachable), the policy's."""
        now = self._now()
        decided_at = now.isoformat(timespec="milliseconds")
        try:
            seen = observe(transaction, self._rates, with_bin=self._spread_by_bin)
            pending = self._detector.prepare(
                seen, int(now.timestamp() * 1000), at_authorization=True
            )
            if pending is None:  # applied, yet never stored: only a broken store says so
                raise RuntimeError("the state holds the transaction as applied")
        except Exception as error:
            self._on_degraded(error)
            return Authorization.by_policy(self._policy, self._rules_version, decided_at)
        assessment = pending.assessment
        return Authorization.scored(
            self._detector.record(assessment),
            assessment.reasons,
            self._rules_version,
            decided_at,
        )
