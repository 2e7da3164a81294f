"""Every IAM policy of both deployments through parliament, a maintained IAM policy
linter (issue 15): no finding beyond the accepted ones, each with its reason.

The renderers' references (CDKTF interpolations, the Pulumi mocks' ARNs) are resolved to
ARNs in each service's own format first, so the linter checks each action against the
resource type it really names.
"""

from __future__ import annotations

import gc
import json
import re
import warnings
from typing import Any

import pytest

with warnings.catch_warnings():
    # parliament opens its config without closing it: let that file go quietly here
    warnings.simplefilter("ignore", ResourceWarning)
    import parliament

    gc.collect()

from tests.support.infra import Synthesized
from tests.support.pulumi_harness import ACCOUNT

REGION = "us-east-1"
#: resource kind -> its ARN format ({n}: a name)
_FORMATS = {
    "sqs": "arn:aws:sqs:{r}:{a}:{n}",
    "dynamodb": "arn:aws:dynamodb:{r}:{a}:table/{n}",
    "kms": "arn:aws:kms:{r}:{a}:key/{n}",
    "lambda": "arn:aws:lambda:{r}:{a}:function:{n}",
    "sns": "arn:aws:sns:{r}:{a}:{n}",
    "events": "arn:aws:events:{r}:{a}:event-bus/{n}",
    "logs": "arn:aws:logs:{r}:{a}:log-group:{n}",
    "s3": "arn:aws:s3:::{n}",
    "athena": "arn:aws:athena:{r}:{a}:workgroup/{n}",
    "firehose": "arn:aws:firehose:{r}:{a}:deliverystream/{n}",
    "execute-api": "arn:aws:execute-api:{r}:{a}:{n}",
}
_TERRAFORM_KINDS = {
    "aws_sqs_queue": "sqs",
    "aws_dynamodb_table": "dynamodb",
    "aws_kms_key": "kms",
    "aws_lambda_function": "lambda",
    "aws_sns_topic": "sns",
    "aws_cloudwatch_event_bus": "events",
    "aws_cloudwatch_log_group": "logs",
    "aws_s3_bucket": "s3",
    "aws_athena_workgroup": "athena",
    "aws_kinesis_firehose_delivery_stream": "firehose",
    "aws_api_gateway_rest_api": "execute-api",
}
_PULUMI_KINDS = {
    "sqs/queue:Queue": "sqs",
    "dynamodb/table:Table": "dynamodb",
    "kms/key:Key": "kms",
    "lambda/function:Function": "lambda",
    "sns/topic:Topic": "sns",
    "cloudwatch/eventBus:EventBus": "events",
    "cloudwatch/logGroup:LogGroup": "logs",
    "s3/bucket:Bucket": "s3",
    "athena/workgroup:Workgroup": "athena",
    "kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": "firehose",
}
#: (policy, issue) pairs the project accepts, with the reason
_ENI = (
    "Lambda creates, attaches and deletes a VPC function's network interfaces with its "
    "execution role, in subnets and security groups it learns at run time; AWS's own "
    "policy for it (AWSLambdaVPCAccessExecutionRole) grants these on *. Scoped to the "
    "region by a condition."
)
ACCEPTED: dict[tuple[str, str], str] = {
    ("cdktf:transaction-ingest-dev-least-privilege", "RESOURCE_STAR"): _ENI,
    ("cdktf:fraud-detect-dev-least-privilege", "RESOURCE_STAR"): _ENI,
    ("cdktf:fraud-decide-dev-least-privilege", "RESOURCE_STAR"): _ENI,
    ("ingest-policy", "RESOURCE_STAR"): _ENI,
    ("decide-policy", "RESOURCE_STAR"): _ENI,
    ("detect-policy", "RESOURCE_STAR"): _ENI,
}


def _arn(kind: str, name: str) -> str:
    return _FORMATS[kind].format(r=REGION, a=ACCOUNT, n=name)


def resolve_terraform(text: str) -> str:
    text = text.replace("${data.aws_caller_identity.account.account_id}", ACCOUNT)
    # an IAM policy variable, as Terraform's literal escape writes it
    text = text.replace("$${aws:", "<aws:")

    def reference(match: re.Match[str]) -> str:
        kind, logical, attribute = match.groups()
        if attribute == "execution_arn":
            return _arn("execute-api", "a1b2c3d4e5")
        if attribute == "stream_arn":
            return f"{_arn('dynamodb', logical)}/stream/2026-01-01T000000.000"
        return _arn(_TERRAFORM_KINDS[kind], logical)

    resolved = re.sub(
        r"\$\{(aws_[a-z0-9_]+)\.([\w-]+)\.(arn|stream_arn|execution_arn)\}", reference, text
    )
    assert "${" not in resolved, f"an unresolved reference: {resolved}"
    return resolved.replace("<aws:", "${aws:")


def resolve_pulumi(text: str) -> str:
    def reference(match: re.Match[str]) -> str:
        kind, name = match.groups()
        return _arn(_PULUMI_KINDS[kind], name)

    kind = r"([a-zA-Z0-9]+/[a-zA-Z]+:[a-zA-Z]+)"
    pattern = rf"arn:aws:mock:{REGION}:{ACCOUNT}:aws:{kind}/([\w/.-]+?)(?=:\*|/[\w/.-]*\*|\"|$)"
    resolved = re.sub(pattern, reference, text)
    assert "arn:aws:mock" not in resolved, f"an unresolved reference: {resolved}"
    return resolved


def findings(policies: dict[str, str]) -> set[tuple[str, str]]:
    found = set()
    for name, text in policies.items():
        analyzed = parliament.analyze_policy_string(text, ignore_private_auditors=True)
        found |= {(name, finding.issue) for finding in analyzed.findings}
    return found


def test_every_role_policy_passes_the_linter(
    cdktf_vpc_stack: Synthesized, pulumi_stack: Any
) -> None:
    cdktf = {
        p["name"]: resolve_terraform(p["policy"])
        for p in cdktf_vpc_stack.resources("aws_iam_role_policy").values()
    }
    pulumi = {
        p.name: resolve_pulumi(p.inputs["policy"])
        for p in pulumi_stack.of("aws:iam/rolePolicy:RolePolicy")
    }
    assert len(cdktf) >= 8 and len(pulumi) >= 8
    found = findings({**{f"cdktf:{k}": v for k, v in cdktf.items()}, **pulumi})
    assert found - set(ACCEPTED) == set()
    assert all(ACCEPTED.values())


def test_the_linter_sees_what_it_should() -> None:
    """A grant the linter must refuse: ListStreams on a stream (it authorizes on * only)."""
    bad = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:ListStreams"],
                "Resource": [f"{_arn('dynamodb', 't')}/stream/x"],
            }
        ],
    }
    assert ("bad", "RESOURCE_MISMATCH") in findings({"bad": json.dumps(bad)})


@pytest.mark.parametrize(
    "reference",
    ["${aws_sqs_queue.q.arn}", "${aws_dynamodb_table.t.stream_arn}"],
)
def test_references_resolve_to_real_arns(reference: str) -> None:
    assert resolve_terraform(reference).startswith("arn:aws:")
