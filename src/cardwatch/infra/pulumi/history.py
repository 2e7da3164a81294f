"""``HistoryStore``: the specs of :func:`cardwatch.infra.common.history.history_store`."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.history import history_store
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class HistoryStore(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:HistoryStore", name, None, opts)
        made = render(self, ctx, history_store(ctx.blueprint))
        self.bucket, self.database = made["history-bucket"], made["database"]
        self.table, self.workgroup = made["exports-table"], made["workgroup"]
        self.register_outputs({"bucket": self.bucket.id})
