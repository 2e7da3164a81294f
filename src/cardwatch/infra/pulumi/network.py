"""``PrivateNetwork``: the specs of :func:`cardwatch.infra.common.network_plan.private_network`."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.network_plan import PrivateNetworkResources, private_network
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class PrivateNetwork(PrivateNetworkResources, pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:PrivateNetwork", name, None, opts)
        render(self, ctx, private_network(ctx.blueprint))  # vpc, security_group, subnets
        self.register_outputs({"vpc_id": self.vpc.id})
