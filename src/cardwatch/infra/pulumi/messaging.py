"""``AlertChannel``: the specs of :func:`cardwatch.infra.common.messaging.alert_channel`,
and the handles the other parts ask for (the queues, the topics)."""

from __future__ import annotations

import pulumi

from cardwatch.blueprint import Blueprint
from cardwatch.infra.common.messaging import alert_channel, queue_id
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class AlertChannel(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:AlertChannel", name, None, opts)
        made = render(self, ctx, alert_channel(ctx.blueprint))
        self.queues = {a: made[queue_id(a)] for a in Blueprint.queue_attributes}
        self.topic, self.ops_topic = made["alert-topic"], made["ops-topic"]
        self.register_outputs({"topic_arn": self.topic.arn})
