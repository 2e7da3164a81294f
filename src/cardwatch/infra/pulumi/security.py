"""``Security``: the specs of :func:`cardwatch.infra.common.security.security`; the data
key is every later part's (``ctx.key_arn``)."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.security import security
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class Security(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:Security", name, None, opts)
        made = render(self, ctx, security(ctx.blueprint))
        self.key, self.analyst_api_key = made["data-key"], made["analyst-api-key"]
        self.card_token_key = made["card-token-key"]
        self.rules, self.rates = made["detection-rules"], made["currency-rates"]
        self.model_pointer = made["model-pointer"]
        ctx.key_arn = self.key.arn
        self.register_outputs({"key_arn": self.key.arn})
