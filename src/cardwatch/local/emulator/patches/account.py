"""An account's singletons on the emulator as AWS has them.

- **API Gateway's account**: UpdateAccount with ``replace /cloudwatchRoleArn`` and no
  value clears the role (what a Terraform destroy of ``aws_api_gateway_account`` with
  ``reset_on_delete`` sends); moto fails it with a KeyError, which the provider retries
  until it times out. Cleared here, as AWS does.
- **AWS's managed policies**: every account has them (API Gateway's account role
  attaches ``AmazonAPIGatewayPushToCloudWatchLogs``); moto loads them only when asked.
  Asked here, for every IAM backend made after the patch is installed.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["TARGETS", "install"]

#: What the patch replaces or relies on in moto (checked before it installs).
TARGETS = (
    "moto.apigateway.models.Account.apply_patch_operations(patch_operations)",
    "moto.settings.load_iam_aws_managed_policies",
)
_installed = False


def _api_gateway_account() -> None:
    from moto.apigateway.models import Account  # noqa: PLC0415

    original = Account.apply_patch_operations

    def apply_patch_operations(self: Any, patch_operations: list[dict[str, Any]]) -> Any:
        rest = []
        for op in patch_operations:
            if "/cloudwatchRoleArn" in op["path"] and "value" not in op:
                self.cloudwatch_role_arn = None  # a reset: no role
            else:
                rest.append(op)
        return original(self, rest)

    Account.apply_patch_operations = apply_patch_operations  # type: ignore[method-assign]


def install() -> None:
    """Make moto's account-wide settings behave as AWS's."""
    global _installed  # noqa: PLW0603 (one patch per process)
    if _installed:
        return
    _api_gateway_account()
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    _installed = True
