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
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from cardwatch.domain.engine.authorization import Authorization, Degraded
from cardwatch.domain.engine.detection import Detector
from cardwatch.domain.engine.features import observe
from cardwatch.domain.errors import DecidedAfterwards, StoreBusy, TransactionConflict
from cardwatch.domain.ports import TransactionStore
from cardwatch.domain.transaction.currency import Rates
from cardwatch.domain.transaction.record import Transaction
from cardwatch.domain.transaction.validation import TransactionParser

__all__ = ["DeadlineExceeded", "DecisionOutcome", "DecisionResult", "DecisionService"]

T = TypeVar("T")


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
        on_degraded: Callable[[BaseException], None] = lambda _error: None,
        unavailable: tuple[type[BaseException], ...] = (StoreBusy,),
        deadline_seconds: float | None = None,
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
        #: what the state store raises when it cannot answer (anything else is a fault,
        #: and fails the request: a bug never approves silently)
        self._unavailable: tuple[type[BaseException], ...] = (
            *unavailable,
            StoreBusy,
            DeadlineExceeded,
        )
        #: how long an answer waits for the state, at most (None: as long as its calls)
        self._deadline = deadline_seconds

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
        registered or read in time (throttled, failing, unreachable, slow), the
        policy's."""
        now = self._now()
        decided_at = now.isoformat(timespec="milliseconds")
        seen = observe(transaction, self._rates, with_bin=self._spread_by_bin)
        try:
            pending = self._within_deadline(
                lambda: self._detector.prepare(
                    seen, int(now.timestamp() * 1000), at_authorization=True
                )
            )
        except self._unavailable as error:
            self._on_degraded(error)
            hot = isinstance(error, StoreBusy) and error.hot
            return Authorization.by_policy(self._policy.when(hot), self._rules_version, decided_at)
        if pending is None:  # applied, yet never stored: only a broken store says so
            raise RuntimeError("the state holds an unstored transaction as applied")
        assessment = pending.assessment
        return Authorization.scored(
            self._detector.record(assessment),
            assessment.reasons,
            self._rules_version,
            decided_at,
        )

    def _within_deadline(self, work: Callable[[], T]) -> T:
        """``work``'s result, or :class:`DeadlineExceeded` once the deadline passed (the
        work goes on in its thread and ends with its calls' own timeouts; what it
        registers is the transaction's, which the asynchronous path registers anyway)."""
        if self._deadline is None:
            return work()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decision-state")
        try:
            return pool.submit(work).result(timeout=self._deadline)
        except FutureTimeout:
            raise DeadlineExceeded(self._deadline) from None
        finally:
            pool.shutdown(wait=False)


class DeadlineExceeded(TimeoutError):
    """The state did not answer within the decision's deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the detection state took longer than {seconds:g} s")
