"""``LogArchive``: the specs of :func:`cardwatch.infra.common.archive.log_archive`."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.archive import LogArchiveResources, log_archive
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class LogArchive(LogArchiveResources, pulumi.ComponentResource):
    def __init__(self, name: str, ctx: Context, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("cardwatch:index:LogArchive", name, None, opts)
        render(self, ctx, log_archive(ctx.blueprint))  # bucket, stream, feed role
        self.register_outputs({"bucket": self.bucket.id})
