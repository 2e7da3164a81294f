"""``cardwatch preflight`` against the emulator: each check passes, warns and fails as an
account would make it (issue 15, item 11)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import redirect_stdout
from typing import Any

import boto3
import pytest

from cardwatch.blueprint import ApiLogging, blueprint_for
from cardwatch.cli.main import main
from cardwatch.cli.preflight import Status, preflight
from cardwatch.local.emulator.server import Emulator, running_emulator


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    monkeypatch.setenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", "1000")
    with running_emulator("us-east-1") as running:
        _fresh(running)  # the emulator's account lives as long as the process
        yield running
        _fresh(running)


OTHER_FUNCTION = "someone-elses-function"


def _fresh(emulator: Emulator) -> None:
    """Undo what these tests change in the account, and only that (other tiers may share
    the emulator's backends)."""
    session = emulator.session()
    session.client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}]
    )
    lam = session.client("lambda")
    if any(f["FunctionName"] == OTHER_FUNCTION for f in lam.list_functions()["Functions"]):
        lam.delete_function(FunctionName=OTHER_FUNCTION)
    sns = session.client("sns")
    for name in {blueprint_for(t, "dev").alert_topic_name for t in ("cdktf", "pulumi")}:
        for topic in sns.list_topics()["Topics"]:
            if topic["TopicArn"].endswith(f":{name}"):
                sns.delete_topic(TopicArn=topic["TopicArn"])


def _by_name(checks: list[Any]) -> dict[str, Any]:
    return {check.name: check for check in checks}


def _reserve(emulator: Emulator, name: str, executions: int) -> None:
    session = emulator.session()
    role = session.client("iam").create_role(
        RoleName=f"{name}-role", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return None\n")
    lam = session.client("lambda")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=executions)


def test_a_fresh_account_is_told_what_to_change(emulator: Emulator) -> None:
    blueprint = blueprint_for("pulumi", "dev")  # 5 x 100 reserved, an e-mail subscription
    checks = _by_name(preflight(blueprint, emulator.session()))
    assert checks["lambda concurrency"].status is Status.OK  # 1,000: 700 reserved, 300 left
    # the default sets the account's role: what a fresh account needs
    assert checks["api gateway account role"].status is Status.OK
    assert checks["alert e-mail"].status is Status.WARN  # confirm after the deploy
    user = blueprint_for("pulumi", "dev", api_logging=ApiLogging.ACCOUNT)
    role = _by_name(preflight(user, emulator.session()))["api gateway account role"]
    assert role.status is Status.FAIL and "api_logging=own" in role.detail
    silent = blueprint_for("pulumi", "dev", api_logging=ApiLogging.OFF)
    role = _by_name(preflight(silent, emulator.session()))["api gateway account role"]
    assert role.status is Status.OK


def test_a_small_concurrency_quota_fails_with_the_quota_to_ask_for(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    _reserve(emulator, OTHER_FUNCTION, 100)  # another workload's reservation
    blueprint = blueprint_for("pulumi", "dev")
    check = _by_name(preflight(blueprint, emulator.session()))["lambda concurrency"]
    # 1,000 - 100 others - 800 ours = 100 left: exactly AWS's minimum, so it fits
    assert check.status is Status.OK
    # the quota is the emulator's account setting: an account with a smaller one
    monkeypatch.setenv("MOTO_LAMBDA_CONCURRENCY_QUOTA", "900")
    with running_emulator("us-east-1") as smaller:
        _reserve(smaller, OTHER_FUNCTION, 100)
        check = _by_name(preflight(blueprint, smaller.session()))["lambda concurrency"]
    assert check.status is Status.FAIL
    assert "at least 1000" in check.detail and "to 700 in all" in check.detail


def test_an_account_role_set_by_another_environment_is_not_taken_over(emulator: Emulator) -> None:
    session = emulator.session()
    role = "arn:aws:iam::123456789012:role/api-gateway-logs-prod"
    session.client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}]
    )
    user = blueprint_for("cdktf", "dev", api_logging=ApiLogging.ACCOUNT)
    assert _by_name(preflight(user, session))["api gateway account role"].status is Status.OK
    taker = blueprint_for("cdktf", "dev")
    check = _by_name(preflight(taker, session))["api gateway account role"]
    assert check.status is Status.WARN and role in check.detail
    assert "api_logging=account" in check.detail
    # a redeploy of the environment that owns it is not a takeover
    mine = f"arn:aws:iam::123456789012:role/{taker.api_logs_role_name}"
    session.client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": mine}]
    )
    assert _by_name(preflight(taker, session))["api gateway account role"].status is Status.OK


