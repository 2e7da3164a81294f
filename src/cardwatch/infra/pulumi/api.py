"""``TransactionApi``: the specs of :func:`cardwatch.infra.common.api_gateway.transaction_api`."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from cardwatch.infra.common.api_gateway import (
    DECIDE,
    INGEST,
    TransactionApiResources,
    transaction_api,
)
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class TransactionApi(TransactionApiResources, pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        functions: dict[str, aws.lambda_.Function],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cardwatch:index:TransactionApi", name, None, opts)
        given = {INGEST: functions["ingest"], DECIDE: functions["decide"]}
        render(self, ctx, transaction_api(ctx.blueprint), given)  # api, stage, key
        self.url = self.stage.invoke_url
        self.register_outputs({"url": self.url})
