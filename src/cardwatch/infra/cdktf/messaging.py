"""``AlertChannel``: the queues with their dead-letter queues, and the alert topic with its
subscriptions (the alert-processing queue, and e-mail where the settings ask for it)."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from cdktf_cdktf_provider_aws.xray_resource_policy import XrayResourcePolicy
from constructs import Construct

from cardwatch.blueprint import Blueprint, Handle, QueueSpec
from cardwatch.infra.cdktf.context import StackContext, policy_json
from cardwatch.infra.common.messaging import delivery_log_groups, delivery_status
from cardwatch.infra.common.policies import (
    assume_role_policy,
    queue_send_policy,
    sns_feedback_policy,
    sns_tracing_policy,
)

QUEUE_ATTRIBUTES = Blueprint.queue_attributes


class AlertChannel(Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        blueprint = ctx.blueprint
        self.queues: dict[str, SqsQueue] = {}
        for attribute in QUEUE_ATTRIBUTES:
            spec: QueueSpec = getattr(blueprint, attribute)
            redrive = None
            if spec.dead_letter is not None:
                dead = self.queues[
                    next(a for a in QUEUE_ATTRIBUTES if getattr(blueprint, a) == spec.dead_letter)
                ]
                # compact, as SQS returns it: no whitespace diff on the next plan
                redrive = json.dumps(
                    {"deadLetterTargetArn": dead.arn, "maxReceiveCount": spec.max_receive_count},
                    separators=(",", ":"),
                )
            queue = SqsQueue(
                self,
                attribute.replace("_", "-"),
                name=spec.name,
                visibility_timeout_seconds=spec.visibility_timeout_seconds,
                message_retention_seconds=spec.retention_seconds,
                kms_master_key_id=ctx.key_arn,
                kms_data_key_reuse_period_seconds=blueprint.queue_data_key_reuse_seconds,
                redrive_policy=redrive,
            )
            self.queues[attribute] = queue
            ctx.arns[Handle(attribute)] = [queue.arn]
            ctx.urls[Handle(attribute)] = queue.url
        groups = [
            CloudwatchLogGroup(
                self,
                logical,
                name=name,
                retention_in_days=blueprint.settings.log_retention_days,
                kms_key_id=ctx.key_arn,
            )
            for logical, name in delivery_log_groups(blueprint, ctx.account_id).items()
        ]
        feedback = IamRole(
            self,
            "sns-feedback-role",
            name=blueprint.name("sns-delivery-status"),
            assume_role_policy=policy_json(assume_role_policy("sns.amazonaws.com", ctx.account_id)),
        )
        IamRolePolicy(
            self,
            "sns-feedback-policy",
            role=feedback.id,
            name="delivery-status-logs",
            policy=policy_json(
                sns_feedback_policy(
                    [arn for group in groups for arn in (group.arn, f"{group.arn}:*")]
                )
            ),
        )
        self.topic = SnsTopic(
            self,
            "alert-topic",
            name=blueprint.alert_topic_name,
            kms_master_key_id=ctx.key_arn,
            tracing_config="Active",
            **delivery_status(blueprint, feedback.arn),
        )
        XrayResourcePolicy(
            self,
            "sns-tracing",
            policy_name=blueprint.name("cardwatch-sns-tracing"),
            policy_document=policy_json(sns_tracing_policy(self.topic.arn, ctx.account_id)),
        )
        ctx.arns[Handle.ALERT_TOPIC] = [self.topic.arn]
        ctx.urls[Handle.ALERT_TOPIC] = self.topic.arn
        self.ops_topic = SnsTopic(
            self,
            "ops-topic",
            name=blueprint.ops_topic_name,
            kms_master_key_id=ctx.key_arn,
            **delivery_status(blueprint, feedback.arn),
        )
        ctx.arns[Handle.OPS_TOPIC] = [self.ops_topic.arn]
        if blueprint.settings.ops_email:
            SnsTopicSubscription(
                self,
                "ops-email",
                topic_arn=self.ops_topic.arn,
                protocol="email",
                endpoint=blueprint.settings.ops_email,
            )
        self._subscribe_alert_queue(ctx)
        if blueprint.settings.email_subscription and blueprint.settings.alert_email:
            SnsTopicSubscription(
                self,
                "email",
                topic_arn=self.topic.arn,
                protocol="email",
                endpoint=blueprint.settings.alert_email,
            )

    def _subscribe_alert_queue(self, ctx: StackContext) -> None:
        alerts, dead = self.queues["alerts_queue"], self.queues["alerts_dlq"]
        SnsTopicSubscription(
            self,
            "alert-queue",
            topic_arn=self.topic.arn,
            protocol="sqs",
            endpoint=alerts.arn,
            redrive_policy=json.dumps({"deadLetterTargetArn": dead.arn}),
        )
        for name, queue in (("alerts-queue-policy", alerts), ("alerts-dlq-policy", dead)):
            SqsQueuePolicy(
                self,
                name,
                queue_url=queue.url,
                policy=policy_json(
                    queue_send_policy(
                        "TopicDelivers", "sns.amazonaws.com", queue.arn, self.topic.arn
                    )
                ),
            )
