"""``AlertChannel``: the specs of :func:`cardwatch.infra.common.messaging.alert_channel`,
and the handles the other parts ask for (the queues, the topics)."""

from __future__ import annotations

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.messaging import AlertChannelResources, alert_channel


class AlertChannel(AlertChannelResources, Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        render(self, ctx, alert_channel(ctx.blueprint))  # queues, topic, ops_topic
