"""What every construct of the stack shares: the blueprint, the account, the key."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cardwatch.blueprint import Blueprint

__all__ = ["StackContext", "policy_json"]


def policy_json(document: dict[str, Any]) -> str:
    """A policy document as JSON; CDKTF resolves the tokens inside the string."""
    return json.dumps(document, sort_keys=True)


@dataclass
class StackContext:
    blueprint: Blueprint
    account_id: str  # a token: the deploying account
    partition: str = "aws"
    key_arn: str = ""
    key_id: str = ""
    #: Blueprint resource name -> ARNs, filled in as constructs create resources.
    arns: dict[str, list[str]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    def arn_of(self, name: str) -> list[str]:
        return self.arns[name]

    def logs_arn(self, log_group: str) -> str:
        return (
            f"arn:{self.partition}:logs:{self.blueprint.region}:{self.account_id}:"
            f"log-group:{log_group}"
        )
