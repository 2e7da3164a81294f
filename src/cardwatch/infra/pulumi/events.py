"""``EventRouting``: stream -> Pipe -> bus -> rule (event pattern) -> detect, and the
Scheduler schedule for analyze (no rule carries a schedule expression)."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import Handle, ScheduleSpec
from cardwatch.infra.common.policies import (
    assume_role_policy,
    pipe_policy,
    queue_send_policy,
    scheduler_policy,
)
from cardwatch.infra.pulumi.base import Context, policy_output


class EventRouting(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        functions: dict[str, aws.lambda_.Function],
        failures_dlq: aws.sqs.Queue,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cardwatch:index:EventRouting", name, None, opts)
        bp, child = ctx.blueprint, ctx.child(self)
        dlq_arn = failures_dlq.arn
        self.bus = aws.cloudwatch.EventBus("bus", name=bp.event_bus_name, opts=child)
        pipe_role = aws.iam.Role(
            "pipe-role",
            name=bp.name("transaction-stream-pipe"),
            assume_role_policy=policy_output(
                ctx.account_id.apply(lambda a: assume_role_policy("pipes.amazonaws.com", a))
            ),
            opts=child,
        )
        pipe_access = aws.iam.RolePolicy(
            "pipe-policy",
            role=pipe_role.id,
            name="stream-to-bus",
            policy=policy_output(
                pipe_policy(ctx.arn_of(Handle.TABLE_STREAM)[0], self.bus.arn, dlq_arn, ctx.key_arn)
            ),
            opts=child,
        )
        self.pipe = aws.pipes.Pipe(
            "pipe",
            name=bp.pipe_name,
            role_arn=pipe_role.arn,
            source=ctx.arn_of(Handle.TABLE_STREAM)[0],
            target=self.bus.arn,
            source_parameters={
                "dynamodb_stream_parameters": {
                    "starting_position": "LATEST",
                    "batch_size": bp.pipe_batch_size,
                    "parallelization_factor": bp.pipe_parallelization_factor,
                    "maximum_batching_window_in_seconds": bp.pipe_batching_window_seconds,
                    "on_partial_batch_item_failure": bp.pipe_partial_batch_failure,
                    "maximum_retry_attempts": bp.pipe_retry_attempts,
                    "dead_letter_config": {"arn": dlq_arn},
                },
                "filter_criteria": {"filters": [{"pattern": json.dumps(bp.pipe_filter)}]},
            },
            target_parameters={
                "eventbridge_event_bus_parameters": {
                    "source": bp.event_source,
                    "detail_type": bp.event_detail_type,
                }
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[pipe_access]),
        )
        self.rule = aws.cloudwatch.EventRule(
            "rule",
            name=bp.rule_name,
            event_bus_name=self.bus.name,
            event_pattern=json.dumps(bp.rule_pattern),
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            "rule-target",
            rule=self.rule.name,
            event_bus_name=self.bus.name,
            arn=functions["detect"].arn,
            target_id="detect",
            dead_letter_config={"arn": dlq_arn},
            retry_policy={
                "maximum_retry_attempts": bp.async_retry_attempts,
                "maximum_event_age_in_seconds": bp.max_event_age_seconds,
            },
            opts=child,
        )
        aws.lambda_.Permission(
            "rule-invokes-detect",
            statement_id="EventBridgeInvokesDetect",
            action="lambda:InvokeFunction",
            function=functions["detect"].name,
            principal="events.amazonaws.com",
            source_arn=self.rule.arn,
            opts=child,
        )
        aws.sqs.QueuePolicy(
            "failures-dlq-policy",
            queue_url=failures_dlq.url,
            policy=policy_output(
                queue_send_policy(
                    "RuleTargetDeadLetters", "events.amazonaws.com", dlq_arn, self.rule.arn
                )
            ),
            opts=child,
        )
        self.schedules = {
            spec.key: self._schedule(ctx, spec, functions[spec.function], dlq_arn)
            for spec in bp.schedules
        }
        self.schedule = self.schedules["analyze"]
        self.register_outputs({"bus": self.bus.name})

    def _schedule(
        self,
        ctx: Context,
        spec: ScheduleSpec,
        function: aws.lambda_.Function,
        dlq_arn: pulumi.Output[str],
    ) -> aws.scheduler.Schedule:
        bp, child = ctx.blueprint, ctx.child(self)
        role = aws.iam.Role(
            f"{spec.id_prefix}scheduler-role",
            name=spec.role_name,
            assume_role_policy=policy_output(
                ctx.account_id.apply(lambda a: assume_role_policy("scheduler.amazonaws.com", a))
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{spec.id_prefix}scheduler-policy",
            role=role.id,
            name=spec.policy_name,
            policy=policy_output(
                scheduler_policy(function.arn, dlq_arn, ctx.key_arn, spec.statement_id)
            ),
            opts=child,
        )
        return aws.scheduler.Schedule(
            f"{spec.id_prefix}schedule",
            name=spec.name,
            schedule_expression=spec.expression,
            kms_key_arn=ctx.key_arn,
            flexible_time_window={"mode": "OFF"},
            target={
                "arn": function.arn,
                "role_arn": role.arn,
                "dead_letter_config": {"arn": dlq_arn},
                "retry_policy": {
                    "maximum_retry_attempts": bp.async_retry_attempts,
                    "maximum_event_age_in_seconds": bp.max_event_age_seconds,
                },
            },
            opts=child,
        )
