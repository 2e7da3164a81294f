"""The decision log leaves the table by its exports to S3 (the export function), and the
training set Athena builds over them (the emulator's Athena runs the same query with
DuckDB) is the one the decision log implies: late labels and corrections included, and
never a Scan of the table."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
import duckdb
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from cardwatch.adapters.athena_training import AthenaTrainingSet, TrainingSetFailed
from cardwatch.adapters.decision_export import (
    INGEST_LEAD_MS,
    card_windows_query,
    training_set_query,
)
from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.blueprint import Blueprint
from cardwatch.domain.labels.history import LabelEntry
from cardwatch.domain.labels.sample import genuine_draw
from cardwatch.domain.ports import DecisionRecord, LabelledDecision, TrainingSource
from cardwatch.domain.transaction.validation import TimeWindow, TransactionParser
from cardwatch.handlers import export as export_handler
from cardwatch.handlers.config import ExportConfig, RetrainConfig
from cardwatch.handlers.wiring import export as export_wiring
from cardwatch.handlers.wiring import retrain as retrain_wiring
from cardwatch.local.emulator.patches.athena import DUCKDB_DIALECT
from cardwatch.local.runtime.provision import Provisioned
from cardwatch.services.history_export import INCREMENTAL
from cardwatch.training.retraining import RetrainSettings, implied_training_rows, retrain
from tests.fakes import DictModelRegistry
from tests.support.aws import scan_all
from tests.support.documents import NOW, body

FOREVER = (0, 2**62)


def _decided(parser: TransactionParser, store: DynamoTransactionStore, n: int) -> Any:
    transaction = parser.parse(
        body(
            transaction_id=f"tx-{n:04d}",
            timestamp=(NOW - timedelta(minutes=60 - n)).isoformat(),
        )
    )
    store.add(transaction, transaction.fingerprint())
    features = {"c_count_1h": Decimal(n), "amount_z": Decimal("0.25") * n}
    store.record_decision(transaction, DecisionRecord(0.5, "approve", (), features, "m-1"))
    return transaction


def _label(store: DynamoTransactionStore, transaction: Any, label: str, version: int) -> None:
    entry = LabelEntry(label, "analyst", "", "analyst-key", 1_000 + version)
    assert store.append_label(transaction, entry, version, entry)


def _settle(config: ExportConfig, context: LambdaContext) -> dict[str, Any]:
    """Run the export function until no export is running: its last run's answer,
    with every export registered over the runs."""
    registered: list[str] = []
    for _ in range(200):
        record: dict[str, Any] = export_handler.handler({}, context)
        registered += record["registered"]
        running = [e for e in export_wiring.exports(config).exports() if e.status == "IN_PROGRESS"]
        if not running and not record["started"]:
            return record | {"registered": registered}
        time.sleep(0.05)
    raise AssertionError("the exports did not finish")


def _table_log(blueprint: Blueprint) -> list[LabelledDecision]:
    """The decision log as the table holds it (read by the test, not by the product)."""
    return sorted(
        (
            LabelledDecision(
                int(item["timestamp"]),
                {k: float(v) for k, v in item["features"].items()},
                item.get("label"),
                item.get("model_version"),
                item["transaction_id"],
            )
            for item in scan_all(blueprint.table_name)
            if item.get("record_type") == "transaction" and "features" in item
        ),
        key=lambda d: (d.timestamp_ms, d.transaction_id),
    )


def _source() -> AthenaTrainingSet:
    return retrain_wiring.training_source(RetrainConfig.from_env(), boto3.client)


def _rows(rows: list[Any]) -> list[tuple[Any, ...]]:
    return sorted((r.timestamp_ms, dict(r.features), r.is_fraud, r.weight) for r in rows)


def test_the_training_set_is_the_one_the_log_implies_with_late_labels_and_corrections(
    provisioned: Provisioned,
    blueprint: Blueprint,
    parser: TransactionParser,
    lambda_context: LambdaContext,
) -> None:
    store = DynamoTransactionStore(blueprint.table_name, boto3.client("dynamodb"))
    config = ExportConfig.from_env()
    # GIVEN forty decided transactions, two labelled fraud, exported in full by the
    # export function and catalogued
    decided = [_decided(parser, store, n) for n in range(40)]
    _label(store, decided[1], "fraud", 1)
    _label(store, decided[7], "fraud", 1)
    first = _settle(config, lambda_context)
    assert first["registered"] and first["waiting"] == "the next export is not due yet"
    # WHEN labels arrive late (one a correction), one more is decided and an incremental
    # export of that period follows the full one
    since = first["exported_to_micros"]
    time.sleep(0.01)
    _label(store, decided[2], "fraud", 1)
    _label(store, decided[1], "genuine", 2)
    _label(store, decided[30], "genuine", 1)
    decided.append(_decided(parser, store, 40))
    time.sleep(0.01)
    exports = export_wiring.exports(config)
    exports.start(INCREMENTAL, time.time_ns() // 1000, since, "late-labels")
    last = _settle(config, lambda_context)
    assert len(last["registered"]) == 1
    # THEN the set Athena builds is the one the table's log implies, row for row, for
    # every share and label-delay edge
    log = _table_log(blueprint)
    assert [d.label for d in log[:3]] == [None, "genuine", "fraud"]
    for matured, share in [(decided[20].timestamp_ms, 1.0), (decided[35].timestamp_ms, 0.5)]:
        built = _source().training_set(*FOREVER, matured, share)
        assert _rows(built) == _rows(implied_training_rows(log, matured, share))
    assert {r.timestamp_ms for r in built if r.is_fraud} == {
        decided[2].timestamp_ms,
        decided[7].timestamp_ms,
    }


def test_the_training_set_keeps_every_fraud_and_a_weighted_draw_of_the_genuine(
    provisioned: Provisioned,
    blueprint: Blueprint,
    parser: TransactionParser,
    lambda_context: LambdaContext,
) -> None:
    store = DynamoTransactionStore(blueprint.table_name, boto3.client("dynamodb"))
    decided = [_decided(parser, store, n) for n in range(50)]
    frauds = {3, 17, 29, 44}
    for n in frauds:
        _label(store, decided[n], "fraud", 1)
    _label(store, decided[45], "genuine", 1)  # labelled: visible though recent
    _settle(ExportConfig.from_env(), lambda_context)
    matured = decided[40].timestamp_ms  # unlabelled after it: not visible yet
    share = 0.5
    source = _source()
    rows = source.training_set(*FOREVER, matured, share)
    expected = [
        (t.timestamp_ms, n in frauds, 1.0 if n in frauds else 1 / share)
        for n, t in enumerate(decided)
        if (n in frauds or n == 45 or t.timestamp_ms <= matured)
        and (n in frauds or genuine_draw(t.transaction_id) < share)
    ]
    assert [(r.timestamp_ms, r.is_fraud, r.weight) for r in rows] == expected
    assert 10 <= sum(not r.is_fraud for r in rows) <= 32
    number = {t.timestamp_ms: n for n, t in enumerate(decided)}
    assert all(
        r.features == {"c_count_1h": number[r.timestamp_ms], "amount_z": number[r.timestamp_ms] / 4}
        for r in rows
    )
    # the set is Parquet under a prefix of its own, and the bytes Athena read are said
    assert source.last is not None and source.last.rows == len(rows)
    assert source.last.scanned_bytes > 0
    history = blueprint.history_store
    assert source.last.location.startswith(f"s3://{history.bucket}/{history.training_prefix}/")
    # AND retraining reads that set, not the table: a week after, only the labelled
    # rows are visible yet (too few frauds to fit, so nothing is published)
    assert isinstance(source, TrainingSource)
    report = retrain(_source(), DictModelRegistry(), RetrainSettings(genuine_share=share), NOW)
    assert report.outcome == "skipped" and report.read == len(frauds) + 1


def test_a_failed_query_says_athenas_reason(provisioned: Provisioned) -> None:
    """A query Athena refuses fails the run with Athena's reason, never an empty set."""
    athena = boto3.client("athena")
    source = AthenaTrainingSet(
        athena,
        boto3.client("s3"),
        workgroup=RetrainConfig.from_env().athena_workgroup,
        source='"nowhere"."nothing"',
        bucket=RetrainConfig.from_env().history_bucket,
        prefix="training-sets",
        sleep=lambda _: None,
    )
    with pytest.raises(TrainingSetFailed, match="FAILED"):
        source.training_set(*FOREVER, 0, 1.0)


