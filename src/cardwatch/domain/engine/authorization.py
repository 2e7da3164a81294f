"""The answer a payment gets at authorization time, and what a processor does with it.

``POST /decisions`` scores a transaction before it is paid and answers one of three
actions; the answer is stored with the transaction as its decision of record, so the
case, the review queue, the alert and retraining all carry what the processor was told.

When the detection state cannot be read, no score is possible: the deployment's
:class:`Degraded` policy answers instead (fail-open approves, fail-closed declines), the
answer says so, and the transaction is scored after the fact like any other.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cardwatch.domain.engine.decisions import Decision, DecisionRecord, Reason

__all__ = ["ACTIONS", "Authorization", "Degraded", "Outcomes"]

#: What a processor does with each decision.
ACTIONS: Mapping[Decision, str] = {
    Decision.APPROVE: "approve: authorize the payment",
    Decision.REVIEW: "step up: challenge the cardholder (3-D Secure), or hold for review",
    Decision.BLOCK: "decline the payment",
}


class Degraded(enum.StrEnum):
    """What a decision answers when the detection state is unavailable."""

    #: approve: a payment is not refused because the fraud engine is down
    OPEN = "fail-open"
    #: decline: nothing is paid that was not scored
    CLOSED = "fail-closed"
    #: step up: the state was throttled (a key too hot to read is what a burst on one
    #: card, terminal or device makes), so fail-open challenges rather than approves
    HOT = "hot-key-review"

    @property
    def decision(self) -> Decision:
        return {
            Degraded.OPEN: Decision.APPROVE,
            Degraded.CLOSED: Decision.BLOCK,
            Degraded.HOT: Decision.REVIEW,
        }[self]

    @classmethod
    def parse(cls, text: str) -> Degraded:
        """A deployment's setting: fail-open or fail-closed."""
        chosen = text.strip().lower()
        if chosen not in (cls.OPEN.value, cls.CLOSED.value):
            raise ValueError("degraded policy must be one of fail-open, fail-closed")
        return cls(chosen)

    def when(self, hot: bool) -> Degraded:
        """The policy that answers: fail-open steps up when a key was throttled."""
        return Degraded.HOT if hot and self is Degraded.OPEN else self


