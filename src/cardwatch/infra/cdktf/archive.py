"""``LogArchive``: the specs of :func:`cardwatch.infra.common.archive.log_archive`."""

from __future__ import annotations

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.archive import LogArchiveResources, log_archive


class LogArchive(LogArchiveResources, Construct):
    def __init__(self, scope: Construct, id_: str, ctx: StackContext) -> None:
        super().__init__(scope, id_)
        render(self, ctx, log_archive(ctx.blueprint))  # bucket, stream, feed role
