"""The decision log read from the table's exports to S3, by SQL, never by a Scan.

DynamoDB exports the transactions table to S3 (a full export, then incremental ones:
no read capacity, no Scan); each line is an item as the export found it, or, in an
incremental export, an item as the period left it (a later label, a corrected one, a
deletion). The log is the newest image of each item over every export, so a label that
arrived after the full export reaches the training set through the next incremental.

The query is written once, in Athena's dialect (Trino), over the Glue table of the
exports' lines: one string column ``line`` (the table is text of one column; a line is
one JSON document) and the partition key ``exported_micros`` (each export a partition:
when the export read the table, which orders a full export's lines behind later
incremental ones). Athena runs it in AWS; the emulator's Athena runs the same text with
DuckDB (:mod:`cardwatch.local.emulator.patches.athena`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

__all__ = [
    "CARD_WINDOW_FEATURES",
    "INGEST_LEAD_MS",
    "card_windows_query",
    "training_set_query",
]

#: Each exported line as (transaction id, timestamp, image, written): the image is the
#: item (a full export's ``Item``, an incremental's ``NewImage``; NULL: deleted), written
#: is an incremental line's ``WriteTimestampMicros`` or the full export's time. Only the
#: exports that hold the table as of ``?`` or later are read (Athena prunes the others'
#: partitions): ingest refuses a timestamp more than :data:`INGEST_LEAD_MS` ahead of its
#: clock, so every write of a transaction comes after its timestamp less that lead, and
#: an export that ends earlier holds none of a window's transactions.
_EXPORT_LINES = """
export_lines AS (
    SELECT
        coalesce(json_extract_scalar(line, '$.Item.transaction_id.S'),
                 json_extract_scalar(line, '$.Keys.transaction_id.S')) AS tid,
        CAST(coalesce(json_extract_scalar(line, '$.Item.timestamp.N'),
                      json_extract_scalar(line, '$.Keys.timestamp.N')) AS BIGINT) AS ts,
        coalesce(json_extract(line, '$.Item'), json_extract(line, '$.NewImage')) AS image,
        coalesce(CAST(json_extract_scalar(line, '$.Metadata.WriteTimestampMicros.N')
                      AS BIGINT),
                 exported_micros) AS written
    FROM {source}
    WHERE exported_micros >= ?
)"""

#: The newest image of each item over every export.
_NEWEST = """
newest AS (
    SELECT tid, ts, image,
           row_number() OVER (PARTITION BY tid, ts ORDER BY written DESC) AS rank
    FROM export_lines
)"""

#: The decision log of ``[?, ?)`` (epoch ms): the transactions with a decision.
_LOG = """
log AS (
    SELECT tid, ts,
           json_format(json_extract(image, '$.features.M')) AS features,
           json_extract_scalar(image, '$.label.S') AS label,
           json_extract_scalar(image, '$.label_by.S') AS label_by
    FROM newest
    WHERE rank = 1
      AND image IS NOT NULL
      AND json_extract_scalar(image, '$.record_type.S') = 'transaction'
      AND json_extract(image, '$.features.M') IS NOT NULL
      AND ts >= ? AND ts < ?
)"""

#: The training set of ``[?, ?)``: the log's rows whose label is visible (a label, or
#: no label and older than the label delay's edge ``?``: genuine), every fraud, and the
#: genuine drawn at the share ``?`` by the transaction id's hash (the same rows at every
#: run; :func:`cardwatch.domain.labels.sample.genuine_draw`), each weighted by the
#: inverse of its share (``?``: the share again).
_TRAINING_SET = f"""
WITH {_EXPORT_LINES}, {_NEWEST}, {_LOG}
SELECT ts, features,
       CASE WHEN label = 'fraud' THEN 1 ELSE 0 END AS is_fraud,
       CASE WHEN label = 'fraud' THEN 1e0 ELSE 1e0 / ? END AS weight,
       label_by
