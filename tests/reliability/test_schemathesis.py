"""schemathesis against the local API's own OpenAPI document: generated positive and
negative requests; no server error, documented status codes, conforming bodies."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from cardwatch.local.pipeline import LocalPipeline
from cardwatch.schema.openapi import openapi_document


def test_the_api_conforms_to_its_document(stack: LocalPipeline) -> None:
    schema = schemathesis.openapi.from_dict(openapi_document(stack.api_url))
    schema.config.update(base_url=stack.api_url)
    operation = schema["/transactions"]["POST"]
    calls: list[int] = []

    @settings(
        max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        # The contract is a floor: Luhn, real dates and minor units are checked beyond it,
        # so schema-valid data may still be refused (with a 4xx naming the field).
        response = case.call_and_validate(
            headers={"x-api-key": stack.api_key}, excluded_checks=[positive_data_acceptance]
        )
        calls.append(response.status_code)

    check()
    assert calls and all(status < 500 for status in calls)


def test_the_label_route_conforms_to_its_document(stack: LocalPipeline) -> None:
    schema = schemathesis.openapi.from_dict(openapi_document(stack.api_url))
    schema.config.update(base_url=stack.api_url)
    operation = schema["/transactions/{transaction_id}/label"]["POST"]
    calls: list[int] = []

    @settings(
        max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        # generated ids name no stored transaction: a valid label there is a 404
        response = case.call_and_validate(
            headers={"x-api-key": stack.analyst_api_key},
            excluded_checks=[positive_data_acceptance],
        )
        calls.append(response.status_code)

    check()
    assert calls and all(status < 500 for status in calls)


def test_the_case_route_conforms_to_its_document(stack: LocalPipeline) -> None:
    schema = schemathesis.openapi.from_dict(openapi_document(stack.api_url))
    schema.config.update(base_url=stack.api_url)
    operation = schema["/transactions/{transaction_id}"]["GET"]
    calls: list[int] = []

    @settings(
        max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        response = case.call_and_validate(
            headers={"x-api-key": stack.analyst_api_key},
            excluded_checks=[positive_data_acceptance],
        )
        calls.append(response.status_code)

    check()
    assert calls and all(status < 500 for status in calls)
