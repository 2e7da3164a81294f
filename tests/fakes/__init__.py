"""In-memory stand-ins for the ports, for use-case tests with no AWS and no sockets.

The product's own in-memory adapters (the detection state the backtest runs on, the model
registry the bench retrains into) live in :mod:`cardwatch.adapters.memory`; each fake here
and there is held to its boto3 adapter by ``tests/contract``.

The detection state's fake is the domain's own :class:`InMemoryState` (the backtest's);
:class:`FailingState` wraps it to fail before or after a change, as a crash between
writes would.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from cardwatch.adapters.memory import InMemoryModelRegistry, InMemoryState
from cardwatch.domain.audit.record import AuditRecord
from cardwatch.domain.cases.case import MAX_MEMBERS, Case, CaseQuery, Joined, Member
from cardwatch.domain.engine.alerts import Alert, Finding
from cardwatch.domain.engine.counters import AppliedEvent, Bucket, Folded, bucket_counts
from cardwatch.domain.engine.patterns import WindowEntry
from cardwatch.domain.engine.state import NO_KEYS, Keys, LabelChange, Snapshot, StateChange
from cardwatch.domain.labels.history import LabelEntry
from cardwatch.domain.labels.review_queue import ReviewPosition, ReviewQuery
from cardwatch.domain.ports import (
    Decide,
    DecisionRecord,
    LabelledDecision,
    StoredTransaction,
    TableExport,
    TrainingRow,
)
from cardwatch.domain.transaction.record import Transaction
from cardwatch.training.retraining import implied_training_rows


class Injected(RuntimeError):
    """A failure a test injected."""


class InMemoryTransactionStore:
    """:class:`TransactionStore`, :class:`DecisionLog`, :class:`LabelLog` and
    :class:`WindowReader` in dictionaries."""

    def __init__(self) -> None:
        self.items: dict[str, StoredTransaction] = {}
        self.decisions: dict[str, DecisionRecord] = {}
        self.labels: dict[str, tuple[str, str, str]] = {}

    def add(
        self, transaction: Transaction, fingerprint: str, decide: Decide | None = None
    ) -> StoredTransaction | None:
        existing = self.items.get(transaction.transaction_id)
        if existing is None:
            authorization = None if decide is None else decide()
            self.items[transaction.transaction_id] = StoredTransaction(
                transaction, fingerprint, authorization=authorization
            )
            if authorization is not None and authorization.record is not None:
                self.decisions[transaction.transaction_id] = authorization.record
        return existing

    def get(self, transaction_id: str) -> StoredTransaction | None:
        return self.items.get(transaction_id)

    def record_decision(self, transaction: Transaction, record: DecisionRecord) -> bool:
        if transaction.transaction_id in self.decisions:
            return False
        self.decisions[transaction.transaction_id] = record
        return True

    def append_label(
        self, transaction: Transaction, entry: LabelEntry, version: int, current: LabelEntry
    ) -> bool:
        stored = self.items[transaction.transaction_id]
        if len(stored.labels) != version - 1:
            return False
        self.items[transaction.transaction_id] = replace(stored, labels=(*stored.labels, entry))
        self.labels[transaction.transaction_id] = (current.label, current.source, current.by)
        return True

    def open_reviews(
        self, query: ReviewQuery
    ) -> tuple[list[dict[str, Any]], ReviewPosition | None]:
        """The queue as the sparse index holds it: flagged, unlabelled, newest first."""
        queued = sorted(
            (
                (stored.transaction.timestamp_ms, transaction_id)
                for transaction_id, stored in self.items.items()
                if not stored.labels
                and transaction_id in self.decisions
                and self.decisions[transaction_id].decision in ("review", "block")
                and query.since_ms <= stored.transaction.timestamp_ms <= query.until_ms
            ),
            reverse=True,
        )
        if query.after is not None:
            queued = [
                key
                for key in queued
                if key < (query.after.timestamp_ms, query.after.transaction_id)
            ]
        wanted = [
            key for key in queued if query.decision in (None, self.decisions[key[1]].decision)
        ]
        page = wanted[: query.limit]
        items = [self.case_item(transaction_id) or {} for _, transaction_id in page]
        more = len(wanted) > query.limit
        return items, ReviewPosition(page[-1][1], page[-1][0]) if more else None

    def case_item(self, transaction_id: str) -> dict[str, Any] | None:
        stored = self.items.get(transaction_id)
        if stored is None:
            return None
        record = self.decisions.get(transaction_id)
        decided = (
            {}
            if record is None
            else {
                "decision": record.decision,
                "score": record.score,
                "reasons": list(record.reasons),
                "model_version": record.model_version,
            }
        )
        return stored.transaction.to_record() | decided

    def transactions_between(self, start_ms: int, end_ms: int) -> list[Transaction]:
        """In time order (ties by id), as the table's window is merged."""
        found = [
            stored.transaction
            for stored in self.items.values()
            if start_ms <= stored.transaction.timestamp_ms < end_ms
        ]
        return sorted(found, key=lambda t: (t.timestamp_ms, t.transaction_id))

    def entries_between(self, start_ms: int, end_ms: int) -> list[WindowEntry]:
        return [WindowEntry.of(t) for t in self.transactions_between(start_ms, end_ms)]

    def scores_between(self, start_ms: int, end_ms: int) -> list[float]:
        return [
            self.decisions[t.transaction_id].score
            for t in self.transactions_between(start_ms, end_ms)
            if t.transaction_id in self.decisions
        ]

    def labelled_decisions(self, start_ms: int, end_ms: int) -> list[LabelledDecision]:
        return [
            LabelledDecision(
                t.timestamp_ms,
                dict(self.decisions[t.transaction_id].features),
                self.labels.get(t.transaction_id, (None, None, None))[0],
                self.decisions[t.transaction_id].model_version,
                t.transaction_id,
                self.labels.get(t.transaction_id, (None, None, None))[2],
            )
            for t in self.transactions_between(start_ms, end_ms)
            if t.transaction_id in self.decisions
        ]

    def training_set(
        self, start_ms: int, end_ms: int, matured_ms: int, genuine_share: float
    ) -> list[TrainingRow]:
        """:class:`TrainingSource`: the set the log implies, as the engine builds it."""
        log = self.labelled_decisions(start_ms, end_ms)
        return implied_training_rows(log, matured_ms, genuine_share)


