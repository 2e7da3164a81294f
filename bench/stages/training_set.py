"""The training set built by Athena over the table's exports: measured on a small history
through the deployed path on the emulator, then extrapolated to 91 days at 3 million
transactions a day.

Measured, each step stated:

1. **A history** of ``ROWS`` decided transactions (the decision record with its 49
   features, 0.2 % labelled fraud) is written to the emulator's table, as ingest and
   detect leave it, then exported and catalogued by the export function's code (the
   emulator writes DynamoDB's export format).
2. **The query** runs as the retrain function runs it: an UNLOAD to Parquet in the
   workgroup (the emulator's Athena runs it with DuckDB), drawing the genuine at
   ``SHARE``: the engine's time per exported row, the bytes it scanned per row
   (compressed, what Athena bills), and the rows it returns.
3. **The function's read** of a set: downloading the Parquet and making the rows, its
   CPU per returned row in this process (measured on a set of every row).

Extrapolated (labelled so), per-row figures times 3 million rows a day:

- the bytes Athena scans a run and its price (USD 5 a TB): the 91 days of history's
  exports (the query prunes the older ones' partitions);
- the training set's rows at the share, the memory they take in the retrain function
  (float32 features, 4 bytes each, and the label, weight and time), and the time the
  function takes to read them.
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

    from cardwatch.blueprint import blueprint_for
    from cardwatch.handlers.config import RetrainConfig
    from cardwatch.handlers.wiring import retrain as wiring
    from cardwatch.local.emulator.server import running_emulator
    from cardwatch.local.runtime.exports import export_until_current
    from cardwatch.local.runtime.provision import provision

    blueprint = blueprint_for("local", "trainingset")
    start_ms = 1_790_000_000_000
    end_ms = start_ms + ROWS * 60_000
    with running_emulator(blueprint.region) as emulator:
        provision(blueprint, emulator.session())

        def clients(name: str) -> Any:
            return boto3.client(name, region_name=blueprint.region)

        _history(blueprint, clients("dynamodb"), start_ms)
        export_until_current(blueprint, clients)
        environment = blueprint.functions["retrain"].environment
        chosen = RetrainConfig.from_env(
            {k: v for k, v in environment.items() if isinstance(v, str)}
        )
        source = wiring.training_source(chosen, clients)
        rows = source.training_set(start_ms, end_ms, end_ms, SHARE)
        assert source.last is not None
        engine_s, scanned = source.last.engine_ms / 1000, source.last.scanned_bytes
        # the read per row, on a set of every row (a few hundred rows are all overhead)
        gc.collect()
        cpu = time.process_time()
        whole = source.training_set(start_ms, end_ms, end_ms, 1.0)
        cpu = time.process_time() - cpu
    frauds = sum(row.is_fraud for row in rows)
    return {
        "engine_s": engine_s,
        "read_cpu": cpu,
        "read_rows": float(len(whole)),
        "bytes": float(scanned),
        "rows": float(len(rows)),
        "frauds": float(frauds),
    }


def run() -> list[Result]:
    measured = _measure()
    per_row_bytes = measured["bytes"] / ROWS
    history_tb = DAYS * PER_DAY * per_row_bytes / 1e12
    set_rows = DAYS * PER_DAY * (FRAUD_SHARE + (1 - FRAUD_SHARE) * SHARE)
    row_bytes = 49 * 4 + 8 + 4 + 1  # float32 features, the time, the weight, the label
    set_mb = set_rows * row_bytes / 2**20
    read_per_row = measured["read_cpu"] / max(measured["read_rows"], 1)
    note = f"measured on {ROWS:,} exported rows on the emulator, extrapolated at {PER_DAY:,} a day"
    return [
        Result(
            "training set: the engine's time per exported row (the emulator's Athena)",
            round(measured["engine_s"] / ROWS * 1e6, 1),
            "us",
            note=f"{ROWS:,} rows in {measured['engine_s']:.2f} s (DuckDB, wall); "
            f"{measured['rows']:,.0f} returned ({measured['frauds']:,.0f} frauds, the "
            f"genuine drawn at {SHARE:.0%})",
        ),
        Result(
            "training set: bytes scanned per exported row (compressed, what Athena bills)",
            round(per_row_bytes, 0),
            "B",
            note="the query's DataScannedInBytes over the emulator's export (gzip, DynamoDB JSON)",
        ),
        Result(
            f"training set, extrapolated: Athena's scan a run, {DAYS} days of exports",
            round(history_tb * 1000, 1),
            "GB",
            note=f"{note}; USD {history_tb * ATHENA_USD_PER_TB:.2f} a run at USD 5 a TB (older "
            "exports' partitions are pruned)",
        ),
        Result(
            "training set, extrapolated: rows and memory in the retrain function",
            round(set_mb, 0),
            "MB",
            RETRAIN_MB,
            note=f"{note} over {DAYS} days; {set_rows / 1e6:,.1f} million rows (every fraud "
            f"at {FRAUD_SHARE:.1%}, the genuine at {SHARE:.0%}), {row_bytes} bytes each; "
            "target: the function's memory",
        ),
        Result(
            "training set, extrapolated: the retrain function's read of the set",
            round(read_per_row * set_rows, 0),
            "s",
            900,
            note=f"{note}; {read_per_row * 1e6:.1f} us a row (download, Parquet, rows) "
            f"measured in this process on a set of {measured['read_rows']:,.0f} rows; target: "
            "Lambda's 15 minutes (the fit comes after)",
        ),
    ]
