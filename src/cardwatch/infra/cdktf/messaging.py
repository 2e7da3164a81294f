"""``AlertChannel``: the specs of :func:`cardwatch.infra.common.messaging.alert_channel`,
and the handles the other parts ask for (the queues, the topics)."""

from __future__ import annotations

from constructs import Construct

from cardwatch.blueprint import Blueprint
from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.messaging import alert_channel, queue_id


class AlertChannel(Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        made = render(self, ctx, alert_channel(ctx.blueprint))
        self.queues = {a: made[queue_id(a)] for a in Blueprint.queue_attributes}
        self.topic, self.ops_topic = made["alert-topic"], made["ops-topic"]
