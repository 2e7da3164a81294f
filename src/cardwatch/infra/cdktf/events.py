"""``EventRouting``: stream -> Pipe -> bus -> rule (event pattern) -> detect, and the
EventBridge Scheduler schedule that runs analyze every five minutes."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_event_bus import CloudwatchEventBus
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.pipes_pipe import (
    PipesPipe,
    PipesPipeSourceParameters,
    PipesPipeSourceParametersDynamodbStreamParameters,
    PipesPipeSourceParametersDynamodbStreamParametersDeadLetterConfig,
    PipesPipeSourceParametersFilterCriteria,
    PipesPipeSourceParametersFilterCriteriaFilter,
    PipesPipeTargetParameters,
    PipesPipeTargetParametersEventbridgeEventBusParameters,
)
from cdktf_cdktf_provider_aws.scheduler_schedule import (
    SchedulerSchedule,
    SchedulerScheduleFlexibleTimeWindow,
    SchedulerScheduleTarget,
    SchedulerScheduleTargetDeadLetterConfig,
    SchedulerScheduleTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct

from cardwatch.blueprint import Handle, ScheduleSpec
from cardwatch.infra.cdktf.context import StackContext, policy_json
from cardwatch.infra.common.policies import (
    assume_role_policy,
    pipe_policy,
    queue_send_policy,
    scheduler_policy,
)


class EventRouting(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        ctx: StackContext,
        functions: dict[str, LambdaFunction],
        failures_dlq: SqsQueue,
    ) -> None:
        super().__init__(scope, id_)
        blueprint = ctx.blueprint
        dlq_arn = failures_dlq.arn
        self.bus = CloudwatchEventBus(self, "bus", name=blueprint.event_bus_name)
        pipe_role = IamRole(
            self,
            "pipe-role",
            name=blueprint.name("transaction-stream-pipe"),
            assume_role_policy=policy_json(
                assume_role_policy("pipes.amazonaws.com", ctx.account_id)
            ),
        )
        pipe_policy_resource = IamRolePolicy(
            self,
            "pipe-policy",
            role=pipe_role.id,
            name="stream-to-bus",
            policy=policy_json(
                pipe_policy(ctx.arn_of(Handle.TABLE_STREAM)[0], self.bus.arn, dlq_arn, ctx.key_arn)
            ),
        )
        self.pipe = PipesPipe(
            self,
            "pipe",
            name=blueprint.pipe_name,
            role_arn=pipe_role.arn,
            source=ctx.arn_of(Handle.TABLE_STREAM)[0],
            target=self.bus.arn,
            source_parameters=PipesPipeSourceParameters(
                dynamodb_stream_parameters=PipesPipeSourceParametersDynamodbStreamParameters(
                    starting_position="LATEST",
                    batch_size=blueprint.pipe_batch_size,
                    parallelization_factor=blueprint.pipe_parallelization_factor,
                    maximum_batching_window_in_seconds=blueprint.pipe_batching_window_seconds,
                    on_partial_batch_item_failure=blueprint.pipe_partial_batch_failure,
                    maximum_retry_attempts=blueprint.pipe_retry_attempts,
                    dead_letter_config=(
                        PipesPipeSourceParametersDynamodbStreamParametersDeadLetterConfig(
                            arn=dlq_arn
                        )
                    ),
                ),
                filter_criteria=PipesPipeSourceParametersFilterCriteria(
                    filter=[
                        PipesPipeSourceParametersFilterCriteriaFilter(
                            pattern=json.dumps(blueprint.pipe_filter)
                        )
                    ]
                ),
            ),
            target_parameters=PipesPipeTargetParameters(
                eventbridge_event_bus_parameters=(
                    PipesPipeTargetParametersEventbridgeEventBusParameters(
                        source=blueprint.event_source, detail_type=blueprint.event_detail_type
                    )
                )
            ),
            depends_on=[pipe_policy_resource],
        )
        self.rule = CloudwatchEventRule(
            self,
            "rule",
            name=blueprint.rule_name,
            event_bus_name=self.bus.name,
            event_pattern=json.dumps(blueprint.rule_pattern),
        )
        CloudwatchEventTarget(
            self,
            "rule-target",
            rule=self.rule.name,
            event_bus_name=self.bus.name,
            arn=functions["detect"].arn,
            target_id="detect",
            dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=dlq_arn),
            retry_policy=CloudwatchEventTargetRetryPolicy(
                maximum_retry_attempts=blueprint.async_retry_attempts,
                maximum_event_age_in_seconds=blueprint.max_event_age_seconds,
            ),
        )
        LambdaPermission(
            self,
            "rule-invokes-detect",
            statement_id="EventBridgeInvokesDetect",
            action="lambda:InvokeFunction",
            function_name=functions["detect"].function_name,
            principal="events.amazonaws.com",
            source_arn=self.rule.arn,
        )
        SqsQueuePolicy(
            self,
            "failures-dlq-policy",
            queue_url=failures_dlq.url,
            policy=policy_json(
                queue_send_policy(
                    "RuleTargetDeadLetters", "events.amazonaws.com", dlq_arn, self.rule.arn
                )
            ),
        )
        self.schedules = {
            spec.key: self._schedule(ctx, spec, functions[spec.function], dlq_arn)
            for spec in ctx.blueprint.schedules
        }
        self.schedule = self.schedules["analyze"]

    def _schedule(
        self, ctx: StackContext, spec: ScheduleSpec, function: LambdaFunction, dlq_arn: str
    ) -> SchedulerSchedule:
        blueprint = ctx.blueprint
        role = IamRole(
            self,
            f"{spec.id_prefix}scheduler-role",
            name=spec.role_name,
            assume_role_policy=policy_json(
                assume_role_policy("scheduler.amazonaws.com", ctx.account_id)
            ),
        )
        IamRolePolicy(
            self,
            f"{spec.id_prefix}scheduler-policy",
            role=role.id,
            name=spec.policy_name,
            policy=policy_json(
                scheduler_policy(function.arn, dlq_arn, ctx.key_arn, spec.statement_id)
            ),
        )
        return SchedulerSchedule(
            self,
            f"{spec.id_prefix}schedule",
            name=spec.name,
            schedule_expression=spec.expression,
            kms_key_arn=ctx.key_arn,
            flexible_time_window=SchedulerScheduleFlexibleTimeWindow(mode="OFF"),
            target=SchedulerScheduleTarget(
                arn=function.arn,
                role_arn=role.arn,
                dead_letter_config=SchedulerScheduleTargetDeadLetterConfig(arn=dlq_arn),
                retry_policy=SchedulerScheduleTargetRetryPolicy(
                    maximum_retry_attempts=blueprint.async_retry_attempts,
                    maximum_event_age_in_seconds=blueprint.max_event_age_seconds,
                ),
            ),
        )
