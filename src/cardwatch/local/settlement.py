"""Whether what a replay sent has gone through the local pipeline, read where AWS's
own tools would read it: each accepted transaction is *assessed* once its item holds a
decision (detect's, or the one made at authorization), and each suspicious one has
*left notify* once its finding's case marker is written (notify opens or grows the
case before it alerts, and whether or not the cooldown keeps the alert quiet).

Reads are batched (``BatchGetItem``, 100 keys a call, unprocessed keys asked again at
the next look) and only what is still pending is asked for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from cardwatch.adapters.dynamodb_cases import finding_marker
from cardwatch.adapters.dynamodb_store import to_attributes

__all__ = ["Settled", "Settlement"]

#: BatchGetItem's most keys a call.
_BATCH = 100


@dataclass(slots=True)
class Settled:
    accepted: int = 0
    assessed: int = 0
    suspicious: int = 0
    notified: int = 0
    seconds: float = 0.0

    @property
    def in_flight(self) -> int:
        """Transactions not yet assessed, and suspicious ones notify has not handled."""
        return (self.accepted - self.assessed) + (self.suspicious - self.notified)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "assessed": self.assessed,
            "suspicious": self.suspicious,
            "notified": self.notified,
            "in_flight": self.in_flight,
            "waited_seconds": round(self.seconds, 1),
        }


@dataclass(slots=True)
class Settlement:
    """Follows ``accepted`` (transaction id -> its timestamp in epoch milliseconds)
    through the transactions table and the cases table."""

    dynamodb: Any
    table: str
    cases_table: str
    accepted: dict[str, int]
    _undecided: set[str] = field(init=False)
    _unnotified: set[str] = field(init=False)
    state: Settled = field(init=False)

    def __post_init__(self) -> None:
        self._undecided = set(self.accepted)
        self._unnotified = set()
        self.state = Settled(accepted=len(self.accepted))

    def wait(
        self, timeout: float, every: float = 0.5, progress: Callable[[Settled], None] | None = None
    ) -> Settled:
        """Look until every accepted transaction is assessed and every suspicious one has
        left notify, or ``timeout`` seconds pass; what is left is ``in_flight``."""
        started = time.monotonic()
        while True:
            self.look()
            self.state.seconds = time.monotonic() - started
            if progress is not None:
                progress(self.state)
            if self.state.in_flight == 0 or self.state.seconds >= timeout:
                return self.state
            time.sleep(every)

    def look(self) -> None:
        """One look at what is pending."""
        if self._undecided:
            keys = [self._transaction_key(tx) for tx in sorted(self._undecided)]
            for item in self._get(self.table, keys, "transaction_id, decision"):
                if "decision" not in item:
                    continue
                tx = item["transaction_id"]["S"]
                self._undecided.discard(tx)
                self.state.assessed += 1
                if item["decision"]["S"] != "approve":
                    self._unnotified.add(tx)
                    self.state.suspicious += 1
        if self._unnotified:
            keys = [finding_marker(tx) for tx in sorted(self._unnotified)]
            for item in self._get(self.cases_table, keys, "case_id"):
                self._unnotified.discard(item["case_id"]["S"].partition("#")[2])
                self.state.notified += 1

    def _transaction_key(self, transaction_id: str) -> dict[str, Any]:
        return to_attributes(
            {"transaction_id": transaction_id, "timestamp": self.accepted[transaction_id]}
        )

    def _get(
        self, table: str, keys: list[dict[str, Any]], projection: str
    ) -> Iterator[dict[str, Any]]:
        names = {f"#{n}": name.strip() for n, name in enumerate(projection.split(","))}
        for start in range(0, len(keys), _BATCH):
            answer = self.dynamodb.batch_get_item(
                RequestItems={
                    table: {
                        "Keys": keys[start : start + _BATCH],
                        "ProjectionExpression": ", ".join(names),
                        "ExpressionAttributeNames": names,
                        "ConsistentRead": True,
                    }
                }
            )
            yield from answer.get("Responses", {}).get(table, [])  # the rest: next look
