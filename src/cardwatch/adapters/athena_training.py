"""The training set built by Athena over the decision log's exports:
:class:`~cardwatch.domain.ports.TrainingSource`.

One UNLOAD of the training set's query (:func:`training_set_query`) writes the set as
Parquet under a prefix of its own (one per run: UNLOAD refuses a location with data),
in the deployment's workgroup (results encrypted with the deployment's key, a cap on
the bytes one query may scan). The function waits for it, then reads the files, one at a
time, with DuckDB. It never reads the table: the scan, the join of labels to decisions
and the draw of the genuine happen where the log is.
"""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cardwatch.adapters.decision_export import (
    CARD_WINDOW_FEATURES,
    card_windows_query,
    training_set_query,
)
from cardwatch.domain.ports import TrainingRow

__all__ = ["AthenaTrainingSet", "QueryRun", "TrainingSetFailed"]

_DONE = ("SUCCEEDED", "FAILED", "CANCELLED")


class TrainingSetFailed(RuntimeError):
    """Athena did not build the set: the message says why (Athena's reason)."""


@dataclass(frozen=True, slots=True)
class QueryRun:
    """The last set's query: its id, where the set is, what Athena scanned and took."""

    query_id: str
    location: str
    scanned_bytes: int
    engine_ms: int
    rows: int


class AthenaTrainingSet:
    def __init__(
        self,
        athena: Any,
        s3: Any,
        *,
        workgroup: str,
        source: str,
        bucket: str,
        prefix: str,
        timeout_s: float = 600.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._athena, self._s3, self._workgroup, self._source = athena, s3, workgroup, source
        self._bucket, self._prefix = bucket, prefix.strip("/")
        self._timeout_s, self._sleep = timeout_s, sleep
        self.last: QueryRun | None = None

    def training_set(
        self, start_ms: int, end_ms: int, matured_ms: int, genuine_share: float
    ) -> list[TrainingRow]:
        select = training_set_query(self._source, start_ms, end_ms, matured_ms, genuine_share)
        found = self._unloaded(select, "ts, features, is_fraud, weight, label_by")
        rows = [
            TrainingRow(int(ts), _features(features), bool(fraud), float(weight), by)
            for ts, features, fraud, weight, by in found
        ]
        # UNLOAD writes its files in parallel, each in order, none in order with another
        return sorted(rows, key=lambda row: row.timestamp_ms)

    def card_windows(self, start_ms: int, end_ms: int) -> dict[str, dict[str, float]]:
        """Transaction id -> the card windows recomputed from the history by the same
        engine (:data:`CARD_WINDOW_FEATURES`), for ``[start_ms, end_ms)``."""
        select = card_windows_query(self._source, start_ms, end_ms)
        found = self._unloaded(select, f"tid, {', '.join(CARD_WINDOW_FEATURES)}")
        return {
            str(tid): {n: float(v) for n, v in zip(CARD_WINDOW_FEATURES, values, strict=True)}
            for tid, *values in found
        }

    def _unloaded(self, select: str, columns: str) -> list[tuple[Any, ...]]:
        """``select`` run by UNLOAD under a prefix of its own; its rows' ``columns``."""
        moment = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        run = f"{self._prefix}/{moment}-{uuid.uuid4().hex[:8]}/"
        query_id = self._athena.start_query_execution(
            QueryString=(
                f"UNLOAD ({select}) TO 's3://{self._bucket}/{run}' "
                "WITH (format = 'PARQUET', compression = 'SNAPPY')"
            ),
            WorkGroup=self._workgroup,
        )["QueryExecutionId"]
        described = self._wait(query_id)
        statistics = described.get("Statistics", {})
        rows = self._read(run, columns)
        self.last = QueryRun(
            query_id,
            f"s3://{self._bucket}/{run}",
            int(statistics.get("DataScannedInBytes", 0)),
            int(statistics.get("EngineExecutionTimeInMillis", 0)),
            len(rows),
        )
        return rows

    def _wait(self, query_id: str) -> dict[str, Any]:
        deadline, pause = time.monotonic() + self._timeout_s, 0.2
        while True:
            described: dict[str, Any] = self._athena.get_query_execution(QueryExecutionId=query_id)[
                "QueryExecution"
            ]
            status = described["Status"]
            if status["State"] == "SUCCEEDED":
                return described
            if status["State"] in _DONE:
                reason = status.get("StateChangeReason", "no reason given")
                raise TrainingSetFailed(f"Athena {status['State']} query {query_id}: {reason}")
            if time.monotonic() > deadline:
                self._athena.stop_query_execution(QueryExecutionId=query_id)
                raise TrainingSetFailed(
                    f"Athena query {query_id} ran past {self._timeout_s:.0f} s; stopped"
                )
            self._sleep(pause)
            pause = min(pause * 2, 5.0)

    def _read(self, run: str, columns: str) -> list[tuple[Any, ...]]:
        """The Parquet files, read one at a time (the function's disk holds one)."""
        import duckdb  # noqa: PLC0415 - the training package's, not every function's

        rows: list[tuple[Any, ...]] = []
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=run)
        keys = [entry["Key"] for page in pages for entry in page.get("Contents", [])]
        with tempfile.TemporaryDirectory(prefix="cardwatch-set-") as folder:
            path = Path(folder) / "part.parquet"
            for key in sorted(keys):
                self._s3.download_file(self._bucket, key, str(path))
                connection = duckdb.connect()
                try:
                    rows += connection.execute(
                        f"SELECT {columns} FROM read_parquet(?)",  # noqa: S608 - our names
                        [str(path)],
                    ).fetchall()
                finally:
                    connection.close()
                path.unlink()
        return rows


def _features(document: str) -> dict[str, float]:
    """The features as DynamoDB JSON's map (``{"name": {"N": "1.5"}}``) -> floats."""
    return {name: float(value["N"]) for name, value in json.loads(document).items()}
