"""``TransactionStore``: the specs of :func:`cardwatch.infra.common.storage.transaction_store`."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.storage import transaction_store
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class TransactionStore(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:TransactionStore", name, None, opts)
        made = render(self, ctx, transaction_store(ctx.blueprint))
        self.table, self.profiles = made["transactions"], made["profiles"]
        self.register_outputs({"table": self.table.name})
