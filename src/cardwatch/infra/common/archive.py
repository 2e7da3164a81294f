"""The log archive, as neutral specs: every log group of the functions (and the API's
access log) is subscribed to one Firehose delivery stream that writes, gzipped, to a
private bucket under the data key, where a lifecycle rule keeps each object 400 days.
The log groups keep the short retention the requirements ask for; the archive keeps the
12 months PCI DSS 10.5.1 asks for. The subscriptions themselves are made with the log
groups (each part's own); this part gives them the stream and the role to use."""

from __future__ import annotations

from typing import Any

from cardwatch.blueprint import Blueprint, Handle
from cardwatch.infra.common.buckets import lifecycle_rule, private_bucket
from cardwatch.infra.common.policies import assume_role_policy
from cardwatch.infra.common.specs import (
    ACCOUNT,
    KEY_ARN,
    PARTITION,
    Json,
    Part,
    Ref,
    Resource,
    Text,
)

__all__ = ["LogArchiveResources", "log_archive"]


def _delivery_policy(bucket: Any) -> dict[str, Any]:
    """What the stream needs: write its objects, and the data key to encrypt them."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteArchive",
                "Effect": "Allow",
                "Action": [
                    "s3:AbortMultipartUpload",
                    "s3:GetBucketLocation",
                    "s3:ListBucket",
                    "s3:ListBucketMultipartUploads",
                    "s3:PutObject",
                ],
                "Resource": [bucket, Text((bucket, "/*"))],
            },
            {
                "Sid": "EncryptArchive",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": [KEY_ARN],
            },
        ],
    }


def _feed_policy(stream: Any) -> dict[str, Any]:
    """What CloudWatch Logs needs to put a subscription's records into the stream."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FeedArchive",
                "Effect": "Allow",
                "Action": ["firehose:PutRecord", "firehose:PutRecordBatch"],
                "Resource": [stream],
            }
        ],
    }


def _logs_trust(blueprint: Blueprint) -> dict[str, Any]:
    """CloudWatch Logs of this region, on behalf of this account's log groups only."""
    trust = assume_role_policy(f"logs.{blueprint.region}.amazonaws.com")
    trust["Statement"][0]["Condition"] = {
        "StringLike": {
            "aws:SourceArn": Text(
                ("arn:", PARTITION, f":logs:{blueprint.region}:", ACCOUNT, ":log-group:*")
            )
        }
    }
    return trust


def log_archive(blueprint: Blueprint) -> Part:
    bucket = Ref("archive-bucket")
    stream = Ref("stream")
    feed_role, delivery_role = blueprint.log_archive_role_names
    rules = [
        lifecycle_rule(
            "expire-after-13-months",
            "",
            expiration={"days": blueprint.log_archive_days},
            noncurrent_version_expiration={"noncurrent_days": blueprint.log_archive_days},
            abort_incomplete_multipart_upload={"days_after_initiation": 7},
        )
    ]
    return Part(
        (
            *private_bucket(blueprint.log_archive_bucket_name, rules, prefix="archive-"),
            # versions: an object overwritten or deleted in the archive is still there
            Resource(
                "aws_s3_bucket_versioning",
                "archive-versioning",
                {
                    "bucket": Ref("archive-bucket", "id"),
                    "versioning_configuration": {"status": "Enabled"},
                },
            ),
            Resource(
                "aws_iam_role",
                "delivery-role",
                {
                    "name": delivery_role,
                    "assume_role_policy": Json(
                        assume_role_policy("firehose.amazonaws.com", ACCOUNT)
                    ),
                },
            ),
            Resource(
                "aws_iam_role_policy",
                "delivery-policy",
                {
                    "role": Ref("delivery-role", "id"),
                    "name": f"{delivery_role}-write",
                    "policy": Json(_delivery_policy(bucket)),
                },
            ),
            Resource(
                "aws_kinesis_firehose_delivery_stream",
                "stream",
                {
                    "name": blueprint.log_archive_stream_name,
                    "destination": "extended_s3",
                    "server_side_encryption": {
                        "enabled": True,
                        "key_type": "CUSTOMER_MANAGED_CMK",
                        "key_arn": KEY_ARN,
                    },
                    "extended_s3_configuration": {
                        "role_arn": Ref("delivery-role"),
                        "bucket_arn": bucket,
                        "prefix": "logs/",
                        "error_output_prefix": "failed/",
                        "buffering_interval": 300,
                        "buffering_size": 5,
                        # CloudWatch Logs sends its records gzipped already
                        "compression_format": "UNCOMPRESSED",
                        "kms_key_arn": KEY_ARN,
                    },
                },
                depends_on=("delivery-policy",),
            ),
            Resource(
                "aws_iam_role",
                "feed-role",
                {"name": feed_role, "assume_role_policy": Json(_logs_trust(blueprint))},
            ),
            Resource(
                "aws_iam_role_policy",
                "feed-policy",
                {
                    "role": Ref("feed-role", "id"),
                    "name": f"{feed_role}-put",
                    "policy": Json(_feed_policy(stream)),
                },
            ),
        ),
        arns={Handle.LOG_ARCHIVE_BUCKET: [bucket]},
        urls={
            Handle.LOG_ARCHIVE_STREAM: stream,
            Handle.LOG_ARCHIVE_ROLE: Ref("feed-role"),
        },
        exposes={"bucket": "archive-bucket", "stream": "stream", "feed_role": "feed-role"},
    )


class LogArchiveResources:
    """What the part's Construct or ComponentResource holds for the other parts."""

    bucket: Any
    stream: Any
    feed_role: Any
