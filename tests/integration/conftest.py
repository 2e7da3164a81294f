"""moto in process: the blueprint's resources, created as local mode creates them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws

from cardwatch.blueprint import Blueprint, blueprint_for
from cardwatch.handlers import wiring
from cardwatch.local.emulator import patches as fidelity
from cardwatch.local.runtime.provision import Provisioned, api_keys, provision
from tests.conftest import load_fixture

# moto as AWS behaves where they differ (atomic DynamoDB requests, all-or-nothing
# transactions, consumed capacity by item size, ...): see the module.
fidelity.install()

#: The two API keys' values (each deployment's API Gateway generates its own).
INGEST_KEY, ANALYST_KEY = "ingest-key-for-tests-0123456789", "analyst-key-for-tests-0123456789"


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
    api_keys(blueprint, session, made, INGEST_KEY, ANALYST_KEY)
    for key in blueprint.functions:
        for name, value in made.environment(blueprint, key).items():
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAX_TRANSACTION_AGE_DAYS", "36500")
    wiring.reset()
    yield made
    wiring.reset()


class FakeContext(LambdaContext):
    _function_name = "transaction-ingest-test"
    _memory_limit_in_mb = 512
    _invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:ingest"
    _aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


@pytest.fixture
def lambda_context() -> LambdaContext:
    return FakeContext()


@pytest.fixture
def api_event() -> Callable[..., dict[str, Any]]:
    def make(body: str | None, **headers: str) -> dict[str, Any]:
        event: dict[str, Any] = load_fixture("apigw_post_transactions.json")
        event["body"] = body
        event["headers"].update(headers)
        return event

    return make


def scan_all(table_name: str) -> list[dict[str, Any]]:
    return list(boto3.resource("dynamodb").Table(table_name).scan()["Items"])


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)
