"""The transactions table's ports (TransactionStore, DecisionLog, LabelLog, WindowReader,
TrainingSource, ReviewReader): the use-case tests' in-memory store and DynamoDB."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import boto3
import pytest

from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.blueprint import Blueprint
from cardwatch.domain.engine.authorization import Authorization
from cardwatch.domain.engine.decisions import Reason
from cardwatch.domain.engine.patterns import WindowEntry
from cardwatch.domain.labels.history import LabelEntry
from cardwatch.domain.labels.review_queue import ReviewQuery
from cardwatch.domain.ports import DecisionRecord, TrainingSource
from cardwatch.domain.transaction.record import Transaction, epoch_ms
from cardwatch.domain.transaction.validation import TransactionParser
from cardwatch.handlers.config import RetrainConfig
from cardwatch.handlers.wiring import retrain as retrain_wiring
from cardwatch.local.runtime.exports import export_until_current
from tests.fakes import InMemoryTransactionStore
from tests.support.documents import NOW, QUEUE_DECISIONS, body, decided_history

Store = InMemoryTransactionStore | DynamoTransactionStore
NOW_MS = epoch_ms(NOW)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest, blueprint: Blueprint) -> Store:
    if request.param == "memory":
        return InMemoryTransactionStore()
    request.getfixturevalue("provisioned")
    return DynamoTransactionStore(blueprint.table_name)


def at(parser: TransactionParser, transaction_id: str, minutes_before: float) -> Transaction:
    moment = NOW - timedelta(minutes=minutes_before)
    return parser.parse(body(transaction_id=transaction_id, timestamp=moment.isoformat()))


def label(name: str, at_ms: int) -> LabelEntry:
    return LabelEntry(name, "analyst", "checked with the cardholder", "alice", at_ms)


def test_a_new_transaction_is_stored_and_read_back_whole(
    store: Store, parser: TransactionParser
) -> None:
    transaction = at(parser, "tx-new", 5)
    assert store.add(transaction, "fp-1") is None
    stored = store.get("tx-new")
    assert stored is not None
    assert stored.transaction == transaction
    assert stored.fingerprint == "fp-1" and stored.labels == ()
    assert store.get("tx-unknown") is None


def test_a_decided_transaction_is_stored_with_its_decision_and_a_repeat_is_not_decided(
    store: Store, parser: TransactionParser
) -> None:
    record = DecisionRecord(0.73, "review", ("CARD_TESTING",), {"c_count_1h": 6.0}, "v1")
    reasons = (Reason("CARD_TESTING", "small charges in a row", "rule:r1"),)
    answer = Authorization.scored(record, reasons, "sha256:abc", "2026-11-20T12:00:00+00:00")
    asked: list[str] = []

    def decide() -> Authorization:
        asked.append("decided")
        return answer

    transaction = at(parser, "tx-decided", 5)
    assert store.add(transaction, "fp-1", decide) is None
    again = store.add(transaction, "fp-1", decide)
    assert asked == ["decided"]  # a repeat answers what is stored: never decided again
    assert again is not None and again.authorization is not None
    kept = again.authorization
    assert (kept.decision, kept.score, kept.reasons) == (answer.decision, 0.73, reasons)
    assert (kept.model_version, kept.rules_version) == ("v1", "sha256:abc")
    stored = store.get("tx-decided")
    assert stored is not None and stored.authorization == kept
    # the decision of record is the decision log's, in the review queue
    page, _ = store.open_reviews(ReviewQuery(since_ms=0, until_ms=NOW_MS, limit=10))
    assert [item["transaction_id"] for item in page] == ["tx-decided"]
    assert store.record_decision(transaction, record) is False  # recorded with the item
    # a transaction stored without a decision carries none
    store.add(at(parser, "tx-plain", 4), "fp-2")
    plain = store.get("tx-plain")
    assert plain is not None and plain.authorization is None


def test_an_id_is_stored_once_and_a_second_add_answers_the_first(
    store: Store, parser: TransactionParser
) -> None:
    first, again = at(parser, "tx-dup", 5), at(parser, "tx-dup", 1)
    store.add(first, "fp-first")
    existing = store.add(again, "fp-again")
    assert existing is not None
    assert existing.transaction == first and existing.fingerprint == "fp-first"
    stored = store.get("tx-dup")
    assert stored is not None and stored.fingerprint == "fp-first"


def test_a_decision_is_recorded_once(store: Store, parser: TransactionParser) -> None:
    transaction = at(parser, "tx-decided", 5)
    store.add(transaction, "fp")
    record = DecisionRecord(0.91, "review", ("R001",), {"amount_ratio": 3.5}, "m-1")
    assert store.record_decision(transaction, record) is True
    assert store.record_decision(transaction, record) is False


def test_a_window_holds_what_is_at_or_after_its_start_and_before_its_end(
    store: Store, parser: TransactionParser
) -> None:
    inside, on_start, on_end, before = (
        at(parser, "tx-in", 7),
        at(parser, "tx-start", 10),
        at(parser, "tx-end", 0),
        at(parser, "tx-before", 11),
    )
    for transaction in (inside, on_start, on_end, before):
        store.add(transaction, "fp")
    store.record_decision(inside, DecisionRecord(0.25, "approve", (), {}, None))
    start, end = on_start.timestamp_ms, on_end.timestamp_ms
    found = [t.transaction_id for t in store.transactions_between(start, end)]
    assert found == ["tx-start", "tx-in"]  # in time order
    # what the patterns read of them: the same, with only those fields
    entries = store.entries_between(start, end)
    assert entries == [WindowEntry.of(t) for t in (on_start, inside)]
    assert store.scores_between(start, end) == [0.25]


def test_labels_are_appended_in_order_and_a_race_for_one_number_is_lost(
    store: Store, parser: TransactionParser
) -> None:
    transaction = at(parser, "tx-labelled", 5)
    store.add(transaction, "fp")
    fraud, genuine = label("fraud", NOW_MS), label("genuine", NOW_MS + 1)
    assert store.append_label(transaction, fraud, 1, fraud) is True
    assert store.append_label(transaction, genuine, 1, genuine) is False  # number 1 is taken
    assert store.append_label(transaction, genuine, 2, genuine) is True
    stored = store.get("tx-labelled")
    assert stored is not None and stored.labels == (fraud, genuine)


def _training_source(store: Store, blueprint: Blueprint) -> TrainingSource:
    """The training set as each side builds it: the fake from its log in memory, the
    table's by its exports to S3 and Athena's query over them (the emulator's)."""
    if isinstance(store, InMemoryTransactionStore):
        return store
    export_until_current(blueprint, boto3.client)
    return retrain_wiring.training_source(RetrainConfig.from_env(), boto3.client)


def test_the_training_set_is_the_decision_log_with_its_effective_labels(
    store: Store, parser: TransactionParser, blueprint: Blueprint
) -> None:
    labelled, unlabelled, outside, corrected = (
        at(parser, "tx-l", 30),
        at(parser, "tx-u", 20),
        at(parser, "tx-o", 90),
        at(parser, "tx-c", 40),
    )
    for transaction in (labelled, unlabelled, outside, corrected):
        store.add(transaction, "fp")
        store.record_decision(
            transaction, DecisionRecord(0.5, "review", (), {"amount_ratio": 2.0}, "m-7")
        )
    fraud, genuine = label("fraud", NOW_MS), label("genuine", NOW_MS + 1)
    store.append_label(labelled, fraud, 1, fraud)
    store.append_label(corrected, fraud, 1, fraud)
    store.append_label(corrected, genuine, 2, genuine)
    source = _training_source(store, blueprint)
    hour = (NOW_MS - 60 * 60_000, NOW_MS)
    # unlabelled and newer than the label delay's edge: not visible yet
    rows = source.training_set(*hour, NOW_MS - 25 * 60_000, 1.0)
    assert [(r.timestamp_ms, r.is_fraud, r.weight) for r in rows] == [
        (corrected.timestamp_ms, False, 1.0),
        (labelled.timestamp_ms, True, 1.0),
    ]
    assert all(dict(r.features) == {"amount_ratio": 2.0} for r in rows)
    # past the edge the unlabelled count as genuine, each standing for 1 / share
    rows = source.training_set(*hour, NOW_MS, 0.999)
    assert [(r.timestamp_ms, r.is_fraud) for r in rows] == [
        (corrected.timestamp_ms, False),
        (labelled.timestamp_ms, True),
        (unlabelled.timestamp_ms, False),
    ]
    assert [r.weight for r in rows] == [1 / 0.999, 1.0, 1 / 0.999]


def test_the_review_queue_is_flagged_and_unlabelled_newest_first_in_pages(
    store: Store, parser: TransactionParser
) -> None:
    history = decided_history(parser, store)
    flagged = [t for t, d in zip(history, QUEUE_DECISIONS, strict=True) if d != "approve"]
    fraud = label("fraud", NOW_MS)
    store.append_label(flagged[0], fraud, 1, fraud)  # labelled: it leaves the queue
    expected = [t.transaction_id for t in reversed(flagged[1:])]
    query = ReviewQuery(since_ms=NOW_MS - 2 * 3_600_000, until_ms=NOW_MS, limit=2)
    blocks = [
        t.transaction_id
        for t, d in zip(history, QUEUE_DECISIONS, strict=True)
        if d == "block" and t is not flagged[0]
    ]
    assert pages(store, replace(query, decision="block", limit=1)) == [
        [b] for b in reversed(blocks)
    ]
    assert [i for page in pages(store, query) for i in page] == expected


def pages(store: Store, query: ReviewQuery) -> list[list[str]]:
    """Every page of the queue, each a non-empty list of ids (a page with none, before
    the queue ends, is refused: a client would see an empty page and a cursor)."""
    found, position = [], None
    while True:
        items, position = store.open_reviews(replace(query, after=position))
        assert len(items) <= query.limit
        assert items or position is None, "an empty page before the end"
        found.append([item["transaction_id"] for item in items])
        if position is None:
            return [page for page in found if page]