@dataclass(frozen=True, slots=True)
class Authorization:
    """What ``POST /decisions`` answered for one transaction.

    ``record`` is the decision as the decision log keeps it (features, model, shadow
    score); ``None`` for a degraded answer, which no engine scored.
    """

    decision: Decision
    score: float | None
    reasons: tuple[Reason, ...]
    model_version: str | None
    rules_version: str | None
    decided_at: str
    record: DecisionRecord | None = None
    #: the policy that answered (None: the engine did)
    degraded: Degraded | None = None

    @classmethod
    def scored(
        cls,
        record: DecisionRecord,
        reasons: tuple[Reason, ...],
        rules_version: str | None,
        decided_at: str,
    ) -> Authorization:
        return cls(
            Decision(record.decision),
            record.score,
            reasons,
            record.model_version,
            rules_version,
            decided_at,
            record,
        )

    @classmethod
    def by_policy(
        cls, policy: Degraded, rules_version: str | None, decided_at: str
    ) -> Authorization:
        reason = Reason(
            "STATE_THROTTLED" if policy is Degraded.HOT else "ENGINE_UNAVAILABLE",
            f"the detection state could not be read in time; the {policy.value} policy answered",
            "policy",
        )
        return cls(policy.decision, None, (reason,), None, rules_version, decided_at, None, policy)

    def answer(self, transaction_id: str) -> dict[str, Any]:
        """The JSON body a processor reads."""
        body: dict[str, Any] = {
            "transaction_id": transaction_id,
            "decision": self.decision.value,
            "action": ACTIONS[self.decision],
            "score": None if self.score is None else round(self.score, 4),
            "reasons": [{"code": r.code, "detail": r.detail} for r in self.reasons],
            "model_version": self.model_version,
            "rules_version": self.rules_version,
            "decided_at": self.decided_at,
            "degraded": self.degraded is not None,
        }
        if self.degraded is not None:
            body["policy"] = self.degraded.value
        return body

    def to_record(self) -> dict[str, Any]:
        """As the transaction's item keeps it (numbers as Decimal)."""
        record: dict[str, Any] = {
            "decision": self.decision.value,
            "reasons": [_reason_record(reason) for reason in self.reasons],
            "decided_at": self.decided_at,
        }
        optional = {
            "score": None if self.score is None else Decimal(f"{self.score:.9g}"),
            "model_version": self.model_version,
            "rules_version": self.rules_version,
            "policy": None if self.degraded is None else self.degraded.value,
        }
        return record | {key: value for key, value in optional.items() if value is not None}

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Authorization:
        """The inverse of :meth:`to_record` (the decision log's record is not kept
        twice: it is the item's own decision attributes)."""
        policy = record.get("policy")
        score = record.get("score")
        return cls(
            Decision(str(record["decision"])),
            None if score is None else float(score),
            tuple(_reason_of(entry) for entry in record.get("reasons", [])),
            _text(record.get("model_version")),
            _text(record.get("rules_version")),
            str(record.get("decided_at", "")),
            None,
            None if policy is None else Degraded(str(policy)),
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _reason_record(reason: Reason) -> dict[str, Any]:
    record: dict[str, Any] = {"code": reason.code, "detail": reason.detail, "source": reason.source}
    if reason.feature is not None and reason.value is not None and math.isfinite(reason.value):
        record |= {"feature": reason.feature, "value": Decimal(f"{reason.value:.9g}")}
    return record


def _reason_of(record: Mapping[str, Any]) -> Reason:
    value = record.get("value")
    return Reason(
        str(record["code"]),
        str(record.get("detail", "")),
        str(record.get("source", "")),
        _text(record.get("feature")),
        None if value is None else float(value),
    )


@dataclass(frozen=True, slots=True)
class Outcomes:
    """What the answers at authorization time did to a stream of payments: the shares
    approved, challenged (review) and declined (block), and of the frauds, how many
    were stopped in their own answer (challenged or declined), how many only after the
    fact (approved, but a later payment on the same card was challenged or declined,
    which is when the card is stopped), and how many were missed."""

    payments: int
    approved: int
    challenged: int
    declined: int
    frauds: int = 0
    fraud_at_authorization: int = 0
    fraud_after_the_fact: int = 0

    @property
    def fraud_missed(self) -> int:
        return self.frauds - self.fraud_at_authorization - self.fraud_after_the_fact

    @classmethod
    def tally(cls, answers: Iterable[tuple[str, bool, Decision]]) -> Outcomes:
        """``answers``: (card, fraud or not, decision) in time order."""
        rows = list(answers)
        counts = Counter(decision for _card, _fraud, decision in rows)
        flagged_after: set[str] = set()  # cards with a flagged payment later on
        after = at_authorization = frauds = 0
        for card, fraud, decision in reversed(rows):
            if fraud:
                frauds += 1
                if decision is not Decision.APPROVE:
                    at_authorization += 1
                elif card in flagged_after:
                    after += 1
            if decision is not Decision.APPROVE:
                flagged_after.add(card)
        return cls(
            len(rows),
            counts[Decision.APPROVE],
            counts[Decision.REVIEW],
            counts[Decision.BLOCK],
            frauds,
            at_authorization,
            after,
        )

    def as_dict(self) -> dict[str, Any]:
        def share(part: int, whole: int) -> float | None:
            return round(part / whole, 6) if whole else None

        return {
            "payments": self.payments,
            "share_approved": share(self.approved, self.payments),
            "share_challenged": share(self.challenged, self.payments),
            "share_declined": share(self.declined, self.payments),
            "frauds": self.frauds,
            "fraud_stopped_at_authorization": self.fraud_at_authorization,
            "fraud_stopped_after_the_fact": self.fraud_after_the_fact,
            "fraud_missed": self.fraud_missed,
            "share_of_fraud_stopped_at_authorization": share(
                self.fraud_at_authorization, self.frauds
            ),
        }
