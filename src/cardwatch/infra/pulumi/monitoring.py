"""``Monitoring``: the alarms of :func:`cardwatch.infra.common.monitoring.alarms`, each
notifying the operators' topic."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import Handle
from cardwatch.infra.common.monitoring import alarms
from cardwatch.infra.pulumi.base import Context

#: Terraform's input -> the Pulumi provider's, where they differ
_RENAMED = {"alarm_name": "name", "metric_query": "metric_queries"}


class Monitoring(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:Monitoring", name, None, opts)
        topic = ctx.arn_of(Handle.OPS_TOPIC)
        for alarm in alarms(ctx.blueprint):
            inputs = {_RENAMED.get(k, k): v for k, v in alarm.inputs.items()}
            aws.cloudwatch.MetricAlarm(
                alarm.id, **inputs, alarm_actions=topic, ok_actions=topic, opts=ctx.child(self)
            )
        self.register_outputs({})
