"""``ModelStore``: the specs of :func:`cardwatch.infra.common.models.model_store`."""

from __future__ import annotations

import pulumi

from cardwatch.infra.common.models import model_store
from cardwatch.infra.common.packaging import LambdaPackage
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.render import render


class ModelStore(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        training: LambdaPackage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cardwatch:index:ModelStore", name, None, opts)
        made = render(self, ctx, model_store(ctx.blueprint, training))
        self.bucket, self.package = made["bucket"], made["training-package-object"]
        self.training = training
        self.register_outputs({"bucket": self.bucket.id})
