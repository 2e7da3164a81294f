"""A private bucket as every bucket of the program is made: encrypted with the CMK by
default (bucket keys on), never public, TLS only, with its lifecycle rules."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from cardwatch.infra.common.policies import tls_only_bucket_policy
from cardwatch.infra.pulumi.base import Context, policy_output

__all__ = ["private_bucket"]


def private_bucket(
    ctx: Context,
    name: str,
    rules: list[dict[str, Any]],
    opts: pulumi.ResourceOptions,
    prefix: str = "",
) -> aws.s3.Bucket:
    """``prefix``: the start of its parts' names (unique across the program's buckets)."""
    bucket = aws.s3.Bucket(f"{prefix}bucket", bucket=name, force_destroy=True, opts=opts)
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{prefix}encryption",
        bucket=bucket.id,
        rules=[
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": ctx.key_arn,
                },
                "bucket_key_enabled": True,
            }
        ],
        opts=opts,
    )
    aws.s3.BucketPublicAccessBlock(
        f"{prefix}no-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{prefix}lifecycle",
        bucket=bucket.id,
        rules=rules,  # type: ignore[arg-type]  # plain dicts, as everywhere in the program
        opts=opts,
    )
    objects = bucket.arn.apply(lambda arn: f"{arn}/*")
    aws.s3.BucketPolicy(
        f"{prefix}tls-only",
        bucket=bucket.id,
        policy=policy_output(tls_only_bucket_policy(bucket.arn, objects)),
        opts=opts,
    )
    return bucket
