"""moto in process: the blueprint's resources, created as local mode creates them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from tests.support.aws import ANALYST_KEY, INGEST_KEY, aws, blueprint, provisioned
from tests.support.documents import load_fixture

__all__ = ["ANALYST_KEY", "INGEST_KEY", "aws", "blueprint", "provisioned"]


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
