"""``PrivateNetwork``: the specs of :func:`cardwatch.infra.common.network_plan.private_network`."""

from __future__ import annotations

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.network_plan import PrivateNetworkResources, private_network


class PrivateNetwork(PrivateNetworkResources, Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        render(self, ctx, private_network(ctx.blueprint))  # vpc, security_group, subnets
