"""``ModelStore``: the versioned, CMK-encrypted bucket of model artifacts, which also
holds the retrain function's package (too large for a direct upload)."""

from __future__ import annotations

import base64
from pathlib import Path

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import (
    S3BucketVersioningA,
    S3BucketVersioningVersioningConfiguration,
)
from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct

from cardwatch.blueprint import Handle
from cardwatch.infra.cdktf.buckets import private_bucket
from cardwatch.infra.cdktf.context import StackContext
from cardwatch.infra.common.packaging import LambdaPackage


class ModelStore(Construct):
    def __init__(
        self, scope: Construct, id_: str, ctx: StackContext, training: LambdaPackage
    ) -> None:
        super().__init__(scope, id_)
        blueprint = ctx.blueprint
        store = blueprint.model_store
        self.bucket = private_bucket(
            self,
            ctx,
            blueprint.model_bucket_name,
            [
                S3BucketLifecycleConfigurationRule(
                    id="forget-overwritten-versions",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=store.noncurrent_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=store.abort_upload_days
                        )
                    ],
                )
            ],
        )
        S3BucketVersioningA(
            self,
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )
        asset = TerraformAsset(
            self, "training-package", path=str(Path(training.path).resolve()), type=AssetType.FILE
        )
        self.package = S3Object(
            self,
            "training-package-object",
            bucket=self.bucket.id,
            key=store.package_key(training.sha256),
            source=asset.path,
            source_hash=training.sha256,
        )
        self.package_hash = base64.b64encode(bytes.fromhex(training.sha256)).decode()
        ctx.arns[Handle.MODEL_BUCKET] = [self.bucket.arn]
        ctx.arns[Handle.MODEL_OBJECTS] = [f"{self.bucket.arn}/{store.artifact_prefix}*"]
