"""A private bucket as every bucket of the stack is made: encrypted with the CMK by
default (bucket keys on), never public, TLS only, with its lifecycle rules."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from constructs import Construct

from cardwatch.infra.cdktf.context import StackContext, policy_json
from cardwatch.infra.common.policies import tls_only_bucket_policy

__all__ = ["private_bucket"]


def private_bucket(
    scope: Construct,
    ctx: StackContext,
    name: str,
    rules: list[S3BucketLifecycleConfigurationRule],
    prefix: str = "",
) -> S3Bucket:
    """``prefix``: the start of its parts' ids (unique across the stack's buckets)."""
    bucket = S3Bucket(scope, f"{prefix}bucket", bucket=name, force_destroy=True)
    S3BucketServerSideEncryptionConfigurationA(
        scope,
        f"{prefix}encryption",
        bucket=bucket.id,
        rule=[
            S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                    sse_algorithm="aws:kms", kms_master_key_id=ctx.key_arn
                ),
                bucket_key_enabled=True,
            )
        ],
    )
    S3BucketPublicAccessBlock(
        scope,
        f"{prefix}no-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    S3BucketLifecycleConfiguration(scope, f"{prefix}lifecycle", bucket=bucket.id, rule=rules)
    S3BucketPolicy(
        scope,
        f"{prefix}tls-only",
        bucket=bucket.id,
        policy=policy_json(tls_only_bucket_policy(bucket.arn, f"{bucket.arn}/*")),
    )
    return bucket
