"""``Monitoring``: the alarms of :func:`cardwatch.infra.common.monitoring.alarms`, each
notifying the operators' topic."""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from constructs import Construct

from cardwatch.blueprint import Handle
from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.common.monitoring import alarms


def _query(query: dict[str, Any]) -> CloudwatchMetricAlarmMetricQuery:
    """jsii takes a nested block as its struct (a plain dict keeps Terraform's names)."""
    metric = query.get("metric")
    return CloudwatchMetricAlarmMetricQuery(
        **{k: v for k, v in query.items() if k != "metric"},
        metric=CloudwatchMetricAlarmMetricQueryMetric(**metric) if metric else None,
    )


class Monitoring(Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        topic = ctx.arn_of(Handle.OPS_TOPIC)
        for alarm in alarms(ctx.blueprint):
            inputs = dict(alarm.inputs)
            if "metric_query" in inputs:
                inputs["metric_query"] = [_query(q) for q in inputs["metric_query"]]
            CloudwatchMetricAlarm(self, alarm.id, **inputs, alarm_actions=topic, ok_actions=topic)
