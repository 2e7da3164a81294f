"""``AlertChannel``: the specs of :func:`cardwatch.infra.common.messaging.alert_channel`,
and the handles the other parts ask for (the queues, the topics)."""

from __future__ import annotations

from typing import Any

import pulumi

from cardwatch.infra.common.messaging import alert_channel
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class AlertChannel(pulumi.ComponentResource):
    #: set by the part's exposes (the rendered resources)
    queues: dict[str, Any]
    topic: Any
    ops_topic: Any

    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:AlertChannel", name, None, opts)
        render(self, ctx, alert_channel(ctx.blueprint))  # queues, topic, ops_topic
        self.register_outputs({"topic_arn": self.topic.arn})
