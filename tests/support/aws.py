"""moto in process, with the emulator's patches: the blueprint's resources created as
local mode creates them, and every function's environment set as deployed. A tier's
conftest imports the fixtures it uses from here; its tests, the table helpers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from moto import mock_aws

from cardwatch.adapters.dynamodb_counters import DynamoEntityCounters
from cardwatch.adapters.dynamodb_state import DynamoStateStore
from cardwatch.blueprint import Blueprint, blueprint_for
from cardwatch.domain.engine.state import StateChange
from cardwatch.handlers import wiring
from cardwatch.handlers.aggregate import applied_events
from cardwatch.local.emulator import patches
from cardwatch.local.runtime.provision import Provisioned, api_keys, provision
from cardwatch.local.runtime.stream_mapping import StreamMapping
from cardwatch.services.aggregate import AggregationService

# moto as AWS behaves where they differ (atomic DynamoDB requests, all-or-nothing
# transactions, consumed capacity by item size, ...): see the patches' package.
patches.install()

#: The two API keys' values (each deployment's API Gateway generates its own).
INGEST_KEY, ANALYST_KEY = "ingest-key-for-tests-0123456789", "analyst-key-for-tests-0123456789"
FEED_KEY = "feed-key-for-tests-0123456789"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield


@pytest.fixture
def blueprint() -> Blueprint:
    return blueprint_for("local", "test")


@pytest.fixture
def provisioned(
    aws: None, blueprint: Blueprint, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Provisioned]:
    """The blueprint on moto, and every function's environment set as deployed."""
    session = boto3.session.Session(region_name="us-east-1")
    made = provision(blueprint, session)
    api_keys(blueprint, session, made, INGEST_KEY, ANALYST_KEY, FEED_KEY)
    for key in blueprint.functions:
        for name, value in made.environment(blueprint, key).items():
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAX_TRANSACTION_AGE_DAYS", "36500")
    wiring.reset()
    yield made
    wiring.reset()


def scan_all(table_name: str) -> list[dict[str, Any]]:
    return list(boto3.resource("dynamodb").Table(table_name).scan()["Items"])


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def profile_folding(
    blueprint: Blueprint,
    client: Any | None = None,
    *,
    invoke: Callable[[dict[str, Any]], Any] | None = None,
    on_failure: Callable[[dict[str, Any]], None] | None = None,
    retry_attempts: int | None = None,
) -> StreamMapping:
    """The profile stream's mapping to aggregate, run on demand (``drain``): what the
    deployed mapping does within about a second of each applied event (``invoke``: the
    function, by default aggregate's service on ``client``)."""
    client = client or boto3.client("dynamodb")
    table = client.describe_table(TableName=blueprint.profile_table_name)["Table"]
    service = AggregationService(
        DynamoEntityCounters(blueprint.profile_table_name, client, sleep=lambda _s: None)
    )
    failures: list[dict[str, Any]] = []
    name = blueprint.functions["aggregate"].name
    return StreamMapping(
        streams_client(blueprint),
        table["LatestStreamArn"],
        blueprint.aggregate_filter,
        invoke or (lambda event: service.handle(applied_events(DynamoDBStreamEvent(event)))),
        on_failure or failures.append,
        function_arn=f"arn:aws:lambda:{blueprint.region}:123456789012:function:{name}",
        region=blueprint.region,
        batch_size=blueprint.aggregate_batch_size,
        retry_attempts=(
            blueprint.aggregate_retry_attempts if retry_attempts is None else retry_attempts
        ),
    )


def streams_client(blueprint: Blueprint) -> Any:
    """DynamoDB Streams on moto in process, at its regional endpoint (moto does not route
    the account-based one botocore now picks for streams, 123456789012.streams-ddb...)."""
    return boto3.client(
        "dynamodbstreams",
        region_name=blueprint.region,
        endpoint_url=f"https://streams.dynamodb.{blueprint.region}.amazonaws.com",
    )


class SettledState:
    """A :class:`DynamoStateStore` whose ``apply`` waits for the shared entities'
    counters to be folded (the stream drained through aggregate): the state as every
    later read sees it once the fold has caught up."""

    def __init__(self, store: DynamoStateStore, folding: StreamMapping) -> None:
        self.store, self.folding = store, folding

    def apply(self, change: StateChange) -> bool:
        applied = self.store.apply(change)
        self.folding.drain()
        return applied

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)
