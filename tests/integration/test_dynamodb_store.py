import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cardwatch.adapters.dynamodb_store import (
    REVIEW_SHARDS,
    TIME_BUCKET_SHARDS,
    DynamoTransactionStore,
    review_key,
)
from cardwatch.blueprint import Blueprint
from cardwatch.domain.errors import InvalidTransaction, StoreBusy
from cardwatch.domain.labels.history import LabelEntry
from cardwatch.domain.labels.review_queue import ReviewQuery
from cardwatch.domain.ports import DecisionRecord
from cardwatch.domain.transaction.validation import TransactionParser
from cardwatch.local.runtime.provision import Provisioned
from cardwatch.services.cases import CaseService
from tests.support.aws import dumps, scan_all
from tests.support.documents import NOW, TEST_PANS, all_pages, body, decided_history

pytestmark = pytest.mark.usefixtures("provisioned")


@pytest.fixture
def store(blueprint: Blueprint) -> DynamoTransactionStore:
    return DynamoTransactionStore(blueprint.table_name)


@pytest.mark.requirement("R000-04")
@pytest.mark.requirement("R000-06")
def test_a_transaction_is_stored_under_id_and_epoch_ms(
    store: DynamoTransactionStore, parser: TransactionParser, blueprint: Blueprint
) -> None:
    transaction = parser.parse(body())
    assert store.add(transaction, transaction.fingerprint()) is None
    items = {item["record_type"]: item for item in scan_all(blueprint.table_name)}
    stored = items["transaction"]
    assert stored["timestamp"] == transaction.timestamp_ms
    assert stored["amount"] == Decimal("125.50")
    assert stored["card_last4"] == "1111" and TEST_PANS[0] not in dumps(items)
    assert items["guard"]["timestamp"] == 0 and "user_id" not in items["guard"]


def test_the_same_id_is_stored_once_even_with_another_timestamp(
    store: DynamoTransactionStore, parser: TransactionParser, blueprint: Blueprint
) -> None:
    first = parser.parse(body())
    later = parser.parse(body(timestamp="2026-11-20T11:59:00Z"))
    store.add(first, first.fingerprint())
    existing = store.add(later, later.fingerprint())
    assert existing is not None
    assert existing.transaction == first and existing.fingerprint == first.fingerprint()
    assert len(scan_all(blueprint.table_name)) == 2  # the transaction and its guard


def test_a_stored_transaction_reads_back_equal(
    store: DynamoTransactionStore, parser: TransactionParser
) -> None:
    transaction = parser.parse(body(amount=0.01, latitude=-33.8688, longitude=151.2093))
    store.add(transaction, "f")
    got = store.get(transaction.transaction_id)
    assert got is not None and got.transaction == transaction
    assert store.get("never-seen") is None


def test_throttling_is_reported_as_busy(blueprint: Blueprint, parser: TransactionParser) -> None:
    client = boto3.client("dynamodb")

    def throttled(**_: object) -> None:
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "PutItem")

    client.put_item = throttled
    transaction = parser.parse(body())
    with pytest.raises(StoreBusy):
        DynamoTransactionStore(blueprint.table_name, client).add(transaction, "f")


def test_the_table_matches_the_blueprint(blueprint: Blueprint, provisioned: Provisioned) -> None:
    table = boto3.client("dynamodb").describe_table(TableName=blueprint.table_name)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_IMAGE"
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == blueprint.user_index_name
    assert provisioned.table_stream_arn


@pytest.mark.requirement("R000-04")
def test_a_failed_write_is_completed_by_the_resend_and_answered_created(
    store: DynamoTransactionStore, parser: TransactionParser, blueprint: Blueprint
) -> None:
    # GIVEN a write that fails at DynamoDB after the guard (the item is refused)
    transaction = parser.parse(body())
    failing = boto3.client("dynamodb")

    def refused(**kwargs: Any) -> Any:
        if kwargs["Item"]["record_type"]["S"] == "transaction":
            kwargs["Item"]["timestamp"] = {"S": "not a number"}
        return boto3.client("dynamodb").put_item(**kwargs)

    failing.put_item = refused
    with pytest.raises(ClientError):
        DynamoTransactionStore(blueprint.table_name, failing).add(
            transaction, transaction.fingerprint()
        )
    # THEN only the guard is there: nothing was answered, nothing is served
    assert [item["record_type"] for item in scan_all(blueprint.table_name)] == ["guard"]
    assert store.get(transaction.transaction_id) is None
    # AND the resend writes the item and is answered as created, not as a repeat
    assert store.add(transaction, transaction.fingerprint()) is None
    kinds = sorted(item["record_type"] for item in scan_all(blueprint.table_name))
    assert kinds == ["guard", "transaction"]
    # AND another body under that id is a conflict, a second resend a repeat
    other = parser.parse(body(amount=99.99))
    assert store.add(other, other.fingerprint()).fingerprint == transaction.fingerprint()  # type: ignore[union-attr]
    repeat = store.add(transaction, transaction.fingerprint())
    assert repeat is not None and repeat.fingerprint == transaction.fingerprint()


