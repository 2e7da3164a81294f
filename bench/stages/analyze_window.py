"""analyze at 1,000 transactions a second: a five-minute window of 300,000, read and judged.

Measured, then modelled, each step stated:

1. **Measured on the emulator.** Two windows of ``SAMPLE`` transactions each (the window
   judged, and the window before, whose scores the alert budget folds) are written to
   the time-bucket index as ingest and detect leave them (the decision record with its
   49 features), on moto's server in its own process. analyze's reads
   (``entries_between``, ``scores_between``) and its judgement (``find_patterns``)
   run here: this process's CPU time is analyze's own (the emulator's is another
   process's), and the units the index served are read from the emulator's answers.
2. **Scaled to 300,000** per window by the transactions' count (the reads and the
   judgement are linear in it; the window's shards are as many at any rate).
3. **At Lambda's 1,024 MB** a function has about 0.58 of a vCPU (1,769 MB is one): the
   CPU time is divided by that share.
4. **The read floor**: the bytes the index serves, at DynamoDB's 3,000 read units a
   second per partition key (eventually consistent reads: 8 KB a unit), over the
   window's 16 shard keys read 8 at a time.
5. **Memory**: the peak of what the reads and the judgement allocate (``tracemalloc``,
   in a second pass), scaled.
"""

from __future__ import annotations

import gc
import math
import os
import time
import tracemalloc
from typing import Any

from bench.results import Result, WindowCost
from cardwatch.adapters.dynamodb_store import TIME_BUCKET_SHARDS

SAMPLE = 10_000
WINDOW = 300_000
LAMBDA_MB, ONE_VCPU_MB = 1_024, 1_769
KEY_RCU = 3_000  # a partition key's read units a second
READERS = 8
PAGE_BYTES = 1024 * 1024  # a Query's page: at most 1 MB of items read


def _items(blueprint: Any, start_ms: int, count: int) -> list[dict[str, Any]]:
    """Transaction items as stored and decided: the ingest record and the decision."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from cardwatch.adapters.dynamodb_store import bucket_key
    from cardwatch.domain.engine.features import FEATURES
    from cardwatch.domain.transaction.card import CardReference
    from cardwatch.domain.transaction.record import Transaction

    items = []
    for n in range(count):
        at = start_ms + n * 300_000 // count
        transaction = Transaction(
            f"aw-{start_ms}-{n}",
            f"user-{n % 50_000}",
            Decimal(100 + n % 19_900) / 100,
            "USD",
            datetime.fromtimestamp(at / 1000, UTC),
            f"term-{n % 20_000}",
            CardReference(f"tok_{n % 100_000:064x}", "411111", f"{n % 10_000:04d}"),
            extras={"merchant_id": "m-1", "channel": "pos", "country": "US"},
        )
        record = transaction.to_record(blueprint.time_bucket_seconds)
        record |= {
            "record_type": "transaction",
            "time_bucket": bucket_key(
                transaction.transaction_id, transaction.timestamp_ms, blueprint.time_bucket_seconds
            ),
            "decision": "approve",
            "score": Decimal("0.0123"),
            "model_version": "shipped",
            "reasons": [],
            "features": {name: Decimal(n % 97) / 7 for name in FEATURES},
        }
        items.append(record)
    return items


def _seed(client: Any, blueprint: Any, firsts: tuple[int, int], progress: Any) -> None:
    """Both windows' items, written 25 at a time."""
    from boto3.dynamodb.types import TypeSerializer

    serialize = TypeSerializer().serialize
    task = progress.add_task("analyze window: writing two windows", total=2 * SAMPLE)
    for first in firsts:
        items = _items(blueprint, first, SAMPLE)
        for at in range(0, len(items), 25):
            client.batch_write_item(
                RequestItems={
                    blueprint.table_name: [
                        {"PutRequest": {"Item": {k: serialize(v) for k, v in i.items()}}}
                        for i in items[at : at + 25]
                    ]
                }
            )
            progress.advance(task, 25)


