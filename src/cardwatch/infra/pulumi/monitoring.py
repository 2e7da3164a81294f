"""``Monitoring``: the alarms of :func:`cardwatch.infra.common.monitoring.alarms`."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.monitoring import alarms
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class Monitoring(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:Monitoring", name, None, opts)
        render(self, ctx, alarms(ctx.blueprint))
        self.register_outputs({})
