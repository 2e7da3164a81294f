"""The label use case: an analyst's, an issuer's or a customer's verdict on a stored
transaction. Its source is decided by the channel that sent it (the key: the analysts'
or the disputes feed's), never by the body: a body may name one of its channel's
sources, and a source it cannot speak for is refused. Labels are appended, never
changed; the engine learns the effective one (:mod:`cardwatch.domain.labels.history`)
and unlearns it when a later label corrects it.

A resend of the transaction's latest label is answered as the first time and changes
nothing; it also finishes what an interrupted first attempt left undone (the engine's
state change is applied once per label, whichever attempt gets there)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cardwatch.domain.audit.record import AuditRecord
from cardwatch.domain.digest import text_digest
from cardwatch.domain.engine.detection import Detector, Label
from cardwatch.domain.engine.features import observe
from cardwatch.domain.errors import (
    CHANNEL_SOURCES,
    LabelConflict,
    SourceNotAllowed,
    StoreBusy,
    TransactionNotFound,
)
from cardwatch.domain.labels.history import (
    DEFAULT_SOURCE_RANKS,
    MAX_LABELS,
    LabelEntry,
    effective,
)
from cardwatch.domain.ports import AuditTrail, LabelLog, StoredTransaction, TransactionStore
from cardwatch.domain.transaction.validation import check_path_id, parse_label

__all__ = ["LabelConflict", "LabelResult", "LabelService", "TransactionNotFound"]

#: How many times a label is appended afresh when others land first.
_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class LabelResult:
    transaction_id: str
    label: str
    source: str
    #: the verdict the engine follows now, and from which source
    effective_label: str
    effective_source: str
    #: how many labels the transaction holds
    labels: int
    repeated: bool = False


class LabelService:
    def __init__(
        self,
        store: TransactionStore,
        log: LabelLog,
        detector: Detector,
        ranks: Mapping[str, int] = DEFAULT_SOURCE_RANKS,
        audit: AuditTrail | None = None,
    ) -> None:
        self._store = store
        self._log = log
        self._detector = detector
        self._ranks = ranks
        self._audit = audit

    def label(
        self,
        transaction_id: str,
        body: str | bytes,
        now_ms: int,
        by: str = "",
        channel: str = "analyst",
    ) -> LabelResult:
        """Record the label in ``body`` from ``by`` through ``channel`` (``analyst`` or
        ``feed``: which sources it may speak for, see :data:`CHANNEL_SOURCES`)."""
        check_path_id(transaction_id)
        document = parse_label(body)
        allowed = CHANNEL_SOURCES[channel]
        source = document.get("source", allowed[0])
        if source not in allowed:
            raise SourceNotAllowed(source, channel)
        entry = LabelEntry(document["label"], source, document.get("note", ""), by, now_ms)
        for _attempt in range(_ATTEMPTS):
            stored = self._store.get(transaction_id)
            if stored is None:
                raise TransactionNotFound(transaction_id)
            history = list(stored.labels)
            if history and history[-1].repeats(entry):
                self._teach(stored, history)
                self._record(transaction_id, history)
                return self._result(transaction_id, entry, history, repeated=True)
            if len(history) >= MAX_LABELS:
                raise LabelConflict(transaction_id, MAX_LABELS)
            after = [*history, entry]
            found = effective(after, self._ranks)
            assert found is not None
            if self._log.append_label(stored.transaction, entry, len(after), found[0]):
                self._teach(stored, after)
                self._record(transaction_id, after)
                return self._result(transaction_id, entry, after)
        raise StoreBusy("labels kept landing at once; send the same label again")

    def _result(
        self,
        transaction_id: str,
        entry: LabelEntry,
        history: list[LabelEntry],
        *,
        repeated: bool = False,
    ) -> LabelResult:
        found = effective(history, self._ranks)
        assert found is not None
        current = found[0]
        return LabelResult(
            transaction_id,
            entry.label,
            entry.source,
            current.label,
            current.source,
            len(history),
            repeated,
        )

    def _record(self, transaction_id: str, history: list[LabelEntry]) -> None:
        """The audit record of the history's last label (once: a resend writes the same
        record, which finds it there; a failure to write it asks the client to resend,
        and the resend finishes it)."""
        if self._audit is None:
            return
        entry = history[-1]
        before = effective(history[:-1], self._ranks)
        after = effective(history, self._ranks)
        assert after is not None
        self._audit.record(
            AuditRecord(
                entry.by,
                "label",
                transaction_id,
                AuditRecord.moment(entry.at_ms),
                "" if before is None else f"{before[0].label}/{before[0].source}",
                f"{after[0].label}/{after[0].source}",
                {
                    "label": entry.label,
                    "source": entry.source,
                    "version": len(history),
                    **({"note_sha256": text_digest(entry.note)} if entry.note else {}),
                },
            )
        )

    def _teach(self, stored: StoredTransaction, history: list[LabelEntry]) -> None:
        """Apply what the last label changed in the engine's state (once)."""
        before = effective(history[:-1], self._ranks)
        after = effective(history, self._ranks)
        assert after is not None
        previous = None if before is None else before[1]
        if previous == after[1]:
            return  # outranked, or the same verdict again: nothing to learn
        transaction = stored.transaction
        self._detector.learn(
            Label(
                transaction.transaction_id,
                transaction.timestamp_ms,
                transaction.card.token,
                transaction.terminal_id,
                after[1].is_fraud,
                after[1].known_ms,
                observe(transaction).merchant_category_code,
                previous,
                len(history),
            )
        )