class _Served:
    """The units, bytes and queries the client's queries were served (a client hook)."""

    def __init__(self, client: Any) -> None:
        self.units, self.bytes, self.calls = 0.0, 0, 0
        events = client.meta.events
        events.register("provide-client-params.dynamodb.Query", self._ask)
        events.register("after-call.dynamodb.Query", self._count)

    @staticmethod
    def _ask(params: dict[str, Any], **_: Any) -> None:
        params.setdefault("ReturnConsumedCapacity", "TOTAL")

    def _count(self, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        self.units += float((parsed.get("ConsumedCapacity") or {}).get("CapacityUnits", 0))
        self.bytes += len(http_response.content or b"")
        self.calls += 1


def _measure() -> dict[str, float]:
    """analyze's reads and judgement of one sample window (and the window before)."""
    import boto3
    from rich.progress import Progress

    from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
    from cardwatch.blueprint import blueprint_for
    from cardwatch.domain.engine.patterns import find_patterns
    from cardwatch.local.emulator.server import running_emulator
    from cardwatch.local.runtime.provision import provision

    blueprint = blueprint_for("local", "window")
    end = 1_795_000_200_000 // 300_000 * 300_000
    start, before = end - 300_000, end - 600_000
    with running_emulator(blueprint.region) as emulator:
        provision(blueprint, emulator.session())
        client = boto3.client("dynamodb", region_name=blueprint.region)
        # the progress display's refresh thread spends CPU in this process while the
        # reads wait on the emulator: it is stopped before anything is timed
        with Progress(transient=True) as progress:
            _seed(client, blueprint, (before, start), progress)
        served = _Served(client)
        store = DynamoTransactionStore(
            blueprint.table_name, client, blueprint.time_bucket_index_name
        )
        gc.collect()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        window = store.entries_between(start, end)
        scores = store.scores_between(before, start)
        read_cpu = time.process_time() - cpu0
        cpu1 = time.process_time()
        find_patterns(window)
        judge_cpu = time.process_time() - cpu1
        wall = time.perf_counter() - wall0
        assert len(window) == SAMPLE and len(scores) == SAMPLE, (len(window), len(scores))
        units, sent, calls = served.units, served.bytes, served.calls
        # a query's own cost (signing, sending, the answer's envelope), apart from its
        # items': the same keys of an empty window, read as often
        empty = end + 3_600_000
        gc.collect()
        cpu2 = time.process_time()
        queried = served.calls
        while served.calls - queried < calls:
            store.entries_between(empty, empty + 300_000)
        per_query = (time.process_time() - cpu2) / (served.calls - queried)
        # memory: again, with every allocation traced (slower, so apart from the timing)
        del window, scores
        gc.collect()
        tracemalloc.start()
        find_patterns(store.entries_between(start, end))
        store.scores_between(before, start)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {
        "read_cpu": read_cpu,
        "judge_cpu": judge_cpu,
        "wall": wall,
        "held_mb": peak / 2**20,
        "units": units,
        "bytes": float(sent),
        "queries": float(calls),
        "per_query_cpu": per_query,
    }


def _queries(units: float) -> int:
    """The queries of two windows of ``units`` read units: each of a window's shard keys
    read in pages of DynamoDB's 1 MB (a unit: 8 KB, eventually consistent), and the
    unsharded key once."""
    per_key = units / 2 / TIME_BUCKET_SHARDS * 8 * 1024
    return 2 * (TIME_BUCKET_SHARDS * max(1, math.ceil(per_key / PAGE_BYTES)) + 1)


def run() -> tuple[list[Result], WindowCost]:
    measured = _measure()
    scale = WINDOW / SAMPLE
    units = measured["units"] * scale
    # the reads' CPU: per item, scaled by the items; per query, by the queries a window
    # of 300,000 takes (the sample's pages are smaller than 1 MB: scaling its queries
    # with its items would count 30 times the queries the window makes)
    per_query = measured["per_query_cpu"]
    items_cpu = max(0.0, measured["read_cpu"] - per_query * measured["queries"]) * scale
    queries = _queries(units)
    read_cpu = items_cpu + per_query * queries
    judge_cpu = measured["judge_cpu"] * scale
    cpu = read_cpu + judge_cpu
    share = LAMBDA_MB / ONE_VCPU_MB
    # each window's units over its 16 keys, read 8 at a time; the two windows in turn
    keys = TIME_BUCKET_SHARDS
    floor = 2 * (units / 2 / keys) / KEY_RCU * (keys / READERS)
    duration = cpu / share + floor
    memory = measured["held_mb"] * scale  # the window's items and objects
    note = (
        f"modelled from {SAMPLE:,} a window on the emulator ({os.cpu_count()} cores here), "
        f"scaled to {WINDOW:,}"
    )
    return [
        Result(
            "analyze: 300,000-transaction window, modelled duration at 1,024 MB",
            round(duration, 1),
            "s",
            30,
            round(floor, 2),
            note=f"{note}; CPU {cpu:.1f} s (reads {read_cpu:.1f}: "
            f"{items_cpu / 2 / WINDOW * 1e6:.1f} µs an item, {per_query * 1e3:.1f} ms a "
            f"query of {queries}; judgement {judge_cpu:.1f}) over {share:.2f} vCPU, plus "
            "the read floor; baseline: the read floor",
        ),
        Result(
            "analyze: read floor of two windows at DynamoDB's per-key limit",
            round(floor, 2),
            "s",
            note=f"{units:,.0f} read units ({measured['bytes'] * scale / 1e6:,.0f} MB sent "
            f"back), {KEY_RCU:,} a second per key, 16 shard keys read {READERS} at a time; "
            f"{measured['wall']:.1f} s wall here for the sample",
        ),
        Result(
            "analyze: memory for a 300,000-transaction window",
            round(memory, 0),
            "MB",
            LAMBDA_MB,
            note=f"{note}: the peak the reads and the judgement allocate (tracemalloc; "
            "the import's is apart)",
        ),
        Result(
            "analyze: read units a run (two windows)",
            round(units, 0),
            "RCU",
            note="ReturnConsumedCapacity of the index's queries, by the projected items' "
            "size (the time-bucket index projects the transaction, not the features)",
        ),
    ], WindowCost(round(duration, 1), LAMBDA_MB, units)
