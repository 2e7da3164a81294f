"""``AlertChannel``: the specs of :func:`cardwatch.infra.common.messaging.alert_channel`,
and the handles the other parts ask for (the queues, the topics)."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.messaging import AlertChannelResources, alert_channel
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class AlertChannel(AlertChannelResources, pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:AlertChannel", name, None, opts)
        render(self, ctx, alert_channel(ctx.blueprint))  # queues, topic, ops_topic
        self.register_outputs({"topic_arn": self.topic.arn})
