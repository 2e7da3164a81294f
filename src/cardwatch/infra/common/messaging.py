"""The alert channel as neutral specs (:mod:`cardwatch.infra.common.specs`): the queues
with their dead-letter queues, the alert topic with its subscriptions (the
alert-processing queue, and e-mail where the settings ask for it), the operators' topic,
and both topics' delivery-status logging."""

from __future__ import annotations

from typing import Any

from cardwatch.blueprint import Blueprint, Handle, QueueSpec
from cardwatch.infra.common.policies import (
    assume_role_policy,
    queue_send_policy,
    sns_feedback_policy,
    sns_tracing_policy,
)
from cardwatch.infra.common.specs import ACCOUNT, KEY_ARN, Json, Part, Ref, Resource, Text

__all__ = [
    "FEEDBACK_PROTOCOLS",
    "AlertChannelResources",
    "alert_channel",
    "queue_id",
]

#: The protocols SNS logs delivery status for (e-mail and SMS have none): every topic
#: logs each, so a subscriber added later (a pager's HTTPS endpoint, a function) is
#: logged from its first message.
FEEDBACK_PROTOCOLS = ("application", "firehose", "http", "lambda", "sqs")
_FEEDBACK_ROLE = "sns-feedback-role"


def queue_id(attribute: str) -> str:
    """A queue's spec id, from its blueprint attribute (``alerts_dlq`` -> ``alerts-dlq``)."""
    return attribute.replace("_", "-")


def _delivery_status(blueprint: Blueprint) -> dict[str, Any]:
    """A topic's delivery-status inputs: the role SNS logs with, for every protocol, and
    the share of successes logged (every failure is)."""
    role = Ref(_FEEDBACK_ROLE)
    inputs: dict[str, Any] = {}
    for protocol in FEEDBACK_PROTOCOLS:
        inputs[f"{protocol}_success_feedback_role_arn"] = role
        inputs[f"{protocol}_failure_feedback_role_arn"] = role
        inputs[f"{protocol}_success_feedback_sample_rate"] = blueprint.topic_success_sample_percent
    return inputs


def _queues(blueprint: Blueprint) -> list[Resource]:
    made = []
    for attribute in Blueprint.queue_attributes:
        spec: QueueSpec = getattr(blueprint, attribute)
        redrive = None
        if spec.dead_letter is not None:
            dead = next(
                a for a in Blueprint.queue_attributes if getattr(blueprint, a) == spec.dead_letter
            )
            # compact, as SQS returns it: no whitespace diff on the next plan
            redrive = Json(
                {
                    "deadLetterTargetArn": Ref(queue_id(dead)),
                    "maxReceiveCount": spec.max_receive_count,
                },
                compact=True,
            )
        made.append(
            Resource(
                "aws_sqs_queue",
                queue_id(attribute),
                {
                    "name": spec.name,
                    "visibility_timeout_seconds": spec.visibility_timeout_seconds,
                    "message_retention_seconds": spec.retention_seconds,
                    "kms_master_key_id": KEY_ARN,
                    "kms_data_key_reuse_period_seconds": blueprint.queue_data_key_reuse_seconds,
                    "redrive_policy": redrive,
                },
            )
        )
    return made


def _delivery_logging(blueprint: Blueprint) -> list[Resource]:
    """The groups SNS writes delivery status to (``sns/<region>/<account>/<topic>`` and its
    ``/Failure``), made here with retention and the key before SNS would make them with
    neither, and the role SNS writes with: streams in those groups only."""
    groups = []
    for key, topic in (("alert", blueprint.alert_topic_name), ("ops", blueprint.ops_topic_name)):
        for logical, suffix in (
            (f"{key}-topic-delivery-logs", ""),
            (f"{key}-topic-failure-logs", "/Failure"),
        ):
            groups.append(
                Resource(
                    "aws_cloudwatch_log_group",
                    logical,
                    {
                        "name": Text((f"sns/{blueprint.region}/", ACCOUNT, f"/{topic}{suffix}")),
                        "retention_in_days": blueprint.settings.log_retention_days,
                        "kms_key_id": KEY_ARN,
                    },
                )
            )
    streams = [arn for group in groups for arn in (Ref(group.id), Text((Ref(group.id), ":*")))]
    return [
        *groups,
        Resource(
            "aws_iam_role",
            _FEEDBACK_ROLE,
            {
                "name": blueprint.name("sns-delivery-status"),
                "assume_role_policy": Json(assume_role_policy("sns.amazonaws.com", ACCOUNT)),
            },
        ),
        Resource(
            "aws_iam_role_policy",
            "sns-feedback-policy",
            {
                "role": Ref(_FEEDBACK_ROLE, "id"),
                "name": "delivery-status-logs",
                "policy": Json(sns_feedback_policy(streams)),
            },
        ),
    ]


