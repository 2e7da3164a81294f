"""One rendered view of both deployments: every resource as (Terraform type, name) ->
its inputs, in Terraform's spelling, with every reference to another resource written
the same way (``<type:name>``), so the parity test compares every input of every
resource, not counts.

- CDKTF: the synthesized ``cdk.tf.json``; a resource's name is its construct id (the
  logical id less the construct path and hash); ``${aws_x.Logical.attr}`` is a reference.
- Pulumi: the inputs the program gave each resource under the test mocks; camelCase keys
  become snake_case, the provider's plural or renamed keys become Terraform's, and the
  mocks' ids and ARNs (:class:`tests.support.pulumi_harness.Recorder`) are references.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import pulumi

from cardwatch.infra.pulumi.render import PULUMI_ABSENT, PULUMI_NAMES
from tests.support.pulumi_harness import ACCOUNT, Recorded

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
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
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
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:glue/catalogDatabase:CatalogDatabase": "aws_glue_catalog_database",
    "aws:glue/catalogTable:CatalogTable": "aws_glue_catalog_table",
    "aws:athena/workgroup:Workgroup": "aws_athena_workgroup",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": (
        "aws_kinesis_firehose_delivery_stream"
    ),
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": (
        "aws_cloudwatch_log_subscription_filter"
    ),
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "aws_s3_bucket_server_side_encryption_configuration"
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "aws_s3_bucket_lifecycle_configuration"
    ),
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketObjectv2:BucketObjectv2": "aws_s3_object",
}

View = dict[tuple[str, str], dict[str, Any]]

#: Terraform meta-arguments and CDKTF's own keys: how, not what, is deployed.
_META = frozenset({"//", "depends_on", "lifecycle", "provider", "count", "for_each"})

#: Inputs only CDKTF's provider (5.x) has, with why Pulumi's (bridged from 6.x) does not.
#: Inputs only CDKTF's provider (5.x) has: the renderer leaves them out of Pulumi's.
_CDKTF_ONLY = PULUMI_ABSENT

#: (Terraform type, Pulumi key in snake_case) -> Terraform's key, where they differ: the
#: renderer's table, read backwards (a wrong entry would fail at Pulumi's constructor)
_RENAMED = {(kind, pulumi_key): key for (kind, key), pulumi_key in PULUMI_NAMES.items()}

_TF_REFERENCE = re.compile(r"\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}")
_TF_ACCOUNT = "${data.aws_caller_identity.account.account_id}"
#: A digest of other resources' ids (the deployment's triggers): Terraform computes it at
#: apply, the Pulumi program from the mocks' ids; either way, a digest.
_DIGEST = re.compile(r"[0-9a-f]{40}|\$\{sha1\(.*\)\}")


def _short(logical: str) -> str:
    """``Construct_resource-id_HASH`` -> ``resource-id``."""
    parts = logical.split("_")
    return "_".join(parts[1:-1]) if len(parts) >= 3 else logical


def _snake(key: str) -> str:
    """A provider property's camelCase name in snake_case; a map's own keys (variable
    names, dimensions, tags, media types) stay as they are."""
    if not re.fullmatch(r"[a-z][a-zA-Z0-9]*", key):
        return key
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _walk(value: Any, text: Any, key: Any = lambda k: k) -> Any:
    """``value`` with ``text`` applied to every string (and JSON inside one) and ``key``
    to every mapping key."""
    if isinstance(value, dict):
        return {key(k): _walk(v, text, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, text, key) for v in value]
    if not isinstance(value, str | int | float | bool | type(None)):
        return text(value)
    if isinstance(value, str):
        if value[:1] in "{[":
            try:
                return {"<json>": _walk(json.loads(value), text)}
            except ValueError:
                pass
        return text(value)
    return value


#: What the Pulumi mocks answer for an output no input sets, by Terraform attribute.
_MOCKED_ATTRIBUTES = {"root_resource_id": "root", "prefix_list_id": "pl-1234"}


def cdktf_view(document: dict[str, Any]) -> View:
    configs = {
        (kind, logical): config
        for kind, group in document["resource"].items()
        for logical, config in group.items()
    }

    def resolve(found: re.Match[str]) -> str:
        """A reference to another resource's input is that input (as Pulumi's outputs
        are); to a computed attribute (id, ARN, URL), ``<type:name>``."""
        kind, logical, attribute = found.group(1), found.group(2), found.group(3)
        value = configs.get((kind, logical), {}).get(attribute)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return text(str(value))
        return _MOCKED_ATTRIBUTES.get(attribute) or f"<{kind}:{_short(logical)}>"

    def text(value: str) -> str:
        if _DIGEST.fullmatch(value):
            return "<sha1>"
        value = value.replace(_TF_ACCOUNT, "<account>")
        if value.startswith("assets/") and value.endswith(".zip"):
            return "<package>"
        # Terraform's literal ``$${``: the text ``${`` (an IAM policy variable)
        return _TF_REFERENCE.sub(resolve, value).replace("$${", "${")

    view: View = {}
    for (kind, logical), config in configs.items():
        inputs = {
            k: v for k, v in config.items() if k not in _META and (kind, k) not in _CDKTF_ONLY
        }
        view[(kind, _short(logical))] = _scalars(kind, _walk(inputs, text))
    return view


#: Inputs one provider types as a list of one string and the other as a string.
_ONE_OF = {("aws_api_gateway_rest_api", "endpoint_configuration", "types")}
#: Blocks inside each entry of a list that CDKTF writes as a list of one block and
#: Pulumi as the block: (type, list) -> the blocks.
_ONE_BLOCK = {
    ("aws_s3_bucket_lifecycle_configuration", "rule"): (
        "filter",
        "noncurrent_version_expiration",
        "abort_incomplete_multipart_upload",
        "expiration",
    ),
}


def _scalars(kind: str, inputs: dict[str, Any]) -> dict[str, Any]:
    for (block_kind, outer), blocks in _ONE_BLOCK.items():
        if block_kind != kind or not isinstance(inputs.get(outer), list):
            continue
        for entry in inputs[outer]:
            for block in blocks:
                value = entry.get(block)
                if isinstance(value, list) and len(value) == 1:
                    entry[block] = value[0]
    for one_kind, outer, inner in _ONE_OF:
        block = inputs.get(outer)
        if (
            one_kind == kind
            and isinstance(block, dict)
            and isinstance(block.get(inner), list)
            and len(block[inner]) == 1
        ):
            block[inner] = block[inner][0]
    return inputs


def _mock_outputs(recorded: Recorded) -> Iterable[str]:
    """The values the test mocks give ``recorded``'s outputs (see the Recorder)."""
    name = recorded.inputs.get("name") or recorded.name
    yield f"arn:aws:mock:us-east-1:{ACCOUNT}:{recorded.kind}/{name}"
    yield f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{name}"
    yield f"arn:aws:apigateway:us-east-1:lambda:path/{name}"
    yield f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{name}"
    yield f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}/stream/x"
    yield f"https://{name}.execute-api.us-east-1.amazonaws.com/v1"
    yield f"key-{name}"
    yield f"{name}-id"


