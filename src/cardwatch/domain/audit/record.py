"""One audit record (PCI DSS v4 10.2: user and administrator actions): who, what, when,
before and after.

Every privileged act leaves one: a label, a rules publish, a model publish, promotion,
shadowing or rollback (by a person or by the retrain function), a DLQ redrive. A record
is appended once and never changed: its key is made from the act itself (its time and
what it acted on), so recording the same act again, as a retry does, finds the record
there and changes nothing.

Records are kept by month (the partition) and time within it (the sort key), so a
period is read by a query per month, never a scan. Before and after are digests or
short values (a pointer's champion, a label's verdict), never card data: the screen
refuses card numbers everywhere they could come from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["ACTIONS", "KEPT_DAYS", "AuditRecord", "months_between"]

#: How long the log archive keeps a line: 400 days, a year and the margin PCI DSS
#: 10.5.1 asks for (an audit record is kept until an operator removes it).
KEPT_DAYS = 400

#: The acts recorded, by name.
ACTIONS = (
    "label",
    "rules.publish",
    "rules.rollback",
    "model.publish",
    "model.promote",
    "model.shadow",
    "model.rollback",
    "dlq.redrive",
    "case.assign",
    "case.unassign",
    "case.close",
    "case.reopen",
)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    #: who: an API key's id, an IAM principal's ARN (and the person at the terminal), a
    #: function's name
    actor: str
    action: str
    #: what it acted on: a transaction id, a parameter, a model version, a queue
    target: str
    #: when, ISO 8601 UTC with milliseconds (what the act itself says, so a retry of the
    #: same act makes the same record)
    at: str
    before: str = ""
    after: str = ""
    #: anything else worth reading later (a note, a reason), short
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"not an audited action: {self.action}")
        datetime.fromisoformat(self.at)  # refuses anything that is not a time

    @property
    def month(self) -> str:
        """The partition: ``YYYY-MM`` of :attr:`at`."""
        return self.at[:7]

    @property
    def entry(self) -> str:
        """The sort key: time, act and target (unique per act)."""
        return f"{self.at}#{self.action}#{self.target}"

    def to_item(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "entry": self.entry,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "at": self.at,
            "before": self.before,
            "after": self.after,
            "detail": dict(self.detail),
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> AuditRecord:
        return cls(
            str(item["actor"]),
            str(item["action"]),
            str(item["target"]),
            str(item["at"]),
            str(item.get("before", "")),
            str(item.get("after", "")),
            dict(item.get("detail") or {}),
        )

    @staticmethod
    def moment(epoch_ms: int | None = None) -> str:
        """``epoch_ms`` (default: now) as a record's time."""
        when = (
            datetime.now(UTC) if epoch_ms is None else datetime.fromtimestamp(epoch_ms / 1000, UTC)
        )
        return when.isoformat(timespec="milliseconds")


def months_between(start: str, end: str) -> list[str]:
    """Every ``YYYY-MM`` from ``start``'s month to ``end``'s (ISO times), in order."""
    year, month = int(start[:4]), int(start[5:7])
    last = (int(end[:4]), int(end[5:7]))
    found = []
    while (year, month) <= last:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found
