"""``TransactionApi``: the specs of :func:`cardwatch.infra.common.api_gateway.transaction_api`."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.api_gateway import (
    DECIDE,
    INGEST,
    TransactionApiResources,
    transaction_api,
)


class TransactionApi(TransactionApiResources, Construct):
    def __init__(
        self, scope: Construct, id_: str, ctx: StackContext, functions: dict[str, LambdaFunction]
    ) -> None:
        super().__init__(scope, id_)
        given = {INGEST: functions["ingest"], DECIDE: functions["decide"]}
        render(self, ctx, transaction_api(ctx.blueprint), given)  # api, stage, key
        self.url = self.stage.invoke_url
