"""Neutral specs (:mod:`cardwatch.infra.common.specs`) as Pulumi resources: the provider's
class for each Terraform type, its own names where they differ from Terraform's,
references as Outputs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_aws as aws

from cardwatch.infra.common.specs import Part, Ref, Resolver, dumps
from cardwatch.infra.pulumi.base import Context

__all__ = ["PULUMI_ABSENT", "PULUMI_ATTRIBUTES", "PULUMI_NAMES", "PULUMI_TYPES", "render"]

#: Terraform's type -> the Pulumi provider's class, for the types the specs use
PULUMI_TYPES: dict[str, Any] = {
    "aws_cloudwatch_metric_alarm": aws.cloudwatch.MetricAlarm,
    "aws_dynamodb_table": aws.dynamodb.Table,
    "aws_cloudwatch_log_group": aws.cloudwatch.LogGroup,
    "aws_kms_key": aws.kms.Key,
    "aws_kms_alias": aws.kms.Alias,
    "aws_ssm_parameter": aws.ssm.Parameter,
    "aws_api_gateway_api_key": aws.apigateway.ApiKey,
    "aws_s3_bucket": aws.s3.Bucket,
    "aws_s3_bucket_server_side_encryption_configuration": (
        aws.s3.BucketServerSideEncryptionConfiguration
    ),
    "aws_s3_bucket_public_access_block": aws.s3.BucketPublicAccessBlock,
    "aws_s3_bucket_lifecycle_configuration": aws.s3.BucketLifecycleConfiguration,
    "aws_s3_bucket_policy": aws.s3.BucketPolicy,
    "aws_s3_bucket_versioning": aws.s3.BucketVersioning,
    "aws_s3_object": aws.s3.BucketObjectv2,
    "aws_glue_catalog_database": aws.glue.CatalogDatabase,
    "aws_glue_catalog_table": aws.glue.CatalogTable,
    "aws_athena_workgroup": aws.athena.Workgroup,
    "aws_vpc": aws.ec2.Vpc,
    "aws_default_security_group": aws.ec2.DefaultSecurityGroup,
    "aws_subnet": aws.ec2.Subnet,
    "aws_route_table": aws.ec2.RouteTable,
    "aws_route_table_association": aws.ec2.RouteTableAssociation,
    "aws_security_group": aws.ec2.SecurityGroup,
    "aws_vpc_endpoint": aws.ec2.VpcEndpoint,
    "aws_vpc_security_group_ingress_rule": aws.vpc.SecurityGroupIngressRule,
    "aws_vpc_security_group_egress_rule": aws.vpc.SecurityGroupEgressRule,
    "aws_flow_log": aws.ec2.FlowLog,
    "aws_cloudwatch_event_bus": aws.cloudwatch.EventBus,
    "aws_cloudwatch_event_rule": aws.cloudwatch.EventRule,
    "aws_cloudwatch_event_target": aws.cloudwatch.EventTarget,
    "aws_pipes_pipe": aws.pipes.Pipe,
    "aws_scheduler_schedule": aws.scheduler.Schedule,
    "aws_lambda_permission": aws.lambda_.Permission,
    "aws_lambda_function": aws.lambda_.Function,
    "aws_lambda_function_event_invoke_config": aws.lambda_.FunctionEventInvokeConfig,
    "aws_lambda_event_source_mapping": aws.lambda_.EventSourceMapping,
    "aws_api_gateway_rest_api": aws.apigateway.RestApi,
    "aws_api_gateway_request_validator": aws.apigateway.RequestValidator,
    "aws_api_gateway_model": aws.apigateway.Model,
    "aws_api_gateway_resource": aws.apigateway.Resource,
    "aws_api_gateway_method": aws.apigateway.Method,
    "aws_api_gateway_integration": aws.apigateway.Integration,
    "aws_api_gateway_gateway_response": aws.apigateway.Response,
    "aws_api_gateway_deployment": aws.apigateway.Deployment,
    "aws_api_gateway_stage": aws.apigateway.Stage,
    "aws_api_gateway_method_settings": aws.apigateway.MethodSettings,
    "aws_api_gateway_account": aws.apigateway.Account,
    "aws_api_gateway_usage_plan": aws.apigateway.UsagePlan,
    "aws_api_gateway_usage_plan_key": aws.apigateway.UsagePlanKey,
    "aws_iam_role_policy_attachment": aws.iam.RolePolicyAttachment,
    "aws_sqs_queue": aws.sqs.Queue,
    "aws_sqs_queue_policy": aws.sqs.QueuePolicy,
    "aws_sns_topic": aws.sns.Topic,
    "aws_sns_topic_subscription": aws.sns.TopicSubscription,
    "aws_iam_role": aws.iam.Role,
    "aws_iam_role_policy": aws.iam.RolePolicy,
    "aws_xray_resource_policy": aws.xray.ResourcePolicy,
    "aws_kinesis_firehose_delivery_stream": aws.kinesis.FirehoseDeliveryStream,
    "aws_cloudwatch_log_subscription_filter": aws.cloudwatch.LogSubscriptionFilter,
}
#: Terraform's attribute -> the Pulumi provider's, where they differ
PULUMI_ATTRIBUTES = {"function_name": "name"}
#: (Terraform's type, its input) -> the Pulumi provider's name for it, where they differ
PULUMI_NAMES = {
    ("aws_cloudwatch_metric_alarm", "alarm_name"): "name",
    ("aws_cloudwatch_metric_alarm", "metric_query"): "metric_queries",
    ("aws_sns_topic_subscription", "topic_arn"): "topic",
    ("aws_cloudwatch_log_subscription_filter", "log_group_name"): "log_group",
    ("aws_dynamodb_table", "attribute"): "attributes",
    ("aws_pipes_pipe", "filter"): "filters",
    ("aws_lambda_permission", "function_name"): "function",
    ("aws_lambda_function", "function_name"): "name",
    ("aws_lambda_function", "filename"): "code",
    ("aws_lambda_event_source_mapping", "filter"): "filters",
    ("aws_api_gateway_stage", "deployment_id"): "deployment",
    **{
        (kind, "rest_api_id"): "rest_api"
        for kind in (
            "aws_api_gateway_request_validator",
            "aws_api_gateway_model",
            "aws_api_gateway_resource",
            "aws_api_gateway_method",
            "aws_api_gateway_integration",
            "aws_api_gateway_deployment",
            "aws_api_gateway_stage",
            "aws_api_gateway_method_settings",
        )
    },
    ("aws_s3_bucket_lifecycle_configuration", "rule"): "rules",
    ("aws_s3_bucket_server_side_encryption_configuration", "rule"): "rules",
    ("aws_dynamodb_table", "global_secondary_index"): "global_secondary_indexes",
}


class _Outputs(Resolver):
    def ref(self, ref: Ref) -> Any:
        # the provider's attribute, where its name is not Terraform's
        attribute = ref.attribute and PULUMI_ATTRIBUTES.get(ref.attribute, ref.attribute)
        return super().ref(Ref(ref.resource, attribute))

    def text(self, parts: list[Any]) -> pulumi.Output[str]:
        return pulumi.Output.concat(*parts)

    def json(self, document: Any, *, compact: bool) -> pulumi.Output[str]:
        return pulumi.Output.from_input(document).apply(lambda d: dumps(d, compact=compact))

    def digest(self, values: list[Any]) -> pulumi.Output[str]:
        return pulumi.Output.all(*values).apply(
            lambda known: hashlib.sha1(  # noqa: S324 - a change marker, not security
                json.dumps(known).encode()
            ).hexdigest()
        )

    def apply(self, function: Callable[[Any], Any], value: Any) -> pulumi.Output[Any]:
        return pulumi.Output.from_input(value).apply(function)

    def asset(self, path: str, *, archive: bool) -> pulumi.FileAsset | pulumi.FileArchive:
        return pulumi.FileArchive(path) if archive else pulumi.FileAsset(path)


#: Inputs of Terraform's provider 5 (CDKTF's) that Pulumi's (bridged from provider 6)
#: takes no more, or takes as one value where 5 takes a list of one
PULUMI_ABSENT = {("aws_api_gateway_account", "reset_on_delete")}  # 6 always resets on delete
_ONE_OF = {("aws_api_gateway_rest_api", "types")}


def _renamed(kind: str, value: Any) -> Any:
    """``value`` with the Pulumi provider's names for Terraform's, at every depth."""
    if isinstance(value, dict):
        return {
            PULUMI_NAMES.get((kind, k), k): (
                v[0] if (kind, k) in _ONE_OF and isinstance(v, list) else _renamed(kind, v)
            )
            for k, v in value.items()
            if (kind, k) not in PULUMI_ABSENT
        }
    if isinstance(value, list):
        return [_renamed(kind, v) for v in value]
    return value


def render(
    parent: pulumi.Resource, ctx: Context, part: Part, given: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Make every resource of ``part`` as a child of ``parent`` and register its handles;
    ``given``: other parts' resources its specs name, by the ids they use. Returns the
    resources by id."""
    resolve = _Outputs(ctx)
    resolve.made.update(given or {})
    for spec in part.resources:
        inputs = _renamed(spec.kind, resolve.inputs(spec))
        resolve.made[spec.id] = PULUMI_TYPES[spec.kind](
            spec.id,
            **inputs,
            opts=pulumi.ResourceOptions(
                parent=parent,
                depends_on=[resolve.made[d] for d in spec.depends_on],
                ignore_changes=list(spec.ignore_changes) or None,
            ),
        )
    resolve.register(part, ctx.arns, ctx.urls)
    part.expose(parent, resolve.made)
    return resolve.made