class ListQueue:
    """:class:`FindingQueue`; ``fail_next`` sends fail before anything is queued."""

    def __init__(self) -> None:
        self.sent: list[Finding] = []
        self.fail_next = 0

    def send(self, finding: Finding) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise Injected("queue unavailable")
        self.sent.append(finding)


class ListPublisher:
    """:class:`AlertPublisher`."""

    def __init__(self) -> None:
        self.published: list[Alert] = []

    def publish(self, alert: Alert) -> None:
        self.published.append(alert)


class DictCooldown:
    """:class:`CooldownStore`."""

    def __init__(self) -> None:
        self.until: dict[str, int] = {}

    def active(self, key: str, now_ms: int) -> bool:
        return self.until.get(key, 0) > now_ms

    def start(self, key: str, until_ms: int) -> None:
        self.until[key] = until_ms


class FailingState:
    """:class:`StateStore` over :class:`InMemoryState` whose next ``apply`` calls fail
    before the change (``fail_before``) or after it is made (``fail_after``: the answer
    was lost), and whose next reads fail (``fail_reads``: the state is unavailable)."""

    def __init__(self, state: InMemoryState | None = None) -> None:
        self.state = state or InMemoryState()
        self.fail_before = 0
        self.fail_after = 0
        #: the next reads (and registrations) fail: the state is unavailable
        self.fail_reads = 0

    def _reading(self) -> None:
        if self.fail_reads:
            self.fail_reads -= 1
            raise Injected("the state is unavailable")

    def read(
        self,
        card_key: str,
        terminal_id: str,
        transaction_id: str,
        at_ms: int,
        keys: Keys = NO_KEYS,
    ) -> Snapshot:
        self._reading()
        return self.state.read(card_key, terminal_id, transaction_id, at_ms, keys)

    def register(self, change: StateChange) -> frozenset[str]:
        self._reading()
        return self.state.register(change)

    def apply(self, change: StateChange) -> bool:
        if self.fail_before:
            self.fail_before -= 1
            raise Injected("before the write")
        applied = self.state.apply(change)
        if self.fail_after:
            self.fail_after -= 1
            raise Injected("after the write")
        return applied

    def apply_label(self, change: LabelChange) -> bool:
        if self.fail_before:
            self.fail_before -= 1
            raise Injected("before the label's write")
        return self.state.apply_label(change)


