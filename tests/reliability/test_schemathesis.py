"""schemathesis against the local API's own OpenAPI document: generated positive and
negative requests; no server error, documented status codes, conforming bodies."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from cardwatch.local.runtime.pipeline import LocalPipeline
from cardwatch.schema.openapi import openapi_document


def conforms(stack: LocalPipeline, path: str, method: str, key: str, examples: int) -> None:
    """Generated requests to one operation, each answer checked against the document.
    The contract is a floor: Luhn, real dates, minor units and the card screen are checked
    beyond it, so schema-valid data may still be refused (a 4xx naming the field), and a
    generated id names no stored transaction (a 404)."""
    schema = schemathesis.openapi.from_dict(openapi_document(stack.api_url))
    schema.config.update(base_url=stack.api_url)
    operation = schema[path][method]
    calls: list[int] = []

    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        response = case.call_and_validate(
            headers={"x-api-key": key}, excluded_checks=[positive_data_acceptance]
        )
        calls.append(response.status_code)

    check()
    assert calls and all(status < 500 for status in calls)


def test_the_api_conforms_to_its_document(stack: LocalPipeline) -> None:
    conforms(stack, "/transactions", "POST", stack.api_key, 120)


def test_the_label_route_conforms_to_its_document(stack: LocalPipeline) -> None:
    conforms(stack, "/transactions/{transaction_id}/label", "POST", stack.analyst_api_key, 80)


def test_the_case_route_conforms_to_its_document(stack: LocalPipeline) -> None:
    conforms(stack, "/transactions/{transaction_id}", "GET", stack.analyst_api_key, 40)


def test_the_review_queue_conforms_to_its_document(stack: LocalPipeline) -> None:
    conforms(stack, "/reviews", "GET", stack.analyst_api_key, 60)
