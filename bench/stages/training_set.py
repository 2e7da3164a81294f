"""The training set built by SQL over the table's exports: measured on a small history,
then extrapolated to 91 days at 3 million transactions a day.

Measured, each step stated:

1. **A history** of ``ROWS`` decided transactions (the decision record with its 49
   features, 0.2 % labelled fraud) is written to the emulator's table, as ingest and
   detect leave it, and exported in full to S3 by the emulator (DynamoDB's format).
2. **The query** (:data:`~cardwatch.adapters.decision_export.TRAINING_SET_QUERY`) runs
   on DuckDB over the exported files, on one thread, drawing the genuine at
   ``SHARE``: its CPU time per exported row, the exported bytes per row (compressed,
   what Athena scans), and the rows it returns.

Extrapolated (labelled so), per-row figures times 91 days x 3 million rows:

- the bytes Athena scans and its price (USD 5 a TB scanned);
- the training set's rows at the share, and the memory they take in the retrain
  function (float32 features, 4 bytes each, and the label, weight and time);
- the CPU the query would take on one core (Athena spreads it; shown for scale).
"""

from __future__ import annotations

import gc
import random
import time
from typing import Any

from bench.results import Result

ROWS = 20_000
FRAUD_SHARE = 0.002
SHARE = 0.01
DAYS, PER_DAY = 91, 3_000_000
ATHENA_USD_PER_TB = 5.0
RETRAIN_MB = 3_008


def _history(blueprint: Any, client: Any, start_ms: int) -> None:
    """``ROWS`` decided transactions, written 25 at a time."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from boto3.dynamodb.types import TypeSerializer

    from cardwatch.adapters.dynamodb_store import bucket_key
    from cardwatch.domain.engine.features import FEATURES
    from cardwatch.domain.transaction.card import CardReference
    from cardwatch.domain.transaction.record import Transaction

    serialize = TypeSerializer().serialize
    draw = random.Random(7)
    batch: list[dict[str, Any]] = []
    fraud_every = int(1 / FRAUD_SHARE)
    for n in range(ROWS):
        at = start_ms + n * 60_000
        transaction = Transaction(
            f"ts-{n:07d}",
            f"user-{n % 5_000}",
            Decimal(100 + n % 19_900) / 100,
            "USD",
            datetime.fromtimestamp(at / 1000, UTC),
            f"term-{n % 2_000}",
            CardReference(f"tok_{n % 20_000:064x}", "411111", f"{n % 10_000:04d}"),
            extras={"merchant_id": "m-1", "channel": "pos", "country": "US"},
        )
        item = transaction.to_record(blueprint.time_bucket_seconds) | {
            "record_type": "transaction",
            "time_bucket": bucket_key(
                transaction.transaction_id, at, blueprint.time_bucket_seconds
            ),
            "decision": "approve",
            "score": Decimal("0.0123"),
            "model_version": "shipped",
            # served features vary row to row (counts, sums, ratios): drawn, as they
            # compress, not a repeated value
            "features": {
                name: Decimal(str(round(draw.lognormvariate(0, 2), 6))) for name in FEATURES
            },
        }
        if n % fraud_every == 0:
            item["label"] = "fraud"
        batch.append({"PutRequest": {"Item": {k: serialize(v) for k, v in item.items()}}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={blueprint.table_name: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={blueprint.table_name: batch})


def _measure() -> dict[str, float]:
    import boto3

    from cardwatch.adapters.decision_export import ExportedDecisionLog, exports_under
    from cardwatch.blueprint import blueprint_for
    from cardwatch.local.emulator.server import running_emulator
    from cardwatch.local.runtime.provision import provision

    blueprint = blueprint_for("local", "trainingset")
    start_ms = 1_790_000_000_000
    end_ms = start_ms + ROWS * 60_000
    with running_emulator(blueprint.region) as emulator:
        provision(blueprint, emulator.session())
        client = boto3.client("dynamodb", region_name=blueprint.region)
        s3 = boto3.client("s3", region_name=blueprint.region)
        s3.create_bucket(Bucket="trainingset-history")
        _history(blueprint, client, start_ms)
        arn = client.describe_table(TableName=blueprint.table_name)["Table"]["TableArn"]
        export = client.export_table_to_point_in_time(
            TableArn=arn, S3Bucket="trainingset-history", S3Prefix="history"
        )["ExportDescription"]["ExportArn"]
        for _ in range(600):
            status = client.describe_export(ExportArn=export)["ExportDescription"]
            if status["ExportStatus"] != "IN_PROGRESS":
                break
            time.sleep(0.1)
        keys = [k for e in exports_under(s3, "trainingset-history", "history") for k in e.data_keys]
        compressed = sum(
            s3.head_object(Bucket="trainingset-history", Key=k)["ContentLength"] for k in keys
        )
        log = ExportedDecisionLog(s3, "trainingset-history", "history")
        gc.collect()
        cpu = time.process_time()
        rows = log.training_set(start_ms, end_ms, end_ms, SHARE)
        cpu = time.process_time() - cpu
    frauds = sum(row.is_fraud for row in rows)
    return {
        "cpu": cpu,
        "bytes": float(compressed),
        "rows": float(len(rows)),
        "frauds": float(frauds),
    }


def run() -> list[Result]:
    measured = _measure()
    total = DAYS * PER_DAY
    per_row_bytes = measured["bytes"] / ROWS
    scanned_tb = total * per_row_bytes / 1e12
    set_rows = total * (FRAUD_SHARE + (1 - FRAUD_SHARE) * SHARE)
    row_bytes = 49 * 4 + 8 + 4 + 1  # float32 features, the time, the weight, the label
    set_mb = set_rows * row_bytes / 2**20
    cpu_per_row = measured["cpu"] / ROWS
    note = (
        f"measured on {ROWS:,} exported rows on the emulator, extrapolated to {DAYS} days "
        f"at {PER_DAY:,} a day"
    )
    return [
        Result(
            "training set: the query's CPU per exported row (DuckDB, the measured history)",
            round(cpu_per_row * 1e6, 1),
            "us",
            note=f"{ROWS:,} rows in {measured['cpu']:.2f} s; {measured['rows']:,.0f} returned "
            f"({measured['frauds']:,.0f} frauds, the genuine drawn at {SHARE:.0%})",
        ),
        Result(
            "training set: exported bytes per row (compressed, what Athena scans)",
            round(per_row_bytes, 0),
            "B",
            note="the emulator's export of the decision records (gzip, DynamoDB JSON)",
        ),
        Result(
            "training set, extrapolated: Athena's scan a run, 91 days at 3 million a day",
            round(scanned_tb * 1000, 1),
            "GB",
            note=f"{note}; USD {scanned_tb * ATHENA_USD_PER_TB:.2f} a run at USD 5 a TB",
        ),
        Result(
            "training set, extrapolated: rows and memory in the retrain function",
            round(set_mb, 0),
            "MB",
            RETRAIN_MB,
            note=f"{note}; {set_rows / 1e6:,.1f} million rows (every fraud at "
            f"{FRAUD_SHARE:.1%}, the genuine at {SHARE:.0%}), {row_bytes} bytes each; "
            "target: the function's memory",
        ),
        Result(
            "training set, extrapolated: the query's CPU on one core (Athena spreads it)",
            round(cpu_per_row * total / 3600, 1),
            "h",
            note=note,
        ),
    ]
