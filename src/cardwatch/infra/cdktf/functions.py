"""``DetectionFunctions``: the seven functions, each with its own role, log group, key for
its environment, X-Ray, arm64, reserved concurrency and, where asynchronous, an
on-failure destination; plus the event source mappings of the suspicious queue and of
the profile table's stream. The retrain
function runs from its own package, which the model bucket holds."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.lambda_event_source_mapping import (
    LambdaEventSourceMapping,
    LambdaEventSourceMappingDestinationConfig,
    LambdaEventSourceMappingDestinationConfigOnFailure,
    LambdaEventSourceMappingFilterCriteria,
    LambdaEventSourceMappingFilterCriteriaFilter,
    LambdaEventSourceMappingScalingConfig,
)
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionTracingConfig,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.lambda_function_event_invoke_config import (
    LambdaFunctionEventInvokeConfig,
    LambdaFunctionEventInvokeConfigDestinationConfig,
    LambdaFunctionEventInvokeConfigDestinationConfigOnFailure,
)
from constructs import Construct

from cardwatch.blueprint import ARCHITECTURE, FunctionSpec, Handle
from cardwatch.infra.cdktf.context import StackContext, policy_json
from cardwatch.infra.cdktf.models import ModelStore
from cardwatch.infra.common.packaging import LambdaPackage
from cardwatch.infra.common.policies import assume_role_policy, function_policy


class DetectionFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        ctx: StackContext,
        package: LambdaPackage,
        *,
        training: ModelStore,
        vpc: tuple[list[str], list[str]] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self._ctx = ctx
        asset = TerraformAsset(
            self, "lambda-package", path=str(Path(package.path).resolve()), type=AssetType.FILE
        )
        self._code = asset.path
        self._hash = base64.b64encode(bytes.fromhex(package.sha256)).decode()
        self._training = training
        self._vpc = vpc
        self.functions: dict[str, LambdaFunction] = {}
        self.log_groups: dict[str, CloudwatchLogGroup] = {}
        for key, spec in ctx.blueprint.functions.items():
            self.functions[key] = self._function(spec)
        suspicious = ctx.blueprint.suspicious_queue
        LambdaEventSourceMapping(
            self,
            "notify-from-suspicious-queue",
            event_source_arn=ctx.arn_of(Handle.SUSPICIOUS_QUEUE)[0],
            function_name=self.functions["notify"].arn,
            batch_size=ctx.blueprint.notify_batch_size,
            maximum_batching_window_in_seconds=ctx.blueprint.notify_batching_window_seconds,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config=LambdaEventSourceMappingScalingConfig(
                maximum_concurrency=ctx.blueprint.notify_max_concurrency
            ),
        )
        bp = ctx.blueprint
        LambdaEventSourceMapping(
            self,
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
            filter_criteria=LambdaEventSourceMappingFilterCriteria(
                filter=[
                    LambdaEventSourceMappingFilterCriteriaFilter(
                        pattern=json.dumps(bp.aggregate_filter)
                    )
                ]
            ),
            destination_config=LambdaEventSourceMappingDestinationConfig(
                on_failure=LambdaEventSourceMappingDestinationConfigOnFailure(
                    destination_arn=ctx.arn_of(Handle.FAILURES_DLQ)[0]
                )
            ),
        )
        assert (
            suspicious.visibility_timeout_seconds
            >= 6 * ctx.blueprint.functions["notify"].timeout_seconds
        )

    def _function(self, spec: FunctionSpec) -> LambdaFunction:
        ctx, blueprint = self._ctx, self._ctx.blueprint
        log_group = CloudwatchLogGroup(
            self,
            f"{spec.key}-logs",
            name=spec.log_group,
            retention_in_days=blueprint.settings.log_retention_days,
            kms_key_id=ctx.key_arn,
        )
        self.log_groups[spec.key] = log_group
        role = IamRole(
            self,
            f"{spec.key}-role",
            name=spec.role_name,
            assume_role_policy=policy_json(assume_role_policy("lambda.amazonaws.com")),
        )
        policy = function_policy(blueprint, spec, ctx.arn_of, [log_group.arn, f"{log_group.arn}:*"])
        role_policy = IamRolePolicy(
            self,
            f"{spec.key}-policy",
            role=role.id,
            name=f"{spec.name}-least-privilege",
            policy=policy_json(policy),
        )
        variables = {name: self._value(value) for name, value in spec.environment.items()}
        function = LambdaFunction(
            self,
            spec.key,
            function_name=spec.name,
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
            environment=LambdaFunctionEnvironment(variables=variables),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            vpc_config=LambdaFunctionVpcConfig(
                subnet_ids=self._vpc[0], security_group_ids=self._vpc[1]
            )
            if spec.in_vpc and self._vpc
            else None,
            depends_on=[log_group, role_policy],
        )
        if spec.asynchronous:
            LambdaFunctionEventInvokeConfig(
                self,
                f"{spec.key}-async",
                function_name=function.function_name,
                maximum_retry_attempts=blueprint.async_retry_attempts,
                maximum_event_age_in_seconds=blueprint.max_event_age_seconds,
                destination_config=LambdaFunctionEventInvokeConfigDestinationConfig(
                    on_failure=LambdaFunctionEventInvokeConfigDestinationConfigOnFailure(
                        destination=ctx.arn_of(Handle.FAILURES_DLQ)[0]
                    )
                ),
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
        return {"filename": self._code, "source_code_hash": self._hash}

    def _value(self, value: str | Handle) -> str:
        """A variable's value: as the blueprint gives it, or a resource's output."""
        if isinstance(value, Handle):
            output: str = self._ctx.output_of(value)
            return output
        return value
