"""The decision log read from the table's exports to S3, by SQL, never by a Scan.

DynamoDB exports the transactions table to S3 (a full export, then incremental ones:
no read capacity, no Scan); each line is an item as the export found it, or, in an
incremental export, an item as the period left it (a later label, a corrected one, a
deletion). The log is the newest image of each item over every export, so a label that
arrived after the full export reaches the training set through the next incremental.

The query is written once, in Athena's dialect (Trino), over a relation
``export_lines(tid, ts, image, written)``: one row per exported line, with the item's
keys, its image as JSON (NULL: deleted) and when it was written (an incremental line's
``WriteTimestampMicros``; a full export's line, the export's time). Athena defines that
relation as a table over the export's files; here DuckDB does, over the same files,
and runs the same query with :data:`DUCKDB_DIALECT`: the functions Athena has and
DuckDB names differently, each a macro (tested on this query).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cardwatch.domain.ports import LabelledDecision, TrainingRow

__all__ = [
    "DUCKDB_DIALECT",
    "LOG_QUERY",
    "TRAINING_SET_QUERY",
    "Export",
    "ExportedDecisionLog",
    "exports_under",
    "genuine_draw",
]

#: The decision log of ``[?, ?)`` (epoch ms): the newest image of each item over every
#: export, the transactions with a decision (one source for both queries below).
_LOG = """
newest AS (
    SELECT tid, ts, image,
           row_number() OVER (PARTITION BY tid, ts ORDER BY written DESC) AS rank
    FROM export_lines
),
log AS (
    SELECT tid, ts,
           json_format(json_extract(image, '$.features.M')) AS features,
           json_extract_scalar(image, '$.label.S') AS label,
           json_extract_scalar(image, '$.model_version.S') AS model_version
    FROM newest
    WHERE rank = 1
      AND image IS NOT NULL
      AND json_extract_scalar(image, '$.record_type.S') = 'transaction'
      AND json_extract(image, '$.features.M') IS NOT NULL
      AND ts >= ? AND ts < ?
)"""

#: The decision log's rows of ``[?, ?)``, in time order: what retraining reads row by
#: row (Athena's dialect).
LOG_QUERY = f"""
WITH {_LOG}
SELECT ts, features, label, model_version FROM log ORDER BY ts, tid
"""  # noqa: S608 - a constant fragment, no input

#: The training set of ``[?, ?)``: the log's rows whose label is visible (a label, or
#: no label and older than the label delay's edge ``?``: genuine), every fraud, and the
#: genuine drawn at the share ``?`` by the transaction id's hash (the same rows at every
#: run), each weighted by the inverse of its share (``?``: the share again), in time
#: order (Athena's dialect; in AWS written as Parquet by UNLOAD).
TRAINING_SET_QUERY = f"""
WITH {_LOG}
SELECT ts, features,
       CASE WHEN label = 'fraud' THEN 1 ELSE 0 END AS is_fraud,
       CASE WHEN label = 'fraud' THEN 1e0 ELSE 1e0 / ? END AS weight
FROM log
WHERE (label IS NOT NULL OR ts <= ?)
  AND (label = 'fraud'
       OR from_base(substr(to_hex(md5(to_utf8(tid))), 1, 8), 16) < ? * 4294967296)
ORDER BY ts, tid
"""  # noqa: S608 - a constant fragment, no input

#: Athena's functions the queries use that DuckDB names or types otherwise, as DuckDB
#: macros (each tested on the queries).
DUCKDB_DIALECT = (
    # Athena: the scalar at a JSON path, as varchar; DuckDB: json_extract_string
    "CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)",
    # Athena hashes bytes (to_utf8) into bytes (md5) and spells them in upper-case hex
    # (to_hex); DuckDB's md5 takes the text and gives lower-case hex
    "CREATE OR REPLACE MACRO to_utf8(s) AS s",
    "CREATE OR REPLACE MACRO to_hex(h) AS upper(h)",
    # Athena writes a JSON value as text with json_format (UNLOAD has no JSON type);
    # DuckDB casts it
    "CREATE OR REPLACE MACRO json_format(j) AS CAST(j AS VARCHAR)",
    # Athena: a number from its digits in a base; DuckDB reads hexadecimal text (base 16,
    # the only base the queries use)
    "CREATE OR REPLACE MACRO from_base(s, b) AS CAST(('0x' || s) AS BIGINT)",
)


def genuine_draw(transaction_id: str) -> float:
    """Where a transaction falls in [0, 1) for the genuine sample: what the query reads
    of its id's MD5 (the first 32 bits), so the sample is the same in any engine."""
    digest = hashlib.md5(transaction_id.encode()).hexdigest()  # noqa: S324 - a draw
    return int(digest[:8], 16) / 2**32


