"""``Security``: the specs of :func:`cardwatch.infra.common.security.security`; the data
key is every later part's (``ctx.key_arn``)."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.security import SecurityResources, security
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class Security(SecurityResources, pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:Security", name, None, opts)
        render(self, ctx, security(ctx.blueprint))  # key, analyst_api_key, ...
        ctx.key_arn = self.key.arn
        self.register_outputs({"key_arn": self.key.arn})
