"""``EventRouting``: the specs of :func:`cardwatch.infra.common.events.event_routing`."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.events import (
    FAILURES_DLQ,
    EventRoutingResources,
    event_routing,
    function_ref,
)


class EventRouting(EventRoutingResources, Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        ctx: StackContext,
        functions: dict[str, LambdaFunction],
        failures_dlq: SqsQueue,
    ) -> None:
        super().__init__(scope, id_)
        given = {function_ref(k): f for k, f in functions.items()} | {FAILURES_DLQ: failures_dlq}
        render(self, ctx, event_routing(ctx.blueprint), given)  # bus, pipe, rule, schedules
