"""``DetectionFunctions``: the seven functions with their roles, log groups, asynchronous
failure destinations, and the event source mappings of the suspicious queue and of the
profile table's stream. The retrain
function runs from its own package, which the model bucket holds."""

from __future__ import annotations

import base64
import json
from typing import Any

import pulumi
import pulumi_aws as aws

from cardwatch.blueprint import ARCHITECTURE, FunctionSpec, Handle
from cardwatch.infra.common.packaging import LambdaPackage
from cardwatch.infra.common.policies import assume_role_policy, function_policy
from cardwatch.infra.pulumi.base import Context, policy_output
from cardwatch.infra.pulumi.models import ModelStore


class DetectionFunctions(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        ctx: Context,
        package: LambdaPackage,
        *,
        training: ModelStore,
        vpc: tuple[list[Any], list[Any]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("cardwatch:index:DetectionFunctions", name, None, opts)
        self._ctx = ctx
        self._code = pulumi.FileArchive(str(package.path))
        self._hash = base64.b64encode(bytes.fromhex(package.sha256)).decode()
        self._training = training
        self._vpc = vpc
        self.functions = {
            key: self._function(spec) for key, spec in ctx.blueprint.functions.items()
        }
        bp = ctx.blueprint
        aws.lambda_.EventSourceMapping(
            "notify-from-suspicious-queue",
            event_source_arn=ctx.arn_of(Handle.SUSPICIOUS_QUEUE)[0],
            function_name=self.functions["notify"].arn,
            batch_size=bp.notify_batch_size,
            maximum_batching_window_in_seconds=bp.notify_batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config={"maximum_concurrency": bp.notify_max_concurrency},
            opts=ctx.child(self),
        )
        aws.lambda_.EventSourceMapping(
            "aggregate-from-profile-stream",
            event_source_arn=ctx.arn_of(Handle.PROFILE_TABLE_STREAM)[0],
            function_name=self.functions["aggregate"].arn,
            starting_position="TRIM_HORIZON",
            batch_size=bp.aggregate_batch_size,
            maximum_batching_window_in_seconds=bp.aggregate_batching_window_seconds,
            parallelization_factor=bp.aggregate_parallelization_factor,
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=bp.aggregate_retry_attempts,
            maximum_record_age_in_seconds=bp.aggregate_max_record_age_seconds,
            filter_criteria={"filters": [{"pattern": json.dumps(bp.aggregate_filter)}]},
            destination_config={
                "on_failure": {"destination_arn": ctx.arn_of(Handle.FAILURES_DLQ)[0]}
            },
            opts=ctx.child(self),
        )
        self.register_outputs({key: f.name for key, f in self.functions.items()})

    def _function(self, spec: FunctionSpec) -> aws.lambda_.Function:
        ctx, bp = self._ctx, self._ctx.blueprint
        log_group = aws.cloudwatch.LogGroup(
            f"{spec.key}-logs",
            name=spec.log_group,
            retention_in_days=bp.settings.log_retention_days,
            kms_key_id=ctx.key_arn,
            opts=ctx.child(self),
        )
        role = aws.iam.Role(
            f"{spec.key}-role",
            name=spec.role_name,
            assume_role_policy=policy_output(assume_role_policy("lambda.amazonaws.com")),
            opts=ctx.child(self),
        )
        document = function_policy(
            bp, spec, ctx.arn_of, [log_group.arn, log_group.arn.apply(lambda a: f"{a}:*")]
        )
        role_policy = aws.iam.RolePolicy(
            f"{spec.key}-policy",
            role=role.id,
            name=f"{spec.name}-least-privilege",
            policy=policy_output(document),
            opts=ctx.child(self),
        )
        variables = {
            name: ctx.output_of(value) if isinstance(value, Handle) else value
            for name, value in spec.environment.items()
        }
        vpc_config = (
            {"subnet_ids": self._vpc[0], "security_group_ids": self._vpc[1]}
            if spec.in_vpc and self._vpc
            else None
        )
        function = aws.lambda_.Function(
            spec.key,
            name=spec.name,
            description=spec.description,
            role=role.arn,
            handler=spec.handler,
            runtime=ctx.blueprint.settings.runtime,
            architectures=[ARCHITECTURE],
            **self._code_of(spec),
            memory_size=spec.memory_mb,
            timeout=spec.timeout_seconds,
            reserved_concurrent_executions=spec.reserved_concurrency,
            kms_key_arn=ctx.key_arn,
            environment={"variables": variables},
            tracing_config={"mode": "Active"},
            vpc_config=vpc_config,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, role_policy]),
        )
        if spec.asynchronous:
            aws.lambda_.FunctionEventInvokeConfig(
                f"{spec.key}-async",
                function_name=function.name,
                maximum_retry_attempts=bp.async_retry_attempts,
                maximum_event_age_in_seconds=bp.max_event_age_seconds,
                destination_config={
                    "on_failure": {"destination": ctx.arn_of(Handle.FAILURES_DLQ)[0]}
                },
                opts=ctx.child(self),
            )
        return function

    def _code_of(self, spec: FunctionSpec) -> dict[str, Any]:
        """The package a function runs from: the shared one, or the training one in S3."""
        if spec.package == "training":
            store = self._training
            return {
                "s3_bucket": store.bucket.id,
                "s3_key": store.package.key,
                "source_code_hash": store.package_hash,
            }
        return {"code": self._code, "source_code_hash": self._hash}
