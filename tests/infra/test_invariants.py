"""Infrastructure invariants over both deployments, each at its own defaults."""

from __future__ import annotations

import json
from typing import Any

from cardwatch.infra.common.policies import NO_RESOURCE_LEVEL_SIDS, PREFIX_WILDCARDS
from tests.support.infra import Synthesized

CMK = ("${aws_kms_key.", "arn:aws:mock")


def _uses_cmk(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(CMK)


def test_every_store_of_data_uses_the_cmk(cdktf_stack: Synthesized, pulumi_stack: Any) -> None:
    tf = cdktf_stack
    checks = [
        *(
            t["server_side_encryption"]["kms_key_arn"]
            for t in tf.resources("aws_dynamodb_table").values()
        ),
        *(q["kms_master_key_id"] for q in tf.resources("aws_sqs_queue").values()),
        *(t["kms_master_key_id"] for t in tf.resources("aws_sns_topic").values()),
        *(g["kms_key_id"] for g in tf.resources("aws_cloudwatch_log_group").values()),
        *(p["key_id"] for p in tf.resources("aws_ssm_parameter").values()),
        *(
            t.inputs["serverSideEncryption"]["kmsKeyArn"]
            for t in pulumi_stack.of("aws:dynamodb/table:Table")
        ),
        *(q.inputs["kmsMasterKeyId"] for q in pulumi_stack.of("aws:sqs/queue:Queue")),
        *(t.inputs["kmsMasterKeyId"] for t in pulumi_stack.of("aws:sns/topic:Topic")),
        *(g.inputs["kmsKeyId"] for g in pulumi_stack.of("aws:cloudwatch/logGroup:LogGroup")),
        *(p.inputs["keyId"] for p in pulumi_stack.of("aws:ssm/parameter:Parameter")),
    ]
    assert checks and all(_uses_cmk(value) for value in checks)


def test_rotation_and_point_in_time_recovery(cdktf_stack: Synthesized, pulumi_stack: Any) -> None:
    assert cdktf_stack.data_key()["enable_key_rotation"] is True
    assert pulumi_stack.data_key().inputs["enableKeyRotation"] is True
    assert all(
        t["point_in_time_recovery"]["enabled"]
        for t in cdktf_stack.resources("aws_dynamodb_table").values()
    )
    assert all(
        t.inputs["pointInTimeRecovery"]["enabled"]
        for t in pulumi_stack.of("aws:dynamodb/table:Table")
    )


def test_every_table_expires_its_items_by_time_to_live(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    """Transactions by their retention, the detection state by its windows: no table
    grows without end, but the audit trail, which an expiry would let a rewritten record
    leave (it grows by the privileged acts: a few thousand a day)."""
    bp = cdktf_stack.blueprint
    expected = {
        bp.table_name: bp.transaction_ttl_attribute,
        bp.profile_table_name: bp.profile_ttl_attribute,
    }
    rendered = {
        t["name"]: t["ttl"]["attribute_name"]
        for t in cdktf_stack.resources("aws_dynamodb_table").values()
        if t.get("ttl", {}).get("enabled")
    }
    assert rendered == expected
    pulumi_bp = pulumi_stack.blueprint
    assert {
        t.inputs["name"]: t.inputs["ttl"]["attributeName"]
        for t in pulumi_stack.of("aws:dynamodb/table:Table")
        if t.inputs.get("ttl", {}).get("enabled")
    } == {
        pulumi_bp.table_name: pulumi_bp.transaction_ttl_attribute,
        pulumi_bp.profile_table_name: pulumi_bp.profile_ttl_attribute,
    }


def test_visibility_timeout_is_six_times_the_consumers(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    bp = cdktf_stack.blueprint
    notify = bp.functions["notify"]
    queue = cdktf_stack.named("aws_sqs_queue", bp.suspicious_queue.name)
    assert queue["visibility_timeout_seconds"] >= 6 * cdktf_stack.function("notify")["timeout"]
    other = pulumi_stack.named("aws:sqs/queue:Queue", bp.suspicious_queue.name).inputs
    assert other["visibilityTimeoutSeconds"] >= 6 * notify.timeout_seconds


def test_key_policies_grant_the_services_that_use_the_key(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    needed = {
        "sns.amazonaws.com",
        "events.amazonaws.com",
        "cloudwatch.amazonaws.com",
        "logs.us-east-1.amazonaws.com",
    }
    for policy in (
        cdktf_stack.data_key()["policy"],
        pulumi_stack.data_key().inputs["policy"],
    ):
        services = {s["Principal"].get("Service") for s in json.loads(policy)["Statement"]}
        assert needed <= services


def test_wildcards_only_where_aws_has_no_resource_level_permission(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    policies = [p["policy"] for p in cdktf_stack.resources("aws_iam_role_policy").values()]
    policies += [p.inputs["policy"] for p in pulumi_stack.of("aws:iam/rolePolicy:RolePolicy")]
    wildcard_resources = []
    for policy in policies:
        for statement in json.loads(policy)["Statement"]:
            assert not any(a == "*" or a.endswith(":*") for a in statement["Action"])
            if "*" in statement["Resource"]:
                wildcard_resources.append(statement["Sid"])
    assert set(wildcard_resources) <= set(NO_RESOURCE_LEVEL_SIDS)
    assert "VpcNetworkInterfacesHaveNoResourceLevelPermissions" in wildcard_resources


def test_a_wildcard_inside_a_resource_only_ends_one_the_allowlist_explains(
    cdktf_stack: Synthesized, pulumi_stack: Any
) -> None:
    policies = [p["policy"] for p in cdktf_stack.resources("aws_iam_role_policy").values()]
    policies += [p.inputs["policy"] for p in pulumi_stack.of("aws:iam/rolePolicy:RolePolicy")]
    seen: set[str] = set()
    for policy in policies:
        for statement in json.loads(policy)["Statement"]:
            resources = statement["Resource"]
            for resource in [resources] if isinstance(resources, str) else resources:
                if resource == "*" or "*" not in resource:
                    continue
                endings = [e for e in PREFIX_WILDCARDS if resource.endswith(e)]
                assert endings, f"{statement['Sid']}: {resource} is not in the allowlist"
                assert resource.count("*") == 1, resource  # only at the end
                seen.update(endings)
    # every entry is still needed
    assert seen == set(PREFIX_WILDCARDS)


def test_the_audit_table_can_be_protected_from_destroy_by_a_setting() -> None:
    from cardwatch.blueprint import blueprint_for  # noqa: PLC0415
    from cardwatch.infra.common.storage import transaction_store  # noqa: PLC0415

    def protection(**settings: bool) -> dict[str, bool]:
        part = transaction_store(blueprint_for("cdktf", "dev", **settings))
        return {
            r.id: r.inputs["deletion_protection_enabled"]
            for r in part.resources
            if r.kind == "aws_dynamodb_table"
        }

    assert protection() == {
        "transactions": False,
        "profiles": False,
        "audit": False,
        "cases": False,
    }
    assert protection(audit_deletion_protection=True)["audit"] is True
