"""``DetectionFunctions``: the specs of
:func:`cardwatch.infra.common.functions.detection_functions`."""

from __future__ import annotations

from typing import Any

import pulumi

from cardwatch.infra.common.functions import detection_functions, given
from cardwatch.infra.common.packaging import LambdaPackage
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.models import ModelStore
from cardwatch.infra.pulumi.render import render


class DetectionFunctions(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        package: LambdaPackage,
        *,
        training: ModelStore,
        vpc: tuple[list[Any], list[Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cardwatch:index:DetectionFunctions", name, None, opts)
        part = detection_functions(ctx.blueprint, package, training.training, vpc=vpc is not None)
        self.functions: dict[str, Any] = {}
        render(self, ctx, part, given(training, vpc))  # functions, log_groups
        self.register_outputs({key: f.name for key, f in self.functions.items()})