def _subscriptions(blueprint: Blueprint) -> list[Resource]:
    settings, topic = blueprint.settings, Ref("alert-topic")
    made = [
        Resource(
            "aws_sns_topic_subscription",
            "alert-queue",
            {
                "topic_arn": topic,
                "protocol": "sqs",
                "endpoint": Ref("alerts-queue"),
                "redrive_policy": Json({"deadLetterTargetArn": Ref("alerts-dlq")}),
            },
        ),
        *(
            Resource(
                "aws_sqs_queue_policy",
                f"{queue}-policy",
                {
                    "queue_url": Ref(queue, "url"),
                    "policy": Json(
                        queue_send_policy("TopicDelivers", "sns.amazonaws.com", Ref(queue), topic)
                    ),
                },
            )
            for queue in ("alerts-queue", "alerts-dlq")
        ),
    ]
    for logical, topic_id, email, wanted in (
        ("email", "alert-topic", settings.alert_email, settings.email_subscription),
        ("ops-email", "ops-topic", settings.ops_email, True),
    ):
        if wanted and email:
            made.append(
                Resource(
                    "aws_sns_topic_subscription",
                    logical,
                    {"topic_arn": Ref(topic_id), "protocol": "email", "endpoint": email},
                )
            )
    return made


def alert_channel(blueprint: Blueprint) -> Part:
    topics = [
        Resource(
            "aws_sns_topic",
            "alert-topic",
            {
                "name": blueprint.alert_topic_name,
                "kms_master_key_id": KEY_ARN,
                "tracing_config": "Active",
                **_delivery_status(blueprint),
            },
        ),
        Resource(
            "aws_xray_resource_policy",
            "sns-tracing",
            {
                "policy_name": blueprint.name("cardwatch-sns-tracing"),
                "policy_document": Json(sns_tracing_policy(Ref("alert-topic"), ACCOUNT)),
            },
        ),
        Resource(
            "aws_sns_topic",
            "ops-topic",
            {
                "name": blueprint.ops_topic_name,
                "kms_master_key_id": KEY_ARN,
                **_delivery_status(blueprint),
            },
        ),
    ]
    queues = {Handle(a): Ref(queue_id(a)) for a in Blueprint.queue_attributes}
    return Part(
        (*_queues(blueprint), *_delivery_logging(blueprint), *topics, *_subscriptions(blueprint)),
        arns={
            **{handle: [ref] for handle, ref in queues.items()},
            Handle.ALERT_TOPIC: [Ref("alert-topic")],
            Handle.OPS_TOPIC: [Ref("ops-topic")],
        },
        urls={
            **{handle: Ref(ref.resource, "url") for handle, ref in queues.items()},
            Handle.ALERT_TOPIC: Ref("alert-topic"),
        },
        exposes={
            "queues": {a: queue_id(a) for a in Blueprint.queue_attributes},
            "topic": "alert-topic",
            "ops_topic": "ops-topic",
        },
    )


class AlertChannelResources:
    """What the part's Construct or ComponentResource holds for the other parts: the
    rendered resources its :attr:`~cardwatch.infra.common.specs.Part.exposes` names."""

    queues: dict[str, Any]
    topic: Any
    ops_topic: Any
