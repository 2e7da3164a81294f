"""``EventRouting``: the specs of :func:`cardwatch.infra.common.events.event_routing`."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from cardwatch.infra.common.events import (
    FAILURES_DLQ,
    EventRoutingResources,
    event_routing,
    function_ref,
)
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class EventRouting(EventRoutingResources, pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        functions: dict[str, aws.lambda_.Function],
        failures_dlq: aws.sqs.Queue,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cardwatch:index:EventRouting", name, None, opts)
        given = {function_ref(k): f for k, f in functions.items()} | {FAILURES_DLQ: failures_dlq}
        render(self, ctx, event_routing(ctx.blueprint), given)  # bus, pipe, rule, schedules
        self.register_outputs({"bus": self.bus.name})
