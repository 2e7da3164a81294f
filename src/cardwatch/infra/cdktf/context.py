"""What every construct of the stack shares: the blueprint, the account, the key."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cardwatch.blueprint import Blueprint, Handle
from cardwatch.infra.common.handles import Registered

__all__ = ["StackContext"]


@dataclass
class StackContext(Registered):
    blueprint: Blueprint
    account_id: str  # a token: the deploying account
    partition: str = "aws"
    key_arn: str = ""
    key_id: str = ""
    #: Each resource's ARNs and its URL (or ARN, or id) for an environment, registered
    #: by the construct that creates it.
    arns: dict[Handle, list[Any]] = field(default_factory=dict)
    urls: dict[Handle, Any] = field(default_factory=dict)
