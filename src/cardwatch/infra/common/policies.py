"""IAM and key policies, rendered from the blueprint for both deployments.

A renderer passes ``arns``: a function from a blueprint resource name (the names in
:attr:`cardwatch.blueprint.FunctionSpec.grants`) to the ARNs it has for it, as plain
strings or as its own tokens. Every statement names its resources, except where AWS
has no resource-level permission (X-Ray segment writes, VPC network interfaces): those
carry a ``Sid`` that says so, and are scoped by conditions where AWS allows it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cardwatch.blueprint import AnalystRole, Blueprint, FunctionSpec, Handle
from cardwatch.infra.common.monitoring import alarms

__all__ = [
    "NO_RESOURCE_LEVEL_SIDS",
    "PREFIX_WILDCARDS",
    "analyst_policy",
    "assume_role_policy",
    "function_policy",
    "key_policy",
    "people_trust_policy",
    "pipe_policy",
    "scheduler_policy",
    "sns_feedback_policy",
    "sns_tracing_policy",
    "tls_only_bucket_policy",
    "token_key_policy",
]

Arns = Callable[[Handle], list[Any]]
Policy = dict[str, Any]

#: Statements whose resource must be "*" because the actions have no resource-level
#: permissions in AWS (Service Authorization Reference).
NO_RESOURCE_LEVEL_SIDS = (
    "XRayWritesHaveNoResourceLevelPermissions",
    "VpcNetworkInterfacesHaveNoResourceLevelPermissions",
    "LogGroupListingHasNoResourceLevelPermissions",
)
#: Resources that end in a wildcard, by their ending, and why: each names the members of
#: one resource that AWS or the functions make at run time, never known at deploy time.
PREFIX_WILDCARDS = {
    ":*": "a log group's streams, which Lambda, SNS and the flow logs name as they write",
    "/export/*": "the table's exports to S3, each named by DynamoDB when it starts",
    "/*": "the objects under one prefix of a bucket (exports, query results, training "
    "sets, model versions), named as they are written",
}
#: logs:DescribeLogGroups lists the account's groups: it authorizes on "*" only
_LIST_LOG_GROUPS = {
    "Sid": NO_RESOURCE_LEVEL_SIDS[2],
    "Effect": "Allow",
    "Action": ["logs:DescribeLogGroups"],
    "Resource": ["*"],
}

_XRAY = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
_ENI = (
    "ec2:CreateNetworkInterface",
    "ec2:DescribeSubnets",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
)


def _document(statements: list[dict[str, Any]]) -> Policy:
    return {"Version": "2012-10-17", "Statement": statements}


def _allow(  # resources: strings, CDKTF tokens or Pulumi Outputs
    sid: str,
    actions: tuple[str, ...] | list[str],
    resources: list[str],
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": resources,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def assume_role_policy(service: str, source_account: Any = None) -> Policy:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return _document([statement])


def people_trust_policy(account_root: Any) -> Policy:
    """A role people take: assumable by the account's own IAM users (the account
    decides who, through their policies), each only under a session named for
    themselves, so no one can act under another's name (the session's name is what
    every label, note and audit record keeps)."""
    return _document(
        [
            {
                "Effect": "Allow",
                "Principal": {"AWS": account_root},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:RoleSessionName": "${aws:username}"}},
            }
        ]
    )


def analyst_policy(role: AnalystRole, arns: Arns, routes_under: Any, text: Any) -> Policy:
    """A console role's policy: ``execute-api:Invoke`` on its routes (``routes_under``:
    the API's execution ARN and stage, ``text`` joins it with a route as the renderer
    does), and its grants on the deployment's resources."""
    statements = [
        _allow(
            "InvokeOwnRoutes",
            ("execute-api:Invoke",),
            [text((routes_under, f"/{method}/{path}")) for method, path in role.routes],
        )
    ]
    for index, (target, actions) in enumerate(role.grants):
        statements.append(
            _allow(f"Grant{index}{target.title().replace('_', '')}", actions, arns(target))
        )
    return _document(statements)


def function_policy(
    blueprint: Blueprint, spec: FunctionSpec, arns: Arns, log_group_arns: list[Any]
) -> Policy:
    """The whole policy of one function's role; ``log_group_arns``: its log group's ARN
    and its streams' (``<arn>:*``), as the renderer spells them."""
    statements = [
        _allow(
            "WriteOwnLogs",
            ("logs:CreateLogStream", "logs:PutLogEvents"),
            log_group_arns,
        ),
        _allow(NO_RESOURCE_LEVEL_SIDS[0], _XRAY, ["*"]),
    ]
    for index, (target, actions) in enumerate(spec.grants):
        statements.append(
            _allow(f"Grant{index}{target.title().replace('_', '')}", actions, arns(target))
        )
    if spec.writes_secure:
        # Parameter Store encrypts a SecureString it is given with the caller's rights,
        # binding the parameter's ARN into the encryption context: only those parameters
        statements.append(
            _allow(
                "EncryptOwnSecureStrings",
                ("kms:Encrypt",),
                arns(Handle.KEY),
                {
                    "StringEquals": {
                        "kms:EncryptionContext:PARAMETER_ARN": [
                            arn for handle in spec.writes_secure for arn in arns(handle)
                        ]
                    }
                },
            )
        )
    if spec.in_vpc:
        statements.append(
            _allow(
                NO_RESOURCE_LEVEL_SIDS[1],
                _ENI,
                ["*"],
                {"StringEquals": {"aws:RequestedRegion": blueprint.region}},
            )
        )
    return _document(statements)


_KEY_ADMIN = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:CreateGrant",
    "kms:RetireGrant",
)
_DATA_KEY_USE = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")


