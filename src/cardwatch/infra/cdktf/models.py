"""``ModelStore``: the specs of :func:`cardwatch.infra.common.models.model_store`."""

from __future__ import annotations

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.models import model_store
from cardwatch.infra.common.packaging import LambdaPackage


class ModelStore(Construct):
    def __init__(
        self, scope: Construct, id_: str, ctx: StackContext, training: LambdaPackage
    ) -> None:
        super().__init__(scope, id_)
        made = render(self, ctx, model_store(ctx.blueprint, training))
        self.bucket, self.package = made["bucket"], made["training-package-object"]
        self.training = training
