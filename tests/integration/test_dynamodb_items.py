"""Query and Scan items read without botocore's walk are the items botocore gives."""

from __future__ import annotations

import decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from cardwatch.adapters.dynamodb_items import read_items_fast
from cardwatch.adapters.dynamodb_store import from_attributes
from cardwatch.blueprint import Blueprint
from cardwatch.local.runtime.provision import Provisioned

ITEM: dict[str, Any] = {
    "entity": {"S": "probe"},
    "slot": {"S": "s#1"},
    "n": {"N": "12.50"},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "names": {"SS": ["a", 'b "B" c']},
    "numbers": {"NS": ["1", "2.5"]},
    "list": {"L": [{"S": "x"}, {"N": "3"}, {"M": {"deep": {"S": "é ☃"}}}]},
    "map": {"M": {"k": {"L": []}, "n": {"N": "-1e-3"}}},
}


def _both(blueprint: Blueprint) -> tuple[Any, Any]:
    return boto3.client("dynamodb"), read_items_fast(boto3.client("dynamodb"))


def test_every_type_but_binary_reads_the_same_through_query_and_scan(
    provisioned: Provisioned, blueprint: Blueprint
) -> None:
    plain, fast = _both(blueprint)
    table = blueprint.profile_table_name
    for n in range(30):
        plain.put_item(TableName=table, Item={**ITEM, "slot": {"S": f"s#{n:02d}"}})
    query = {
        "TableName": table,
        "KeyConditionExpression": "entity = :e",
        "ExpressionAttributeValues": {":e": {"S": "probe"}},
        "Limit": 7,
        "ReturnConsumedCapacity": "TOTAL",
    }
    slow_page, fast_page = plain.query(**query), fast.query(**query)
    for page in (slow_page, fast_page):
        page.pop("ResponseMetadata")
    assert fast_page == slow_page and len(fast_page["Items"]) == 7
    assert "LastEvaluatedKey" in fast_page and "ConsumedCapacity" in fast_page
    scan = {"TableName": table}
    assert fast.scan(**scan)["Items"] == plain.scan(**scan)["Items"]
    assert read_items_fast(fast) is fast  # once per client


def test_binary_values_and_errors_are_left_to_botocore(
    provisioned: Provisioned, blueprint: Blueprint
) -> None:
    plain, fast = _both(blueprint)
    table = blueprint.profile_table_name
    plain.put_item(TableName=table, Item={**ITEM, "blob": {"B": b"\x00\xff"}})
    query = {
        "TableName": table,
        "KeyConditionExpression": "entity = :e",
        "ExpressionAttributeValues": {":e": {"S": "probe"}},
    }
    assert fast.query(**query)["Items"][0]["blob"] == {"B": b"\x00\xff"}
    try:
        fast.query(**{**query, "TableName": "no-such-table"})
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ResourceNotFoundException"
    else:
        raise AssertionError("a missing table was read")


def test_the_items_are_taken_before_botocore_parses_the_page(
    provisioned: Provisioned, blueprint: Blueprint
) -> None:
    fast = read_items_fast(boto3.client("dynamodb"))
    table = blueprint.profile_table_name
    fast.put_item(TableName=table, Item=ITEM)
    bodies: list[bytes] = []
    fast.meta.events.register(
        "before-parse.dynamodb.Query",
        lambda response_dict, **_: bodies.append(response_dict["body"]),
    )
    page = fast.query(
        TableName=table,
        KeyConditionExpression="entity = :e",
        ExpressionAttributeValues={":e": {"S": "probe"}},
    )
    assert page["Items"] == [ITEM] and b"Items" not in bodies[0]


def test_values_read_back_are_what_boto3_deserializes() -> None:
    """The store's shortcut for strings and numbers gives boto3's values, its decimal
    context included: a number DynamoDB cannot hold is refused, never rounded."""
    item = {**ITEM, "blob": {"B": b"\x00\xff"}, "big": {"N": "1" * 38}}
    expected = {key: TypeDeserializer().deserialize(value) for key, value in item.items()}
    assert from_attributes(item) == expected
    assert {key: type(value) for key, value in from_attributes(item).items()} == {
        key: type(value) for key, value in expected.items()
    }
    with pytest.raises(decimal.Inexact):
        from_attributes({"n": {"N": "1" * 39}})
    with pytest.raises(decimal.Inexact):
        TypeDeserializer().deserialize({"N": "1" * 39})