#: the registry's in-memory adapter, under the name the use-case tests know
DictModelRegistry = InMemoryModelRegistry


class DictEntityCounters:
    """:class:`~cardwatch.domain.engine.counters.EntityCounters` in a dict: each event
    folded once, its counters added to its buckets."""

    def __init__(self) -> None:
        self.buckets: dict[Bucket, dict[str, int]] = {}
        self.folded: set[str] = set()

    def fold(self, events: Sequence[AppliedEvent]) -> Folded:
        fresh = {e.transaction_id: e for e in events if e.transaction_id not in self.folded}
        self.folded |= fresh.keys()
        for bucket, counters in bucket_counts(fresh.values()).items():
            into = self.buckets.setdefault(bucket, {})
            for name, amount in counters.items():
                into[name] = into.get(name, 0) + amount
        return Folded(len(fresh), len(events) - len(fresh))


class FakeTableExports:
    """:class:`TableExports`: exports held in memory; a test completes or fails them
    (``finish``), as DynamoDB would in its own time. A token asked again with the same
    request is the same export; with another, refused (as DynamoDB refuses it)."""

    def __init__(self) -> None:
        self.held: dict[str, TableExport] = {}
        #: started but not listed yet (DynamoDB lists an export once it wrote its marker)
        self.unlisted: set[str] = set()
        self._tokens: dict[str, tuple[tuple[Any, ...], str]] = {}

    def exports(self, known: Iterable[str] = ()) -> list[TableExport]:
        skip = set(known) | self.unlisted
        found = [e for e in self.held.values() if e.export_id not in skip]
        return sorted(found, key=lambda e: e.to_micros)

    def start(self, kind: str, to_micros: int, from_micros: int | None, token: str) -> TableExport:
        asked = (kind, from_micros) if kind == "FULL_EXPORT" else (kind, from_micros, to_micros)
        if token in self._tokens:
            if self._tokens[token][0] != asked:
                raise ValueError("ExportConflictException: the token was used with another request")
            return self.held[self._tokens[token][1]]
        export_id = f"export-{len(self._tokens):03d}"
        export = TableExport(
            export_id, kind, "IN_PROGRESS", to_micros, from_micros, f"s3://b/p/{export_id}/data/"
        )
        self.held[export_id] = export
        self._tokens[token] = (asked, export_id)
        return export

    def finish(self, export_id: str, status: str = "COMPLETED") -> None:
        self.held[export_id] = replace(self.held[export_id], status=status)
        self.unlisted.discard(export_id)


class DictExportCatalog:
    """:class:`ExportCatalog`: export id -> the time it holds the table as of."""

    def __init__(self) -> None:
        self.partitions: dict[str, int] = {}

    def registered(self) -> dict[str, int]:
        return dict(self.partitions)

    def register(self, export: TableExport) -> None:
        self.partitions.setdefault(export.export_id, export.to_micros)