def test_a_body_holding_the_id_before_its_item_is_written_makes_another_a_conflict(
    store: DynamoTransactionStore, parser: TransactionParser, blueprint: Blueprint
) -> None:
    # GIVEN a request that stopped after its guard (its item never written)
    first = parser.parse(body())
    failing = boto3.client("dynamodb")

    def stop_after_guard(**kwargs: Any) -> Any:
        if kwargs["Item"]["record_type"]["S"] == "transaction":
            raise ClientError({"Error": {"Code": "InternalServerError"}}, "PutItem")
        return boto3.client("dynamodb").put_item(**kwargs)

    failing.put_item = stop_after_guard
    with pytest.raises(StoreBusy):  # the client is answered 503 and may resend
        DynamoTransactionStore(blueprint.table_name, failing).add(first, first.fingerprint())
    # WHEN another body comes under the same id while its writer may still be alive
    other = parser.parse(body(amount=12.34))
    held = store.add(other, other.fingerprint())
    # THEN it is refused as a conflict (the id is the first body's) and nothing is written
    assert held is not None and held.fingerprint == first.fingerprint()
    assert [item["record_type"] for item in scan_all(blueprint.table_name)] == ["guard"]
    # AND once no writer of the first can be alive (Lambda's 15 minutes), a corrected
    # body takes the id over, and is stored and answered as created
    later = DynamoTransactionStore(
        blueprint.table_name, boto3.client("dynamodb"), clock=lambda: time.time() + 16 * 60
    )
    assert later.add(other, other.fingerprint()) is None
    stored = later.get(other.transaction_id)
    assert stored is not None and stored.fingerprint == other.fingerprint()


def test_a_coordinate_dynamodb_cannot_hold_is_refused_and_others_kept_to_a_centimetre(
    store: DynamoTransactionStore, parser: TransactionParser
) -> None:
    with pytest.raises(InvalidTransaction) as refused:
        parser.parse(body(latitude=1e-200))  # boto3 could not even serialize it
    assert refused.value.fields == ("latitude",)
    transaction = parser.parse(body(latitude=4e-9))
    assert store.add(transaction, transaction.fingerprint()) is None
    stored = store.get(transaction.transaction_id)
    assert stored is not None and stored.transaction.extras["latitude"] == 0


def test_the_review_queue_is_a_sparse_index_read_newest_first_a_page_at_a_time(
    store: DynamoTransactionStore, parser: TransactionParser
) -> None:
    stored = decided_history(parser, store)
    entry = LabelEntry("fraud", "analyst", "", "k", 1)
    assert store.append_label(stored[3], entry, 1, entry)  # settled: out of the queue
    service = CaseService(store, store)
    now_ms = int(NOW.timestamp() * 1000)

    def pages(**parameters: str) -> list[list[str]]:
        return [ids for ids in all_pages(service, now_ms, **parameters) if ids]

    assert pages(limit="2") == [["tx-0006", "tx-0004"], ["tx-0002", "tx-0000"]]
    # a decision filter thins each index read: pages still fill before they end
    assert pages(decision="review", limit="2") == [["tx-0006", "tx-0000"]]
    assert pages(decision="block", limit="1") == [["tx-0004"], ["tx-0002"]]
    assert pages(since=(NOW - timedelta(minutes=57)).isoformat()) == [["tx-0006", "tx-0004"]]


