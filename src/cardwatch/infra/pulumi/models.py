"""``ModelStore``: the versioned, CMK-encrypted bucket of model artifacts, which also
holds the retrain function's package (too large for a direct upload)."""

from __future__ import annotations

import base64

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import Handle
from cardwatch.infra.common.packaging import LambdaPackage
from cardwatch.infra.common.policies import tls_only_bucket_policy
from cardwatch.infra.pulumi.base import Context, policy_output


class ModelStore(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        training: LambdaPackage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cardwatch:index:ModelStore", name, None, opts)
        bp, child = ctx.blueprint, ctx.child(self)
        store = bp.model_store
        self.bucket = aws.s3.Bucket("bucket", bucket=store.bucket, force_destroy=True, opts=child)
        aws.s3.BucketVersioning(
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            "encryption",
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": ctx.key_arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketPublicAccessBlock(
            "no-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            "lifecycle",
            bucket=self.bucket.id,
            rules=[
                {
                    "id": "forget-overwritten-versions",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {"noncurrent_days": store.noncurrent_days},
                    "abort_incomplete_multipart_upload": {
                        "days_after_initiation": store.abort_upload_days
                    },
                }
            ],
            opts=child,
        )
        objects = self.bucket.arn.apply(lambda arn: f"{arn}/*")
        aws.s3.BucketPolicy(
            "tls-only",
            bucket=self.bucket.id,
            policy=policy_output(tls_only_bucket_policy(self.bucket.arn, objects)),
            opts=child,
        )
        self.package = aws.s3.BucketObjectv2(
            "training-package-object",
            bucket=self.bucket.id,
            key=store.package_key(training.sha256),
            source=pulumi.FileAsset(str(training.path)),
            source_hash=training.sha256,
            opts=child,
        )
        self.package_hash = base64.b64encode(bytes.fromhex(training.sha256)).decode()
        artifacts = self.bucket.arn.apply(lambda arn: f"{arn}/{store.artifact_prefix}*")
        ctx.arns[Handle.MODEL_BUCKET] = [self.bucket.arn]
        ctx.arns[Handle.MODEL_OBJECTS] = [artifacts]
        self.register_outputs({"bucket": self.bucket.id})