def _account_administers(account_id: str, partition: str, use: tuple[str, ...]) -> dict[str, Any]:
    """The account administers the key, and its IAM policies may grant ``use``."""
    return {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": [*_KEY_ADMIN, *use],
        "Resource": "*",
    }


def token_key_policy(account_id: str, partition: str = "aws") -> Policy:
    """The card-token HMAC key's policy: no service uses it; the account administers it,
    and the ingest role's policy grants GenerateMac (nothing grants VerifyMac: no one
    needs to check a token against a key outside ingest)."""
    return _document([_account_administers(account_id, partition, ("kms:GenerateMac",))])


def key_policy(blueprint: Blueprint, account_id: str, partition: str = "aws") -> Policy:
    """The CMK's policy: the account administers it; each service that encrypts or
    decrypts with it on the account's behalf may, for this deployment's resources only
    (``aws:SourceArn``: the alert topic, the rule, the alarms; CloudWatch Logs by the
    log group in the encryption context). SQS, Pipes and Scheduler are not among them:
    they use the key with their caller's (or their role's) credentials, which the role
    policies grant."""
    region = blueprint.region
    use = ["kms:Decrypt", "kms:GenerateDataKey*"]
    log_groups = f"arn:{partition}:logs:{region}:{account_id}:log-group:*"

    def sources(*arns: str) -> dict[str, Any]:
        return {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnEquals": {"aws:SourceArn": sorted(arns)},
        }

    def arn(service: str, resource: str) -> str:
        return f"arn:{partition}:{service}:{region}:{account_id}:{resource}"

    def service(
        sid: str, principal: str, actions: list[str], condition: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": {"Service": principal},
            "Action": actions,
            "Resource": "*",
            "Condition": condition,
        }

    return _document(
        [
            _account_administers(account_id, partition, _DATA_KEY_USE),
            service(
                "CloudWatchLogsEncryptLogGroups",
                f"logs.{region}.amazonaws.com",
                [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            ),
            service(
                "SnsDeliversToEncryptedQueues",
                "sns.amazonaws.com",
                use,
                sources(arn("sns", blueprint.alert_topic_name)),
            ),
            service(
                "EventBridgeSendsToEncryptedQueues",
                "events.amazonaws.com",
                use,
                sources(arn("events", f"rule/{blueprint.event_bus_name}/{blueprint.rule_name}")),
            ),
            service(
                "CloudWatchAlarmsPublishToEncryptedTopic",
                "cloudwatch.amazonaws.com",
                use,
                sources(
                    *(
                        arn("cloudwatch", f"alarm:{alarm.inputs['alarm_name']}")
                        for alarm in alarms(blueprint).resources
                    )
                ),
            ),
        ]
    )


def sns_tracing_policy(topic_arn: Any, account_id: Any) -> Policy:
    """X-Ray's resource policy for SNS active tracing: SNS may send the alert topic's
    segments and read sampling rules, for this account's topic only. (X-Ray's actions
    have no resource-level permission: the conditions scope it.)"""
    return _document(
        [
            {
                "Sid": "SnsSendsAlertTopicTraces",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": [
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:PutTraceSegments",
                ],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": topic_arn},
                },
            }
        ]
    )


def pipe_policy(stream_arn: Any, bus_arn: Any, dlq_arn: Any, key_arn: Any) -> Policy:
    return _document(
        [
            # (no dynamodb:ListStreams: it authorizes on "*" only, so granted on the
            # stream it granted nothing; the pipe is given its stream's ARN)
            _allow(
                "ReadTableStream",
                ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"),
                [stream_arn],
            ),
            _allow("PutOnBus", ("events:PutEvents",), [bus_arn]),
            _allow("FailuresToDlq", ("sqs:SendMessage",), [dlq_arn]),
            _allow("UseDataKey", ("kms:Decrypt", "kms:GenerateDataKey"), [key_arn]),
        ]
    )


def scheduler_policy(
    function_arn: Any, dlq_arn: Any, key_arn: Any, sid: str = "InvokeAnalyzer"
) -> Policy:
    return _document(
        [
            _allow(sid, ("lambda:InvokeFunction",), [function_arn]),
            _allow("FailuresToDlq", ("sqs:SendMessage",), [dlq_arn]),
            _allow("UseDataKey", ("kms:Decrypt", "kms:GenerateDataKey"), [key_arn]),
        ]
    )


def sns_feedback_policy(log_group_arns: list[Any]) -> Policy:
    """SNS delivery-status logging writes to ``sns/<region>/<account>/<topic>[/Failure]``:
    the deployment made those groups, so SNS only writes streams to them."""
    return _document(
        [
            _allow(
                "WriteDeliveryStatusLogs",
                ("logs:CreateLogStream", "logs:PutLogEvents"),
                log_group_arns,
            ),
        ]
    )


def flow_logs_policy(log_group_arns: list[Any]) -> Policy:
    """VPC flow logs write to their own log group, and look it up among the account's."""
    return _document(
        [
            _allow(
                "WriteFlowLogs",
                ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"),
                log_group_arns,
            ),
            dict(_LIST_LOG_GROUPS),
        ]
    )


def queue_send_policy(sid: str, service: str, queue_arn: Any, source_arn: Any) -> Policy:
    """A queue policy: ``service`` may send, on behalf of ``source_arn`` only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}},
            }
        ],
    }


def tls_only_bucket_policy(bucket_arn: Any, objects_arn: Any) -> Policy:
    """A bucket that refuses every request not made over TLS (``objects_arn``: its
    ``/*``)."""
    return _document(
        [
            {
                "Sid": "RefuseUnencryptedTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, objects_arn],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    )
