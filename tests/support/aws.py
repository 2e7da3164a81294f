"""moto in process, with the emulator's patches: the blueprint's resources created as
local mode creates them, and every function's environment set as deployed. A tier's
conftest imports the fixtures it uses from here; its tests, the table helpers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cardwatch.blueprint import Blueprint, blueprint_for
from cardwatch.handlers import wiring
from cardwatch.local.emulator import patches
from cardwatch.local.runtime.provision import Provisioned, api_keys, provision

# moto as AWS behaves where they differ (atomic DynamoDB requests, all-or-nothing
# transactions, consumed capacity by item size, ...): see the patches' package.
patches.install()

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


def scan_all(table_name: str) -> list[dict[str, Any]]:
    return list(boto3.resource("dynamodb").Table(table_name).scan()["Items"])


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)
