"""Cost per million transactions, modelled from AWS-side figures, beside the floor of
the architecture.

Each part, and where its figure comes from:

- **Lambda.** Each function's duration per record is its own CPU time (the local
  pipeline stage's: the invocation thread's CPU, the emulator being another process),
  divided by the vCPU share its memory buys (1,769 MB is one vCPU), plus each AWS call
  it made at the round trip :mod:`bench.latencies` assumes. Billed per GB-second at its
  memory (the 1,000-a-second deployment's), plus a request per invocation. ingest and
  detect run once per transaction; aggregate once per batch of the profile stream
  (its measured records per invocation, small on one machine: an upper bound); notify
  once per flagged transaction (its records); analyze once per five-minute window, for
  the analyze_window stage's modelled duration.
- **DynamoDB.** The heat stage's units per transaction over its reference mix (1,000 a
  second, 10 % at one terminal, a 30 % card-testing burst, every table and index), at
  on-demand prices.
- **Per event.** API Gateway, the Pipe, the bus; SQS, SNS for the flagged (the mix's
  burst, 30 %, and the alert budget's share of the rest); KMS, SSM and S3 calls the
  functions made; CloudWatch Logs for the bytes logged (measured) and Lambda's own
  lines; X-Ray at its 5 % sampling.

The floor is what this architecture cannot go below: API Gateway's request, the Pipe's
and the bus's event, two invocations (ingest, detect) of 1 ms at 128 MB, and two
writes of one unit (the transaction, its decision).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench import latencies, prices
from bench.results import FunctionUse, HandlerDurations, PathUnits, Result, WindowCost
from cardwatch.blueprint import blueprint_for

MILLION = 1_000_000
ONE_VCPU_MB = 1_769
RATE = 1_000  # transactions a second
WINDOW_SECONDS = 300
BURST_SHARE = 0.30  # the heat mix's card-testing burst, every one flagged
PLATFORM_LOG_BYTES = 400  # Lambda's START, END and REPORT lines an invocation
XRAY_SAMPLING = 0.05
#: the functions priced by their records (analyze by its windows)
MODELLED = ("ingest", "detect", "aggregate", "notify")
#: calls priced per request (DynamoDB's are priced by the heat stage's units)
_CALL_PRICES = {
    "kms": prices.KMS_REQUEST,
    "sqs": prices.SQS_REQUEST,
    "sns": prices.SNS_PUBLISH,
    "events": prices.EVENTBRIDGE_EVENT,
    "s3": prices.S3_GET_REQUEST,
}


def _duration_ms(use: FunctionUse, memory_mb: int) -> float:
    """A record's modelled duration: own CPU at the memory's vCPU share, plus calls."""
    share = min(1.0, memory_mb / ONE_VCPU_MB)
    return use.cpu_ms / share + sum(n * latencies.call_ms(c) for c, n in use.calls.items())


def _function(use: FunctionUse, memory_mb: int, records: float) -> tuple[float, float, float]:
    """(compute, requests, calls) in USD for ``records`` records of the function."""
    per_invocation = max(1.0, use.records / use.invocations)
    invocations = records / per_invocation
    billed_ms = math.ceil(_duration_ms(use, memory_mb) * per_invocation)  # 1 ms steps
    compute = invocations * billed_ms / 1000 * memory_mb / 1024 * prices.LAMBDA_GB_SECOND_ARM
    calls = records * sum(
        n * _CALL_PRICES.get(call.partition(".")[0], 0.0) for call, n in use.calls.items()
    )
    return compute, invocations * prices.LAMBDA_REQUEST, calls


def _floor() -> float:
    invocation = 0.001 * 128 / 1024 * prices.LAMBDA_GB_SECOND_ARM + prices.LAMBDA_REQUEST
    return MILLION * (
        prices.API_GATEWAY_REST_REQUEST
        + prices.PIPES_REQUEST
        + prices.EVENTBRIDGE_EVENT
        + 2 * invocation
        + 2 * prices.DYNAMODB_WRITE_UNIT
    )


@dataclass(frozen=True)
class CostModel:
    #: USD a million transactions, by part
    parts: dict[str, float]
    floor: float
    flagged: float

    @property
    def total(self) -> float:
        return sum(self.parts.values())


def model(durations: HandlerDurations, units: PathUnits, window: WindowCost) -> CostModel:
    """The parts of a million transactions' cost (see the module's docstring)."""
    bp = blueprint_for("pulumi")
    budget = bp.alert_review_share + bp.alert_block_share
    flagged = BURST_SHARE + (1 - BURST_SHARE) * budget
    records: dict[str, float] = dict.fromkeys(MODELLED[:3], float(MILLION))
    records["notify"] = MILLION * flagged
    parts: dict[str, float] = {}
    log_bytes = 0.0
    for key, count in records.items():
        use = durations.uses.get(key)
        if use is None:
            continue
        compute, requests, calls = _function(use, bp.functions[key].memory_mb, count)
        parts[f"Lambda {key}"] = compute + requests
        parts["calls to KMS SQS SNS S3"] = parts.get("calls to KMS SQS SNS S3", 0.0) + calls
        per_invocation = max(1.0, use.records / use.invocations)
        log_bytes += count * (use.log_bytes + PLATFORM_LOG_BYTES / per_invocation)
    runs = MILLION / (RATE * WINDOW_SECONDS)
    parts["Lambda analyze"] = runs * (
        window.seconds * window.memory_mb / 1024 * prices.LAMBDA_GB_SECOND_ARM
        + prices.LAMBDA_REQUEST
    )
    analyze_reads = runs * window.read_units * prices.DYNAMODB_READ_UNIT
    parts["DynamoDB"] = analyze_reads + MILLION * (
        units.write * prices.DYNAMODB_WRITE_UNIT + units.read * prices.DYNAMODB_READ_UNIT
    )
    parts["API Gateway"] = MILLION * prices.API_GATEWAY_REST_REQUEST
    parts["Pipe and bus"] = MILLION * (prices.PIPES_REQUEST + prices.EVENTBRIDGE_EVENT)
    # the alert queue: each flagged message sent, received and deleted; SNS: one publish
    parts["alerts to SQS and SNS"] = (
        MILLION * flagged * (3 * prices.SQS_REQUEST + prices.SNS_PUBLISH)
        if "notify" not in durations.uses
        else MILLION * flagged * 2 * prices.SQS_REQUEST  # the mapping's receives and deletes
    )
    parts["CloudWatch Logs"] = log_bytes / 1e9 * prices.CLOUDWATCH_LOGS_GB
    parts["X-Ray"] = MILLION * 2 * XRAY_SAMPLING * prices.XRAY_TRACE
    return CostModel(parts, _floor(), flagged)


def run(durations: HandlerDurations, units: PathUnits, window: WindowCost) -> list[Result]:
    bp = blueprint_for("pulumi")
    modelled = model(durations, units, window)
    parts, total, floor, flagged = (
        modelled.parts,
        modelled.total,
        modelled.floor,
        modelled.flagged,
    )
    managed = MILLION * prices.MANAGED_FRAUD_PREDICTION
    assumed = sorted(
        {call for use in durations.uses.values() for call in use.calls} - set(latencies.CALL_MS)
    )
    breakdown = ", ".join(f"{name} {value:.2f}" for name, value in parts.items())
    return [
        Result(
            "cost per million transactions (AWS, us-east-1, arm64, modelled)",
            round(total, 2),
            "USD",
            20.0,
            round(floor, 2),
            round(total / floor, 2),
            note=f"prices of {prices.PRICES_RECORDED_ON}; {breakdown}; {flagged:.1%} flagged; "
            "baseline: the architecture's floor"
            + (f"; calls at the default latency: {', '.join(assumed)}" if assumed else ""),
        ),
        Result(
            "cost per million transactions, against the architecture's floor",
            round(total / floor, 2),
            "x",
            1.5,
            note=f"floor USD {floor:.2f}: API Gateway, the Pipe's and the bus's event, "
            "ingest and detect at 1 ms and 128 MB, two one-unit writes",
        ),
        Result(
            "cost per million transactions, against a managed fraud-scoring service",
            round(total / managed, 4),
            "x",
            note=f"USD {managed:,.0f} a million predictions",
        ),
        *(
            Result(
                f"modelled duration per record: {key} at {bp.functions[key].memory_mb} MB",
                round(_duration_ms(use, bp.functions[key].memory_mb), 1),
                "ms",
                note=f"own CPU {use.cpu_ms:.2f} ms; calls per record: "
                + ", ".join(f"{call} {n:.2f}" for call, n in use.calls.items()),
            )
            for key, use in durations.uses.items()
            if key in MODELLED
        ),
    ]
