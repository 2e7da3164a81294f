"""``DetectionFunctions``: the specs of
:func:`cardwatch.infra.common.functions.detection_functions`."""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.models import ModelStore
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.functions import detection_functions
from cardwatch.infra.common.packaging import LambdaPackage


class DetectionFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        ctx: StackContext,
        package: LambdaPackage,
        *,
        training: ModelStore,
        vpc: tuple[list[Any], list[Any]] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        given: dict[str, Any] = {
            "model-bucket": training.bucket,
            "training-package": training.package,
        }
        if vpc:
            given |= {"vpc-subnets": vpc[0], "vpc-security-groups": vpc[1]}
        part = detection_functions(ctx.blueprint, package, training.training, vpc=vpc is not None)
        made = render(self, ctx, part, given)
        self.functions: dict[str, LambdaFunction] = {k: made[k] for k in ctx.blueprint.functions}
        self.log_groups = {k: made[f"{k}-logs"] for k in ctx.blueprint.functions}
