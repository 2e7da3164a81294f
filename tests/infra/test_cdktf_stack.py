"""Seed 000, line by line, on the synthesized Terraform JSON of the CDKTF stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cardwatch.blueprint import FUNCTION_KEYS
from cardwatch.infra.common.policies import NO_RESOURCE_LEVEL_SIDS
from cardwatch.schema import gateway_model
from tests.support.infra import Synthesized, policy

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = FUNCTION_KEYS


def ref(kind: str, stack: Synthesized, name: str, attribute: str = "arn", key: str = "name") -> str:
    """The interpolation that points at the resource whose ``key`` is ``name``."""
    logical = next(k for k, v in stack.resources(kind).items() if v.get(key) == name)
    return f"${{{kind}.{logical}.{attribute}}}"


@pytest.mark.requirement("R000-01")
def test_rest_api_with_post_transactions(cdktf_stack: Synthesized) -> None:
    paths = {r["path_part"] for r in cdktf_stack.resources("aws_api_gateway_resource").values()}
    assert {
        "transactions",
        "decisions",
        "{transaction_id}",
        "label",
        "reviews",
        "cases",
        "{case_id}",
    } == paths
    methods = cdktf_stack.resources("aws_api_gateway_method").values()
    # four POSTs (transactions, decisions, labels, a case's action) and the analysts'
    # GETs of a transaction, the queue, the cases and a case
    verbs = sorted(m["http_method"] for m in methods)
    assert verbs == ["GET"] * 4 + ["POST"] * 4
    integrations = cdktf_stack.resources("aws_api_gateway_integration").values()
    assert {i["type"] for i in integrations} == {"AWS_PROXY"}
    # POST /decisions goes to the decide function, everything else to ingest
    decide = ref(
        "aws_lambda_function",
        cdktf_stack,
        cdktf_stack.blueprint.functions["decide"].name,
        "invoke_arn",
        "function_name",
    )
    ingest = ref(
        "aws_lambda_function",
        cdktf_stack,
        cdktf_stack.blueprint.functions["ingest"].name,
        "invoke_arn",
        "function_name",
    )
    assert sorted(i["uri"] for i in integrations) == sorted([decide] + [ingest] * 7)


@pytest.mark.requirement("R000-02")
def test_the_body_is_validated_against_the_one_contract(cdktf_stack: Synthesized) -> None:
    validator = cdktf_stack.one("aws_api_gateway_request_validator")
    assert validator["validate_request_body"] is True
    models = {m["name"]: m for m in cdktf_stack.resources("aws_api_gateway_model").values()}
    assert json.loads(models["Transaction"]["schema"]) == gateway_model("transaction")
    for method in cdktf_stack.resources("aws_api_gateway_method").values():
        if method["http_method"] == "GET":
            assert "request_models" not in method  # no body to validate
            continue
        assert method["request_validator_id"].endswith(".id}")
        assert set(method["request_models"]) == {"application/json"}


@pytest.mark.requirement("R000-03")
def test_the_ingest_function_runs_python_3_11(cdktf_stack: Synthesized) -> None:
    ingest = cdktf_stack.function("ingest")
    assert ingest["runtime"] == "python3.11"
    assert ingest["handler"] == "cardwatch.handlers.ingest.handler"


@pytest.mark.requirement("R000-04")
def test_ingest_may_write_the_table_it_is_told_about(cdktf_stack: Synthesized) -> None:
    bp = cdktf_stack.blueprint
    ingest = cdktf_stack.function("ingest")
    assert ingest["environment"]["variables"]["TABLE_NAME"] == bp.table_name
    statements = policy(
        cdktf_stack.named("aws_iam_role_policy", f"{bp.functions['ingest'].name}-least-privilege")[
            "policy"
        ]
    )["Statement"]
    table_arn = ref("aws_dynamodb_table", cdktf_stack, bp.table_name)
    assert any(
        "dynamodb:PutItem" in s["Action"] and s["Resource"] == [table_arn] for s in statements
    )


@pytest.mark.requirement("R000-05")
@pytest.mark.requirement("R000-25")
def test_usage_plan_quota_throttle_and_required_key(cdktf_stack: Synthesized) -> None:
    plan = cdktf_stack.named(
        "aws_api_gateway_usage_plan", cdktf_stack.blueprint.name("fraud-detection-usage-plan")
    )
    assert plan["quota_settings"] == {"limit": 1000, "period": "DAY"}
    assert plan["throttle_settings"]["rate_limit"] > 0
    # every route needs a key or the caller's own signed identity, never neither
    methods = cdktf_stack.resources("aws_api_gateway_method").values()
    assert all(m["api_key_required"] != (m["authorization"] == "AWS_IAM") for m in methods)
    signed = sorted(m["http_method"] for m in methods if m["authorization"] == "AWS_IAM")
    assert signed == ["GET", "GET", "GET", "GET", "POST"]
    keys = cdktf_stack.resources("aws_api_gateway_usage_plan_key").values()
    assert {key["key_type"] for key in keys} == {"API_KEY"}


@pytest.mark.requirement("R000-06")
@pytest.mark.requirement("R000-07")
@pytest.mark.requirement("R000-08")
def test_the_table(cdktf_stack: Synthesized) -> None:
    table = cdktf_stack.named("aws_dynamodb_table", cdktf_stack.blueprint.table_name)
    assert (table["hash_key"], table["range_key"]) == ("transaction_id", "timestamp")
    assert {"name": "timestamp", "type": "N"} in table["attribute"]
    indexes = {i["name"]: i for i in table["global_secondary_index"]}
    assert indexes["user_id-timestamp-index"]["hash_key"] == "user_id"
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["point_in_time_recovery"] == {"enabled": True}
    assert table["stream_enabled"] is True and table["stream_view_type"] == "NEW_IMAGE"


@pytest.mark.requirement("R000-09")
@pytest.mark.requirement("R000-10")
def test_the_alert_topic_and_its_queue_subscription(cdktf_stack: Synthesized) -> None:
    bp = cdktf_stack.blueprint
    topic = cdktf_stack.named("aws_sns_topic", bp.alert_topic_name)
    assert topic
    subscription = cdktf_stack.one("aws_sns_topic_subscription")
    assert subscription["protocol"] == "sqs"
    assert subscription["endpoint"] == ref("aws_sqs_queue", cdktf_stack, bp.alerts_queue.name)
    assert "deadLetterTargetArn" in subscription["redrive_policy"]


@pytest.mark.requirement("R000-11")
def test_failed_async_invocations_go_to_a_dedicated_dlq(cdktf_stack: Synthesized) -> None:
    dlq = ref("aws_sqs_queue", cdktf_stack, cdktf_stack.blueprint.failures_dlq.name)
    configs = cdktf_stack.resources("aws_lambda_function_event_invoke_config").values()
    # detect, analyze, retrain and export are invoked asynchronously; aggregate when a
    # batch is redriven from the DLQ
    assert len(configs) == 5
    for config in configs:
        assert config["destination_config"]["on_failure"]["destination"] == dlq
    (stream,) = [
        m
        for m in cdktf_stack.resources("aws_lambda_event_source_mapping").values()
        if "bisect_batch_on_function_error" in m
    ]
    assert stream["destination_config"]["on_failure"]["destination_arn"] == dlq
    assert stream["bisect_batch_on_function_error"] is True
    assert stream["maximum_retry_attempts"] == cdktf_stack.blueprint.aggregate_retry_attempts
    for key in FUNCTIONS:  # one failure path each: no DLQ setting beside the destination
        assert "dead_letter_config" not in cdktf_stack.function(key)


@pytest.mark.requirement("R000-12")
def test_the_topic_is_encrypted_and_logs_delivery_status(cdktf_stack: Synthesized) -> None:
    topic = cdktf_stack.named("aws_sns_topic", cdktf_stack.blueprint.alert_topic_name)
    assert topic["kms_master_key_id"].startswith("${aws_kms_key.")
    assert topic["sqs_success_feedback_role_arn"] == topic["sqs_failure_feedback_role_arn"]
    assert topic["sqs_success_feedback_sample_rate"] == 100


@pytest.mark.requirement("R000-13")
@pytest.mark.requirement("R000-14")
def test_the_analyzer_runs_every_five_minutes(cdktf_stack: Synthesized) -> None:
    schedule = cdktf_stack.named("aws_scheduler_schedule", cdktf_stack.blueprint.schedule_name)
    assert schedule["schedule_expression"] == "rate(5 minutes)"
    analyze = cdktf_stack.blueprint.functions["analyze"].name
    assert schedule["target"]["arn"] == ref(
        "aws_lambda_function", cdktf_stack, analyze, key="function_name"
    )
    rules = cdktf_stack.resources("aws_cloudwatch_event_rule").values()
    assert all("schedule_expression" not in rule for rule in rules)


@pytest.mark.requirement("R000-15")
def test_a_log_group_per_function_kept_30_days(cdktf_stack: Synthesized) -> None:
    groups = {g["name"]: g for g in cdktf_stack.resources("aws_cloudwatch_log_group").values()}
    for spec in cdktf_stack.blueprint.functions.values():
        assert groups[spec.log_group]["retention_in_days"] == 30
        assert groups[spec.log_group]["kms_key_id"].startswith("${aws_kms_key.")


@pytest.mark.requirement("R000-16")
def test_an_error_rate_alarm_per_function(cdktf_stack: Synthesized) -> None:
    alarms = [
        a
        for a in cdktf_stack.resources("aws_cloudwatch_metric_alarm").values()
        if "metric_query" in a
    ]
    assert len(alarms) == len(cdktf_stack.blueprint.functions) == 8
    for alarm in alarms:
        assert alarm["threshold"] == 1 and alarm["comparison_operator"] == "GreaterThanThreshold"
        queries = {q["id"]: q for q in alarm["metric_query"]}
        assert queries["error_rate"]["expression"] == (
            "IF(invocations > 0, 100 * errors / invocations, 0)"
        )
        assert queries["errors"]["metric"]["period"] == 300
        assert alarm["alarm_actions"]


@pytest.mark.requirement("R000-17")
def test_xray_on_every_function_and_the_api_stage(cdktf_stack: Synthesized) -> None:
    for key in FUNCTIONS:
        assert cdktf_stack.function(key)["tracing_config"] == {"mode": "Active"}
    assert cdktf_stack.one("aws_api_gateway_stage")["xray_tracing_enabled"] is True


@pytest.mark.requirement("R000-18")
def test_secrets_come_from_parameter_store_never_from_the_environment(
    cdktf_stack: Synthesized,
) -> None:
    bp = cdktf_stack.blueprint
    # the sensitive configuration (rules and thresholds, rates) is read from SecureStrings
    for name in (bp.rules_parameter, bp.rates_parameter):
        parameter = cdktf_stack.named("aws_ssm_parameter", name)
        assert parameter["type"] == "SecureString"
        assert parameter["key_id"].startswith("${aws_kms_key.")
    variables = cdktf_stack.function("detect")["environment"]["variables"]
    assert variables["RULES_PARAMETER"] == bp.rules_parameter
    # and the card-token key is no configuration at all: a KMS key named by its alias
    ingest = cdktf_stack.function("ingest")["environment"]["variables"]
    assert ingest["CARD_TOKEN_KEY_ID"] == bp.card_token_key_alias


@pytest.mark.requirement("R000-19")
def test_queues_topic_and_table_use_the_customer_managed_key(cdktf_stack: Synthesized) -> None:
    for queue in cdktf_stack.resources("aws_sqs_queue").values():
        assert queue["kms_master_key_id"].startswith("${aws_kms_key.")
    for table in cdktf_stack.resources("aws_dynamodb_table").values():
        assert table["server_side_encryption"]["kms_key_arn"].startswith("${aws_kms_key.")
    assert cdktf_stack.data_key()["enable_key_rotation"] is True


@pytest.mark.requirement("R000-20")
def test_one_role_per_function_naming_its_resources(cdktf_stack: Synthesized) -> None:
    roles = {f["role"] for f in (cdktf_stack.function(k) for k in FUNCTIONS)}
    assert len(roles) == len(FUNCTIONS)
    for document in (
        policy(p["policy"]) for p in cdktf_stack.resources("aws_iam_role_policy").values()
    ):
        for statement in document["Statement"]:
            assert "*" not in statement["Action"] and not any(
                a.endswith(":*") for a in statement["Action"]
            )
            if statement["Resource"] == ["*"]:
                assert statement["Sid"] in NO_RESOURCE_LEVEL_SIDS
            if statement["Sid"] == "WriteOwnLogs":
                group, streams = statement["Resource"]
                assert streams == f"{group}:*" and group.startswith("${aws_cloudwatch_log_group.")


@pytest.mark.requirement("R000-21")
def test_names_carry_the_environment_suffix(cdktf_stack: Synthesized) -> None:
    named = [
        (kind, config.get("alarm_name") or config.get("name") or config.get("function_name"))
        for kind, _logical, config in cdktf_stack.all_resources()
        if kind
        in {
            "aws_dynamodb_table",
            "aws_sqs_queue",
            "aws_sns_topic",
            "aws_lambda_function",
            "aws_iam_role",
            "aws_api_gateway_rest_api",
            "aws_cloudwatch_event_bus",
            "aws_cloudwatch_event_rule",
            "aws_pipes_pipe",
            "aws_scheduler_schedule",
            "aws_cloudwatch_metric_alarm",
        }
    ]
    assert named and all(str(name).endswith("-dev") for _kind, name in named)


@pytest.mark.requirement("R000-22")
@pytest.mark.requirement("R000-26")
def test_region_and_tags_on_every_resource(cdktf_stack: Synthesized) -> None:
    (provider,) = cdktf_stack.document["provider"]["aws"]
    assert provider["region"] == "us-east-1"
    assert set(provider["default_tags"][0]["tags"]) == {"Environment", "Project", "CostCenter"}


@pytest.mark.requirement("R000-23")
@pytest.mark.requirement("R000-24")
def test_arm64_and_reserved_concurrency_one_to_five(cdktf_stack: Synthesized) -> None:
    for key in FUNCTIONS:
        function = cdktf_stack.function(key)
        assert function["architectures"] == ["arm64"]
        assert 1 <= function["reserved_concurrent_executions"] <= 5
        assert function["kms_key_arn"].startswith("${aws_kms_key.")


@pytest.mark.requirement("R000-27")
def test_everything_can_be_destroyed(cdktf_stack: Synthesized) -> None:
    for _kind, _logical, config in cdktf_stack.all_resources():
        assert not config.get("lifecycle", {}).get("prevent_destroy", False)
        assert config.get("deletion_protection_enabled", False) is False
        assert config.get("deletion_protection", False) is False


@pytest.mark.requirement("R000-28")
def test_every_function_has_logs_and_a_dead_letter_path(cdktf_stack: Synthesized) -> None:
    bp = cdktf_stack.blueprint
    destinations = {
        d["function_name"]
        for d in cdktf_stack.resources("aws_lambda_function_event_invoke_config").values()
    }
    for key in FUNCTIONS:
        function = cdktf_stack.function(key)
        assert any(dep.startswith("aws_cloudwatch_log_group.") for dep in function["depends_on"])
        name = ref(
            "aws_lambda_function",
            cdktf_stack,
            function["function_name"],
            "function_name",
            key="function_name",
        )
        if bp.functions[key].asynchronous:  # a failed event goes to its destination
            assert name in destinations
    # notify's failures: its queue's redrive; ingest's: the caller's answer (synchronous)
    queue = cdktf_stack.named("aws_sqs_queue", bp.suspicious_queue.name)
    assert "deadLetterTargetArn" in queue["redrive_policy"]


@pytest.mark.requirement("R000-29")
def test_the_key_policy_lets_each_service_use_the_key(cdktf_stack: Synthesized) -> None:
    statements = policy(cdktf_stack.data_key()["policy"])["Statement"]
    services = {s["Principal"].get("Service") for s in statements}
    assert {
        "sns.amazonaws.com",
        "events.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "logs.us-east-1.amazonaws.com",
    } <= services


@pytest.mark.requirement("R000-31")
def test_the_stack_is_made_of_one_construct_per_part(cdktf_stack: Synthesized) -> None:
    paths = {
        config["//"]["metadata"]["path"].split("/")[1]
        for _kind, _logical, config in cdktf_stack.all_resources()
    }
    assert {
        "Security",
        "TransactionStore",
        "AlertChannel",
        "DetectionFunctions",
        "TransactionApi",
        "EventRouting",
        "Monitoring",
    } <= paths


@pytest.mark.requirement("R000-10")
def test_the_pipe_and_rule_deliver_only_inserted_transactions(cdktf_stack: Synthesized) -> None:
    bp = cdktf_stack.blueprint
    pipe = cdktf_stack.one("aws_pipes_pipe")
    pattern = json.loads(pipe["source_parameters"]["filter_criteria"]["filter"][0]["pattern"])
    assert pattern == bp.pipe_filter
    rule = cdktf_stack.one("aws_cloudwatch_event_rule")
    assert json.loads(rule["event_pattern"])["detail"]["eventName"] == ["INSERT"]


def test_no_vpc_by_default_for_seed_000(cdktf_stack: Synthesized) -> None:
    assert cdktf_stack.resources("aws_vpc") == {}
    assert all("vpc_config" not in cdktf_stack.function(k) for k in FUNCTIONS)


def test_the_folds_lag_reaches_the_operators(cdktf_stack: Synthesized) -> None:
    bp = cdktf_stack.blueprint
    alarm = cdktf_stack.named(
        "aws_cloudwatch_metric_alarm", bp.aggregate_lag_alarm_name, key="alarm_name"
    )
    assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/Lambda", "IteratorAge")
    assert alarm["dimensions"] == {"FunctionName": bp.functions["aggregate"].name}
    assert alarm["threshold"] == bp.aggregate_max_lag_seconds * 1000 and alarm["alarm_actions"]


def test_the_retrain_package_fits_lambdas_unpacked_limit(cdktf_stack: Synthesized) -> None:
    """scikit-learn, SciPy, numpy and DuckDB (the Parquet reader) come close to Lambda's
    250 MB unpacked: a new library must not cross it unnoticed."""
    import zipfile  # noqa: PLC0415

    from cardwatch.infra.common.packaging import build_training_package  # noqa: PLC0415

    package = build_training_package(cdktf_stack.path.parents[3] / "build" / "lambda")
    unpacked = sum(i.file_size for i in zipfile.ZipFile(package.path).infolist())
    assert unpacked < 250 * 1024 * 1024