def test_a_case_labelled_before_it_was_scored_never_opens_in_the_queue(
    store: DynamoTransactionStore, parser: TransactionParser
) -> None:
    # GIVEN a transaction an analyst labels while detect is still on its way
    transaction = parser.parse(body(transaction_id="tx-early"))
    store.add(transaction, transaction.fingerprint())
    entry = LabelEntry("genuine", "customer", "", "k", 1)
    assert store.append_label(transaction, entry, 1, entry)
    # WHEN detect then flags it, and a redelivery records the decision again
    record = DecisionRecord(0.9, "review", ("R",), {}, "m-1")
    assert store.record_decision(transaction, record)
    assert not store.record_decision(transaction, record)
    # THEN the queue does not hold it, and the decision is kept
    queued, _ = store.open_reviews(ReviewQuery(0, 2**53))
    assert queued == []
    case = store.case_item("tx-early")
    assert case is not None and case["decision"] == "review" and "review_queue" not in case


def test_a_buckets_writes_spread_over_its_shards_and_a_window_reads_them_all_in_order(
    store: DynamoTransactionStore, parser: TransactionParser, blueprint: Blueprint
) -> None:
    # GIVEN 64 transactions of one five-minute bucket
    sent = [
        parser.parse(
            body(
                transaction_id=f"tx-shard-{n}",
                timestamp=(NOW - timedelta(minutes=4, seconds=-n)).isoformat(),
            )
        )
        for n in range(64)
    ]
    for transaction in reversed(sent):
        store.add(transaction, transaction.fingerprint())
    # THEN the index holds them under many keys of that bucket, none under the bare bucket
    keys = {item["time_bucket"] for item in scan_all(blueprint.table_name) if "time_bucket" in item}
    assert len(keys) >= TIME_BUCKET_SHARDS // 2
    assert len({key.rsplit("#", 1)[0] for key in keys}) == 1  # one bucket, its shards
    # AND a window reads every one of them back, in time order
    start, end = sent[0].timestamp_ms, sent[-1].timestamp_ms + 1
    assert [t.transaction_id for t in store.transactions_between(start, end)] == [
        t.transaction_id for t in sent
    ]


