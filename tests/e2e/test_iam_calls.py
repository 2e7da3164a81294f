"""IAM proven by the calls the functions make: every function of the local stack runs
(ingest, decide, detect, aggregate, analyze, notify, export, retrain), each AWS call it makes
is recorded with the calls AWS makes in its name, and each is evaluated against the
function's role policy as both renderings write it. The emulator enforces no IAM: this
is where a missing permission shows before a real account does."""

from __future__ import annotations

import time

import httpx

from cardwatch.handlers import wiring
from cardwatch.local.runtime.event_wiring import wait_until
from cardwatch.local.runtime.pipeline import LocalPipeline
from cardwatch.simulation.traffic import demo_pan
from tests.support.iam_calls import Resolver, evaluate, recording
from tests.support.local_stack import now_stamp, transaction
from tests.support.signing import as_analyst

#: Granted actions no call of the run used, each with why it stays ("*": any function).
UNUSED_BY_DESIGN: dict[tuple[str, str], str] = {
    ("*", "logs:CreateLogStream"): "the Lambda runtime writes the function's logs with the role",
    ("*", "logs:PutLogEvents"): "the Lambda runtime writes the function's logs with the role",
    ("*", "xray:PutTraceSegments"): "the X-Ray daemon sends the traces with the role",
    ("*", "xray:PutTelemetryRecords"): "the X-Ray daemon sends its telemetry with the role",
    (
        "*",
        "kms:Decrypt",
    ): "the tables' and queues' CMK: DynamoDB and SQS use it in the caller's name",
    (
        "*",
        "kms:GenerateDataKey",
    ): "the tables' and queues' CMK: DynamoDB and SQS use it in the caller's name",
    (
        "detect",
        "dynamodb:GetItem",
    ): "a retried claim reads its holder when the refusal carries no item",
    ("detect", "s3:GetObject"): "reads a published model's artifact once the pointer names one",
    ("decide", "s3:GetObject"): "reads a published model's artifact once the pointer names one",
    (
        "decide",
        "dynamodb:GetItem",
    ): "a retried claim reads its holder; a repeat of a stopped request reads its item",
    (
        "*",
        "dynamodb:ConditionCheckItem",
    ): "completing a transaction's item 14 minutes after its id was claimed checks the guard",
    ("retrain", "athena:StopQueryExecution"): "stops a query that ran past the function's wait",
    (
        "retrain",
        "dynamodb:PutItem",
    ): "records a pointer move in the audit trail: this run fits none",
    ("retrain", "s3:AbortMultipartUpload"): "Athena's large writes are multipart",
    ("retrain", "s3:ListMultipartUploadParts"): "Athena's large writes are multipart",
    ("retrain", "s3:ListBucketMultipartUploads"): "Athena's large writes are multipart",
    ("export", "s3:AbortMultipartUpload"): "DynamoDB writes a large export in parts",
}


def test_every_call_of_every_function_is_allowed_by_its_role(
    stack: LocalPipeline, api: httpx.Client
) -> None:
    assert stack.wiring is not None
    analyst = {"x-api-key": stack.analyst_api_key}
    # cold starts, as after a deploy: what the functions read once (the rules, the model
    # pointer, the token key) is read while the calls are recorded
    wiring.reset()
    with recording() as calls:
        # ingest, detect, aggregate: a burst of small charges on one card (card testing),
        # so notify publishes; a label through the analysts' route
        for n in range(8):
            body = transaction(
                f"e2e-iam-{n}",
                user_id="e2e-iam",
                card_number=demo_pan("e2e-iam"),
                amount=1 + n,
                timestamp=now_stamp(400 - n),
            )
            assert api.post("/transactions", json=body).status_code == 201
        answer = api.post(
            "/transactions/e2e-iam-0/label",
            json={"label": "fraud", "source": "analyst"},
            headers=analyst,
        )
        assert answer.status_code == 201, answer.text
        assert api.get("/reviews", auth=as_analyst(stack)).status_code == 200
        assert wait_until(lambda: _ran(calls, {"detect", "aggregate", "notify"}), 60)
        # the case notify opened: found, read and changed by an analyst, signed in

        def opened() -> list[dict[str, object]]:
            found = api.get("/cases", params={"user": "e2e-iam"}, auth=as_analyst(stack))
            assert found.status_code == 200, found.text
            return list(found.json()["cases"])

        assert wait_until(lambda: bool(opened()), 30)
        case_id = opened()[0]["case_id"]
        assert api.get(f"/cases/{case_id}", auth=as_analyst(stack)).status_code == 200
        noted = api.post(
            f"/cases/{case_id}", json={"action": "note", "note": "seen"}, auth=as_analyst(stack)
        )
        assert noted.status_code == 200, noted.text
        # decide: a card-testing run decided at authorization time, from a cold start of
        # its own (local mode runs every function in one process, where detect has read
        # the parameters decide reads; on AWS each function reads them itself)
        wiring.reset()
        for n in range(4):
            body = transaction(
                f"e2e-iam-decided-{n}",
                user_id="e2e-iam-decided",
                card_number=demo_pan("e2e-iam-decided"),
                amount=1 + n,
                timestamp=now_stamp(380 - n),
            )
            decided = api.post("/decisions", json=body)
            assert decided.status_code == 200, decided.text
            assert decided.json()["degraded"] is False
        # analyze, the exports (one run starts the export, the next registers it) and
        # retrain, on their schedules
        # the window the burst fell in (six minutes ago), then the next, which folds the
        # burst's scores into the alert budget (as the schedule's input names them)
        burst_end = (int(time.time() * 1000) - 400_000) // 300_000 * 300_000 + 300_000
        assert stack.wiring.run_analysis(burst_end)
        assert stack.wiring.run_analysis(burst_end + 300_000)
        # the export function asked for the table as of now (as an operator's training
        # asks it): it starts an export whatever ran before, and the next run registers it
        as_of = {"as_of_ms": int(time.time() * 1000)}
        functions = stack.functions
        assert functions is not None
        assert functions.invoke("export", as_of)["started"]

        def exported() -> bool:
            done = functions.invoke("export", as_of)["exported_to_micros"] or 0
            return bool(done >= as_of["as_of_ms"] * 1000)

        assert wait_until(exported, 30)
        assert stack.wiring.run_retraining()
    ran = {c.function for c in calls}
    assert ran == set(stack.blueprint.functions), ran
    missing, unused = evaluate(list(calls), Resolver(stack.blueprint, stack.emulator.session()))
    assert missing == {}, "\n".join(
        f"{key}: {n.action} on {n.resource} ({n.why})"
        for key, needs in missing.items()
        for n in needs
    )
    unexplained = {
        (key, action)
        for key, actions in unused.items()
        for action in actions
        if (key, action) not in UNUSED_BY_DESIGN and ("*", action) not in UNUSED_BY_DESIGN
    }
    assert unexplained == set(), "\n".join(f"{k}: {a}" for k, a in sorted(unexplained))


def _ran(calls: list, functions: set[str]) -> bool:
    return functions <= {c.function for c in list(calls)} and any(
        c.service == "sns" for c in list(calls)
    )
