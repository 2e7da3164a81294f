"""A label posted to the local stack reaches a retrained, promoted model, with no redeploy:
the analysts label cases through the API, ``cardwatch model train`` fits on the decision
log (the features detect recorded, the labels that joined them), the challenger is scored
in shadow, ``cardwatch model promote`` makes it the champion, detect follows the pointer
within its cache's age, ``cardwatch model rollback`` returns the pointer to the shipped
model, and ``cardwatch model publish`` adds a model fitted elsewhere."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from cardwatch.cli.main import main
from cardwatch.domain.engine.model_store import default_model
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.exports import export_until_current
from cardwatch.local.runtime.pipeline import LocalPipeline
from cardwatch.simulation.traffic import demo_pan
from tests.support.local_stack import items, now_stamp, transaction

FRAUDS, GENUINE = 30, 60


def _background(document: Any) -> bool:
    """A function's Powertools log record (level, service) or metrics blob (``_aws``)."""
    return isinstance(document, dict) and (
        "_aws" in document or {"level", "service"} <= document.keys()
    )


def cli(capsys: pytest.CaptureFixture[str], stack: LocalPipeline, *args: str) -> Any:
    state = str(stack.settings.state_dir / "local.json")
    code = main(["model", *args, "--state", state, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    # a background function's log records and metrics may come before or after the
    # command's own document on the same captured stdout: the stack runs beside the test
    decoder, documents, rest = json.JSONDecoder(), [], out.strip()
    while rest:
        document, end = decoder.raw_decode(rest)
        documents.append(document)
        rest = rest[end:].lstrip()
    ours = [d for d in documents if not _background(d)]
    assert len(ours) == 1, out
    return ours[0]


def decided(stack: LocalPipeline, prefix: str) -> dict[str, dict[str, Any]]:
    return {
        str(item["transaction_id"]): item
        for item in items(stack)
        if str(item["transaction_id"]).startswith(prefix) and "decision" in item
    }


def scored_with(stack: LocalPipeline, api: httpx.Client, key: str, version: str) -> bool:
    """Post a fresh transaction; True once detect recorded ``key`` == ``version`` on one."""
    tid = f"e2e-model-probe-{time.monotonic_ns()}"
    api.post("/transactions", json=transaction(tid, user_id="e2e-probe", timestamp=now_stamp()))
    return wait_until(
        lambda: any(
            item.get(key) == version for item in decided(stack, "e2e-model-probe").values()
        ),
        timeout=5,
    )


def test_a_posted_label_reaches_a_promoted_model_without_a_redeploy(
    api: httpx.Client,
    stack: LocalPipeline,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # GIVEN transactions scored by the shipped model, then labelled by the analysts
    assert cli(capsys, stack, "status")["champion"] == "shipped"
    for n in range(FRAUDS + GENUINE):
        fraud = n < FRAUDS
        body = transaction(
            f"e2e-learn-{n}",
            user_id=f"e2e-learner-{n % 12}",
            card_number=demo_pan(f"e2e-learner-{n % 12}"),
            amount=900 + n if fraud else 20 + n % 7,
            terminal_id="e2e-odd-shop" if fraud else f"e2e-shop-{n % 5}",
            timestamp=now_stamp(600 - n),
        )
        assert api.post("/transactions", json=body).status_code == 201
    assert wait_until(lambda: len(decided(stack, "e2e-learn-")) == FRAUDS + GENUINE, 60)
    state = json.loads((stack.settings.state_dir / "local.json").read_text())
    analyst = {"x-api-key": state["analyst_api_key"]}
    for n in range(FRAUDS + GENUINE):
        label = {"label": "fraud" if n < FRAUDS else "genuine", "source": "analyst"}
        answer = api.post(f"/transactions/e2e-learn-{n}/label", json=label, headers=analyst)
        while answer.status_code == 429:  # the analysts' plan: 10 a second, as a person
            time.sleep(0.2)
            answer = api.post(f"/transactions/e2e-learn-{n}/label", json=label, headers=analyst)
        assert answer.status_code == 201, answer.text
    # WHEN the exports hold the table as of now (what `cardwatch model train` does first
    # on the local stack) and the schedule runs the retrain function (as Lambda would:
    # its handler, its settings): every label is younger than the 14 days it judges on,
    # so it fits nothing
    assert stack.wiring is not None
    export_until_current(stack.blueprint, stack.emulator.session().client)
    assert stack.wiring.run_retraining()
    skipped = cli(capsys, stack, "status")["last_training"]
    assert skipped["outcome"] == "skipped" and skipped["read"] >= FRAUDS + GENUINE
    # AND on demand with no judged days (the challenger waits in shadow, as it does
    # without evidence)
    report = cli(capsys, stack, "train", "--evaluation-days", "0", "--min-frauds", "20")
    assert report["outcome"] == "shadow", report
    assert report["frauds"] >= FRAUDS and report["fitted"] >= FRAUDS + GENUINE
    version = report["version"]
    status = cli(capsys, stack, "status")
    assert (status["champion"], status["challenger"]) == ("shipped", version)
    assert version in status["published"]
    assert status["last_training"]["version"] == version
    # THEN detect scores the challenger in shadow and records its score beside the decision
    assert wait_until(lambda: scored_with(stack, api, "challenger_version", version), 90)
    probe = next(
        item
        for item in decided(stack, "e2e-model-probe").values()
        if item.get("challenger_version") == version
    )
    assert probe["model_version"] == default_model().version
    assert 0 <= float(probe["challenger_score"]) <= 1
    # AND once promoted by command, detect scores with it: no redeploy
    promoted = cli(capsys, stack, "promote", "--note", "e2e")
    assert promoted["champion"] == version and promoted["earlier"][0] == "shipped"
    assert wait_until(lambda: scored_with(stack, api, "model_version", version), 90)
    # AND a rollback returns to the shipped model, the retrained one kept for later
    back = cli(capsys, stack, "rollback", "--note", "e2e done")
    assert back["champion"] == "shipped" and back["earlier"][0] == version
    assert cli(capsys, stack, "status")["champion"] == "shipped"
    # AND a model fitted elsewhere is published as the challenger, once
    s3 = boto3.client("s3")
    bucket = stack.blueprint.model_bucket_name
    artifact = json.loads(s3.get_object(Bucket=bucket, Key=f"models/{version}.json")["Body"].read())
    artifact["metadata"]["version"] = "m-fitted-elsewhere"
    path = tmp_path / "model.json"
    path.write_text(json.dumps(artifact))
    published = cli(capsys, stack, "publish", str(path), "--note", "from a laptop")
    assert (published["champion"], published["challenger"]) == ("shipped", "m-fitted-elsewhere")
    state = str(stack.settings.state_dir / "local.json")
    assert main(["model", "publish", str(path), "--state", state]) == 2  # published already
    assert "published already" in capsys.readouterr().err
    assert main(["model", "promote", "m-no-such", "--state", state]) == 2
    assert "no such published model" in capsys.readouterr().err
    # AND an artifact rewritten in the bucket under its version is never promoted: the
    # pointer holds the digest it was published with
    rewritten = dict(artifact, baseline=artifact["baseline"] + 3.0)
    s3.put_object(
        Bucket=bucket, Key="models/m-fitted-elsewhere.json", Body=json.dumps(rewritten).encode()
    )
    assert main(["model", "promote", "--state", state]) == 2
    assert "SHA-256" in capsys.readouterr().err
    # AND an exploding or broken artifact is refused before it is published, without a
    # traceback
    exploding = dict(artifact, metadata={"version": "m-exploding"})
    exploding["trees"] = [
        {
            "feature": [0] * 40 + [-1],
            "threshold": [1.0] * 41,
            "missing_left": [True] * 41,
            "left": [*range(1, 41), -1],
            "right": [*range(1, 41), -1],
            "value": [0.0] * 41,
        }
    ]
    for text in (json.dumps(exploding), "{not json", "\udcff"):
        path.write_text(text, errors="surrogateescape")
        assert main(["model", "publish", str(path), "--state", state]) == 2
        err = capsys.readouterr().err
        assert "can trust" in err and "Traceback" not in err, err
