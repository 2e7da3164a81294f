"""The decision log read from the table's exports to S3 by SQL (DuckDB here, Athena in
AWS) is the log the table holds: late labels and corrections included, no Scan."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
import duckdb
import pytest

from cardwatch.adapters.decision_export import (
    DUCKDB_DIALECT,
    LOG_QUERY,
    TRAINING_SET_QUERY,
    ExportedDecisionLog,
    exports_under,
    genuine_draw,
)
from cardwatch.adapters.dynamodb_store import DynamoTransactionStore
from cardwatch.blueprint import Blueprint
from cardwatch.domain.labels.history import LabelEntry
from cardwatch.domain.ports import DecisionRecord, TrainingSource
from cardwatch.domain.transaction.validation import TransactionParser
from cardwatch.local.runtime.provision import Provisioned
from cardwatch.training.retraining import RetrainSettings, retrain
from tests.fakes import DictModelRegistry
from tests.support.documents import NOW, body

BUCKET = "cardwatch-history-test"
FOREVER = (0, 2**62)


def _export(arn: str, prefix: str, **incremental: Any) -> None:
    ddb = boto3.client("dynamodb")
    kind = {"ExportType": "INCREMENTAL_EXPORT"} if incremental else {}
    spec = {"IncrementalExportSpecification": incremental} if incremental else {}
    started = ddb.export_table_to_point_in_time(
        TableArn=arn, S3Bucket=BUCKET, S3Prefix=prefix, **kind, **spec
    )["ExportDescription"]["ExportArn"]
    for _ in range(100):
        status = ddb.describe_export(ExportArn=started)["ExportDescription"]["ExportStatus"]
        if status != "IN_PROGRESS":
            assert status == "COMPLETED"
            return
        time.sleep(0.05)
    raise AssertionError("the export did not finish")


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


def _table(blueprint: Blueprint) -> tuple[DynamoTransactionStore, str]:
    """The transactions table's store and ARN, and the bucket its exports go to."""
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    ddb = boto3.client("dynamodb")
    arn = ddb.describe_table(TableName=blueprint.table_name)["Table"]["TableArn"]
    return DynamoTransactionStore(blueprint.table_name, ddb), str(arn)


def _label(store: DynamoTransactionStore, transaction: Any, label: str, version: int) -> None:
    entry = LabelEntry(label, "analyst", "", "analyst-key", 1_000 + version)
    assert store.append_label(transaction, entry, version, entry)


def test_the_exported_log_is_the_tables_with_late_labels_and_corrections(
    provisioned: Provisioned, blueprint: Blueprint, parser: TransactionParser
) -> None:
    store, arn = _table(blueprint)
    # GIVEN five decided transactions, one labelled fraud, exported in full
    decided = [_decided(parser, store, n) for n in range(5)]
    _label(store, decided[1], "fraud", 1)
    _export(arn, "history")
    # WHEN a label arrives late, another is corrected and a transaction is decided
    since = time.time()
    time.sleep(0.01)
    _label(store, decided[2], "fraud", 1)
    _label(store, decided[1], "genuine", 2)
    decided.append(_decided(parser, store, 5))
    time.sleep(0.01)
    _export(arn, "history", ExportFromTime=since, ExportToTime=time.time())
    # THEN the log read from the exports is the table's, row for row
    exported = list(
        ExportedDecisionLog(boto3.client("s3"), BUCKET, "history").labelled_decisions(*FOREVER)
    )
    assert exported == list(store.labelled_decisions(*FOREVER))
    assert [row.label for row in exported] == [None, "genuine", "fraud", None, None, None]
    assert exported[3].features == {"c_count_1h": 3.0, "amount_z": 0.75}
    # AND a window of it is the window's rows
    start = decided[2].timestamp_ms
    window = ExportedDecisionLog(boto3.client("s3"), BUCKET, "history").labelled_decisions(
        start, start + 1
    )
    assert [row.timestamp_ms for row in window] == [start]
    kinds = [e.kind for e in exports_under(boto3.client("s3"), BUCKET, "history")]
    assert kinds == ["FULL_EXPORT", "INCREMENTAL_EXPORT"]


def test_the_query_is_athenas_and_duckdb_runs_it_with_the_listed_differences() -> None:
    """Athena's JSON function is json_extract_scalar; DuckDB's json_extract_string. The
    query names Athena's, and DuckDB runs it through the dialect's macros only."""
    for query in (LOG_QUERY, TRAINING_SET_QUERY):
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


def test_the_training_set_keeps_every_fraud_and_a_weighted_draw_of_the_genuine(
    provisioned: Provisioned, blueprint: Blueprint, parser: TransactionParser
) -> None:
    store, arn = _table(blueprint)
    decided = [_decided(parser, store, n) for n in range(50)]
    frauds = {3, 17, 29, 44}
    for n in frauds:
        _label(store, decided[n], "fraud", 1)
    _label(store, decided[45], "genuine", 1)  # labelled: visible though recent
    _export(arn, "history")
    matured = decided[40].timestamp_ms  # unlabelled after it: not visible yet
    share = 0.5
    rows = ExportedDecisionLog(boto3.client("s3"), BUCKET, "history").training_set(
        *FOREVER, matured, share
    )
    expected = [
        (t.timestamp_ms, n in frauds, 1.0 if n in frauds else 1 / share)
        for n, t in enumerate(decided)
        if (n in frauds or n == 45 or t.timestamp_ms <= matured)
        and (n in frauds or genuine_draw(t.transaction_id) < share)
    ]
    assert [(r.timestamp_ms, r.is_fraud, r.weight) for r in rows] == expected
    # every fraud, and about half the genuine, standing for all of them
    assert sum(r.is_fraud for r in rows) == len(frauds)
    genuine = [r for r in rows if not r.is_fraud]
    assert 10 <= len(genuine) <= 32
    number = {t.timestamp_ms: n for n, t in enumerate(decided)}
    assert all(
        r.features == {"c_count_1h": number[r.timestamp_ms], "amount_z": number[r.timestamp_ms] / 4}
        for r in rows
    )
    # AND retraining reads that set, not the log row by row: a week after, only the
    # labelled rows are visible yet (too few frauds to fit, so nothing is published)
    log = ExportedDecisionLog(boto3.client("s3"), BUCKET, "history")
    assert isinstance(log, TrainingSource)
    report = retrain(log, DictModelRegistry(), RetrainSettings(genuine_share=share), NOW)
    assert report.outcome == "skipped" and report.read == len(frauds) + 1
    with pytest.raises(ValueError, match="share"):
        ExportedDecisionLog(boto3.client("s3"), BUCKET, "history").training_set(
            *FOREVER, matured, 0
        )
