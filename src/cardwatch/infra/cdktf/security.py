"""``Security``: the specs of :func:`cardwatch.infra.common.security.security`; the data
key is every later part's (``ctx.key_arn``)."""

from __future__ import annotations

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.security import SecurityResources, security


class Security(SecurityResources, Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        render(self, ctx, security(ctx.blueprint))  # key, analyst_api_key, ...
        ctx.key_arn, ctx.key_id = self.key.arn, self.key.key_id
