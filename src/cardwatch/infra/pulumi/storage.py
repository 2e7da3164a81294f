"""``TransactionStore``: the specs of :func:`cardwatch.infra.common.storage.transaction_store`."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.storage import TransactionStoreResources, transaction_store
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class TransactionStore(TransactionStoreResources, pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:TransactionStore", name, None, opts)
        render(self, ctx, transaction_store(ctx.blueprint))  # table, profiles
        self.register_outputs({"table": self.table.name})
