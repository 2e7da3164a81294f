"""``TransactionStore``: the specs of :func:`cardwatch.infra.common.storage.transaction_store`."""

from __future__ import annotations

from typing import Any

import pulumi

from cardwatch.infra.common.storage import transaction_store
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class TransactionStore(pulumi.ComponentResource):
    #: set by the part's exposes (the rendered resources)
    table: Any
    profiles: Any

    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:TransactionStore", name, None, opts)
        render(self, ctx, transaction_store(ctx.blueprint))  # table, profiles
        self.register_outputs({"table": self.table.name})
