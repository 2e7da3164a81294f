"""The two deployments render the same inventory; they differ only where DESIGN.md's
table says they may (log retention, concurrency, API limits, VPC, e-mail)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from tests.support.infra import Synthesized
from tests.support.rendered_view import TERRAFORM_TYPE, cdktf_view, differences, pulumi_view


def pulumi_inventory(recorded: Any) -> Counter[str]:
    kinds = [r.kind for r in recorded.resources if not r.kind.startswith(("cardwatch:", "pulumi:"))]
    unknown = {k for k in kinds if k not in TERRAFORM_TYPE}
    assert not unknown, f"add these Pulumi kinds to the parity map: {unknown}"
    return Counter(TERRAFORM_TYPE[k] for k in kinds)


def cdktf_inventory(stack: Synthesized) -> Counter[str]:
    return Counter(kind for kind, _logical, _config in stack.all_resources())


def test_same_blueprint_same_inputs_for_every_resource(
    cdktf_stack: Synthesized, pulumi_with_cdktf_settings: Any
) -> None:
    """The rendered view: every input of every resource, references included."""
    ours, theirs = (
        cdktf_view(cdktf_stack.document),
        pulumi_view(pulumi_with_cdktf_settings.resources),
    )
    assert len(ours) == len(theirs) > 75
    assert differences(ours, theirs) == []


def test_the_vpc_rendering_too_has_the_same_inputs_for_every_resource(
    cdktf_vpc_stack: Synthesized, pulumi_with_cdktf_vpc_settings: Any
) -> None:
    """Functions in a VPC, the account's API Gateway role: the parts the default leaves out."""
    ours, theirs = (
        cdktf_view(cdktf_vpc_stack.document),
        pulumi_view(pulumi_with_cdktf_vpc_settings.resources),
    )
    assert ("aws_vpc", "vpc") in ours and ("aws_api_gateway_account", "account") not in ours
    assert differences(ours, theirs) == []


def test_the_rendered_view_sees_a_drift_in_any_input(
    cdktf_stack: Synthesized, pulumi_with_cdktf_settings: Any
) -> None:
    ours, theirs = (
        cdktf_view(cdktf_stack.document),
        pulumi_view(pulumi_with_cdktf_settings.resources),
    )
    function = ("aws_lambda_function", "detect")
    drifted = {**theirs, function: {**theirs[function], "memory_size": 1}}
    assert len(differences(ours, drifted)) == 1
    # a reference to another resource is compared by what it names
    mapping = ("aws_lambda_event_source_mapping", "notify-from-suspicious-queue")
    rewired = {
        **theirs,
        mapping: {**theirs[mapping], "function_name": "<aws_lambda_function:detect>"},
    }
    assert len(differences(ours, rewired)) == 1
    assert ours[mapping]["function_name"] == "<aws_lambda_function:notify>"


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


def test_both_deployments_give_the_same_outputs(cdktf_stack: Synthesized) -> None:
    """The outputs are written once (infra/common/outputs.py): every one is in the CDKTF
    stack, as the Pulumi program exports every one by the same loop."""
    from cardwatch.infra.common.outputs import OUTPUTS  # noqa: PLC0415

    assert set(cdktf_stack.document["output"]) == set(OUTPUTS)
    assert cdktf_stack.document["output"]["api_url"]["value"].endswith("/transactions")
