"""What both renderings give a topic for delivery status: one source for the inputs
(the CDKTF and Pulumi providers name them alike)."""

from __future__ import annotations

from typing import Any

from cardwatch.blueprint import Blueprint

__all__ = ["FEEDBACK_PROTOCOLS", "delivery_log_groups", "delivery_status"]

#: The protocols SNS logs delivery status for (e-mail and SMS have none): every topic
#: logs each, so a subscriber added later (a pager's HTTPS endpoint, a function) is
#: logged from its first message.
FEEDBACK_PROTOCOLS = ("application", "firehose", "http", "lambda", "sqs")


def delivery_status(blueprint: Blueprint, role_arn: Any) -> dict[str, Any]:
    """A topic's delivery-status inputs: the role SNS logs with, for every protocol, and
    the share of successes logged (every failure is)."""
    inputs: dict[str, Any] = {}
    for protocol in FEEDBACK_PROTOCOLS:
        inputs[f"{protocol}_success_feedback_role_arn"] = role_arn
        inputs[f"{protocol}_failure_feedback_role_arn"] = role_arn
        inputs[f"{protocol}_success_feedback_sample_rate"] = blueprint.topic_success_sample_percent
    return inputs


def delivery_log_groups(blueprint: Blueprint, account_id: str) -> dict[str, str]:
    """resource id -> the log group SNS writes a topic's delivery status to (successes,
    and failures under ``/Failure``): made by the deployment, with retention and the
    key, before SNS would make them with neither."""
    groups = {}
    for key, topic in (("alert", blueprint.alert_topic_name), ("ops", blueprint.ops_topic_name)):
        base = f"sns/{blueprint.region}/{account_id}/{topic}"
        groups[f"{key}-topic-delivery-logs"] = base
        groups[f"{key}-topic-failure-logs"] = f"{base}/Failure"
    return groups
