"""The ports the use cases need from the outside world, as Protocols, all in one place.

Each has an adapter (``cardwatch.adapters``) and an in-memory fake (``tests/fakes``, or
:mod:`cardwatch.adapters.memory` for those the product runs on: the backtest's detection
state, the bench's model registry), held to each other by ``tests/contract``.

The engine declares the one port it calls itself, :class:`StateStore`, beside the state
it reads (:mod:`cardwatch.domain.engine.state`); it is exported here with the rest, so the
engine never imports this module and the domain has no import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from cardwatch.domain.audit.record import AuditRecord
from cardwatch.domain.cases.case import Case, CaseQuery, Joined, Member
from cardwatch.domain.engine.authorization import Authorization
from cardwatch.domain.engine.counters import EntityCounters
from cardwatch.domain.engine.decisions import DecisionRecord
from cardwatch.domain.engine.patterns import WindowEntry
from cardwatch.domain.engine.state import StateStore
from cardwatch.domain.labels.history import LabelEntry
from cardwatch.domain.labels.review_queue import ReviewPosition, ReviewQuery
from cardwatch.domain.transaction.record import Transaction

if TYPE_CHECKING:
    from cardwatch.domain.engine.alerts import Alert, Finding
    from cardwatch.domain.engine.model_pointer import ModelPointer

__all__ = [
    "AlertPublisher",
    "AuditTrail",
    "CaseStore",
    "CooldownStore",
    "Decide",
    "DecisionHistory",
    "DecisionLog",
    "DecisionRecord",
    "EntityCounters",
    "ExportCatalog",
    "FindingQueue",
    "LabelLog",
    "LabelledDecision",
    "ModelRegistry",
    "ReviewReader",
    "ScoreLog",
    "StateStore",
    "StoredTransaction",
    "TableExport",
    "TableExports",
    "TrainingRow",
    "TrainingSource",
    "TransactionStore",
    "WindowReader",
]


@dataclass(frozen=True, slots=True)
class StoredTransaction:
    """A transaction as the store holds it, with the fingerprint it was stored under."""

    transaction: Transaction
    fingerprint: str
    #: its labels, oldest first
    labels: tuple[LabelEntry, ...] = ()
    #: what ``POST /decisions`` answered for it (None: it came by ``POST /transactions``)
    authorization: Authorization | None = None


#: Decides a transaction about to be stored: called once the id is this request's, so a
#: repeat or a conflicting reuse of an id is never scored.
Decide = Callable[[], Authorization]


class TransactionStore(Protocol):
    """Where accepted transactions live; ``transaction_id`` is unique."""

    def add(
        self, transaction: Transaction, fingerprint: str, decide: Decide | None = None
    ) -> StoredTransaction | None:
        """Store ``transaction`` unless its id is taken; with ``decide``, its answer is
        stored with it, in the same write, as its decision of record.

        Returns ``None`` when stored, or what is already stored under that id.
        """
        ...

    def get(self, transaction_id: str) -> StoredTransaction | None:
        """The transaction stored under ``transaction_id``, if any."""
        ...


@dataclass(frozen=True, slots=True)
class LabelledDecision:
    """One decision of the log as retraining reads it: when, the features scored (NaN
    left out) and the effective label so far (``None``: none yet)."""

    timestamp_ms: int
    features: Mapping[str, float]
    label: str | None
    model_version: str | None = None
    #: the transaction's id (what the genuine sample is drawn by)
    transaction_id: str = ""
    #: who posted the effective label (a key id or principal; None: no label, or an
    #: item labelled before it was recorded)
    label_by: str | None = None


class DecisionHistory(Protocol):
    """The decision log read back, with the labels that joined it: the training set."""

    def labelled_decisions(self, start_ms: int, end_ms: int) -> Iterable[LabelledDecision]:
        """Every recorded decision on a transaction with ``start_ms <= timestamp < end_ms``."""
        ...


@dataclass(frozen=True, slots=True)
class TrainingRow:
    """A row of a training set built outside the function (an engine's query over the
    exported log): when, the features scored, the label, and how many of the log's rows
    it stands for (a drawn genuine: the inverse of the share drawn)."""

    timestamp_ms: int
    features: Mapping[str, float]
    is_fraud: bool
    weight: float = 1.0
    #: who posted the effective label (None: unlabelled, or not recorded)
    label_by: str | None = None


@runtime_checkable
class TrainingSource(Protocol):
    """The training set, built where the log is (an SQL engine over its exports): the
    visible rows of ``[start_ms, end_ms)``, unlabelled ones counted genuine up to
    ``matured_ms``, every fraud and the genuine drawn at ``genuine_share``."""

    def training_set(
        self, start_ms: int, end_ms: int, matured_ms: int, genuine_share: float
    ) -> Sequence[TrainingRow]: ...


@dataclass(frozen=True, slots=True)
class TableExport:
    """One export of the transactions table to S3 (the decision log's way out)."""

    export_id: str
    kind: str  # FULL_EXPORT or INCREMENTAL_EXPORT
    status: str  # IN_PROGRESS, COMPLETED or FAILED
    #: the point in time it holds the table as of (a full export's time, an incremental
    #: one's end), and an incremental one's start (epoch microseconds)
    to_micros: int
    from_micros: int | None = None
    #: where its data files are (``s3://bucket/prefix/``)
    data_location: str = ""


class TableExports(Protocol):
    """The table's exports to S3: those not yet known, and starting the next one."""

    def exports(self, known: Iterable[str] = ()) -> list[TableExport]:
        """Every export of the table but those in ``known`` (by id)."""
        ...

    def start(self, kind: str, to_micros: int, from_micros: int | None, token: str) -> TableExport:
        """Start an export (the same ``token``: the same export, started once)."""
        ...


class ExportCatalog(Protocol):
    """The catalog table over the exports' files (what the SQL engine reads)."""

    def registered(self) -> dict[str, int]:
        """Export id -> the time it holds the table as of, for every export in it."""
        ...

    def register(self, export: TableExport) -> None:
        """Add a completed export's files (again: no change)."""
        ...


class ModelRegistry(Protocol):
    """Versioned model artifacts, and the pointer naming the ones in force."""

    def pointer(self) -> ModelPointer:
        """The pointer as it is now (the shipped model's when none was written)."""
        ...

    def move(self, pointer: ModelPointer) -> None:
        """Write ``pointer``: detect scores with what it names within its cache's age."""
        ...

    def publish(self, version: str, artifact: str) -> None:
        """Keep ``artifact`` (JSON text) as ``version``; a version is written once."""
        ...

    def artifact(self, version: str) -> str:
        """The artifact published as ``version`` (KeyError: no such version)."""
        ...

    def versions(self) -> list[str]:
        """Every published version, oldest first."""
        ...


class DecisionLog(Protocol):
    """Where each transaction's fraud decision is recorded, once."""

    def record_decision(self, transaction: Transaction, record: DecisionRecord) -> bool:
        """Record it; False when a decision was already recorded (a redelivery)."""
        ...


class FindingQueue(Protocol):
    """The suspicious-transactions queue."""

    def send(self, finding: Finding) -> None: ...


class WindowReader(Protocol):
    """Reads the transactions of a time window without scanning the table."""

    def transactions_between(self, start_ms: int, end_ms: int) -> list[Transaction]: ...

    def entries_between(self, start_ms: int, end_ms: int) -> list[WindowEntry]:
        """What the patterns read of the window's transactions, in time order."""
        ...

    def scores_between(self, start_ms: int, end_ms: int) -> list[float]:
        """The detector's scores of the window's transactions (those recorded so far)."""
        ...


class ScoreLog(Protocol):
    """Recent scores as counts per bin and day (:mod:`cardwatch.domain.engine.budget`)."""

    def fold(self, window_start_ms: int, scores: Iterable[float]) -> bool:
        """Add a finished window's scores, once per window; False if it was folded."""
        ...

    def counts(self, first_day: int, last_day: int) -> Mapping[int, int]:
        """Counts per bin of the days ``first_day <= day < last_day``."""
        ...

    def daily_counts(self, first_day: int, last_day: int) -> Mapping[int, Mapping[int, int]]:
        """Counts per bin, by day, of the days ``first_day <= day < last_day`` (a day
        with no score is absent)."""
        ...


class AlertPublisher(Protocol):
    """The alert topic."""

    def publish(self, alert: Alert) -> None: ...


class CooldownStore(Protocol):
    """Remembers which alerts were sent, so that one is not sent twice in a cooldown."""

    def active(self, key: str, now_ms: int) -> bool: ...

    def start(self, key: str, until_ms: int) -> None: ...


class LabelLog(Protocol):
    """Where a transaction's labels are kept, appended in order, none ever changed."""

    def append_label(
        self, transaction: Transaction, entry: LabelEntry, version: int, current: LabelEntry
    ) -> bool:
        """Append ``entry`` as label number ``version`` (1 for the first) while the
        transaction holds ``version - 1`` labels, and make ``current`` its effective
        label; False when another label was appended first."""
        ...


class ReviewReader(Protocol):
    def open_reviews(
        self, query: ReviewQuery
    ) -> tuple[Sequence[Mapping[str, Any]], ReviewPosition | None]:
        """Up to ``query.limit`` stored items of the open queue, newest first, and where
        the next page starts (None: there is no more)."""
        ...


class AuditTrail(Protocol):
    """The append-only record of privileged acts (:mod:`cardwatch.domain.audit.record`)."""

    def record(self, entry: AuditRecord) -> bool:
        """Append ``entry`` once; False when it was there already (a retry of the act)."""
        ...

    def between(self, start: str, end: str) -> list[AuditRecord]:
        """The records with ``start <= at < end`` (ISO times), oldest first."""
        ...


class CaseStore(Protocol):
    """The analysts' cases (:mod:`cardwatch.domain.cases.case`): each write is one
    conditional write, so a finding delivered twice, or two at once, changes a case once
    (the episode's algorithm is :class:`cardwatch.services.case_work.CaseWork`'s)."""

    def pointer(self, entity: str) -> tuple[str, int] | None:
        """The entity's open episode: its case id and the time its last member joined."""
        ...

    def claim(self, entity: str, case_id: str, at_ms: int, replacing: str | None) -> bool:
        """Point the entity's episode at ``case_id``, if it still points at ``replacing``
        (None: at nothing); False when another claim landed first."""
        ...

    def extend(self, entity: str, case_id: str, at_ms: int) -> None:
        """Move the episode's last time to ``at_ms`` if it points at ``case_id`` and is
        earlier (else nothing)."""
        ...

    def create(self, case: Case, keys: Iterable[str]) -> bool:
        """Store a new case and its search keys; False (and nothing changed) when a case
        of that id exists."""
        ...

    def join(self, case_id: str, opened_ms: int, member: Member, keys: Iterable[str]) -> Joined:
        """Add ``member`` (and ``keys``) to the case, if the case is open and under its
        size and the member's finding joined no case before; the case's count, last
        time and decision follow it, once. :class:`StoreBusy` when it must be tried
        again."""
        ...

    def joined(self, transaction_id: str) -> str | None:
        """The case a transaction's finding joined (None: none yet)."""
        ...

    def case(self, case_id: str) -> Case | None: ...

    def members(self, case_id: str) -> list[Member]:
        """The case's transactions, oldest first."""
        ...

    def change(self, case: Case) -> bool:
        """Store the case's status, assignee, outcome, notes and history, if the stored
        case is still at ``case.version - 1``; False when another change landed first."""
        ...

    def search(self, query: CaseQuery) -> tuple[list[Case], tuple[int, str] | None]:
        """A page of cases and where the next one starts (None: no more)."""
        ...

    def count(self, status: str) -> int:
        """How many cases have ``status``."""
        ...
