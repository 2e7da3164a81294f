"""Athena's UNLOAD run for real: the query over the Glue tables' files, Parquet out.

moto 5.2.5 runs no query: StartQueryExecution records the text, GetQueryExecution moves
it from QUEUED to SUCCEEDED whatever it says, and nothing is written where an UNLOAD
points. What reads that output (the retrain function's training set) finds nothing, and
a query that AWS would refuse succeeds. This patch runs ``UNLOAD (SELECT ...) TO
's3://bucket/prefix/' WITH (format = 'PARQUET')`` with DuckDB, in Athena's dialect
through :data:`DUCKDB_DIALECT` (each difference a macro, tested on the queries the
project runs), and answers as Athena does:

- every Glue table is a relation named ``"database"."table"``: for a table stored as
  text (``LazySimpleSerDe``) of one string column, one row per line of every object
  under each partition's location (``.gz`` read as gzip), with the partition keys'
  values as columns of the types the table declares;
- the rows are written as Parquet under the UNLOAD's location, which must be empty
  (Athena refuses otherwise, as here), and the list of files written goes to the
  workgroup's result location as ``{QueryExecutionId}-manifest.csv``;
- GetQueryExecution answers SUCCEEDED, or FAILED with the reason, and the bytes of the
  objects read as ``DataScannedInBytes`` (what Athena bills).

Other statements keep moto's behaviour. A query the patch cannot run (another SerDe,
another statement, an error in the SQL) fails with the reason, never succeeds silently.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

__all__ = ["DUCKDB_DIALECT", "TARGETS", "install"]

#: What the patch replaces or relies on in moto (checked before it installs).
TARGETS = (
    "moto.athena.models.AthenaBackend.start_query_execution(query,context,config,workgroup,execution_parameters)",
    "moto.athena.models.AthenaBackend.get_query_execution(exec_id)",
    "moto.athena.responses.AthenaResponse.get_query_execution",
    "moto.glue.models.GlueBackend.get_table(database_name,table_name)",
    "moto.s3.models.S3Backend.put_object(bucket_name,key_name,value)",
    "moto.s3.models.S3Backend.get_bucket(bucket_name)",
)

#: Athena's functions the project's queries use that DuckDB names or types otherwise,
#: as DuckDB macros (each tested on those queries).
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

_UNLOAD = re.compile(
    r"^\s*UNLOAD\s*\((?P<query>.*)\)\s*TO\s*'s3://(?P<bucket>[^/']+)/(?P<prefix>[^']*)'"
    r"\s*WITH\s*\((?P<options>[^)]*)\)\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_OPTION = re.compile(r"(\w+)\s*=\s*'([^']*)'")
_TEXT_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "double": "DOUBLE"}
_installed = False
_originals: dict[str, Any] = {}


class _Refused(Exception):
    """What Athena would answer FAILED with."""


def _s3(account_id: str) -> Any:
    from moto.s3.models import s3_backends  # noqa: PLC0415 - local mode only

    return s3_backends[account_id]["aws"]


def _objects(s3: Any, bucket: str, prefix: str) -> list[Any]:
    found = s3.get_bucket(bucket).keys
    return [found[name] for name in sorted(found.keys()) if name.startswith(prefix)]


def _location(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


def _relation(
    table: dict[str, Any], partitions: list[Any], s3: Any, folder: Path
) -> tuple[str, int]:
    """A Glue table as a DuckDB SELECT over its files' lines (read to ``folder``), and
    the bytes of the objects read."""
    descriptor = table.get("StorageDescriptor", {})
    columns = descriptor.get("Columns", [])
    serde = descriptor.get("SerdeInfo", {}).get("SerializationLibrary")
    if serde != _TEXT_SERDE or len(columns) != 1 or columns[0]["Type"] != "string":
        raise _Refused(f"the emulator reads text tables of one string column: {table['Name']}")
    keys = table.get("PartitionKeys", [])
    sources = (
        [(p.partition_input["StorageDescriptor"]["Location"], p.values) for p in partitions]
        if keys
        else [(descriptor["Location"], [])]
    )
    selects, scanned = [], 0
    for location, values in sources:
        bucket, prefix = _location(location)
        for found in _objects(s3, bucket, prefix):
            suffix = ".gz" if found.name.endswith(".gz") else ""
            path = folder / f"{uuid.uuid4().hex}{suffix}"
            path.write_bytes(found.value)
            scanned += len(found.value)
            literals = [
                f"CAST('{value}' AS {_TYPES.get(key['Type'], 'VARCHAR')}) AS \"{key['Name']}\""
                for key, value in zip(keys, values, strict=True)
            ]
            named = ", ".join([f'column0 AS "{columns[0]["Name"]}"', *literals])
            reader = (
                f"read_csv('{path}', delim = '\x01', quote = '', escape = '', header = false, "
                "auto_detect = false, columns = {'column0': 'VARCHAR'})"
            )
            selects.append(f"SELECT {named} FROM {reader}")  # noqa: S608 - the catalog's names
    if not selects:  # an empty table still has its columns
        typed = [f'CAST(NULL AS VARCHAR) AS "{columns[0]["Name"]}"'] + [
            f'CAST(NULL AS {_TYPES.get(k["Type"], "VARCHAR")}) AS "{k["Name"]}"' for k in keys
        ]
        return f"SELECT {', '.join(typed)} WHERE false", 0
    return " UNION ALL ".join(selects), scanned


def _bound(query: str, parameters: list[str] | None) -> str:
    """Athena's execution parameters: each ``?`` in order is the value's SQL text."""
    for value in parameters or []:
        if "?" not in query:
            raise _Refused("more execution parameters than the query has")
        query = query.replace("?", value, 1)
    return query


def _unload(backend: Any, execution: Any) -> dict[str, Any]:
    """Run ``execution``'s UNLOAD; what GetQueryExecution adds to its answer."""
    import duckdb  # noqa: PLC0415 - the operator's extra

    match = _UNLOAD.match(execution.query)
    if match is None:
        raise _Refused("the emulator runs UNLOAD (SELECT ...) TO 's3://...' WITH (...) only")
    options = {k.lower(): v.upper() for k, v in _OPTION.findall(match["options"])}
    if options.get("format") != "PARQUET":
        raise _Refused("the emulator's UNLOAD writes format = 'PARQUET' only")
    s3, bucket, prefix = _s3(backend.account_id), match["bucket"], match["prefix"]
    if _objects(s3, bucket, prefix):
        raise _Refused(
            f"HIVE_PATH_ALREADY_EXISTS: Target directory for UNLOAD already exists: "
            f"s3://{bucket}/{prefix}"
        )
    from moto.glue.models import glue_backends  # noqa: PLC0415

    glue = glue_backends[backend.account_id][backend.region_name]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cardwatch-athena-") as folder:
        connection = duckdb.connect()
        try:
            for macro in DUCKDB_DIALECT:
                connection.execute(macro)
            scanned = 0
            for database in glue.databases.values():
                connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{database.name}"')
                for table in database.tables.values():
                    relation, read = _relation(
                        table.as_dict(), list(table.partitions.values()), s3, Path(folder)
                    )
                    scanned += read
                    connection.execute(
                        f'CREATE VIEW "{database.name}"."{table.name}" AS {relation}'
                    )
            out = Path(folder) / "unloaded.parquet"
            query = _bound(match["query"], execution.execution_parameters)
            connection.execute(f"COPY ({query}) TO '{out}' (FORMAT PARQUET)")
        except duckdb.Error as error:
            raise _Refused(f"the query failed: {error}") from None
        finally:
            connection.close()
        key = f"{prefix.rstrip('/')}/{execution.id}_{uuid.uuid4().hex[:8]}".lstrip("/")
        s3.put_object(bucket_name=bucket, key_name=key, value=out.read_bytes())
    results = (execution.workgroup.configuration if execution.workgroup else {}).get(
        "ResultConfiguration", {}
    ).get("OutputLocation") or (execution.config or {}).get("OutputLocation", "")
    if results.startswith("s3://"):
        result_bucket, result_prefix = _location(results.rstrip("/") + "/")
        s3.put_object(
            bucket_name=result_bucket,
            key_name=f"{result_prefix}{execution.id}-manifest.csv",
            value=f"s3://{bucket}/{key}\n".encode(),
        )
    return {
        "State": "SUCCEEDED",
        "Statistics": {
            "DataScannedInBytes": scanned,
            "EngineExecutionTimeInMillis": int((time.perf_counter() - started) * 1000),
        },
    }