#: How the Pulumi engine marks a secret input: {signature key: signature, "value": ...}.
_SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"


def _unwrap_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if _SECRET_SIGNATURE in value:
            return _unwrap_secrets(value["value"])
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v) for v in value]
    return value


def pulumi_view(resources: Iterable[Recorded]) -> View:
    recorded = [r for r in resources if r.kind in TERRAFORM_TYPE]
    outputs = sorted(
        (
            (value, f"<{TERRAFORM_TYPE[r.kind]}:{r.name}>")
            for r in recorded
            for value in _mock_outputs(r)
        ),
        key=lambda pair: -len(pair[0]),
    )

    def text(value: Any) -> Any:
        if isinstance(value, pulumi.asset.Archive | pulumi.asset.Asset):
            return "<package>"
        if _DIGEST.fullmatch(value):
            return "<sha1>"
        for output, reference in outputs:
            if output in value:
                value = value.replace(output, reference)
        return value.replace(ACCOUNT, "<account>")

    view: View = {}
    for r in recorded:
        kind = TERRAFORM_TYPE[r.kind]

        def key(k: str, kind: str = kind) -> str:
            snake = _snake(k)
            return _RENAMED.get((kind, snake)) or snake

        inputs = _scalars(kind, _walk(_unwrap_secrets(r.inputs), text, key))
        view[(kind, r.name)] = inputs
    return view


def differences(ours: View, theirs: View) -> list[str]:
    """Every resource or input that differs, one line each."""
    lines = [f"only in CDKTF: {k}" for k in sorted(set(ours) - set(theirs))]
    lines += [f"only in Pulumi: {k}" for k in sorted(set(theirs) - set(ours))]
    for resource in sorted(set(ours) & set(theirs)):
        a, b = ours[resource], theirs[resource]
        for name in sorted(set(a) | set(b)):
            if a.get(name) != b.get(name):
                lines.append(f"{resource} {name}: CDKTF {a.get(name)!r} / Pulumi {b.get(name)!r}")
    return lines
