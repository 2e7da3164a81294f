"""``cardwatch preflight``: what an account needs before a deployment's first apply.

Each check reads the account (through clients the caller makes, so the emulator and a
real account are read the same way) and says what to change when it would fail:

- **Lambda concurrency**: the deployment reserves each function's concurrency; AWS keeps
  at least 100 executions unreserved, so the account's unreserved share must cover the
  reservations and 100 more (a new account's quota can be as low as 10).
- **API Gateway's CloudWatch role**: one per account and region; the stage's logs need
  it. On a fresh account the first environment sets it (``api_logging=own``, the
  default); every further one uses it (``api_logging=account``).
- **The e-mail subscription**: the security team must confirm it, or alerts reach the
  queue and never a person.
- **Bucket names**: S3's are global; a name another account holds fails the first
  apply (BucketAlreadyExists).
- **The operators' e-mail**: every alarm goes to the operators' topic; without
  ``ops_email`` nobody is subscribed to it.
- **Zones**: the VPC's subnets name availability-zone IDs; each must be an available
  zone of the region, open to the account.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from cardwatch.blueprint import ApiLogging, Blueprint
from cardwatch.infra.common.network_plan import NETWORK

__all__ = ["Check", "Status", "preflight"]

#: AWS keeps this many concurrent executions unreserved in every account and region.
UNRESERVED_MINIMUM = 100


class Status(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str


def _concurrency(blueprint: Blueprint, lambda_client: Any) -> Check:
    limit = lambda_client.get_account_settings()["AccountLimit"]
    quota, unreserved = limit["ConcurrentExecutions"], limit["UnreservedConcurrentExecutions"]
    wanted = sum(spec.reserved_concurrency for spec in blueprint.functions.values())
    # this environment's own functions, if deployed already, hold part of the reservations
    names = {spec.name for spec in blueprint.functions.values()}
    held = 0
    for page in lambda_client.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            if function["FunctionName"] in names:
                concurrency = lambda_client.get_function_concurrency(
                    FunctionName=function["FunctionName"]
                )
                held += concurrency.get("ReservedConcurrentExecutions", 0)
    left = unreserved + held - wanted
    if left >= UNRESERVED_MINIMUM:
        return Check(
            "lambda concurrency",
            Status.OK,
            f"reserves {wanted} of {quota}; {left} stay unreserved",
        )
    need = quota + (UNRESERVED_MINIMUM - left)
    room = unreserved + held - UNRESERVED_MINIMUM
    return Check(
        "lambda concurrency",
        Status.FAIL,
        f"the deployment reserves {wanted} executions but the account's quota is {quota} "
        f"with {unreserved + held} unreserved, and AWS keeps {UNRESERVED_MINIMUM} "
        f"unreserved: request a quota of at least {need} (Service Quotas, Lambda, "
        f"'Concurrent executions') or lower reserved_concurrency to {max(room, 0)} in all",
    )


def _api_gateway_account(blueprint: Blueprint, apigateway: Any) -> Check:
    name = "api gateway account role"
    role = apigateway.get_account().get("cloudwatchRoleArn")
    mode = blueprint.settings.api_logging
    if mode is ApiLogging.OFF:
        return Check(name, Status.OK, "api_logging=off: the API writes no access logs")
    ours = bool(role) and role.endswith(f":role/{blueprint.api_logs_role_name}")
    if mode is ApiLogging.OWN:
        if role and not ours:
            return Check(
                name,
                Status.WARN,
                f"the account already points at {role}: this environment would take it "
                "over, and reset it when destroyed; deploy it with api_logging=account",
            )
        return Check(name, Status.OK, "this environment sets it")
    if role:
        return Check(name, Status.OK, f"set: {role}")
    return Check(
        name,
        Status.FAIL,
        "the account has no CloudWatch role for API Gateway and api_logging=account needs "
        "one: deploy this environment with api_logging=own (once per account and region)",
    )


def _email(blueprint: Blueprint, sns: Any) -> Check:
    settings = blueprint.settings
    if not settings.email_subscription:
        return Check("alert e-mail", Status.OK, "no e-mail subscription in this deployment")
    if not settings.alert_email:
        return Check(
            "alert e-mail",
            Status.FAIL,
            "email_subscription is on but alert_email is empty: set alert_email",
        )
    topics = [
        t["TopicArn"]
        for page in sns.get_paginator("list_topics").paginate()
        for t in page["Topics"]
        if t["TopicArn"].rsplit(":", 1)[1] == blueprint.alert_topic_name
    ]
    if not topics:
        return Check(
            "alert e-mail",
            Status.WARN,
            f"after the deploy, {settings.alert_email} must confirm the subscription "
            "from the message AWS sends",
        )
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topics[0])["Subscriptions"]
    mine = [s for s in subscriptions if s.get("Endpoint") == settings.alert_email]
    if mine and mine[0]["SubscriptionArn"] not in ("PendingConfirmation", "Deleted"):
        return Check("alert e-mail", Status.OK, f"{settings.alert_email} is confirmed")
    return Check(
        "alert e-mail",
        Status.WARN,
        f"{settings.alert_email} has not confirmed the subscription: alerts reach the "
        "queue but no person until it does",
    )


def _bucket_names(blueprint: Blueprint, s3: Any) -> Check:
    """Each bucket's name: free, or this account's (a redeploy), or another's (fails)."""
    taken, ours = [], []
    for name in (blueprint.model_store.bucket, blueprint.history_store.bucket):
        try:
            s3.head_bucket(Bucket=name)
            ours.append(name)
        except Exception as error:  # the SDK's ClientError, read by its AWS error code
            answer = getattr(error, "response", None)
            if not isinstance(answer, dict):
                raise
            code = str(answer.get("Error", {}).get("Code", ""))
            if code in {"403", "AccessDenied", "Forbidden"}:
                taken.append(name)
            elif code not in {"404", "NoSuchBucket", "NotFound"}:
                raise
    if taken:
        return Check(
            "bucket names",
            Status.FAIL,
            f"{', '.join(taken)}: held by another account (S3 names are global): deploy "
            "under another environment_suffix",
        )
    detail = f"already this account's: {', '.join(ours)}" if ours else "free"
    return Check("bucket names", Status.OK, detail)


