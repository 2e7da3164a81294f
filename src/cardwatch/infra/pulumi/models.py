"""``ModelStore``: the specs of :func:`cardwatch.infra.common.models.model_store`."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.models import ModelStoreResources, model_store
from cardwatch.infra.common.packaging import LambdaPackage
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class ModelStore(ModelStoreResources, pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        training: LambdaPackage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cardwatch:index:ModelStore", name, None, opts)
        render(self, ctx, model_store(ctx.blueprint, training))  # bucket, package
        self.training = training
        self.register_outputs({"bucket": self.bucket.id})
