"""The model store as neutral specs: the versioned, data-key-encrypted bucket of model
artifacts, which also holds the retrain function's package (too large for a direct
upload)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cardwatch.blueprint import Blueprint, Handle
from cardwatch.infra.common.buckets import lifecycle_rule, private_bucket
from cardwatch.infra.common.packaging import LambdaPackage
from cardwatch.infra.common.specs import Asset, Part, Ref, Resource, Text

__all__ = ["ModelStoreResources", "model_store"]


def model_store(blueprint: Blueprint, training: LambdaPackage) -> Part:
    store = blueprint.model_store
    forget = lifecycle_rule(
        "forget-overwritten-versions",
        "",
        noncurrent_version_expiration={"noncurrent_days": store.noncurrent_days},
        abort_incomplete_multipart_upload={"days_after_initiation": store.abort_upload_days},
    )
    bucket = Ref("bucket")
    return Part(
        (
            *private_bucket(blueprint.model_bucket_name, [forget]),
            Resource(
                "aws_s3_bucket_versioning",
                "versioning",
                {"bucket": Ref("bucket", "id"), "versioning_configuration": {"status": "Enabled"}},
            ),
            Resource(
                "aws_s3_object",
                "training-package-object",
                {
                    "bucket": Ref("bucket", "id"),
                    "key": store.package_key(training.sha256),
                    "source": Asset(str(Path(training.path).resolve())),
                    "source_hash": training.sha256,
                },
            ),
        ),
        arns={
            Handle.MODEL_BUCKET: [bucket],
            Handle.MODEL_OBJECTS: [Text((bucket, f"/{store.artifact_prefix}*"))],
        },
        exposes={"bucket": "bucket", "package": "training-package-object"},
    )


class ModelStoreResources:
    """What the part's Construct or ComponentResource holds for the other parts: the
    rendered resources its :attr:`~cardwatch.infra.common.specs.Part.exposes` names."""

    bucket: Any
    package: Any
