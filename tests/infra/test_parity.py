"""The two deployments render the same inventory; they differ only where DESIGN.md's
table says they may (log retention, concurrency, API limits, VPC, e-mail)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from tests.infra.conftest import Synthesized

#: Pulumi type token -> Terraform resource type, for every kind either deployment uses.
TERRAFORM_TYPE = {
    "aws:kms/key:Key": "aws_kms_key",
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:ssm/parameter:Parameter": "aws_ssm_parameter",
    "aws:dynamodb/table:Table": "aws_dynamodb_table",
    "aws:sqs/queue:Queue": "aws_sqs_queue",
    "aws:sqs/queuePolicy:QueuePolicy": "aws_sqs_queue_policy",
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:lambda/function:Function": "aws_lambda_function",
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": (
        "aws_lambda_function_event_invoke_config"
    ),
    "aws:lambda/eventSourceMapping:EventSourceMapping": "aws_lambda_event_source_mapping",
    "aws:lambda/permission:Permission": "aws_lambda_permission",
    "aws:apigateway/restApi:RestApi": "aws_api_gateway_rest_api",
    "aws:apigateway/requestValidator:RequestValidator": "aws_api_gateway_request_validator",
    "aws:apigateway/model:Model": "aws_api_gateway_model",
    "aws:apigateway/resource:Resource": "aws_api_gateway_resource",
    "aws:apigateway/method:Method": "aws_api_gateway_method",
    "aws:apigateway/integration:Integration": "aws_api_gateway_integration",
    "aws:apigateway/response:Response": "aws_api_gateway_gateway_response",
    "aws:apigateway/deployment:Deployment": "aws_api_gateway_deployment",
    "aws:apigateway/stage:Stage": "aws_api_gateway_stage",
    "aws:apigateway/methodSettings:MethodSettings": "aws_api_gateway_method_settings",
    "aws:apigateway/account:Account": "aws_api_gateway_account",
    "aws:apigateway/usagePlan:UsagePlan": "aws_api_gateway_usage_plan",
    "aws:apigateway/apiKey:ApiKey": "aws_api_gateway_api_key",
    "aws:apigateway/usagePlanKey:UsagePlanKey": "aws_api_gateway_usage_plan_key",
    "aws:cloudwatch/eventBus:EventBus": "aws_cloudwatch_event_bus",
    "aws:cloudwatch/eventRule:EventRule": "aws_cloudwatch_event_rule",
    "aws:cloudwatch/eventTarget:EventTarget": "aws_cloudwatch_event_target",
    "aws:pipes/pipe:Pipe": "aws_pipes_pipe",
    "aws:scheduler/schedule:Schedule": "aws_scheduler_schedule",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "aws_vpc_security_group_ingress_rule"
    ),
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:xray/resourcePolicy:ResourcePolicy": "aws_xray_resource_policy",
}


def pulumi_inventory(recorded: Any) -> Counter[str]:
    kinds = [r.kind for r in recorded.resources if not r.kind.startswith(("cardwatch:", "pulumi:"))]
    unknown = {k for k in kinds if k not in TERRAFORM_TYPE}
    assert not unknown, f"add these Pulumi kinds to the parity map: {unknown}"
    return Counter(TERRAFORM_TYPE[k] for k in kinds)


def cdktf_inventory(stack: Synthesized) -> Counter[str]:
    return Counter(kind for kind, _logical, _config in stack.all_resources())


def test_same_blueprint_same_inventory(
    cdktf_stack: Synthesized, pulumi_with_cdktf_settings: Any
) -> None:
    assert pulumi_inventory(pulumi_with_cdktf_settings) == cdktf_inventory(cdktf_stack)


def test_same_blueprint_same_settings(
    cdktf_stack: Synthesized, pulumi_with_cdktf_settings: Any
) -> None:
    pulumi = pulumi_with_cdktf_settings
    for key in ("ingest", "detect", "analyze", "notify"):
        ours = cdktf_stack.function(key)
        theirs = pulumi.named(
            "aws:lambda/function:Function", pulumi.blueprint.functions[key].name
        ).inputs
        for tf, pl in (
            ("runtime", "runtime"),
            ("handler", "handler"),
            ("memory_size", "memorySize"),
            ("timeout", "timeout"),
            ("architectures", "architectures"),
            ("reserved_concurrent_executions", "reservedConcurrentExecutions"),
        ):
            assert ours[tf] == theirs[pl], (key, tf)
        assert set(ours["environment"]["variables"]) == set(theirs["environment"]["variables"])
    for queue in cdktf_stack.resources("aws_sqs_queue").values():
        other = pulumi.named("aws:sqs/queue:Queue", queue["name"]).inputs
        assert queue["visibility_timeout_seconds"] == other["visibilityTimeoutSeconds"]
        assert queue["message_retention_seconds"] == other["messageRetentionSeconds"]
    table = cdktf_stack.named("aws_dynamodb_table", pulumi.blueprint.table_name)
    other = pulumi.named("aws:dynamodb/table:Table", pulumi.blueprint.table_name).inputs
    assert [i["name"] for i in table["global_secondary_index"]] == [
        i["name"] for i in other["globalSecondaryIndexes"]
    ]
    assert json.loads(cdktf_stack.one("aws_cloudwatch_event_rule")["event_pattern"]) == json.loads(
        pulumi.one("aws:cloudwatch/eventRule:EventRule").inputs["eventPattern"]
    )


def test_the_defaults_differ_only_where_design_says(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    difference = pulumi_inventory(pulumi_stack)
    difference.subtract(cdktf_inventory(cdktf_stack))
    changed = {kind: n for kind, n in difference.items() if n}
    vpc_kinds = {
        "aws_vpc",
        "aws_subnet",
        "aws_route_table",
        "aws_route_table_association",
        "aws_security_group",
        "aws_default_security_group",
        "aws_vpc_endpoint",
        "aws_vpc_security_group_egress_rule",
        "aws_vpc_security_group_ingress_rule",
        "aws_flow_log",
    }
    # The VPC (seed 003) with its flow-log group and role, and the e-mail subscription.
    assert set(changed) <= vpc_kinds | {
        "aws_cloudwatch_log_group",
        "aws_iam_role",
        "aws_iam_role_policy",
        "aws_sns_topic_subscription",
    }
    assert changed["aws_sns_topic_subscription"] == 1
    assert changed.get("aws_cloudwatch_log_group") == 1