@pytest.mark.parametrize(
    ("limit", "decision", "per_second"),
    [(3, None, 4), (7, None, 4), (2, "block", 4), (25, None, 4), (1, "block", 60), (2, None, 30)],
)
def test_the_sharded_review_queue_pages_every_case_once_newest_first_through_ties(
    store: DynamoTransactionStore,
    parser: TransactionParser,
    limit: int,
    decision: str | None,
    per_second: int,
) -> None:
    # GIVEN 60 flagged cases over the queue's shards, many sharing a timestamp (up to all
    # of them: a tie longer than any one read of a shard)
    cases = []
    for n in range(60):
        moment = NOW - timedelta(minutes=30) + timedelta(seconds=n // per_second)
        transaction = parser.parse(
            body(transaction_id=f"tx-q-{n:02d}", timestamp=moment.isoformat())
        )
        store.add(transaction, transaction.fingerprint())
        flagged = "block" if n % 3 == 0 else "review"
        store.record_decision(transaction, DecisionRecord(0.9, flagged, ("R",), {}, "m-1"))
        cases.append((transaction.timestamp_ms, transaction.transaction_id, flagged))
    assert len({review_key(tid) for _, tid, _ in cases}) == REVIEW_SHARDS
    # WHEN the queue is read a page at a time
    seen, position = [], None
    for _ in range(100):
        page, position = store.open_reviews(
            ReviewQuery(0, 2**53, decision=decision, limit=limit, after=position)
        )
        assert len(page) <= limit and (page or position is None)
        seen += [item["transaction_id"] for item in page]
        if position is None:
            break
    # THEN every open case of that decision came once, newest first (ties by id)
    expected = [tid for _, tid, d in sorted(cases, reverse=True) if decision in (None, d)]
    assert seen == expected


def test_a_transaction_and_its_guard_expire_with_the_retention(
    parser: TransactionParser, blueprint: Blueprint, provisioned: Provisioned
) -> None:
    """The table deletes a transaction, its decision and labels, and its guard, by
    DynamoDB's time to live, the retention after the transaction happened."""
    from cardwatch.adapters.dynamodb_store import TTL_ATTRIBUTE  # noqa: PLC0415

    assert blueprint.transaction_ttl_attribute == TTL_ATTRIBUTE
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=blueprint.table_name)
    assert ttl["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED",
        "AttributeName": TTL_ATTRIBUTE,
    }
    store = DynamoTransactionStore(
        blueprint.table_name,
        boto3.client("dynamodb"),
        retention_days=blueprint.transaction_retention_days,
    )
    transaction = parser.parse(body())
    assert store.add(transaction, transaction.fingerprint()) is None
    expiry = (transaction.timestamp_ms // 1000) + blueprint.transaction_retention_days * 86_400
    items = scan_all(blueprint.table_name)
    assert sorted(item["record_type"] for item in items) == ["guard", "transaction"]
    assert {abs(int(item[TTL_ATTRIBUTE]) - expiry) <= 1 for item in items} == {True}
    stored = store.get(transaction.transaction_id)
    assert stored is not None and stored.transaction == transaction


def _stopped_after_guard(blueprint: Blueprint, transaction: Any) -> None:
    """A request that wrote its guard and stopped before its item."""
    failing = boto3.client("dynamodb")

    def stop(**kwargs: Any) -> Any:
        if kwargs["Item"]["record_type"]["S"] == "transaction":
            raise ClientError({"Error": {"Code": "InternalServerError"}}, "PutItem")
        return boto3.client("dynamodb").put_item(**kwargs)

    failing.put_item = stop
    with pytest.raises(StoreBusy):
        DynamoTransactionStore(blueprint.table_name, failing).add(
            transaction, transaction.fingerprint()
        )


def test_a_late_resend_racing_a_takeover_never_leaves_two_items(
    parser: TransactionParser, blueprint: Blueprint, provisioned: Provisioned
) -> None:
    # GIVEN a body whose writer stopped after its guard, more than 15 minutes ago
    first = parser.parse(body())
    _stopped_after_guard(blueprint, first)
    later = time.time() + 16 * 60
    other = parser.parse(body(amount=12.34))
    taker = DynamoTransactionStore(
        blueprint.table_name, boto3.client("dynamodb"), clock=lambda: later
    )
    # WHEN the first body's resend reads the guard, and another body takes the id over
    # before the resend writes its item
    racing = boto3.client("dynamodb")
    calls = {"n": 0}

    def put_item(**kwargs: Any) -> Any:
        calls["n"] += 1
        try:
            return boto3.client("dynamodb").put_item(**kwargs)
        finally:
            if calls["n"] == 1:  # the resend's guard put has just found the old guard
                assert taker.add(other, other.fingerprint()) is None

    racing.put_item = put_item
    resend = DynamoTransactionStore(blueprint.table_name, racing, clock=lambda: later)
    held = resend.add(first, first.fingerprint())
    # THEN only the body that took the id over is stored, and the resend is told so
    assert held is not None and held.fingerprint == other.fingerprint()
    kinds = sorted(item["record_type"] for item in scan_all(blueprint.table_name))
    assert kinds == ["guard", "transaction"]
    stored = store_of(blueprint).get(first.transaction_id)
    assert stored is not None and stored.fingerprint == other.fingerprint()


def test_a_late_resend_completes_the_item_in_a_transaction_on_the_guard(
    parser: TransactionParser, blueprint: Blueprint, provisioned: Provisioned
) -> None:
    first = parser.parse(body())
    _stopped_after_guard(blueprint, first)
    later = DynamoTransactionStore(
        blueprint.table_name, boto3.client("dynamodb"), clock=lambda: time.time() + 16 * 60
    )
    assert later.add(first, first.fingerprint()) is None  # created: it wrote the item
    other = parser.parse(body(amount=12.34))
    held = later.add(other, other.fingerprint())  # stored now: a conflict, never a takeover
    assert held is not None and held.fingerprint == first.fingerprint()
    kinds = sorted(item["record_type"] for item in scan_all(blueprint.table_name))
    assert kinds == ["guard", "transaction"]


def test_a_retried_write_whose_answer_was_lost_is_still_answered_created(
    parser: TransactionParser, blueprint: Blueprint, provisioned: Provisioned
) -> None:
    """botocore sends a write again when its answer is lost; the second finds the item
    the first wrote, which carries this request's stamp: created, not a repeat."""
    transaction = parser.parse(body())
    lossy = boto3.client("dynamodb")

    def put_item(**kwargs: Any) -> Any:
        answer = boto3.client("dynamodb").put_item(**kwargs)
        if kwargs["Item"]["record_type"]["S"] == "transaction":
            return boto3.client("dynamodb").put_item(**kwargs)  # the retry: refused
        return answer

    lossy.put_item = put_item
    store = DynamoTransactionStore(blueprint.table_name, lossy)
    assert store.add(transaction, transaction.fingerprint()) is None


def store_of(blueprint: Blueprint) -> DynamoTransactionStore:
    return DynamoTransactionStore(blueprint.table_name, boto3.client("dynamodb"))
