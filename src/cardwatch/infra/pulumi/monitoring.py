"""``Monitoring``: an error-rate alarm per function (errors / invocations > 1 % over five
minutes, metric math) that notifies the alert topic."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import Handle
from cardwatch.infra.pulumi.base import Context


def _metric(name: str, function_name: Any, period: int) -> dict[str, Any]:
    return {
        "metric_name": name,
        "namespace": "AWS/Lambda",
        "period": period,
        "stat": "Sum",
        "dimensions": {"FunctionName": function_name},
    }


class Monitoring(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        functions: dict[str, aws.lambda_.Function],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cardwatch:index:Monitoring", name, None, opts)
        bp = ctx.blueprint
        period = bp.error_rate_period_seconds
        for key, function in functions.items():
            spec = bp.functions[key]
            aws.cloudwatch.MetricAlarm(
                f"{key}-error-rate",
                name=spec.error_alarm_name,
                alarm_description=f"{spec.name}: more than {bp.error_rate_threshold_percent} % "
                f"of invocations failed over {period // 60} minutes",
                comparison_operator="GreaterThanThreshold",
                threshold=bp.error_rate_threshold_percent,
                evaluation_periods=1,
                treat_missing_data="notBreaching",
                alarm_actions=ctx.arn_of(Handle.OPS_TOPIC),
                ok_actions=ctx.arn_of(Handle.OPS_TOPIC),
                metric_queries=[
                    {"id": "errors", "metric": _metric("Errors", function.name, period)},
                    {"id": "invocations", "metric": _metric("Invocations", function.name, period)},
                    {
                        "id": "error_rate",
                        "label": "error rate (%)",
                        "return_data": True,
                        "expression": "IF(invocations > 0, 100 * errors / invocations, 0)",
                    },
                ],
                opts=ctx.child(self),
            )
        for alarm in bp.metric_alarms:
            aws.cloudwatch.MetricAlarm(
                alarm.key,
                name=alarm.name,
                alarm_description=alarm.description,
                namespace=bp.metrics_namespace,
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
                opts=ctx.child(self),
            )
        aws.cloudwatch.MetricAlarm(
            "aggregate-lag",
            name=bp.aggregate_lag_alarm_name,
            alarm_description="aggregate's fold of the profile stream runs late: the "
            "terminals' and devices' counts lag (throttling, or failing batches)",
            namespace="AWS/Lambda",
            metric_name="IteratorAge",
            dimensions={"FunctionName": bp.functions["aggregate"].name},
            statistic="Maximum",
            period=60,
            comparison_operator="GreaterThanThreshold",
            threshold=bp.aggregate_max_lag_seconds * 1000,
            evaluation_periods=5,
            treat_missing_data="notBreaching",
            alarm_actions=ctx.arn_of(Handle.OPS_TOPIC),
            ok_actions=ctx.arn_of(Handle.OPS_TOPIC),
            opts=ctx.child(self),
        )
        for attribute in bp.dead_letter_attributes:
            queue = getattr(bp, attribute)
            aws.cloudwatch.MetricAlarm(
                f"{attribute.replace('_', '-')}-depth",
                name=bp.dead_letter_alarm_name(queue),
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
                opts=ctx.child(self),
            )
        self.register_outputs({})
