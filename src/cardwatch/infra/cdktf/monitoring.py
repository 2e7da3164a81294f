"""``Monitoring``: the alarms of :func:`cardwatch.infra.common.monitoring.alarms`."""

from __future__ import annotations

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.monitoring import alarms


class Monitoring(Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        render(self, ctx, alarms(ctx.blueprint))
