"""``TransactionApi``: the specs of :func:`cardwatch.infra.common.api_gateway.transaction_api`."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.api_gateway import INGEST, transaction_api


class TransactionApi(Construct):
    def __init__(
        self, scope: Construct, id_: str, ctx: StackContext, ingest: LambdaFunction
    ) -> None:
        super().__init__(scope, id_)
        made = render(self, ctx, transaction_api(ctx.blueprint), {INGEST: ingest})
        self.api, self.stage, self.key = made["api"], made["stage"], made["api-key"]
        self.url = self.stage.invoke_url
