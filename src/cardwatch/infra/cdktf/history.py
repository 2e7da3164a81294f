"""``HistoryStore``: the specs of :func:`cardwatch.infra.common.history.history_store`."""

from __future__ import annotations

from typing import Any

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.history import history_store


class HistoryStore(Construct):
    #: set by the part's exposes (the rendered resources)
    bucket: Any
    database: Any
    table: Any
    workgroup: Any

    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        render(self, ctx, history_store(ctx.blueprint))  # bucket, database, table, workgroup