def _ops_email(blueprint: Blueprint) -> Check:
    if blueprint.settings.ops_email:
        return Check("operators' e-mail", Status.OK, f"alarms go to {blueprint.settings.ops_email}")
    return Check(
        "operators' e-mail",
        Status.WARN,
        "no ops_email: every alarm goes to the operators' topic, where nobody is "
        "subscribed; set ops_email",
    )


def _zones(blueprint: Blueprint, ec2: Any) -> Check:
    """The functions' subnets name zone IDs: each must be an available zone of the
    account's region (zone IDs are one region's; a zone can be closed to an account)."""
    if not blueprint.settings.vpc_functions:
        return Check("availability zones", Status.OK, "no function runs in a VPC")
    wanted = [zone for zone, _ in NETWORK.subnets]
    found = {
        zone["ZoneId"]: zone
        for zone in ec2.describe_availability_zones(AllAvailabilityZones=True)["AvailabilityZones"]
    }
    missing = [zone for zone in wanted if zone not in found]
    closed = [
        zone
        for zone in wanted
        if zone in found
        and (
            found[zone].get("State") != "available"
            or found[zone].get("OptInStatus") == "not-opted-in"
        )
    ]
    if missing or closed:
        problems = [f"{', '.join(missing)} not in {blueprint.region}"] if missing else []
        problems += [f"{', '.join(closed)} not available to this account"] if closed else []
        return Check(
            "availability zones",
            Status.FAIL,
            f"the VPC's subnets name {'; '.join(problems)}: deploy to the region the "
            "network plan names, or give the plan zones of this region where Lambda runs",
        )
    names = ", ".join(f"{zone} ({found[zone]['ZoneName']})" for zone in wanted)
    return Check("availability zones", Status.OK, f"subnets in {names}")


def preflight(blueprint: Blueprint, session: Any) -> list[Check]:
    """Every check, against the account ``session`` reaches (a boto3 session)."""
    return [
        _concurrency(blueprint, session.client("lambda")),
        _api_gateway_account(blueprint, session.client("apigateway")),
        _email(blueprint, session.client("sns")),
        _bucket_names(
            blueprint.with_account(session.client("sts").get_caller_identity()["Account"]),
            session.client("s3"),
        ),
        _ops_email(blueprint),
        _zones(blueprint, session.client("ec2")),
    ]