def test_the_query_is_athenas_and_duckdb_runs_it_with_the_listed_differences() -> None:
    """Athena's JSON function is json_extract_scalar; DuckDB's json_extract_string. The
    query names Athena's, and DuckDB runs it through the dialect's macros only."""
    query = training_set_query('"db"."t"', 0, 1, 0, 0.5)
    assert "json_extract_scalar" in query and "json_extract_string" not in query
    assert "json_format(json_extract" in query  # text, as UNLOAD can write it
    connection = duckdb.connect()
    with pytest.raises(duckdb.CatalogException):
        connection.execute('SELECT json_extract_scalar(\'{"a": {"S": "x"}}\', \'$.a.S\')')
    for macro in DUCKDB_DIALECT:
        connection.execute(macro)
    assert connection.execute(
        'SELECT json_extract_scalar(\'{"a": {"S": "x"}}\', \'$.a.S\')'
    ).fetchone() == ("x",)
    # the genuine draw: Athena's upper-case hex of the id's MD5, its first 32 bits
    digest = hashlib.md5(b"tx-0042").hexdigest()
    assert connection.execute(
        "SELECT to_hex(md5(to_utf8('tx-0042'))), "
        "from_base(substr(to_hex(md5(to_utf8('tx-0042'))), 1, 8), 16)"
    ).fetchone() == (digest.upper(), int(digest[:8], 16))
    assert genuine_draw("tx-0042") == int(digest[:8], 16) / 2**32
    # a JSON value as text, as Athena's json_format writes it
    assert connection.execute(
        "SELECT json_format(json_extract('{\"a\": {\"b\": 1}}', '$.a'))"
    ).fetchone() == ('{"b":1}',)


