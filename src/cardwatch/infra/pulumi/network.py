"""``PrivateNetwork``: the specs of :func:`cardwatch.infra.common.network_plan.private_network`."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.network_plan import NETWORK, private_network
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class PrivateNetwork(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:PrivateNetwork", name, None, opts)
        made = render(self, ctx, private_network(ctx.blueprint))
        self.vpc, self.security_group = made["vpc"], made["functions-sg"]
        self.subnets = [made[f"private-{n}"] for n in range(len(NETWORK.subnets))]
        self.register_outputs({"vpc_id": self.vpc.id})