def _start(self: Any, query: str, *args: Any, **kwargs: Any) -> str:
    """AthenaBackend.start_query_execution: an UNLOAD runs (synchronously, here)."""
    execution_id: str = _originals["start"](self, query, *args, **kwargs)
    if query.lstrip().upper().startswith("UNLOAD"):
        execution = self.executions[execution_id]
        try:
            execution.cardwatch = _unload(self, execution)
        except _Refused as refused:
            execution.cardwatch = {"State": "FAILED", "StateChangeReason": str(refused)}
    return execution_id


def _described(self: Any) -> str:
    """AthenaResponse.get_query_execution: the run's state, reason and bytes scanned."""
    answer: str = _originals["describe"](self)
    execution = self.athena_backend.executions.get(self._get_param("QueryExecutionId"))
    ran = getattr(execution, "cardwatch", None)
    if not ran:
        return answer
    document = json.loads(answer)
    described = document["QueryExecution"]
    described["Status"]["State"] = ran["State"]
    if "StateChangeReason" in ran:
        described["Status"]["StateChangeReason"] = ran["StateChangeReason"]
    described["Statistics"].update(ran.get("Statistics", {}))
    return json.dumps(document)


def install() -> None:
    global _installed  # noqa: PLW0603 (one patch per process)
    if _installed:
        return
    from moto.athena.models import AthenaBackend  # noqa: PLC0415 - local mode only
    from moto.athena.responses import AthenaResponse  # noqa: PLC0415

    _originals.update(
        start=AthenaBackend.start_query_execution, describe=AthenaResponse.get_query_execution
    )
    _start.__wrapped__ = AthenaBackend.start_query_execution  # type: ignore[attr-defined]
    AthenaBackend.start_query_execution = _start  # type: ignore[method-assign]
    AthenaResponse.get_query_execution = _described  # type: ignore[method-assign]
    _installed = True