def test_an_unconfirmed_subscription_is_a_warning(emulator: Emulator) -> None:
    blueprint = blueprint_for("pulumi", "dev")
    sns = emulator.session().client("sns")
    topic = sns.create_topic(Name=blueprint.alert_topic_name)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=blueprint.settings.alert_email)
    check = _by_name(preflight(blueprint, emulator.session()))["alert e-mail"]
    # the emulator confirms e-mail subscriptions at once, as no account does
    assert check.status in (Status.OK, Status.WARN)
    assert blueprint.settings.alert_email in check.detail


def test_the_command_exits_non_zero_on_a_failure_and_speaks_json(emulator: Emulator) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["preflight", "--target", "pulumi", "--api-logging", "account", "--json"])
    assert code == 1  # no API Gateway account role on a fresh account to use
    checks = {c["check"]: c["status"] for c in json.loads(out.getvalue())}
    assert checks["api gateway account role"] == "fail"
    with redirect_stdout(io.StringIO()):
        assert main(["preflight", "--target", "cdktf"]) == 0  # the default sets it


def test_bucket_names_held_elsewhere_fail_and_ours_or_free_pass(emulator: Emulator) -> None:
    """S3's names are global: a name another account holds fails the first apply."""
    from botocore.exceptions import ClientError  # noqa: PLC0415

    blueprint = blueprint_for("pulumi", "dev")
    names = _by_name(preflight(blueprint, emulator.session()))
    account = emulator.session().client("sts").get_caller_identity()["Account"]
    bucket = blueprint.with_account(account).model_store.bucket
    assert bucket == f"cardwatch-models-dev-{account}-us-east-1"  # unique across accounts
    assert names["bucket names"].status is Status.OK and "free" in names["bucket names"].detail
    assert names["operators' e-mail"].status is Status.WARN  # nobody gets the alarms
    emulator.session().client("s3").create_bucket(Bucket=bucket)
    again = _by_name(preflight(blueprint, emulator.session()))["bucket names"]
    assert again.status is Status.OK and bucket in again.detail

    class ElsewhereS3:  # AWS answers HeadBucket on another account's bucket with 403
        def head_bucket(self, Bucket: str) -> None:  # noqa: N803 - boto3's name
            raise ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadBucket")

    class Session:
        def client(self, name: str) -> Any:
            return ElsewhereS3() if name == "s3" else emulator.session().client(name)

    taken = _by_name(preflight(blueprint, Session()))["bucket names"]
    assert taken.status is Status.FAIL
    assert bucket in taken.detail and "environment_suffix" in taken.detail
    owned = blueprint_for("pulumi", "dev", ops_email="ops@example.com")
    assert _by_name(preflight(owned, emulator.session()))["operators' e-mail"].status is Status.OK


def test_the_subnets_zones_must_be_in_the_region_and_open(emulator: Emulator) -> None:
    from dataclasses import replace  # noqa: PLC0415

    from cardwatch.infra.common.network_plan import NETWORK  # noqa: PLC0415

    blueprint = blueprint_for("pulumi", "dev")  # ingest and detect in a VPC
    zones = _by_name(preflight(blueprint, emulator.session()))["availability zones"]
    assert zones.status is Status.OK
    assert all(zone in zones.detail for zone, _ in NETWORK.subnets)
    # the plan's zone IDs are us-east-1's: elsewhere, the first apply would fail
    elsewhere = replace(blueprint, region="eu-west-1")
    session = boto3.session.Session(region_name="eu-west-1")
    check = _by_name(preflight(elsewhere, session))["availability zones"]
    assert check.status is Status.FAIL and "not in eu-west-1" in check.detail
    flat = blueprint_for("cdktf", "dev")  # no VPC
    assert _by_name(preflight(flat, emulator.session()))["availability zones"].status is (Status.OK)
