"""DynamoDB's physics on the emulator: a partition's throughput (of a table and of an
index, whose back-pressure throttles the table), and transactions cancelled for another
in flight. The limits are scaled down and the clock is the test's, so a handful of
requests reach them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cardwatch.local.emulator.patches import dynamodb_limits as limits

pytestmark = pytest.mark.usefixtures("aws")

#: no retries of the SDK's own: each refusal is seen as DynamoDB gives it
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    clock, before = Clock(), limits.limits()
    limits.reset()
    limits.configure(clock, write_units=10, read_units=8, hold_ms=25)
    limits.track_heat()
    yield clock
    limits.track_heat(False)
    limits.reset()
    limits.configure(
        limits.time.monotonic,
        write_units=before.write_units,
        read_units=before.read_units,
        hold_ms=before.hold_ms,
    )


@pytest.fixture
def ddb(aws: None) -> Any:
    client = boto3.client("dynamodb", config=NO_RETRIES)
    client.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "bucket", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-bucket",
                "KeySchema": [{"AttributeName": "bucket", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    return client


def put(ddb: Any, pk: str, **extra: str) -> None:
    item = {"pk": {"S": pk}, **{name: {"S": value} for name, value in extra.items()}}
    ddb.put_item(TableName="t", Item=item)


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_a_partition_takes_its_units_a_second_and_no_more(clock: Clock, ddb: Any) -> None:
    # GIVEN a key that has written its 10 units this second
    for _ in range(10):
        put(ddb, "hot")
    # WHEN it writes again THEN DynamoDB refuses it, and only it
    with pytest.raises(ClientError) as refused:
        put(ddb, "hot")
    assert code(refused) == "ProvisionedThroughputExceededException"
    put(ddb, "cold")
    # and a second later the key writes again
    clock.now += 1.0
    put(ddb, "hot")
    assert limits.events()["throttled writes"] == 1


def test_an_index_partition_over_its_units_throttles_the_table(clock: Clock, ddb: Any) -> None:
    # GIVEN ten items, each its own table key, all in one index partition (a time bucket)
    for n in range(10):
        put(ddb, f"tx-{n}", bucket="b-0900")
    # WHEN an eleventh item of that bucket is written THEN the index's back-pressure
    # refuses it, though its table key is new; an item of another bucket goes through
    with pytest.raises(ClientError) as refused:
        put(ddb, "tx-10", bucket="b-0900")
    assert code(refused) == "ProvisionedThroughputExceededException"
    assert "index by-bucket" in str(refused.value)
    put(ddb, "tx-11", bucket="b-0905")
    hottest = limits.heat()[0]
    assert (hottest["index"], hottest["key"], hottest["units"]) == (
        "by-bucket",
        '{"S": "b-0900"}',
        10,
    )


def test_a_transaction_on_a_throttled_partition_is_cancelled_with_throttling_error(
    clock: Clock, ddb: Any
) -> None:
    for _ in range(10):
        put(ddb, "hot")
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "cold"}}}},
                {"Put": {"TableName": "t", "Item": {"pk": {"S": "hot"}}}},
            ]
        )
    reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "ThrottlingError"]
    assert "Item" not in ddb.get_item(TableName="t", Key={"pk": {"S": "cold"}})


def test_an_item_held_by_a_transaction_in_flight_cancels_another(clock: Clock, ddb: Any) -> None:
    def counter_update(pk: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": "t",
                "Key": {"pk": {"S": pk}},
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }

    # GIVEN a transaction that just wrote a terminal's counter (in flight for 25 ms)
    ddb.transact_write_items(TransactItems=[counter_update("terminal#7")])
    # WHEN another writes it within the window THEN it is cancelled for the conflict
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[counter_update("card#1"), counter_update("terminal#7")]
        )
    reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "TransactionConflict"]
    # and a single-item write to it is refused likewise
    with pytest.raises(ClientError) as refused:
        put(ddb, "terminal#7")
    assert code(refused) == "TransactionConflictException"
    # once the first is done, the second goes through, whole
    clock.now += 0.030
    ddb.transact_write_items(TransactItems=[counter_update("card#1"), counter_update("terminal#7")])
    item = ddb.get_item(TableName="t", Key={"pk": {"S": "terminal#7"}})["Item"]
    assert item["n"] == {"N": "2"}
    assert limits.events()["transaction conflicts"] == 2


def test_a_partition_takes_its_read_units_a_second(clock: Clock, ddb: Any) -> None:
    put(ddb, "hot")
    for _ in range(8):  # 1 unit each, strongly consistent
        ddb.get_item(TableName="t", Key={"pk": {"S": "hot"}}, ConsistentRead=True)
    with pytest.raises(ClientError) as refused:
        ddb.get_item(TableName="t", Key={"pk": {"S": "hot"}})
    assert code(refused) == "ProvisionedThroughputExceededException"
    answer = ddb.query(
        TableName="t",
        KeyConditionExpression="pk = :k",
        ExpressionAttributeValues={":k": {"S": "cold"}},
    )
    assert answer["Count"] == 0


def test_with_aws_limits_and_no_hold_nothing_is_refused(ddb: Any) -> None:
    # the limits local mode runs with by default: AWS's, no transaction held
    assert limits.limits() == limits.Limits()
    for _ in range(50):
        put(ddb, "hot")
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "t",
                        "Key": {"pk": {"S": "hot"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                }
            ]
        )


def test_an_update_that_puts_an_item_into_a_full_index_partition_is_refused_whole(
    clock: Clock, ddb: Any
) -> None:
    # GIVEN an index partition (a bucket) that took its 10 units this second
    for n in range(10):
        put(ddb, f"tx-{n}", bucket="b-0900")
    put(ddb, "late")  # in no bucket yet (writes 1 unit to its own table key)
    # WHEN an update sets its bucket to the full one THEN it is refused, and undone
    with pytest.raises(ClientError) as refused:
        ddb.update_item(
            TableName="t",
            Key={"pk": {"S": "late"}},
            UpdateExpression="SET #b = :b",
            ExpressionAttributeNames={"#b": "bucket"},
            ExpressionAttributeValues={":b": {"S": "b-0900"}},
        )
    assert code(refused) == "ProvisionedThroughputExceededException"
    assert "bucket" not in ddb.get_item(TableName="t", Key={"pk": {"S": "late"}})["Item"]
