"""``AlertChannel``: queues with their DLQs, the alert topic and its subscriptions."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import Blueprint, Handle, QueueSpec
from cardwatch.infra.common.messaging import delivery_log_groups, delivery_status
from cardwatch.infra.common.policies import (
    assume_role_policy,
    queue_send_policy,
    sns_feedback_policy,
    sns_tracing_policy,
)
from cardwatch.infra.pulumi.base import Context, policy_output

QUEUE_ATTRIBUTES = Blueprint.queue_attributes


class AlertChannel(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:AlertChannel", name, None, opts)
        bp = ctx.blueprint
        self.queues: dict[str, aws.sqs.Queue] = {}
        for attribute in QUEUE_ATTRIBUTES:
            spec: QueueSpec = getattr(bp, attribute)
            redrive = None
            if spec.dead_letter is not None:
                dead = next(
                    self.queues[a] for a in QUEUE_ATTRIBUTES if getattr(bp, a) == spec.dead_letter
                )
                count = spec.max_receive_count
                redrive = dead.arn.apply(
                    lambda arn, n=count: json.dumps(  # compact, as SQS returns it
                        {"deadLetterTargetArn": arn, "maxReceiveCount": n}, separators=(",", ":")
                    )
                )
            queue = aws.sqs.Queue(
                attribute.replace("_", "-"),
                name=spec.name,
                visibility_timeout_seconds=spec.visibility_timeout_seconds,
                message_retention_seconds=spec.retention_seconds,
                kms_master_key_id=ctx.key_arn,
                kms_data_key_reuse_period_seconds=bp.queue_data_key_reuse_seconds,
                redrive_policy=redrive,
                opts=ctx.child(self),
            )
            self.queues[attribute] = queue
            ctx.arns[Handle(attribute)] = [queue.arn]
            ctx.urls[Handle(attribute)] = queue.url
        groups = [
            aws.cloudwatch.LogGroup(
                logical,
                name=ctx.account_id.apply(
                    lambda account, logical=logical: delivery_log_groups(bp, account)[logical]
                ),
                retention_in_days=bp.settings.log_retention_days,
                kms_key_id=ctx.key_arn,
                opts=ctx.child(self),
            )
            for logical in delivery_log_groups(bp, "")
        ]
        feedback = aws.iam.Role(
            "sns-feedback-role",
            name=bp.name("sns-delivery-status"),
            assume_role_policy=policy_output(
                ctx.account_id.apply(lambda a: assume_role_policy("sns.amazonaws.com", a))
            ),
            opts=ctx.child(self),
        )
        aws.iam.RolePolicy(
            "sns-feedback-policy",
            role=feedback.id,
            name="delivery-status-logs",
            policy=policy_output(
                sns_feedback_policy(
                    [
                        arn
                        for group in groups
                        for arn in (group.arn, pulumi.Output.concat(group.arn, ":*"))
                    ]
                )
            ),
            opts=ctx.child(self),
        )
        self.topic = aws.sns.Topic(
            "alert-topic",
            name=bp.alert_topic_name,
            kms_master_key_id=ctx.key_arn,
            tracing_config="Active",
            opts=ctx.child(self),
            **delivery_status(bp, feedback.arn),
        )
        aws.xray.ResourcePolicy(
            "sns-tracing",
            policy_name=bp.name("cardwatch-sns-tracing"),
            policy_document=policy_output(sns_tracing_policy(self.topic.arn, ctx.account_id)),
            opts=ctx.child(self),
        )
        ctx.arns[Handle.ALERT_TOPIC] = [self.topic.arn]
        ctx.urls[Handle.ALERT_TOPIC] = self.topic.arn
        self._subscribe(ctx)
        if bp.settings.email_subscription and bp.settings.alert_email:
            aws.sns.TopicSubscription(
                "email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=bp.settings.alert_email,
                opts=ctx.child(self),
            )
        self.ops_topic = aws.sns.Topic(
            "ops-topic",
            name=bp.ops_topic_name,
            kms_master_key_id=ctx.key_arn,
            opts=ctx.child(self),
            **delivery_status(bp, feedback.arn),
        )
        ctx.arns[Handle.OPS_TOPIC] = [self.ops_topic.arn]
        if bp.settings.ops_email:
            aws.sns.TopicSubscription(
                "ops-email",
                topic=self.ops_topic.arn,
                protocol="email",
                endpoint=bp.settings.ops_email,
                opts=ctx.child(self),
            )
        self.register_outputs({"topic_arn": self.topic.arn})

    def _subscribe(self, ctx: Context) -> None:
        alerts, dead = self.queues["alerts_queue"], self.queues["alerts_dlq"]
        aws.sns.TopicSubscription(
            "alert-queue",
            topic=self.topic.arn,
            protocol="sqs",
            endpoint=alerts.arn,
            redrive_policy=dead.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn})),
            opts=ctx.child(self),
        )
        for name, queue in (("alerts-queue-policy", alerts), ("alerts-dlq-policy", dead)):
            aws.sqs.QueuePolicy(
                name,
                queue_url=queue.url,
                policy=policy_output(
                    queue_send_policy(
                        "TopicDelivers", "sns.amazonaws.com", queue.arn, self.topic.arn
                    )
                ),
                opts=ctx.child(self),
            )
