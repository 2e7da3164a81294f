"""What the components share: the blueprint, the account, resolved ARNs and URLs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from cardwatch.blueprint import Blueprint, Handle
from cardwatch.infra.common.handles import Registered

__all__ = ["Context"]


@dataclass
class Context(Registered):
    blueprint: Blueprint
    account_id: pulumi.Output[str]
    partition: str = "aws"
    key_arn: pulumi.Output[str] | None = None
    #: Each resource's ARNs and its URL (or ARN, or id) for an environment, registered
    #: by the component that creates it.
    arns: dict[Handle, list[Any]] = field(default_factory=dict)
    urls: dict[Handle, Any] = field(default_factory=dict)

    def child(self, parent: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent)