FROM log
WHERE (label IS NOT NULL OR ts <= ?)
  AND (label = 'fraud'
       OR from_base(substr(to_hex(md5(to_utf8(tid))), 1, 8), 16) < ? * 4294967296)
"""  # noqa: S608 - constant fragments; the values are bound as numbers below


#: The card's sliding windows the engine serves, recomputed from the history for the
#: transactions of ``[?, ?)``: the card's other transactions no later than each one and
#: less than 10 minutes, an hour, a day older, and the distinct terminals of the day's
#: (the engine reads them from the card's recent events; these need no other state).
_CARD_WINDOWS = f"""
WITH {_EXPORT_LINES}, {_NEWEST},
txs AS (
    SELECT tid, ts,
           json_extract_scalar(image, '$.card_token.S') AS card,
           json_extract_scalar(image, '$.terminal_id.S') AS terminal
    FROM newest
    WHERE rank = 1
      AND image IS NOT NULL
      AND json_extract_scalar(image, '$.record_type.S') = 'transaction'
)
SELECT t.tid,
       count(o.tid) FILTER (WHERE o.ts > t.ts - 600000) AS c_count_10m,
       count(o.tid) FILTER (WHERE o.ts > t.ts - 3600000) AS c_count_1h,
       count(o.tid) AS c_count_1d,
       count(DISTINCT o.terminal) AS c_distinct_terminals_1d
FROM txs t
LEFT JOIN txs o
  ON o.card = t.card AND o.tid <> t.tid AND o.ts <= t.ts AND o.ts > t.ts - 86400000
WHERE t.ts >= ? AND t.ts < ?
GROUP BY t.tid
"""  # noqa: S608 - constant fragments; the values are bound as numbers below

#: The features :data:`_CARD_WINDOWS` recomputes, in its columns' order.
CARD_WINDOW_FEATURES = (
    "c_count_10m",
    "c_count_1h",
    "c_count_1d",
    "c_distinct_terminals_1d",
)


#: How far ahead of ingest's clock a transaction's timestamp may be (five minutes, the
#: contract's), with room for the clocks' skew.
INGEST_LEAD_MS = 60 * 60_000
_DAY_MS = 86_400_000


def _since(start_ms: int) -> int:
    """The first export time (epoch µs) that can hold a write of ``start_ms``'s."""
    return (start_ms - INGEST_LEAD_MS) * 1000


def _literal(value: int | float) -> str:
    """A number as SQL text (nothing else is ever bound into the query)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("the query binds numbers only")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("the query binds finite numbers only")
    return str(value) if isinstance(value, int) else repr(float(value))


def _bind(query: str, values: Sequence[int | float]) -> str:
    parts = query.split("?")
    if len(parts) != len(values) + 1:
        raise ValueError("one value for each parameter of the query")
    return "".join(p + _literal(v) for p, v in zip(parts, values, strict=False)) + parts[-1]


def training_set_query(
    source: str, start_ms: int, end_ms: int, matured_ms: int, genuine_share: float
) -> str:
    """The training set's SELECT over the Glue table ``source`` (``"db"."table"``), its
    numbers bound in the text (Athena's UNLOAD writes its result as Parquet)."""
    if not 0 < genuine_share <= 1:
        raise ValueError("the genuine share is a fraction in (0, 1]")
    query = _TRAINING_SET.replace("{source}", _checked(source))
    values = [_since(start_ms), start_ms, end_ms, genuine_share, matured_ms, genuine_share]
    return _bind(query, values)


def card_windows_query(source: str, start_ms: int, end_ms: int) -> str:
    """The card windows of ``[start_ms, end_ms)``'s transactions, from the history in
    ``source`` (a parity check of the served features, and the way to compute them on
    a year of history)."""
    query = _CARD_WINDOWS.replace("{source}", _checked(source))
    return _bind(query, [_since(start_ms - _DAY_MS), start_ms, end_ms])


def _checked(source: str) -> str:
    if not re.fullmatch(r'"[a-z0-9_]+"\."[a-z0-9_]+"', source):
        raise ValueError("the source is a quoted database and table name")
    return source
