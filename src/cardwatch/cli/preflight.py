"""``cardwatch preflight``: what an account needs before a deployment's first apply.

Each check reads the account (through clients the caller makes, so the emulator and a
real account are read the same way) and says what to change when it would fail:

- **Lambda concurrency**: the deployment reserves each function's concurrency; AWS keeps
  at least 100 executions unreserved, so the account's unreserved share must cover the
  reservations and 100 more (a new account's quota can be as low as 10).
- **API Gateway's CloudWatch role**: one per account and region; the stage's logs need
  it. Exactly one environment sets it (``api_gateway_account_role``), or an operator
  did by hand.
- **The e-mail subscription**: the security team must confirm it, or alerts reach the
  queue and never a person.
- **Bucket names**: S3's are global; a name another account holds fails the first
  apply (BucketAlreadyExists).
- **The operators' e-mail**: every alarm goes to the operators' topic; without
  ``ops_email`` nobody is subscribed to it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from cardwatch.blueprint import Blueprint

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
    role = apigateway.get_account().get("cloudwatchRoleArn")
    sets_it = blueprint.settings.api_gateway_account_role
    if role and sets_it:
        return Check(
            "api gateway account role",
            Status.WARN,
            f"the account already points at {role}: this environment would take it over; "
            "leave api_gateway_account_role off unless that role is going away",
        )
    if role:
        return Check("api gateway account role", Status.OK, f"set: {role}")
    if sets_it:
        return Check("api gateway account role", Status.OK, "this environment sets it")
    return Check(
        "api gateway account role",
        Status.FAIL,
        "the account has no CloudWatch role for API Gateway and the stage's logs need one: "
        "deploy this environment with api_gateway_account_role (once per account and "
        "region), or set it by hand (aws apigateway update-account)",
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
    ]
