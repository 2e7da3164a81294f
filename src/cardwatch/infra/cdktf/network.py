"""``PrivateNetwork``: the specs of :func:`cardwatch.infra.common.network_plan.private_network`."""

from __future__ import annotations

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.network_plan import NETWORK, private_network


class PrivateNetwork(Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        made = render(self, ctx, private_network(ctx.blueprint))
        self.vpc, self.security_group = made["vpc"], made["functions-sg"]
        self.subnets = [made[f"private-{n}"] for n in range(len(NETWORK.subnets))]
