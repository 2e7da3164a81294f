"""Cost per million transactions, from what two other stages measured: the handlers'
durations (local pipeline) and the DynamoDB units of one transaction (dynamodb units)."""

from __future__ import annotations

from bench import prices
from bench.results import HandlerDurations, PathUnits, Result
from cardwatch.blueprint import blueprint_for


def run(durations: HandlerDurations, units: PathUnits) -> list[Result]:
    """AWS cost of a million transactions through the deployed pipeline, from the
    handler durations measured on the emulator (an upper bound: the emulator is slower
    than DynamoDB) and the functions' memory sizes (bench/prices.py)."""
    bp = blueprint_for("cdktf")
    million = 1_000_000
    suspicious_share = 0.02
    ingest_s = durations.median_ms["ingest"] / 1000
    detect_s = durations.median_ms["detect"] / 1000
    lambda_cost = (
        million
        * (
            ingest_s * bp.functions["ingest"].memory_mb / 1024
            + detect_s * bp.functions["detect"].memory_mb / 1024
            + suspicious_share
            * durations.median_ms.get("notify", 0)
            / 1000
            * bp.functions["notify"].memory_mb
            / 1024
        )
        * prices.LAMBDA_GB_SECOND_ARM
        + million * (2 + suspicious_share) * prices.LAMBDA_REQUEST
    )
    dynamodb = (  # the units one transaction consumed on its whole path (measured)
        million * units.write * prices.DYNAMODB_WRITE_UNIT
        + million * units.read * prices.DYNAMODB_READ_UNIT
    )
    messaging = million * (
        prices.PIPES_REQUEST
        + prices.EVENTBRIDGE_EVENT
        + suspicious_share * (3 * prices.SQS_REQUEST + prices.SNS_PUBLISH)
    )
    total = (
        lambda_cost
        + dynamodb
        + messaging
        + million * prices.API_GATEWAY_REST_REQUEST
        + million * 2 * prices.XRAY_TRACE * 0.05
    )  # X-Ray sampling: 5 %
    managed = million * prices.MANAGED_FRAUD_PREDICTION
    return [
        Result(
            "cost per million transactions (AWS, us-east-1, arm64)",
            total,
            "USD",
            None,
            managed,
            total / managed,
            note=f"prices of {prices.PRICES_RECORDED_ON}; baseline: a million "
            "predictions on a managed fraud-scoring service",
        )
    ]
