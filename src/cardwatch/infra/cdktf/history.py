"""``HistoryStore``: the specs of :func:`cardwatch.infra.common.history.history_store`."""

from __future__ import annotations

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.history import HistoryStoreResources, history_store


class HistoryStore(HistoryStoreResources, Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        render(self, ctx, history_store(ctx.blueprint))  # bucket, database, table, workgroup
