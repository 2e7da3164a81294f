"""S3 bucket policies on the emulator, which evaluates them without their conditions.

moto enforces a bucket policy's statements with principal ``*`` but ignores their
``Condition`` blocks, so the model bucket's "refuse every request not made over TLS"
(``Deny`` where ``aws:SecureTransport`` is false) refuses everything, TLS or not; and the
emulator speaks plain HTTP. AWS evaluates the condition, and every caller of a
deployment (the AWS SDKs, Terraform, Pulumi) uses TLS: the emulator's plain HTTP stands
for that TLS connection here, so such a statement never applies. Every other statement is
evaluated as moto does.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["TARGETS", "install"]

#: What the patch replaces or relies on in moto (checked before it installs).
TARGETS = (
    "moto.s3.models.FakeBucket.get_permission(action,resource)",
    "moto.iam.access_control.IAMPolicy.is_action_permitted(action,resource)",
    "moto.iam.access_control.PermissionResult.NEUTRAL",
)

_installed = False
_INSECURE = {"Bool": {"aws:SecureTransport": "false"}}


def _applies(statement: dict[str, Any]) -> bool:
    """False for a statement that only concerns requests made without TLS."""
    return statement.get("Condition") != _INSECURE


def install() -> None:
    global _installed  # noqa: PLW0603 (one patch per process)
    if _installed:
        return
    from moto.iam.access_control import IAMPolicy, PermissionResult  # noqa: PLC0415
    from moto.s3.models import FakeBucket  # noqa: PLC0415 - only local mode and tests

    original = FakeBucket.get_permission

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return original(self, action, resource)
        document = json.loads(self.policy)
        statements = document.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        kept = [s for s in statements if _applies(s)]
        if len(kept) == len(statements):
            return original(self, action, resource)
        if not kept:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**document, "Statement": kept})).is_action_permitted(
            action, resource
        )

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    _installed = True
