"""``TransactionStore``: the specs of :func:`cardwatch.infra.common.storage.transaction_store`."""

from __future__ import annotations

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.storage import TransactionStoreResources, transaction_store


class TransactionStore(TransactionStoreResources, Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        render(self, ctx, transaction_store(ctx.blueprint))  # table, profiles