_LINES = """
SELECT
    coalesce(json_extract_string(line, '$.Item.transaction_id.S'),
             json_extract_string(line, '$.Keys.transaction_id.S')) AS tid,
    CAST(coalesce(json_extract_string(line, '$.Item.timestamp.N'),
                  json_extract_string(line, '$.Keys.timestamp.N')) AS BIGINT) AS ts,
    coalesce(json_extract(line, '$.Item'), json_extract(line, '$.NewImage')) AS image,
    coalesce(CAST(json_extract_string(line, '$.Metadata.WriteTimestampMicros.N') AS BIGINT),
             {exported}) AS written
FROM read_json_objects('{path}', format = 'newline_delimited') AS lines(line)
"""


@dataclass(frozen=True, slots=True)
class Export:
    """One export of the table, as its manifests describe it."""

    export_arn: str
    kind: str  # FULL_EXPORT or INCREMENTAL_EXPORT
    exported_micros: int
    data_keys: tuple[str, ...]


def _micros(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1_000_000)


def exports_under(s3: Any, bucket: str, prefix: str) -> list[Export]:
    """The completed exports under ``prefix`` (their summary manifests), oldest first."""
    found = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{prefix.rstrip('/')}/AWSDynamoDB/"
    )
    for page in pages:
        for entry in page.get("Contents", []):
            if not entry["Key"].endswith("/manifest-summary.json"):
                continue
            summary = json.loads(s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read())
            files = s3.get_object(Bucket=bucket, Key=summary["manifestFilesS3Key"])
            keys = tuple(
                json.loads(line)["dataFileS3Key"]
                for line in files["Body"].read().decode().splitlines()
                if line.strip()
            )
            found.append(
                Export(
                    summary["exportArn"],
                    summary["exportType"],
                    _micros(summary.get("exportToTime") or summary["exportTime"]),
                    keys,
                )
            )
    return sorted(found, key=lambda export: export.exported_micros)


class ExportedDecisionLog:
    """:class:`~cardwatch.domain.ports.DecisionHistory` over the exports under an S3
    prefix, queried by DuckDB (local mode and the tests; Athena in AWS runs
    :data:`LOG_QUERY` over the same files)."""

    def __init__(self, s3: Any, bucket: str, prefix: str) -> None:
        self._s3, self._bucket, self._prefix = s3, bucket, prefix

    def labelled_decisions(self, start_ms: int, end_ms: int) -> Iterator[LabelledDecision]:
        for timestamp, features, label, version in self._run(LOG_QUERY, [start_ms, end_ms]):
            yield LabelledDecision(int(timestamp), _features(features), label, version)

    def training_set(
        self, start_ms: int, end_ms: int, matured_ms: int, genuine_share: float
    ) -> list[TrainingRow]:
        """The training set of ``[start_ms, end_ms)`` (see :data:`TRAINING_SET_QUERY`)."""
        if not 0 < genuine_share <= 1:
            raise ValueError("the genuine share is a fraction in (0, 1]")
        parameters = [start_ms, end_ms, genuine_share, matured_ms, genuine_share]
        return [
            TrainingRow(int(timestamp), _features(features), bool(fraud), float(weight))
            for timestamp, features, fraud, weight in self._run(TRAINING_SET_QUERY, parameters)
        ]

    def _run(self, query: str, parameters: list[Any]) -> list[tuple[Any, ...]]:
        """``query`` over every export's lines, by DuckDB in Athena's dialect."""
        import duckdb  # noqa: PLC0415 - the operator's extra, not a function's package

        with tempfile.TemporaryDirectory(prefix="cardwatch-log-") as folder:
            selects = []
            for number, export in enumerate(exports_under(self._s3, self._bucket, self._prefix)):
                for part, key in enumerate(export.data_keys):
                    path = Path(folder) / f"{number:05d}-{part:05d}.json"
                    body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
                    path.write_bytes(gzip.decompress(body))
                    selects.append(_LINES.format(path=path, exported=export.exported_micros))
            if not selects:
                return []
            connection = duckdb.connect()
            try:
                for macro in DUCKDB_DIALECT:
                    connection.execute(macro)
                connection.execute(
                    "CREATE TEMPORARY VIEW export_lines AS " + " UNION ALL ".join(selects)
                )
                return connection.execute(query, parameters).fetchall()
            finally:
                connection.close()


def _features(document: str) -> dict[str, float]:
    return {name: float(value["N"]) for name, value in json.loads(document).items()}
