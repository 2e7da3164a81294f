"""The bench's cost per million: its parts follow from what the functions did and what
AWS charges, not from the emulator's durations."""

from __future__ import annotations

import pytest
from bench import prices
from bench.results import FunctionUse, HandlerDurations, PathUnits, WindowCost
from bench.stages import cost

MILLION = 1_000_000


def _parts(durations: HandlerDurations, units: PathUnits | None = None) -> dict[str, float]:
    return cost.model(durations, units or PathUnits(0, 0), WindowCost(0, 1024)).parts


def _use(cpu_ms: float, calls: dict[str, float] | None = None) -> FunctionUse:
    return FunctionUse(invocations=10, records=10, cpu_ms=cpu_ms, calls=calls or {})


def test_the_floor_is_the_architectures_least() -> None:
    (total, *_) = cost.run(HandlerDurations(), PathUnits(0, 0), WindowCost(0, 1024))
    floor = MILLION * (
        prices.API_GATEWAY_REST_REQUEST
        + prices.PIPES_REQUEST
        + prices.EVENTBRIDGE_EVENT
        + 2 * prices.LAMBDA_REQUEST
        + 2 * prices.DYNAMODB_WRITE_UNIT
    )
    assert total.baseline == pytest.approx(floor, abs=0.01)


def test_a_function_costs_its_cpu_at_its_memory_share_and_its_calls_round_trips() -> None:
    # detect at 512 MB: 0.289 of a vCPU; 10 ms of CPU take 34.6 ms, two GetItems 10 more
    uses = {"detect": _use(10.0, {"dynamodb.GetItem": 2.0})}
    results = cost.run(HandlerDurations(uses=uses), PathUnits(0, 0), WindowCost(0, 1024))
    duration = next(r for r in results if r.name.startswith("modelled duration per record"))
    assert duration.value == pytest.approx(10 / (512 / 1769) + 2 * 5.0, abs=0.1)
    billed = -(-duration.value // 1)  # whole milliseconds
    expected = MILLION * (billed / 1000 * 0.5 * prices.LAMBDA_GB_SECOND_ARM + prices.LAMBDA_REQUEST)
    assert _parts(HandlerDurations(uses=uses))["Lambda detect"] == pytest.approx(expected, abs=0.01)


def test_dynamodb_is_priced_by_the_units_of_the_heat_mix() -> None:
    parts = _parts(HandlerDurations(), PathUnits(20.0, 6.0))
    assert parts["DynamoDB"] == pytest.approx(20 * 0.625 + 6 * 0.125, abs=0.01)


def test_batches_share_an_invocations_request_and_a_kms_call_is_priced() -> None:
    single = FunctionUse(invocations=100, records=100, cpu_ms=1.0)
    batched = FunctionUse(invocations=1, records=100, cpu_ms=1.0, calls={"kms.GenerateMac": 0.5})
    one = _parts(HandlerDurations(uses={"aggregate": single}))
    many = _parts(HandlerDurations(uses={"aggregate": batched}))
    assert many["Lambda aggregate"] < one["Lambda aggregate"]
    assert many["calls to KMS SQS SNS S3"] == pytest.approx(
        MILLION * 0.5 * prices.KMS_REQUEST, abs=0.01
    )
