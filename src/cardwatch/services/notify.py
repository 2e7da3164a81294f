"""The notify use case: a finding opens or grows its case, and becomes an alert unless
the same one was just sent."""

from __future__ import annotations

import enum

from cardwatch.domain.engine.alerts import Alert, Finding
from cardwatch.domain.ports import AlertPublisher, CooldownStore
from cardwatch.services.case_work import CaseWork

__all__ = ["NotificationService", "NotifyOutcome"]


class NotifyOutcome(enum.Enum):
    SENT = "sent"
    SUPPRESSED = "suppressed"


class NotificationService:
    """Publishes each alert once per (card, reason) within the cooldown; a finding of
    higher severity than the one that started a cooldown is not held back by it.

    The cooldown is checked before and started after publishing: a crash in between
    sends an alert twice rather than never (no alert is lost).
    """

    def __init__(
        self,
        publisher: AlertPublisher,
        cooldown: CooldownStore,
        cooldown_seconds: int = 3600,
        console_url: str | None = None,
        cases: CaseWork | None = None,
    ) -> None:
        self._publisher = publisher
        self._cooldown = cooldown
        self._cooldown_ms = cooldown_seconds * 1000
        self._console_url = console_url
        self._cases = cases

    def notify(self, finding: Finding, now_ms: int) -> NotifyOutcome:
        """Open or grow the finding's case (every finding, quiet or not), then alert
        unless the cooldown holds it back; the alert links its case.

        An alert never waits on its case: when the case cannot be written (the table
        throttled, or failing), the alert goes out all the same, linking the
        transaction, and the failure is raised afterwards, so the finding is received
        again; the cooldown, started by the alert, keeps the second delivery quiet
        while its case is written."""
        case_id, failed = None, None
        if self._cases is not None:
            try:
                case_id = self._cases.open(finding, now_ms)
            except Exception as error:  # raised again once the alert is out
                failed = error
        outcome = self._alert(finding, now_ms, case_id)
        if failed is not None:
            raise failed
        return outcome

    def _alert(self, finding: Finding, now_ms: int, case_id: str | None) -> NotifyOutcome:
        alert = Alert.from_finding(finding, self._console_url, case_id)
        once = f"alert#{finding.finding_id}"
        if self._cooldown.active(once, now_ms) or all(
            self._cooldown.active(key, now_ms) for key in alert.cooldown_keys
        ):
            return NotifyOutcome.SUPPRESSED
        self._publisher.publish(alert)
        for key in (once, *alert.silences):
            self._cooldown.start(key, now_ms + self._cooldown_ms)
        return NotifyOutcome.SENT
