"""``HistoryStore``: the specs of :func:`cardwatch.infra.common.history.history_store`."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.history import HistoryStoreResources, history_store
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class HistoryStore(HistoryStoreResources, pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:HistoryStore", name, None, opts)
        render(self, ctx, history_store(ctx.blueprint))  # bucket, database, table, workgroup
        self.register_outputs({"bucket": self.bucket.id})
