"""``DetectionFunctions``: the specs of
:func:`cardwatch.infra.common.functions.detection_functions`."""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction
from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.cdktf.models import ModelStore
from cardwatch.infra.cdktf.render import render
from cardwatch.infra.common.functions import detection_functions, given
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
        part = detection_functions(ctx.blueprint, package, training.training, vpc=vpc is not None)
        self.functions: dict[str, LambdaFunction] = {}
        render(self, ctx, part, given(training, vpc))  # functions, log_groups
