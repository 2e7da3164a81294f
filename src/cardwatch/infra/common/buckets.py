"""A private bucket as every bucket of the stack is made, as neutral specs: encrypted with
the data key by default (bucket keys on), never public, TLS only, with its lifecycle
rules."""

from __future__ import annotations

from typing import Any

from cardwatch.infra.common.policies import tls_only_bucket_policy
from cardwatch.infra.common.specs import KEY_ARN, Json, Ref, Resource, Text

__all__ = ["lifecycle_rule", "private_bucket"]


def lifecycle_rule(rule_id: str, prefix: str, **actions: dict[str, Any]) -> dict[str, Any]:
    """One lifecycle rule on the objects under ``prefix``, with its ``actions``
    (``expiration``, ``noncurrent_version_expiration``, ...)."""
    return {"id": rule_id, "status": "Enabled", "filter": {"prefix": prefix}, **actions}


def private_bucket(name: str, rules: list[dict[str, Any]], prefix: str = "") -> list[Resource]:
    """``prefix``: the start of its parts' ids (unique across the stack's buckets)."""
    bucket = Ref(f"{prefix}bucket", "id")
    arn = Ref(f"{prefix}bucket")
    return [
        Resource("aws_s3_bucket", f"{prefix}bucket", {"bucket": name, "force_destroy": True}),
        Resource(
            "aws_s3_bucket_server_side_encryption_configuration",
            f"{prefix}encryption",
            {
                "bucket": bucket,
                "rule": [
                    {
                        "apply_server_side_encryption_by_default": {
                            "sse_algorithm": "aws:kms",
                            "kms_master_key_id": KEY_ARN,
                        },
                        "bucket_key_enabled": True,
                    }
                ],
            },
        ),
        Resource(
            "aws_s3_bucket_public_access_block",
            f"{prefix}no-public-access",
            {
                "bucket": bucket,
                "block_public_acls": True,
                "block_public_policy": True,
                "ignore_public_acls": True,
                "restrict_public_buckets": True,
            },
        ),
        Resource(
            "aws_s3_bucket_lifecycle_configuration",
            f"{prefix}lifecycle",
            {"bucket": bucket, "rule": rules},
        ),
        Resource(
            "aws_s3_bucket_policy",
            f"{prefix}tls-only",
            {"bucket": bucket, "policy": Json(tls_only_bucket_policy(arn, Text((arn, "/*"))))},
        ),
    ]
