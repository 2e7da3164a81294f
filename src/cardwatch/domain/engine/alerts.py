"""Suspicious findings as messages, and alerts as people read them.

A :class:`Finding` is what the detect and analyze functions put on the suspicious
queue: JSON, money as a decimal string, the card as token and masked form, never a PAN.
The notify function turns it into an :class:`Alert`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cardwatch.domain.engine.decisions import Decision, Reason
from cardwatch.domain.transaction.record import Transaction

if TYPE_CHECKING:
    from cardwatch.domain.engine.assessment import Assessment

__all__ = [
    "SEVERITIES",
    "SUBJECT_LENGTH",
    "Alert",
    "Finding",
    "InvalidFinding",
    "finding_from_assessment",
    "sns_subject",
]


class InvalidFinding(ValueError):
    """A queued message that is not a finding (it goes, after retries, to the DLQ)."""


_SEVERITY = {Decision.BLOCK.value: "high", Decision.REVIEW.value: "medium"}
#: lowest first: an alert silences its own severity and the ones below it, never above
SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # "transaction" (detect) or "pattern" (analyze)
    finding_id: str  # transaction id, or pattern id with its window
    subject_key: str  # card token (or terminal/BIN for patterns): the cooldown key
    masked_card: str | None
    amount: str | None
    currency: str | None
    score: float
    decision: str
    reasons: tuple[dict[str, str], ...]
    detected_at: str
    terminal_id: str | None = None
    user_id: str | None = None
    details: dict[str, Any] | None = None
    #: a transaction's own time (its case orders its members by it)
    occurred_ms: int | None = None
    #: the merchant it was made at (its case is found by it), when the processor says
    merchant_id: str | None = None

    @property
    def severity(self) -> str:
        return _SEVERITY.get(self.decision, "low")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Finding:
        try:
            data = json.loads(text)
            data["reasons"] = tuple(data["reasons"])
            return cls(**data)
        except (ValueError, TypeError, KeyError) as error:
            raise InvalidFinding(f"message is not a finding: {error}") from None


def _reason(reason: Reason) -> dict[str, str]:
    said = {"code": reason.code, "detail": reason.detail, "source": reason.source}
    if reason.feature is not None and reason.value is not None:
        said |= {"feature": reason.feature, "value": f"{reason.value:.6g}"}
    return said


def finding_from_assessment(
    transaction: Transaction, assessment: Assessment, detected_at: str
) -> Finding:
    return Finding(
        kind="transaction",
        finding_id=transaction.transaction_id,
        subject_key=transaction.card.token,
        masked_card=transaction.card.masked,
        amount=str(transaction.amount),
        currency=transaction.currency,
        score=round(assessment.score, 4),
        decision=assessment.decision.value,
        reasons=tuple(_reason(r) for r in assessment.reasons),
        detected_at=detected_at,
        terminal_id=transaction.terminal_id,
        user_id=transaction.user_id,
        occurred_ms=transaction.timestamp_ms,
        merchant_id=_text(transaction.extras.get("merchant_id")),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Alert:
    """What the security team reads (e-mail) and downstream tools consume (queue)."""

    subject: str
    body: str
    severity: str
    #: what is checked: (subject, reason) at this alert's severity
    cooldown_keys: tuple[str, ...]
    finding: Finding
    #: what a sent alert starts: its keys at its own severity and every lower one, so a
    #: later lower finding is quiet and a later higher one is not
    silences: tuple[str, ...] = ()

    @classmethod
    def from_finding(
        cls, finding: Finding, console_url: str | None = None, case_id: str | None = None
    ) -> Alert:
        """The alert of ``finding``; it names its case (``case_id``, the one it opened
        or joined) in the analyst console at ``console_url`` (``#case=<id>`` opens it)."""
        first = finding.reasons[0]["code"] if finding.reasons else "SUSPICIOUS"
        if finding.kind == "transaction":
            subject = (
                f"[{finding.severity.upper()}] {first}: {finding.amount} "
                f"{finding.currency} on card {finding.masked_card}"
            )
        else:
            about = finding.masked_card or finding.terminal_id or finding.subject_key
            subject = f"[{finding.severity.upper()}] {first}: {about}"
        lines = [subject, "", f"score {finding.score:.2f}, decision {finding.decision}"]
        for label, value in (
            ("transaction", finding.finding_id if finding.kind == "transaction" else None),
            ("card", finding.masked_card),
            ("terminal", finding.terminal_id),
            ("user", finding.user_id),
            ("detected", finding.detected_at),
        ):
            if value:
                lines.append(f"{label}: {value}")
        lines += ["", "why:"] + [f"  - {r['code']}: {r['detail']}" for r in finding.reasons]
        if console_url and (case_id or finding.kind == "transaction"):
            case = quote(case_id or finding.finding_id, safe="")
            lines += ["", f"open the case: {console_url.rstrip('/')}/#case={case}"]
        shown = {k: v for k, v in (finding.details or {}).items() if k != "transaction_ids"}
        if shown:
            lines += ["", "details: " + json.dumps(shown, sort_keys=True)]
        topics = tuple(f"{finding.subject_key}#{reason['code']}" for reason in finding.reasons)
        topics = topics or (f"{finding.subject_key}#SUSPICIOUS",)
        severity = finding.severity
        rank = SEVERITIES.index(severity)
        return cls(
            sns_subject(subject),
            "\n".join(lines),
            severity,
            tuple(f"{key}@{severity}" for key in topics),
            finding,
            tuple(f"{key}@{lower}" for key in topics for lower in SEVERITIES[: rank + 1]),
        )


#: SNS refuses a Publish whose subject is longer than this.
SUBJECT_LENGTH = 100


def sns_subject(text: str) -> str:
    """``text`` as SNS takes a subject: ASCII, printable, on one line, at most 100
    characters. Built from reason codes, amounts and masked ids, it already is; this is
    the guarantee, so a subject can never make notify fail."""
    kept = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return kept[:SUBJECT_LENGTH] or "cardwatch alert"
