"""``ModelStore``: the specs of :func:`cardwatch.infra.common.models.model_store`."""

from __future__ import annotations

from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.models import ModelStoreResources, model_store
from cardwatch.infra.common.packaging import LambdaPackage


class ModelStore(ModelStoreResources, Construct):
    def __init__(
        self, scope: Construct, id_: str, ctx: StackContext, training: LambdaPackage
    ) -> None:
        super().__init__(scope, id_)
        render(self, ctx, model_store(ctx.blueprint, training))  # bucket, package
        self.training = training
