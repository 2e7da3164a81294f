"""``Security``: the specs of :func:`cardwatch.infra.common.security.security`; the data
key is every later part's (``ctx.key_arn``)."""

from __future__ import annotations

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.security import security


class Security(Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        made = render(self, ctx, security(ctx.blueprint))
        self.key, self.analyst_api_key = made["data-key"], made["analyst-api-key"]
        self.card_token_key = made["card-token-key"]
        self.rules, self.rates = made["detection-rules"], made["currency-rates"]
        self.model_pointer = made["model-pointer"]
        ctx.key_arn, ctx.key_id = self.key.arn, self.key.key_id