def test_the_query_binds_numbers_only_and_names_a_catalog_table() -> None:
    with pytest.raises(ValueError, match="share"):
        training_set_query('"db"."t"', 0, 1, 0, 0)
    with pytest.raises(ValueError, match="quoted"):
        training_set_query("db.t; DROP TABLE x", 0, 1, 0, 0.5)
    with pytest.raises(TypeError):
        training_set_query('"db"."t"', "0 OR 1=1", 1, 0, 0.5)  # type: ignore[arg-type]
    assert "?" not in training_set_query('"db"."t"', 0, 1, 0, 0.5)


def test_an_export_asked_again_with_its_token_is_the_same_export(
    provisioned: Provisioned,
) -> None:
    """Two runs that start the same period start one export; a token reused for
    another period is refused, as DynamoDB refuses it."""
    exports = export_wiring.exports(ExportConfig.from_env(), boto3.client)
    now = time.time_ns() // 1000
    first = exports.start("FULL_EXPORT", now, None, "same-token")
    again = exports.start("FULL_EXPORT", now, None, "same-token")
    assert again.export_id == first.export_id
    with pytest.raises(ClientError, match="ExportConflict"):
        exports.start(INCREMENTAL, now, now - 3_600_000_000, "same-token")


def test_exports_ending_before_a_window_cannot_hold_it_and_are_not_read() -> None:
    """Ingest refuses a timestamp more than five minutes ahead, so every write of a
    window's transaction comes after the window's start less that lead: the query reads
    only the exports that end after it (Athena prunes the other partitions)."""
    assert timedelta(milliseconds=INGEST_LEAD_MS) >= TimeWindow(now=lambda: NOW).max_ahead
    start = 1_790_000_000_000
    query = training_set_query('"db"."t"', start, start + 1, start, 0.5)
    assert f"WHERE exported_micros >= {(start - INGEST_LEAD_MS) * 1000}" in query
    windows = card_windows_query('"db"."t"', start, start + 1)
    # the card windows look back a day before the window
    assert f"WHERE exported_micros >= {(start - 86_400_000 - INGEST_LEAD_MS) * 1000}" in windows
