"""What a real AWS account does with the rendered deployments, read from the providers'
and AWS's documentation (issue 15): each test holds one defect away, in both renderers."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pulumi.runtime import rpc

from cardwatch.blueprint import blueprint_for
from tests.support.infra import Synthesized
from tests.support.pulumi_harness import ACCOUNT


def _statements(policy: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = json.loads(policy)["Statement"]
    return statements


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement["Action"]
    return {action} if isinstance(action, str) else set(action)


# -- 1. security groups: no inline rules beside standalone ones -----------------------
def test_security_group_rules_are_all_standalone(
    cdktf_vpc_stack: Synthesized, pulumi_stack: Any
) -> None:
    # the provider does not support inline ingress/egress beside rule resources: each
    # apply would revoke the other's rules (the VPC functions would lose DynamoDB)
    (group,) = cdktf_vpc_stack.resources("aws_security_group").values()
    assert "egress" not in group and "ingress" not in group
    assert len(cdktf_vpc_stack.resources("aws_vpc_security_group_egress_rule")) == 3
    assert len(cdktf_vpc_stack.resources("aws_vpc_security_group_ingress_rule")) == 1
    assert not cdktf_vpc_stack.resources("aws_security_group_rule")
    (other,) = pulumi_stack.of("aws:ec2/securityGroup:SecurityGroup")
    assert "egress" not in other.inputs and "ingress" not in other.inputs
    assert len(pulumi_stack.of("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")) == 3
    assert len(pulumi_stack.of("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) == 1


# -- 2. SQS-triggered functions: the mapping's maximum concurrency --------------------
def test_every_sqs_mapping_stays_within_its_functions_reserved_concurrency(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    functions = {
        f"${{aws_lambda_function.{logical}.arn}}": config
        for _kind, logical, config in cdktf_stack.all_resources()
        if _kind == "aws_lambda_function"
    }
    mappings = cdktf_stack.resources("aws_lambda_event_source_mapping").values()
    sqs = [m for m in mappings if "aws_sqs_queue" in m["event_source_arn"]]
    assert sqs, "no SQS-triggered function found"
    for mapping in sqs:
        reserved = functions[mapping["function_name"]]["reserved_concurrent_executions"]
        assert 2 <= mapping["scaling_config"]["maximum_concurrency"] <= reserved
    by_arn = {
        f"arn:aws:mock:us-east-1:123456789012:aws:lambda/function:Function/{f.inputs['name']}": f
        for f in pulumi_stack.of("aws:lambda/function:Function")
    }
    for mapping in pulumi_stack.of("aws:lambda/eventSourceMapping:EventSourceMapping"):
        if "scalingConfig" not in mapping.inputs:
            continue  # a stream's mapping: shards x parallelization, not SQS pollers
        function = by_arn[mapping.inputs["functionName"]]
        reserved = function.inputs["reservedConcurrentExecutions"]
        assert 2 <= mapping.inputs["scalingConfig"]["maximumConcurrency"] <= reserved


def test_notify_needs_room_for_two_concurrent_batches() -> None:
    concurrency = {
        "ingest": 5,
        "decide": 5,
        "detect": 5,
        "aggregate": 2,
        "analyze": 1,
        "notify": 1,
        "retrain": 1,
        "export": 1,
    }
    blueprint = blueprint_for("cdktf", "dev", reserved_concurrency=concurrency)
    with pytest.raises(ValueError, match="at least 2"):
        _ = blueprint.notify_max_concurrency


# -- 3. the API Gateway account role: once per account, by choice ---------------------
def test_a_fresh_account_gets_the_api_gateway_role_the_stage_logs_need(
    cdktf_stack: Synthesized, cdktf_vpc_stack: Synthesized, pulumi_stack: Any
) -> None:
    blueprint = cdktf_stack.blueprint
    account = cdktf_stack.one("aws_api_gateway_account")
    assert account["cloudwatch_role_arn"].startswith("${aws_iam_role.")
    # a destroy resets the account rather than leave it on a deleted role, and the
    # account is set only once the role can write
    assert account["reset_on_delete"] is True
    assert any("aws_iam_role_policy_attachment" in d for d in account["depends_on"])
    (attachment,) = [
        a
        for a in cdktf_stack.resources("aws_iam_role_policy_attachment").values()
        if a["policy_arn"] == blueprint.api_logs_managed_policy
    ]
    assert "api-logs-role" in attachment["role"]
    for dependent in ("aws_api_gateway_stage", "aws_api_gateway_method_settings"):
        assert any("aws_api_gateway_account" in d for d in cdktf_stack.one(dependent)["depends_on"])
    (other,) = pulumi_stack.of("aws:apigateway/account:Account")
    assert other.inputs["cloudwatchRoleArn"]
    # both log groups made here, with retention and the key
    groups = {g["name"]: g for g in cdktf_stack.resources("aws_cloudwatch_log_group").values()}
    execution = [n for n in groups if n.startswith("API-Gateway-Execution-Logs_")]
    assert len(execution) == 1 and "aws_api_gateway_rest_api" in execution[0]
    assert execution[0].endswith(f"}}/{blueprint.api_stage}")
    for name in (blueprint.api_access_log_group, execution[0]):
        assert groups[name]["kms_key_id"] and groups[name]["retention_in_days"] == 30
    # an environment that uses the account's role leaves the account alone
    assert cdktf_vpc_stack.resources("aws_api_gateway_account") == {}
    assert "access_log_settings" in cdktf_vpc_stack.one("aws_api_gateway_stage")


# -- 4. deployments: triggered by everything the stage serves -------------------------
def test_the_deployment_follows_every_part_the_stage_serves(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    deployment = cdktf_stack.one("aws_api_gateway_deployment")
    parts = deployment["triggers"]["parts"]
    for kind in (
        "aws_api_gateway_method",
        "aws_api_gateway_integration",
        "aws_api_gateway_model",
        "aws_api_gateway_gateway_response",
    ):
        for logical in cdktf_stack.resources(kind):
            assert f"{kind}.{logical}.id" in parts, f"{kind}.{logical} not in the triggers"
    for logical in cdktf_stack.resources("aws_api_gateway_integration"):
        assert f"aws_api_gateway_integration.{logical}.uri" in parts
    assert deployment["triggers"]["served"]
    assert any("gateway_response" in d for d in deployment["depends_on"])
    (other,) = pulumi_stack.of("aws:apigateway/deployment:Deployment")
    assert set(other.inputs["triggers"]) == {"served", "parts"}
    assert other.inputs["triggers"]["served"] == deployment["triggers"]["served"]


# -- 5. no key material in synthesized output, program inputs or state ------------------
_KEYLIKE = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{32,}(?![0-9a-fA-F])|[A-Za-z0-9+/]{43}=")


def test_no_key_material_in_the_synthesized_stack_or_the_program_inputs(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    text = cdktf_stack.path.read_text()
    # the only long hex or base64 runs are digests of public things: the packages (their
    # hashes and asset folders) and what the API stage serves
    functions = cdktf_stack.resources("aws_lambda_function").values()
    hashes = {f["source_code_hash"] for f in functions}
    hashes |= {f["filename"].split("/")[-2] for f in functions if "filename" in f}
    package = cdktf_stack.one("aws_s3_object")
    hashes |= {package["source_hash"], package["source"].split("/")[-2]}
    hashes.add(cdktf_stack.one("aws_api_gateway_deployment")["triggers"]["served"])
    assert set(_KEYLIKE.findall(text)) <= hashes
    assert not any(
        "token" in n
        for n in (p["name"] for p in cdktf_stack.resources("aws_ssm_parameter").values())
    )
    # Pulumi wraps a secret input in a map tagged with its own two signature constants
    signatures = {rpc._special_sig_key, rpc._special_secret_sig}
    for resource in pulumi_stack.resources:
        found = set(_KEYLIKE.findall(json.dumps(resource.inputs, default=str)))
        public = hashes | signatures | {resource.inputs.get("sourceCodeHash")}
        if resource.kind == "aws:apigateway/deployment:Deployment":  # digests, see above
            public |= set(resource.inputs["triggers"].values())
        assert found <= public, resource.name
    # the token key is an HMAC key inside KMS, used by the API's two functions alone (they
    # tokenize the card of a transaction sent to store or to decide), for GenerateMac alone
    bp = cdktf_stack.blueprint
    (hmac,) = [
        k
        for k in cdktf_stack.resources("aws_kms_key").values()
        if k.get("customer_master_key_spec") == "HMAC_256"
    ]
    assert hmac["key_usage"] == "GENERATE_VERIFY_MAC"
    granted = [
        (name, s)
        for name, p in (
            (p["name"], p["policy"]) for p in cdktf_stack.resources("aws_iam_role_policy").values()
        )
        for s in _statements(p)
        if "kms:GenerateMac" in _actions(s)
    ]
    assert sorted(name for name, _s in granted) == sorted(
        f"{bp.functions[key].name}-least-privilege" for key in ("ingest", "decide")
    )
    assert all(_actions(statement) == {"kms:GenerateMac"} for _n, statement in granted)
    (other,) = [
        k for k in pulumi_stack.of("aws:kms/key:Key") if k.inputs.get("customerMasterKeySpec")
    ]
    assert other.inputs["keyUsage"] == "GENERATE_VERIFY_MAC"


# -- 6. the key policy: only the services that use the key for the account ------------
def test_the_key_policy_grants_no_service_that_uses_its_callers_credentials(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    for policy in (
        cdktf_stack.data_key()["policy"],
        pulumi_stack.data_key().inputs["policy"],
    ):
        services = {s["Principal"].get("Service") for s in _statements(policy)}
        assert not services & {
            "sqs.amazonaws.com",
            "pipes.amazonaws.com",
            "scheduler.amazonaws.com",
        }


def test_each_service_may_use_the_key_for_this_deployments_resources_only(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    bp = cdktf_stack.blueprint
    alarms = {
        a["alarm_name"] for a in cdktf_stack.resources("aws_cloudwatch_metric_alarm").values()
    }
    (rule,) = cdktf_stack.resources("aws_cloudwatch_event_rule").values()
    expected = {
        "sns.amazonaws.com": {f"sns:{bp.region}:<account>:{bp.alert_topic_name}"},
        "events.amazonaws.com": {
            f"events:{bp.region}:<account>:rule/{bp.event_bus_name}/{rule['name']}"
        },
        "cloudwatch.amazonaws.com": {
            f"cloudwatch:{bp.region}:<account>:alarm:{name}" for name in alarms
        },
    }
    for policy, account in (
        (cdktf_stack.data_key()["policy"], "${data.aws_caller_identity.account.account_id}"),
        (pulumi_stack.data_key().inputs["policy"], ACCOUNT),
    ):
        for statement in _statements(policy):
            service = statement["Principal"].get("Service")
            if service not in expected:
                continue
            arns = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
            named = {a.removeprefix("arn:aws:").replace(account, "<account>") for a in arns}
            assert named == expected[service], service
            assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == account


# -- 8. the rules parameter: the team's rules survive an apply ------------------------
def test_an_apply_keeps_the_rules_the_team_published(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    bp = cdktf_stack.blueprint
    for name in (bp.rules_parameter,):
        parameter = cdktf_stack.named("aws_ssm_parameter", name)
        assert parameter["lifecycle"]["ignore_changes"] == ["value"]


# -- 9. one failure path per function --------------------------------------------------
def test_each_failure_is_recorded_once(cdktf_stack: Synthesized, pulumi_stack: Any) -> None:
    bp = cdktf_stack.blueprint
    for key in bp.functions:
        # asynchronous functions: the on-failure destination only; the others are invoked
        # synchronously (API Gateway, the SQS mapping), where a DLQ setting does nothing
        assert "dead_letter_config" not in cdktf_stack.function(key)
    for function in pulumi_stack.of("aws:lambda/function:Function"):
        assert "deadLetterConfig" not in function.inputs
    destinations = cdktf_stack.resources("aws_lambda_function_event_invoke_config")
    assert len(destinations) == sum(spec.asynchronous for spec in bp.functions.values())
    (dlq,) = [
        logical
        for logical, queue in cdktf_stack.resources("aws_sqs_queue").items()
        if queue["name"] == bp.failures_dlq.name
    ]
    for key, spec in bp.functions.items():
        # an asynchronous function's destination, and aggregate's mapping's, send with
        # the role: one grant each (the call evaluation in the e2e tier proves it is used)
        policy = cdktf_stack.named("aws_iam_role_policy", f"{spec.name}-least-privilege")["policy"]
        sends = [
            s
            for s in _statements(policy)
            if "sqs:SendMessage" in s["Action"] and f"aws_sqs_queue.{dlq}.arn" in str(s["Resource"])
        ]
        assert len(sends) == int(spec.asynchronous or key == "aggregate"), key


# -- 10. VPC functions and flow logs: the permissions they use, the endpoints they call
def test_vpc_permissions_and_endpoints(cdktf_vpc_stack: Synthesized, pulumi_stack: Any) -> None:
    stacks = [
        [p["policy"] for p in cdktf_vpc_stack.resources("aws_iam_role_policy").values()],
        [p.inputs["policy"] for p in pulumi_stack.of("aws:iam/rolePolicy:RolePolicy")],
    ]
    for policies in stacks:
        statements = [s for p in policies for s in _statements(p)]
        eni = [s for s in statements if "ec2:CreateNetworkInterface" in _actions(s)]
        assert eni and all("ec2:DescribeSubnets" in _actions(s) for s in eni)
        flow = [s for p in policies for s in _statements(p) if s["Sid"] == "WriteFlowLogs"]
        assert len(flow) == 1
        assert any("logs:DescribeLogGroups" in _actions(s) for s in statements)
    services = {
        e["service_name"].rsplit(".", 1)[1]
        for e in cdktf_vpc_stack.resources("aws_vpc_endpoint").values()
    }
    assert services == {"dynamodb", "s3", "sqs", "ssm", "kms", "xray"}
    assert {
        e.inputs["serviceName"].rsplit(".", 1)[1]
        for e in pulumi_stack.of("aws:ec2/vpcEndpoint:VpcEndpoint")
    } == services


# -- 12. operators: a topic of their own, and every DLQ watched -----------------------
def test_operational_alarms_reach_the_operators_not_the_security_team(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    bp = cdktf_stack.blueprint
    alarms = cdktf_stack.resources("aws_cloudwatch_metric_alarm").values()
    ops = next(
        logical
        for _k, logical, config in cdktf_stack.all_resources()
        if _k == "aws_sns_topic" and config["name"] == bp.ops_topic_name
    )
    for alarm in alarms:
        assert alarm["alarm_actions"] == [f"${{aws_sns_topic.{ops}.arn}}"]
    watched = {a["dimensions"]["QueueName"] for a in alarms if a.get("namespace") == "AWS/SQS"}
    dead_letters = {getattr(bp, a).name for a in bp.dead_letter_attributes}
    assert watched == dead_letters
    # every queue another redrives to is among them
    redrives = [
        json.loads(q["redrive_policy"])["deadLetterTargetArn"]
        for q in cdktf_stack.resources("aws_sqs_queue").values()
        if q.get("redrive_policy")
    ]
    assert len(redrives) == len([q for q in bp.queues if q.dead_letter])
    pulumi_bp = pulumi_stack.blueprint
    others = pulumi_stack.of("aws:cloudwatch/metricAlarm:MetricAlarm")
    queue_alarms = [a for a in others if "QueueName" in a.inputs.get("dimensions", {})]
    assert {a.inputs["dimensions"]["QueueName"] for a in queue_alarms} == {
        getattr(pulumi_bp, a).name for a in pulumi_bp.dead_letter_attributes
    }
    for alarm in others:
        assert all(pulumi_bp.ops_topic_name in arn for arn in alarm.inputs["alarmActions"])


# -- 7. SNS active tracing: X-Ray lets SNS send the alert topic's segments -------------
def test_sns_may_send_the_alert_topics_traces_to_xray(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    bp = cdktf_stack.blueprint
    topic = next(
        logical
        for kind, logical, config in cdktf_stack.all_resources()
        if kind == "aws_sns_topic" and config["name"] == bp.alert_topic_name
    )
    assert cdktf_stack.named("aws_sns_topic", bp.alert_topic_name)["tracing_config"] == "Active"
    (policy,) = cdktf_stack.resources("aws_xray_resource_policy").values()
    (statement,) = _statements(policy["policy_document"])
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert "xray:PutTraceSegments" in _actions(statement)
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == f"${{aws_sns_topic.{topic}.arn}}"
    (other,) = pulumi_stack.of("aws:xray/resourcePolicy:ResourcePolicy")
    (pulumi_statement,) = _statements(other.inputs["policyDocument"])
    assert pulumi_statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert bp.name("cardwatch-sns-tracing") == policy["policy_name"]


def test_the_emulator_keeps_xray_resource_policies() -> None:
    """The local side of the tracing policy: what terraform calls, answered as X-Ray does."""
    from cardwatch.local.emulator.server import running_emulator  # noqa: PLC0415

    with running_emulator("us-east-1") as emulator:
        xray = emulator.session().client("xray")
        made = xray.put_resource_policy(PolicyName="p", PolicyDocument='{"Statement": []}')
        assert made["ResourcePolicy"]["PolicyRevisionId"]
        listed = xray.list_resource_policies()["ResourcePolicies"]
        assert [p["PolicyName"] for p in listed] == ["p"]
        xray.delete_resource_policy(PolicyName="p")
        assert xray.list_resource_policies()["ResourcePolicies"] == []


# -- the numbers both renderers once hard-coded come from the blueprint ---------------
def test_pipe_queue_and_topic_numbers_come_from_the_blueprint(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    bp = cdktf_stack.blueprint
    stream = cdktf_stack.one("aws_pipes_pipe")["source_parameters"]["dynamodb_stream_parameters"]
    assert (stream["batch_size"], stream["maximum_retry_attempts"]) == (
        bp.pipe_batch_size,
        bp.pipe_retry_attempts,
    )
    assert (
        stream["parallelization_factor"],
        stream["maximum_batching_window_in_seconds"],
        stream["on_partial_batch_item_failure"],
    ) == (bp.pipe_parallelization_factor, bp.pipe_batching_window_seconds, "AUTOMATIC_BISECT")
    # sized for 1,000 a second: batches of PutEvents' 10 entries, 10 lanes a shard
    assert bp.pipe_batch_size == 10 and bp.pipe_parallelization_factor == 10
    other = pulumi_stack.one("aws:pipes/pipe:Pipe").inputs["sourceParameters"]
    assert other["dynamodbStreamParameters"]["batchSize"] == bp.pipe_batch_size
    assert other["dynamodbStreamParameters"]["parallelizationFactor"] == (
        bp.pipe_parallelization_factor
    )
    assert other["dynamodbStreamParameters"]["onPartialBatchItemFailure"] == "AUTOMATIC_BISECT"
    assert other["dynamodbStreamParameters"]["maximumRetryAttempts"] == bp.pipe_retry_attempts
    for queue in cdktf_stack.resources("aws_sqs_queue").values():
        assert queue["kms_data_key_reuse_period_seconds"] == bp.queue_data_key_reuse_seconds
    for recorded in pulumi_stack.of("aws:sqs/queue:Queue"):
        assert recorded.inputs["kmsDataKeyReusePeriodSeconds"] == bp.queue_data_key_reuse_seconds
    topic = cdktf_stack.named("aws_sns_topic", bp.alert_topic_name)
    assert topic["sqs_success_feedback_sample_rate"] == bp.topic_success_sample_percent
    alerts = pulumi_stack.named("aws:sns/topic:Topic", bp.alert_topic_name).inputs
    assert alerts["sqsSuccessFeedbackSampleRate"] == bp.topic_success_sample_percent


# -- labels: the analysts' own key and usage plan (issue 16) ---------------------------
@pytest.mark.requirement("R000-05")
def test_the_label_channels_have_their_own_keys_and_plans_and_ingest_knows_their_ids(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    blueprint = cdktf_stack.blueprint
    for channel, key_name, plan_name in (
        ("analyst", blueprint.analyst_api_key_name, blueprint.analyst_usage_plan_name),
        ("feed", blueprint.feed_api_key_name, blueprint.feed_usage_plan_name),
    ):
        key = cdktf_stack.named("aws_api_gateway_api_key", key_name)
        assert key["enabled"] is True and "value" not in key  # AWS generates it
        plan = cdktf_stack.named("aws_api_gateway_usage_plan", plan_name)
        rate, burst, quota = blueprint.label_limits(channel)
        assert plan["throttle_settings"] == {"rate_limit": rate, "burst_limit": burst}
        assert plan["quota_settings"] == {"limit": quota, "period": "DAY"}
    links = {
        (link["key_id"], link["usage_plan_id"])
        for link in cdktf_stack.resources("aws_api_gateway_usage_plan_key").values()
    }
    key_ref = "${aws_api_gateway_api_key.Security_analyst-api-key_"
    (analyst_link,) = [link for link in links if link[0].startswith(key_ref)]
    assert "analyst-usage-plan" in analyst_link[1]
    assert len(links) == 3  # the processor's, the analysts' and the feed's: a plan each
    ingest = cdktf_stack.named(
        "aws_lambda_function", blueprint.functions["ingest"].name, key="function_name"
    )
    variables = ingest["environment"]["variables"]
    assert variables["ANALYST_API_KEY_ID"].startswith(key_ref)
    assert variables["FEED_API_KEY_ID"].startswith(
        "${aws_api_gateway_api_key.Security_feed-api-key_"
    )
    # Pulumi: the same key, plan and link
    pulumi_plans = {p.inputs["name"] for p in pulumi_stack.of("aws:apigateway/usagePlan:UsagePlan")}
    assert any(
        name.endswith("fraud-analyst-usage-plan-" + blueprint.environment_suffix)
        or "fraud-analyst-usage-plan" in name
        for name in pulumi_plans
    )
    assert len(pulumi_stack.of("aws:apigateway/usagePlanKey:UsagePlanKey")) == 3
    assert any(
        "fraud-analyst-key" in k.inputs["name"]
        for k in pulumi_stack.of("aws:apigateway/apiKey:ApiKey")
    )


# -- a refused rules document: an alarm on detect's own count (issue 17) ---------------
def test_a_refused_rules_document_raises_an_alarm_in_both(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    bp = cdktf_stack.blueprint
    (spec,) = [a for a in bp.metric_alarms if a.metric_name == "RulesDocumentRefused"]
    alarm = cdktf_stack.named("aws_cloudwatch_metric_alarm", spec.name, key="alarm_name")
    assert (alarm["namespace"], alarm["metric_name"]) == (bp.metrics_namespace, spec.metric_name)
    assert alarm["dimensions"] == {"service": "cardwatch-detect"}
    assert (alarm["threshold"], alarm["comparison_operator"]) == (0, "GreaterThanThreshold")
    others = [
        a.inputs
        for a in pulumi_stack.of("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("metricName") == "RulesDocumentRefused"
    ]
    assert len(others) == 1 and others[0]["dimensions"] == {"service": "cardwatch-detect"}


# -- zones: the same physical zones in every account, ones Lambda runs in ----------------
def test_subnets_name_zone_ids_lambda_supports(
    cdktf_vpc_stack: Synthesized, pulumi_stack: Any
) -> None:
    """Zone letters map to different zones in each account, and Lambda does not run in
    every zone (use1-az3): the subnets name zone IDs, two of them, none of those."""
    lambda_unsupported = {"use1-az3"}
    for zones in (
        [s["availability_zone_id"] for s in cdktf_vpc_stack.resources("aws_subnet").values()],
        [s.inputs["availabilityZoneId"] for s in pulumi_stack.of("aws:ec2/subnet:Subnet")],
    ):
        assert len(set(zones)) == 2 and not set(zones) & lambda_unsupported
        assert all(z.startswith("use1-az") for z in zones)  # the blueprint's region's
    assert cdktf_vpc_stack.blueprint.region == "us-east-1"
    for subnet in cdktf_vpc_stack.resources("aws_subnet").values():
        assert "availability_zone" not in subnet


# -- global names: S3's bucket names are unique across every account --------------------
def test_bucket_names_carry_the_account_and_region(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    """Another team's ``cardwatch-models-dev`` would fail the first apply: each bucket is
    named for the deploying account and region, in both renderings."""
    account = "${data.aws_caller_identity.account.account_id}"
    for bucket in cdktf_stack.resources("aws_s3_bucket").values():
        assert bucket["bucket"].endswith(f"-dev-{account}-us-east-1"), bucket["bucket"]
    for bucket in pulumi_stack.of("aws:s3/bucket:Bucket"):
        assert bucket.inputs["bucket"].endswith(f"-dev-{ACCOUNT}-us-east-1")
    # the functions are told the same names
    retrain = cdktf_stack.function("retrain")["environment"]["variables"]
    assert retrain["MODEL_BUCKET"].endswith(f"-dev-{account}-us-east-1")
    assert retrain["HISTORY_BUCKET"].endswith(f"-dev-{account}-us-east-1")
    # local mode's emulator is one account: its names stay short
    assert blueprint_for("local", "dev").model_store.bucket == "cardwatch-models-dev"
    with pytest.raises(ValueError, match="63"):
        _ = blueprint_for("cdktf", "x" * 30).with_account("123456789012").model_store


# -- every topic logs delivery status; no service makes a log group of its own --------
def test_every_topic_logs_delivery_status_to_groups_the_deployment_made(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    from cardwatch.infra.common.messaging import FEEDBACK_PROTOCOLS  # noqa: PLC0415

    bp = cdktf_stack.blueprint
    for name in (bp.alert_topic_name, bp.ops_topic_name):
        topic = cdktf_stack.named("aws_sns_topic", name)
        recorded = pulumi_stack.named("aws:sns/topic:Topic", name).inputs
        for protocol in FEEDBACK_PROTOCOLS:
            role = topic[f"{protocol}_success_feedback_role_arn"]
            assert role == topic[f"{protocol}_failure_feedback_role_arn"], (name, protocol)
            assert role.startswith("${aws_iam_role."), (name, protocol)
            camel = protocol.title().replace("_", "")
            assert recorded[f"{camel[0].lower()}{camel[1:]}FailureFeedbackRoleArn"], protocol
    groups = {g["name"]: g for g in cdktf_stack.resources("aws_cloudwatch_log_group").values()}
    account = "${data.aws_caller_identity.account.account_id}"
    for topic in (bp.alert_topic_name, bp.ops_topic_name):
        for name in (
            f"sns/{bp.region}/{account}/{topic}",
            f"sns/{bp.region}/{account}/{topic}/Failure",
        ):
            assert groups[name]["retention_in_days"] == bp.settings.log_retention_days
            assert groups[name]["kms_key_id"].startswith("${aws_kms_key.")
    pulumi_names = {g.inputs["name"] for g in pulumi_stack.of("aws:cloudwatch/logGroup:LogGroup")}
    assert f"sns/{bp.region}/{ACCOUNT}/{pulumi_stack.blueprint.ops_topic_name}/Failure" in (
        pulumi_names
    )
    # so no role may create one, and SNS's writes name the groups, not a wildcard
    policies = [
        *(p["policy"] for p in cdktf_stack.resources("aws_iam_role_policy").values()),
        *(p.inputs["policy"] for p in pulumi_stack.of("aws:iam/rolePolicy:RolePolicy")),
    ]
    statements = [s for p in policies for s in _statements(p)]
    assert not [s for s in statements if "logs:CreateLogGroup" in _actions(s)]
    delivery = [s for s in statements if s.get("Sid") == "WriteDeliveryStatusLogs"]
    assert len(delivery) == 2
    for statement in delivery:
        assert len(statement["Resource"]) == 8 and not any("*/" in r for r in statement["Resource"])


# -- Terraform's state: a local file to try it out, S3 with locking for a team --------
def test_a_teams_state_is_in_s3_encrypted_and_locked(
    cdktf_stack: Synthesized, cdktf_vpc_stack: Synthesized
) -> None:
    assert cdktf_stack.document["terraform"]["backend"] == {"local": {"path": "terraform.tfstate"}}
    backend = cdktf_vpc_stack.document["terraform"]["backend"]["s3"]
    assert backend["bucket"] == "team-terraform-state"
    assert (
        backend["key"]
        == f"cardwatch/{cdktf_vpc_stack.blueprint.environment_suffix}/terraform.tfstate"
    )
    assert backend["encrypt"] is True and backend["kms_key_id"] == "alias/terraform-state"
    assert backend["use_lockfile"] is True
