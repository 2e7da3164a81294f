"""``AlertChannel``: the specs of :func:`cardwatch.infra.common.messaging.alert_channel`,
and the handles the other parts ask for (the queues, the topics)."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.messaging import alert_channel


class AlertChannel(Construct):
    #: set by the part's exposes (the rendered resources)
    queues: dict[str, Any]
    topic: Any
    ops_topic: Any

    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        render(self, ctx, alert_channel(ctx.blueprint))  # queues, topic, ops_topic
