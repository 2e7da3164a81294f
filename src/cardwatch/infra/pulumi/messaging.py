"""``AlertChannel``: the specs of :func:`cardwatch.infra.common.messaging.alert_channel`,
and the handles the other parts ask for (the queues, the topics)."""

from __future__ import annotations

import pulumi

from cardwatch.blueprint import Blueprint, Handle
from cardwatch.infra.common.messaging import alert_channel, queue_id
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class AlertChannel(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:AlertChannel", name, None, opts)
        made = render(self, ctx, alert_channel(ctx.blueprint))
        self.queues = {a: made[queue_id(a)] for a in Blueprint.queue_attributes}
        for attribute, queue in self.queues.items():
            ctx.arns[Handle(attribute)] = [queue.arn]
            ctx.urls[Handle(attribute)] = queue.url
        self.topic, self.ops_topic = made["alert-topic"], made["ops-topic"]
        ctx.arns[Handle.ALERT_TOPIC] = [self.topic.arn]
        ctx.urls[Handle.ALERT_TOPIC] = self.topic.arn
        ctx.arns[Handle.OPS_TOPIC] = [self.ops_topic.arn]
        self.register_outputs({"topic_arn": self.topic.arn})
