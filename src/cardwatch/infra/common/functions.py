"""The functions as neutral specs: per function its log group, its role and least-
privilege policy, the function (the shared package, or the retrain function's in the
model bucket), its asynchronous retries and failure destination; the queue and stream
mappings. Another part's resources are given by :func:`given`."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from cardwatch.blueprint import ARCHITECTURE, Blueprint, FunctionSpec, Handle
from cardwatch.infra.common.packaging import LambdaPackage
from cardwatch.infra.common.policies import assume_role_policy, function_policy
from cardwatch.infra.common.specs import KEY_ARN, Arns, Asset, Json, Part, Ref, Resource, Text, Url

__all__ = ["archived", "detection_functions", "given"]


def archived(log_group: str, name: str) -> Resource:
    """The subscription that copies every line of the log group ``log_group`` (its id
    here) into the log archive (:mod:`cardwatch.infra.common.archive`)."""
    return Resource(
        "aws_cloudwatch_log_subscription_filter",
        f"{log_group}-archive",
        {
            "name": f"{name}-archive",
            "log_group_name": Ref(log_group, "name"),
            "filter_pattern": "",
            "destination_arn": Url(Handle.LOG_ARCHIVE_STREAM),
            "role_arn": Url(Handle.LOG_ARCHIVE_ROLE),
        },
    )


def given(models: Any, vpc: tuple[list[Any], list[Any]] | None) -> dict[str, Any]:
    """The other parts' resources the specs name, by their ids here: the model store's
    bucket and the retrain package in it; the VPC's subnet and security group ids."""
    found = {"model-bucket": models.bucket, "training-package": models.package}
    if vpc:
        found |= {"vpc-subnets": vpc[0], "vpc-security-groups": vpc[1]}
    return found


def _digest(package: LambdaPackage) -> str:
    """Lambda's code hash: the package's SHA-256, base64."""
    return base64.b64encode(bytes.fromhex(package.sha256)).decode()


def _function(
    blueprint: Blueprint, spec: FunctionSpec, code: dict[str, Any], vpc: bool
) -> list[Resource]:
    logs, key = Ref(f"{spec.key}-logs"), spec.key
    # each handle's ARNs, as spec values (spliced into the statement's list)
    policy = function_policy(
        blueprint, spec, lambda handle: [Arns(handle)], [logs, Text((logs, ":*"))]
    )
    made = [
        Resource(
            "aws_cloudwatch_log_group",
            f"{key}-logs",
            {
                "name": spec.log_group,
                "retention_in_days": blueprint.settings.log_retention_days,
                "kms_key_id": KEY_ARN,
            },
        ),
        archived(f"{key}-logs", spec.name),
        Resource(
            "aws_iam_role",
            f"{key}-role",
            {
                "name": spec.role_name,
                "assume_role_policy": Json(assume_role_policy("lambda.amazonaws.com")),
            },
        ),
        Resource(
            "aws_iam_role_policy",
            f"{key}-policy",
            {
                "role": Ref(f"{key}-role", "id"),
                "name": f"{spec.name}-least-privilege",
                "policy": Json(policy),
            },
        ),
        Resource(
            "aws_lambda_function",
            key,
            {
                "function_name": spec.name,
                "description": spec.description,
                "role": Ref(f"{key}-role"),
                "handler": spec.handler,
                "runtime": blueprint.settings.runtime,
                "architectures": [ARCHITECTURE],
                **code,
                "memory_size": spec.memory_mb,
                "timeout": spec.timeout_seconds,
                "reserved_concurrent_executions": spec.reserved_concurrency,
                "kms_key_arn": KEY_ARN,
                "environment": {
                    "variables": {
                        name: Url(value) if isinstance(value, Handle) else value
                        for name, value in spec.environment.items()
                    }
                },
                "tracing_config": {"mode": "Active"},
                "vpc_config": {
                    "subnet_ids": Ref("vpc-subnets", None),
                    "security_group_ids": Ref("vpc-security-groups", None),
                }
                if spec.in_vpc and vpc
                else None,
            },
            depends_on=(f"{key}-logs", f"{key}-policy"),
        ),
    ]
    if spec.asynchronous:
        made.append(
            Resource(
                "aws_lambda_function_event_invoke_config",
                f"{key}-async",
                {
                    "function_name": Ref(key, "function_name"),
                    "maximum_retry_attempts": blueprint.async_retry_attempts,
                    "maximum_event_age_in_seconds": blueprint.max_event_age_seconds,
                    "destination_config": {
                        "on_failure": {"destination": Arns(Handle.FAILURES_DLQ, 0)}
                    },
                },
            )
        )
    return made


def _mappings(blueprint: Blueprint) -> list[Resource]:
    bp = blueprint
    return [
        Resource(
            "aws_lambda_event_source_mapping",
            "notify-from-suspicious-queue",
            {
                "event_source_arn": Arns(Handle.SUSPICIOUS_QUEUE, 0),
                "function_name": Ref("notify"),
                "batch_size": bp.notify_batch_size,
                "maximum_batching_window_in_seconds": bp.notify_batching_window_seconds,
                "function_response_types": ["ReportBatchItemFailures"],
                "scaling_config": {"maximum_concurrency": bp.notify_max_concurrency},
            },
        ),
        Resource(
            "aws_lambda_event_source_mapping",
            "aggregate-from-profile-stream",
            {
                "event_source_arn": Arns(Handle.PROFILE_TABLE_STREAM, 0),
                "function_name": Ref("aggregate"),
                "starting_position": "TRIM_HORIZON",
                "batch_size": bp.aggregate_batch_size,
                "maximum_batching_window_in_seconds": bp.aggregate_batching_window_seconds,
                "parallelization_factor": bp.aggregate_parallelization_factor,
                "bisect_batch_on_function_error": True,
                "maximum_retry_attempts": bp.aggregate_retry_attempts,
                "maximum_record_age_in_seconds": bp.aggregate_max_record_age_seconds,
                "filter_criteria": {"filter": [{"pattern": json.dumps(bp.aggregate_filter)}]},
                "destination_config": {
                    "on_failure": {"destination_arn": Arns(Handle.FAILURES_DLQ, 0)}
                },
            },
        ),
    ]


def detection_functions(
    blueprint: Blueprint, package: LambdaPackage, training: LambdaPackage, *, vpc: bool
) -> Part:
    """``vpc``: a private network is given (``vpc-subnets``, ``vpc-security-groups``)."""
    suspicious = blueprint.suspicious_queue
    if suspicious.visibility_timeout_seconds < 6 * blueprint.functions["notify"].timeout_seconds:
        raise ValueError("the suspicious queue's visibility must be 6 x notify's timeout")
    shared = {
        "filename": Asset(str(Path(package.path).resolve()), archive=True),
        "source_code_hash": _digest(package),
    }
    in_bucket = {
        "s3_bucket": Ref("model-bucket", "id"),
        "s3_key": Ref("training-package", "key"),
        "source_code_hash": _digest(training),
    }
    made = [
        resource
        for spec in blueprint.functions.values()
        for resource in _function(
            blueprint, spec, in_bucket if spec.package == "training" else shared, vpc
        )
    ]
    keys = list(blueprint.functions)
    return Part(
        (*made, *_mappings(blueprint)),
        exposes={
            "functions": {k: k for k in keys},
            "log_groups": {k: f"{k}-logs" for k in keys},
        },
    )
