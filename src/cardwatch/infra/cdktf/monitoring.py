"""``Monitoring``: per function, an alarm on errors / invocations above 1 % over five
minutes (metric math); per dead-letter queue, an alarm on any message in it. Both go to
the operators' topic."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from constructs import Construct

from cardwatch.blueprint import Handle
from cardwatch.infra.cdktf.context import StackContext


def _metric(name: str, function_name: str, period: int) -> CloudwatchMetricAlarmMetricQueryMetric:
    return CloudwatchMetricAlarmMetricQueryMetric(
        metric_name=name,
        namespace="AWS/Lambda",
        period=period,
        stat="Sum",
        dimensions={"FunctionName": function_name},
    )


class Monitoring(Construct):
    def __init__(
        self, scope: Construct, id_: str, ctx: StackContext, functions: dict[str, LambdaFunction]
    ) -> None:
        super().__init__(scope, id_)
        blueprint = ctx.blueprint
        period = blueprint.error_rate_period_seconds
        for key, function in functions.items():
            spec = blueprint.functions[key]
            CloudwatchMetricAlarm(
                self,
                f"{key}-error-rate",
                alarm_name=spec.error_alarm_name,
                alarm_description=f"{spec.name}: more than "
                f"{blueprint.error_rate_threshold_percent} % of invocations "
                f"failed over {period // 60} minutes",
                comparison_operator="GreaterThanThreshold",
                threshold=blueprint.error_rate_threshold_percent,
                evaluation_periods=1,
                treat_missing_data="notBreaching",
                alarm_actions=ctx.arn_of(Handle.OPS_TOPIC),
                ok_actions=ctx.arn_of(Handle.OPS_TOPIC),
                metric_query=[
                    CloudwatchMetricAlarmMetricQuery(
                        id="errors", metric=_metric("Errors", function.function_name, period)
                    ),
                    CloudwatchMetricAlarmMetricQuery(
                        id="invocations",
                        metric=_metric("Invocations", function.function_name, period),
                    ),
                    CloudwatchMetricAlarmMetricQuery(
                        id="error_rate",
                        label="error rate (%)",
                        return_data=True,
                        expression="IF(invocations > 0, 100 * errors / invocations, 0)",
                    ),
                ],
            )
        for alarm in blueprint.metric_alarms:
            CloudwatchMetricAlarm(
                self,
                alarm.key,
                alarm_name=alarm.name,
                alarm_description=alarm.description,
                namespace=blueprint.metrics_namespace,
                metric_name=alarm.metric_name,
                dimensions={"service": alarm.service},
                statistic="Sum",
                period=period,
                comparison_operator="GreaterThanThreshold",
                threshold=0,
                evaluation_periods=1,
                treat_missing_data="notBreaching",
                alarm_actions=ctx.arn_of(Handle.OPS_TOPIC),
                ok_actions=ctx.arn_of(Handle.OPS_TOPIC),
            )
        CloudwatchMetricAlarm(
            self,
            "aggregate-lag",
            alarm_name=blueprint.aggregate_lag_alarm_name,
            alarm_description="aggregate's fold of the profile stream runs late: the "
            "terminals' and devices' counts lag (throttling, or failing batches)",
            namespace="AWS/Lambda",
            metric_name="IteratorAge",
            dimensions={"FunctionName": blueprint.functions["aggregate"].name},
            statistic="Maximum",
            period=60,
            comparison_operator="GreaterThanThreshold",
            threshold=blueprint.aggregate_max_lag_seconds * 1000,
            evaluation_periods=5,
            treat_missing_data="notBreaching",
            alarm_actions=ctx.arn_of(Handle.OPS_TOPIC),
            ok_actions=ctx.arn_of(Handle.OPS_TOPIC),
        )
        for attribute in blueprint.dead_letter_attributes:
            queue = getattr(blueprint, attribute)
            CloudwatchMetricAlarm(
                self,
                f"{attribute.replace('_', '-')}-depth",
                alarm_name=blueprint.dead_letter_alarm_name(queue),
                alarm_description=f"{queue.name}: messages waiting (inspect and redrive)",
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions={"QueueName": queue.name},
                statistic="Maximum",
                period=period,
                comparison_operator="GreaterThanThreshold",
                threshold=0,
                evaluation_periods=1,
                treat_missing_data="notBreaching",
                alarm_actions=ctx.arn_of(Handle.OPS_TOPIC),
                ok_actions=ctx.arn_of(Handle.OPS_TOPIC),
            )
