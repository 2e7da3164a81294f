"""The audit trail and the log archive on the local stack: a label, a rules publish and
a DLQ redrive each leave one record naming who did it, and `cardwatch audit` shows
them; every function's log lines reach the archive bucket."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path

import boto3
import httpx

from cardwatch.domain.engine.rules import rules_text
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline
from tests.support.cli import cardwatch
from tests.support.documents import valid_document


def test_privileged_acts_are_recorded_once_and_listed(
    api: httpx.Client, stack: LocalPipeline, tmp_path: Path
) -> None:
    state = str(stack.settings.state_dir / "local.json")
    analyst = {"x-api-key": stack.analyst_api_key}
    document = valid_document(transaction_id="audit-1", terminal_id="audit-terminal")
    assert api.post("/transactions", json=document).status_code == 201
    label = {"label": "fraud", "note": "cardholder called"}
    for _ in range(2):  # the same label twice: one record
        answer = api.post("/transactions/audit-1/label", json=label, headers=analyst)
        while answer.status_code == 429:
            time.sleep(0.2)
            answer = api.post("/transactions/audit-1/label", json=label, headers=analyst)
        assert answer.status_code == 201, answer.text
    rules = tmp_path / "rules.json"
    changed = json.loads(rules_text())
    changed["rules"][0]["weight"] = 0.61
    rules.write_text(json.dumps(changed))
    published = cardwatch("rules", "publish", str(rules), "--note", "audit", "--state", state)
    assert published.returncode == 0, published.stderr
    back = cardwatch("rules", "rollback", "--note", "audit done", "--state", state)
    assert back.returncode == 0, back.stderr
    listed = cardwatch("audit", "--json", "--state", state)
    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)
    labels = [r for r in records if r["action"] == "label" and r["target"] == "audit-1"]
    assert len(labels) == 1
    assert labels[0]["actor"] == stack.made.analyst_api_key_id  # type: ignore[union-attr]
    assert labels[0]["after"] == "fraud/analyst" and "note_sha256" in labels[0]["detail"]
    assert "cardholder" not in listed.stdout  # a note's digest, never its text
    (publish,) = [r for r in records if r["action"] == "rules.publish"][-1:]
    assert publish["actor"].startswith("arn:aws:") and publish["after"].count("sha256:") == 1
    (rollback,) = [r for r in records if r["action"] == "rules.rollback"][-1:]
    assert rollback["before"] == publish["after"]  # it undid that publish
    only = json.loads(
        cardwatch("audit", "--json", "--action", "rules.publish", "--state", state).stdout
    )
    assert {r["action"] for r in only} == {"rules.publish"}
    table = cardwatch("audit", "--state", state)
    assert table.returncode == 0 and "rules.publish" in table.stdout
    wrong = cardwatch("audit", "--action", "delete", "--state", state)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr


def test_the_functions_logs_reach_the_archive(api: httpx.Client, stack: LocalPipeline) -> None:
    assert api.post("/transactions", json=valid_document(transaction_id="archived-1")).status_code
    s3 = boto3.client("s3")
    bucket = stack.blueprint.log_archive_bucket_name

    def archived_groups() -> set[str]:
        groups = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="logs/"):
            for entry in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
                groups.add(json.loads(gzip.decompress(body))["logGroup"])
        return groups

    ingest = stack.blueprint.functions["ingest"].log_group
    assert wait_until(lambda: ingest in archived_groups(), timeout=30)