class InMemoryAuditTrail:
    """:class:`~cardwatch.domain.ports.AuditTrail` in a dictionary keyed as the table is."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], AuditRecord] = {}

    def record(self, entry: AuditRecord) -> bool:
        key = (entry.month, entry.entry)
        if key in self.records:
            return False
        self.records[key] = entry
        return True

    def between(self, start: str, end: str) -> list[AuditRecord]:
        return sorted(
            (r for r in self.records.values() if start <= r.at < end), key=lambda r: r.entry
        )


class DictCaseStore:
    """:class:`CaseStore` in dictionaries, one lock for its conditional writes."""

    def __init__(self) -> None:
        import threading  # noqa: PLC0415

        self._lock = threading.Lock()
        self.pointers: dict[str, tuple[str, int]] = {}
        self.cases: dict[str, Case] = {}
        self.member_items: dict[str, dict[str, Member]] = {}
        self.keys: dict[str, set[str]] = {}
        self.findings: dict[str, str] = {}

    def pointer(self, entity: str) -> tuple[str, int] | None:
        return self.pointers.get(entity)

    def claim(self, entity: str, case_id: str, at_ms: int, replacing: str | None) -> bool:
        with self._lock:
            held = self.pointers.get(entity)
            if (held[0] if held else None) != replacing:
                return False
            self.pointers[entity] = (case_id, at_ms)
            return True

    def extend(self, entity: str, case_id: str, at_ms: int) -> None:
        with self._lock:
            held = self.pointers.get(entity)
            if held is not None and held[0] == case_id and held[1] < at_ms:
                self.pointers[entity] = (case_id, at_ms)

    def create(self, case: Case, keys: Iterable[str]) -> bool:
        with self._lock:
            if case.case_id in self.cases:
                self.keys[case.case_id] |= set(keys)
                return False
            self.cases[case.case_id] = case
            self.member_items[case.case_id] = {}
            self.keys[case.case_id] = set(keys)
            return True

    def join(self, case_id: str, opened_ms: int, member: Member, keys: Iterable[str]) -> Joined:
        with self._lock:
            case = self.cases[case_id]
            if case.status == "closed" or case.members >= MAX_MEMBERS:
                return Joined(None, joined=False)
            if member.transaction_id in self.findings:
                return Joined(self.findings[member.transaction_id], joined=False)
            members = self.member_items[case_id]
            self.keys[case_id] |= set(keys)
            members[member.transaction_id] = member
            self.findings[member.transaction_id] = case_id
            self.cases[case_id] = replace(
                case,
                members=case.members + 1,
                last_ms=max(case.last_ms, member.timestamp_ms or case.last_ms),
                decision=case.worse(member.decision or case.decision),
            )
            return Joined(case_id, joined=True)

    def joined(self, transaction_id: str) -> str | None:
        return self.findings.get(transaction_id)

    def case(self, case_id: str) -> Case | None:
        return self.cases.get(case_id)

    def members(self, case_id: str) -> list[Member]:
        found = list(self.member_items.get(case_id, {}).values())
        return sorted(found, key=lambda m: (m.timestamp_ms or 0, m.transaction_id))

    def change(self, case: Case) -> bool:
        with self._lock:
            held = self.cases.get(case.case_id)
            if held is None or held.version != case.version - 1:
                return False
            self.cases[case.case_id] = replace(
                held,
                status=case.status,
                assignee=case.assignee,
                outcome=case.outcome,
                notes=case.notes,
                history=case.history,
                version=case.version,
            )
            return True

    def search(self, query: CaseQuery) -> tuple[list[Case], tuple[int, str] | None]:
        found = [
            case
            for case in self.cases.values()
            if (query.key is None or query.key in self.keys[case.case_id])
            and (query.status is None or case.status == query.status)
            and query.since_ms <= case.opened_ms <= query.until_ms
        ]
        found.sort(key=lambda c: (c.opened_ms, c.case_id), reverse=not query.oldest_first)
        if query.after is not None:
            after = query.after
            found = [
                c
                for c in found
                if ((c.opened_ms, c.case_id) > after) == query.oldest_first
                and (c.opened_ms, c.case_id) != after
            ]
        page = found[: query.limit]
        more = len(found) > query.limit
        return page, (page[-1].opened_ms, page[-1].case_id) if more and page else None

    def count(self, status: str) -> int:
        return sum(1 for case in self.cases.values() if case.status == status)
