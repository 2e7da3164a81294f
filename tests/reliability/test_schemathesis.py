"""schemathesis against the local API's own OpenAPI document: generated positive and
negative requests; no server error, documented status codes, conforming bodies."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from cardwatch.local.runtime.pipeline import LocalPipeline
from cardwatch.schema.openapi import openapi_document
from tests.support.signing import RequestsSigned


def conforms(stack: LocalPipeline, path: str, method: str, key: str | None, examples: int) -> None:
    """Generated requests to one operation, each answer checked against the document.
    The contract is a floor: Luhn, real dates, minor units and the card screen are checked
    beyond it, so schema-valid data may still be refused (a 4xx naming the field), and a
    generated id names no stored transaction (a 404). ``key`` None: signed as a demo
    analyst (the analysts' routes take a person's own identity)."""
    schema = schemathesis.openapi.from_dict(openapi_document(stack.api_url))
    schema.config.update(base_url=stack.api_url)
    operation = schema[path][method]
    calls: list[int] = []

    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        sent: dict[str, Any] = (
            {"headers": {"x-api-key": key}} if key else {"auth": RequestsSigned(stack, "ana")}
        )
        response = case.call_and_validate(excluded_checks=[positive_data_acceptance], **sent)
        calls.append(response.status_code)

    check()
    assert calls and all(status < 500 for status in calls)


def test_the_api_conforms_to_its_document(stack: LocalPipeline) -> None:
    conforms(stack, "/transactions", "POST", stack.api_key, 120)


def test_the_label_route_conforms_to_its_document(stack: LocalPipeline) -> None:
    conforms(stack, "/transactions/{transaction_id}/label", "POST", stack.analyst_api_key, 80)


def test_the_case_route_conforms_to_its_document(stack: LocalPipeline) -> None:
    conforms(stack, "/transactions/{transaction_id}", "GET", None, 40)


def test_the_review_queue_conforms_to_its_document(stack: LocalPipeline) -> None:
    conforms(stack, "/reviews", "GET", None, 60)


def test_the_case_routes_conform_to_their_document(stack: LocalPipeline) -> None:
    conforms(stack, "/cases", "GET", None, 60)
    conforms(stack, "/cases/{case_id}", "GET", None, 30)
    conforms(stack, "/cases/{case_id}", "POST", None, 60)
