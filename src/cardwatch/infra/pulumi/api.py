"""``TransactionApi``: the specs of :func:`cardwatch.infra.common.api_gateway.transaction_api`."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from cardwatch.infra.common.api_gateway import INGEST, TransactionApiResources, transaction_api
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class TransactionApi(TransactionApiResources, pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        ingest: aws.lambda_.Function,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cardwatch:index:TransactionApi", name, None, opts)
        render(self, ctx, transaction_api(ctx.blueprint), {INGEST: ingest})  # api, stage, key
        self.url = self.stage.invoke_url
        self.register_outputs({"url": self.url})
