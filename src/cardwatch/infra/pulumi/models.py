"""``ModelStore``: the versioned, CMK-encrypted bucket of model artifacts, which also
holds the retrain function's package (too large for a direct upload)."""

from __future__ import annotations

import base64

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import Handle
from cardwatch.infra.common.packaging import LambdaPackage
from cardwatch.infra.pulumi.base import Context
from cardwatch.infra.pulumi.buckets import private_bucket


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
        self.bucket = private_bucket(
            ctx,
            store.bucket,
            [
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
            child,
        )
        aws.s3.BucketVersioning(
            "versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
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
