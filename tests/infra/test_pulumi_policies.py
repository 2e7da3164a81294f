"""Policy checks for the Pulumi program (checkov cannot read Pulumi programs).

Each rule mirrors a checkov check that the CDKTF deployment passes, applied to every
resource's inputs as captured under the mocks. A violation must be listed, with its
reason, in the same allowlist the CDKTF deployment uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cardwatch.infra.common.policies import NO_RESOURCE_LEVEL_SIDS

ALLOWLIST = Path(__file__).resolve().parents[2] / "deploy" / "checkov-allowlist.json"
Rule = tuple[str, str, Callable[[dict[str, Any]], bool]]


def _no_wildcard_actions(inputs: dict[str, Any]) -> bool:
    statements = json.loads(inputs["policy"])["Statement"]
    return all(
        not any(a == "*" or a.endswith(":*") for a in s["Action"])
        and ("*" not in s["Resource"] or s["Sid"] in NO_RESOURCE_LEVEL_SIDS)
        for s in statements
    )


RULES: list[Rule] = [
    (  # as checkov: automatic rotation exists for symmetric encryption keys only
        "CKV_AWS_7",
        "aws:kms/key:Key",
        lambda i: (
            i.get("enableKeyRotation") is True
            or i.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT"
        ),
    ),
    ("CKV_AWS_27", "aws:sqs/queue:Queue", lambda i: bool(i.get("kmsMasterKeyId"))),
    ("CKV_AWS_26", "aws:sns/topic:Topic", lambda i: bool(i.get("kmsMasterKeyId"))),
    (
        "CKV_AWS_28",
        "aws:dynamodb/table:Table",
        lambda i: i.get("pointInTimeRecovery", {}).get("enabled") is True,
    ),
    (
        "CKV_AWS_119",
        "aws:dynamodb/table:Table",
        lambda i: bool(i.get("serverSideEncryption", {}).get("kmsKeyArn")),
    ),
    ("CKV_AWS_158", "aws:cloudwatch/logGroup:LogGroup", lambda i: bool(i.get("kmsKeyId"))),
    (
        "CKV_AWS_338",
        "aws:cloudwatch/logGroup:LogGroup",
        lambda i: i.get("retentionInDays", 0) >= 365,
    ),
    (
        "CKV_AWS_50",
        "aws:lambda/function:Function",
        lambda i: i.get("tracingConfig", {}).get("mode") == "Active",
    ),
    (
        "CKV_AWS_116",
        "aws:lambda/function:Function",
        lambda i: bool(i.get("deadLetterConfig", {}).get("targetArn")),
    ),
    (
        "CKV_AWS_115",
        "aws:lambda/function:Function",
        lambda i: i.get("reservedConcurrentExecutions") is not None,
    ),
    ("CKV_AWS_173", "aws:lambda/function:Function", lambda i: bool(i.get("kmsKeyArn"))),
    ("CKV_AWS_117", "aws:lambda/function:Function", lambda i: bool(i.get("vpcConfig"))),
    ("CKV_AWS_272", "aws:lambda/function:Function", lambda i: bool(i.get("codeSigningConfigArn"))),
    ("CKV_AWS_73", "aws:apigateway/stage:Stage", lambda i: i.get("xrayTracingEnabled") is True),
    ("CKV_AWS_76", "aws:apigateway/stage:Stage", lambda i: bool(i.get("accessLogSettings"))),
    ("CKV2_AWS_34", "aws:ssm/parameter:Parameter", lambda i: i.get("type") == "SecureString"),
    ("CKV_AWS_290", "aws:iam/rolePolicy:RolePolicy", _no_wildcard_actions),
]


def violations(recorded: Any) -> set[tuple[str, str]]:
    found = set()
    for check_id, kind, holds in RULES:
        for resource in recorded.of(kind):
            if not holds(resource.inputs):
                found.add((check_id, resource.name))
    return found


def accepted() -> set[tuple[str, str]]:
    entries = json.loads(ALLOWLIST.read_text())["accepted"]
    return {(e["check_id"], e["resource"].split("_", 1)[1]) for e in entries}


@pytest.mark.requirement("R003-16")
@pytest.mark.requirement("R003-17")
def test_the_pulumi_program_passes_the_policy_rules(pulumi_stack: Any) -> None:
    assert violations(pulumi_stack) - accepted() == set()


def test_the_rules_can_fail() -> None:
    class Fake:
        def of(self, kind: str) -> list[Any]:
            from tests.support.pulumi_harness import Recorded  # noqa: PLC0415

            return [
                Recorded(
                    kind,
                    "plain",
                    {
                        "policy": json.dumps(
                            {"Statement": [{"Sid": "x", "Action": ["s3:*"], "Resource": ["*"]}]}
                        )
                    },
                )
            ]

    assert {check for check, _name in violations(Fake())} == {rule[0] for rule in RULES}
