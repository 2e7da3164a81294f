"""Seed 003, line by line, on the Pulumi program's resources under mocks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cardwatch.blueprint import FUNCTION_KEYS
from cardwatch.infra.common.policies import NO_RESOURCE_LEVEL_SIDS

FUNCTIONS = FUNCTION_KEYS


def function(stack: Any, key: str) -> dict[str, Any]:
    inputs: dict[str, Any] = stack.named(
        "aws:lambda/function:Function", stack.blueprint.functions[key].name
    ).inputs
    return inputs


@pytest.mark.requirement("R003-01")
def test_post_transactions_proxies_to_the_api_function(pulumi_stack: Any) -> None:
    resources = pulumi_stack.of("aws:apigateway/resource:Resource")
    assert {r.inputs["pathPart"] for r in resources} == {
        "transactions",
        "decisions",
        "{transaction_id}",
        "label",
        "reviews",
        "cases",
        "{case_id}",
    }
    integrations = pulumi_stack.of("aws:apigateway/integration:Integration")
    assert {i.inputs["type"] for i in integrations} == {"AWS_PROXY"}


@pytest.mark.requirement("R003-02")
def test_api_throttling_is_exactly_1000_per_second(pulumi_stack: Any) -> None:
    (plan,) = [
        p.inputs
        for p in pulumi_stack.of("aws:apigateway/usagePlan:UsagePlan")
        if "fraud-detection-usage-plan" in p.inputs["name"]
    ]
    assert plan["throttleSettings"]["rateLimit"] == 1000
    assert "quotaSettings" not in plan
    settings = pulumi_stack.one("aws:apigateway/methodSettings:MethodSettings").inputs
    assert settings["settings"]["throttlingRateLimit"] == 1000


@pytest.mark.requirement("R003-03")
def test_xray_on_the_stage_and_every_function(pulumi_stack: Any) -> None:
    assert pulumi_stack.one("aws:apigateway/stage:Stage").inputs["xrayTracingEnabled"] is True
    for key in FUNCTIONS:
        assert function(pulumi_stack, key)["tracingConfig"] == {"mode": "Active"}


@pytest.mark.requirement("R003-04")
@pytest.mark.requirement("R003-05")
def test_the_transactions_table(pulumi_stack: Any) -> None:
    table = pulumi_stack.named("aws:dynamodb/table:Table", "transactions-dev").inputs
    assert (table["hashKey"], table["rangeKey"]) == ("transaction_id", "timestamp")
    types = {a["name"]: a["type"] for a in table["attributes"]}
    assert (types["transaction_id"], types["timestamp"]) == ("S", "N")
    assert table["billingMode"] == "PAY_PER_REQUEST"
    assert table["streamEnabled"] is True and table["streamViewType"] == "NEW_IMAGE"


@pytest.mark.requirement("R003-06")
def test_the_api_function(pulumi_stack: Any) -> None:
    ingest = function(pulumi_stack, "ingest")
    assert ingest["runtime"] == "python3.11"
    assert ingest["handler"] == "cardwatch.handlers.ingest.handler"


@pytest.mark.requirement("R003-07")
def test_api_and_fraud_functions_run_in_private_subnets(pulumi_stack: Any) -> None:
    for key in ("ingest", "detect"):
        config = function(pulumi_stack, key)["vpcConfig"]
        assert len(config["subnetIds"]) == 2 and config["securityGroupIds"]
    subnets = pulumi_stack.of("aws:ec2/subnet:Subnet")
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in subnets)
    assert pulumi_stack.of("aws:ec2/natGateway:NatGateway") == []
    assert pulumi_stack.of("aws:ec2/internetGateway:InternetGateway") == []
    endpoints = {
        e.inputs["serviceName"].split(".")[-1]
        for e in pulumi_stack.of("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    assert {"dynamodb", "s3", "sqs", "ssm", "kms", "xray"} == endpoints


@pytest.mark.requirement("R003-08")
@pytest.mark.requirement("R003-09")
def test_concurrency_and_encrypted_environment(pulumi_stack: Any) -> None:
    for key in FUNCTIONS:
        config = function(pulumi_stack, key)
        assert config["reservedConcurrentExecutions"] >= 100
        assert config["kmsKeyArn"].startswith("arn:aws:mock")


@pytest.mark.requirement("R003-10")
def test_an_event_pattern_rule_routes_inserts_to_the_fraud_function(pulumi_stack: Any) -> None:
    rule = pulumi_stack.one("aws:cloudwatch/eventRule:EventRule").inputs
    assert "scheduleExpression" not in rule
    assert json.loads(rule["eventPattern"])["detail"]["eventName"] == ["INSERT"]
    target = pulumi_stack.one("aws:cloudwatch/eventTarget:EventTarget").inputs
    assert target["arn"].endswith(pulumi_stack.blueprint.functions["detect"].name)


@pytest.mark.requirement("R003-11")
def test_the_fraud_function_may_send_to_the_suspicious_queue(pulumi_stack: Any) -> None:
    bp = pulumi_stack.blueprint
    detect = function(pulumi_stack, "detect")
    assert detect["environment"]["variables"]["SUSPICIOUS_QUEUE_URL"].endswith(
        bp.suspicious_queue.name
    )


@pytest.mark.requirement("R003-12")
@pytest.mark.requirement("R003-13")
def test_the_suspicious_queue_and_its_dlq(pulumi_stack: Any) -> None:
    bp = pulumi_stack.blueprint
    queue = pulumi_stack.named("aws:sqs/queue:Queue", bp.suspicious_queue.name).inputs
    assert queue["visibilityTimeoutSeconds"] == 360
    # every queue, as the requirements ask, not only the consumed one
    assert {
        q.inputs["visibilityTimeoutSeconds"] for q in pulumi_stack.of("aws:sqs/queue:Queue")
    } == {360}
    assert json.loads(queue["redrivePolicy"])["deadLetterTargetArn"].endswith(
        bp.suspicious_dlq.name
    )
    dlq = pulumi_stack.named("aws:sqs/queue:Queue", bp.suspicious_dlq.name).inputs
    assert dlq["messageRetentionSeconds"] == 14 * 86_400
    assert queue["messageRetentionSeconds"] == 14 * 86_400


@pytest.mark.requirement("R003-14")
@pytest.mark.requirement("R003-15")
def test_notify_polls_the_queue_and_the_topic_mails_the_team(pulumi_stack: Any) -> None:
    mappings = pulumi_stack.of("aws:lambda/eventSourceMapping:EventSourceMapping")
    (mapping,) = [m.inputs for m in mappings if "functionResponseTypes" in m.inputs]
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    protocols = {
        s.inputs["protocol"] for s in pulumi_stack.of("aws:sns/topicSubscription:TopicSubscription")
    }
    assert protocols == {"sqs", "email"}


@pytest.mark.requirement("R003-16")
def test_one_least_privilege_role_per_function(pulumi_stack: Any) -> None:
    roles = {function(pulumi_stack, key)["role"] for key in FUNCTIONS}
    assert len(roles) == len(FUNCTIONS)
    for policy in pulumi_stack.of("aws:iam/rolePolicy:RolePolicy"):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            assert not any(a == "*" or a.endswith(":*") for a in statement["Action"])
            if "*" in statement["Resource"]:
                assert statement["Sid"] in NO_RESOURCE_LEVEL_SIDS
            if statement["Sid"] == "WriteOwnLogs":
                group, streams = statement["Resource"]
                assert streams == f"{group}:*" and "/aws/lambda/" in group


@pytest.mark.requirement("R003-17")
def test_data_at_rest_uses_the_customer_managed_key(pulumi_stack: Any) -> None:
    for table in pulumi_stack.of("aws:dynamodb/table:Table"):
        assert table.inputs["serverSideEncryption"]["kmsKeyArn"].startswith("arn:aws:mock")
    for queue in pulumi_stack.of("aws:sqs/queue:Queue"):
        assert queue.inputs["kmsMasterKeyId"].startswith("arn:aws:mock")
    assert pulumi_stack.data_key().inputs["enableKeyRotation"] is True


@pytest.mark.requirement("R003-18")
def test_log_groups_keep_seven_days(pulumi_stack: Any) -> None:
    groups = {
        g.inputs["name"]: g.inputs for g in pulumi_stack.of("aws:cloudwatch/logGroup:LogGroup")
    }
    for spec in pulumi_stack.blueprint.functions.values():
        assert groups[spec.log_group]["retentionInDays"] == 7


@pytest.mark.requirement("R003-19")
def test_names_carry_the_suffix_and_the_region_is_us_east_1(pulumi_stack: Any) -> None:
    (provider,) = pulumi_stack.of("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    for kind in (
        "aws:sqs/queue:Queue",
        "aws:lambda/function:Function",
        "aws:iam/role:Role",
        "aws:dynamodb/table:Table",
        "aws:sns/topic:Topic",
    ):
        assert all(r.inputs["name"].endswith("-dev") for r in pulumi_stack.of(kind))


@pytest.mark.requirement("R003-20")
def test_nothing_is_protected_from_destroy(pulumi_stack: Any) -> None:
    for resource in pulumi_stack.resources:
        assert resource.inputs.get("deletionProtectionEnabled", False) is False


def test_the_program_is_made_of_the_same_parts_as_the_cdktf_stack(pulumi_stack: Any) -> None:
    kinds = {r.kind for r in pulumi_stack.resources if r.kind.startswith("cardwatch:index:")}
    assert kinds == {
        f"cardwatch:index:{part}"
        for part in (
            "Security",
            "TransactionStore",
            "LogArchive",
            "ModelStore",
            "HistoryStore",
            "AlertChannel",
            "PrivateNetwork",
            "DetectionFunctions",
            "TransactionApi",
            "EventRouting",
            "Monitoring",
        )
    }
