"""Event routing as neutral specs: stream -> Pipe -> bus -> rule (event pattern) ->
detect, and the EventBridge Scheduler schedules that run analyze, retrain and export.
Every failure ends in the failures DLQ. The functions and that queue are other parts':
their specs ids here are ``function:<key>`` and ``failures-dlq``."""

from __future__ import annotations

import json
from typing import Any

from cardwatch.blueprint import Blueprint, Handle, ScheduleSpec
from cardwatch.infra.common.policies import (
    assume_role_policy,
    pipe_policy,
    queue_send_policy,
    scheduler_policy,
)
from cardwatch.infra.common.specs import ACCOUNT, KEY_ARN, Arns, Json, Part, Ref, Resource

__all__ = [
    "FAILURES_DLQ",
    "EventRoutingResources",
    "event_routing",
    "function_ref",
]

FAILURES_DLQ = "failures-dlq"


def function_ref(key: str) -> str:
    """The id an other part's function is known by here."""
    return f"function:{key}"


def _retries(blueprint: Blueprint) -> dict[str, int]:
    return {
        "maximum_retry_attempts": blueprint.async_retry_attempts,
        "maximum_event_age_in_seconds": blueprint.max_event_age_seconds,
    }


def _pipe(blueprint: Blueprint) -> list[Resource]:
    dlq, stream = Ref(FAILURES_DLQ), Arns(Handle.TABLE_STREAM, 0)
    window = blueprint.pipe_batching_window_seconds
    return [
        Resource(
            "aws_iam_role",
            "pipe-role",
            {
                "name": blueprint.name("transaction-stream-pipe"),
                "assume_role_policy": Json(assume_role_policy("pipes.amazonaws.com", ACCOUNT)),
            },
        ),
        Resource(
            "aws_iam_role_policy",
            "pipe-policy",
            {
                "role": Ref("pipe-role", "id"),
                "name": "stream-to-bus",
                "policy": Json(pipe_policy(stream, Ref("bus"), dlq, KEY_ARN)),
            },
        ),
        Resource(
            "aws_pipes_pipe",
            "pipe",
            {
                "name": blueprint.pipe_name,
                "role_arn": Ref("pipe-role"),
                "source": stream,
                "target": Ref("bus"),
                "source_parameters": {
                    "dynamodb_stream_parameters": {
                        "starting_position": "LATEST",
                        "batch_size": blueprint.pipe_batch_size,
                        "parallelization_factor": blueprint.pipe_parallelization_factor,
                        "maximum_batching_window_in_seconds": window,
                        "on_partial_batch_item_failure": blueprint.pipe_partial_batch_failure,
                        "maximum_retry_attempts": blueprint.pipe_retry_attempts,
                        "dead_letter_config": {"arn": dlq},
                    },
                    "filter_criteria": {"filter": [{"pattern": json.dumps(blueprint.pipe_filter)}]},
                },
                "target_parameters": {
                    "eventbridge_event_bus_parameters": {
                        "source": blueprint.event_source,
                        "detail_type": blueprint.event_detail_type,
                    }
                },
            },
            depends_on=("pipe-policy",),
        ),
    ]


def _rule(blueprint: Blueprint) -> list[Resource]:
    detect, dlq = function_ref("detect"), Ref(FAILURES_DLQ)
    return [
        Resource(
            "aws_cloudwatch_event_rule",
            "rule",
            {
                "name": blueprint.rule_name,
                "event_bus_name": Ref("bus", "name"),
                "event_pattern": json.dumps(blueprint.rule_pattern),
            },
        ),
        Resource(
            "aws_cloudwatch_event_target",
            "rule-target",
            {
                "rule": Ref("rule", "name"),
                "event_bus_name": Ref("bus", "name"),
                "arn": Ref(detect),
                "target_id": "detect",
                "dead_letter_config": {"arn": dlq},
                "retry_policy": _retries(blueprint),
            },
        ),
        Resource(
            "aws_lambda_permission",
            "rule-invokes-detect",
            {
                "statement_id": "EventBridgeInvokesDetect",
                "action": "lambda:InvokeFunction",
                "function_name": Ref(detect, "function_name"),
                "principal": "events.amazonaws.com",
                "source_arn": Ref("rule"),
            },
        ),
        Resource(
            "aws_sqs_queue_policy",
            "failures-dlq-policy",
            {
                "queue_url": Ref(FAILURES_DLQ, "url"),
                "policy": Json(
                    queue_send_policy(
                        "RuleTargetDeadLetters", "events.amazonaws.com", dlq, Ref("rule")
                    )
                ),
            },
        ),
    ]


def _schedule(blueprint: Blueprint, spec: ScheduleSpec) -> list[Resource]:
    function, dlq = Ref(function_ref(spec.function)), Ref(FAILURES_DLQ)
    role = f"{spec.id_prefix}scheduler-role"
    return [
        Resource(
            "aws_iam_role",
            role,
            {
                "name": spec.role_name,
                "assume_role_policy": Json(assume_role_policy("scheduler.amazonaws.com", ACCOUNT)),
            },
        ),
        Resource(
            "aws_iam_role_policy",
            f"{spec.id_prefix}scheduler-policy",
            {
                "role": Ref(role, "id"),
                "name": spec.policy_name,
                "policy": Json(scheduler_policy(function, dlq, KEY_ARN, spec.statement_id)),
            },
        ),
        Resource(
            "aws_scheduler_schedule",
            f"{spec.id_prefix}schedule",
            {
                "name": spec.name,
                "schedule_expression": spec.expression,
                "kms_key_arn": KEY_ARN,
                "flexible_time_window": {"mode": "OFF"},
                "target": {
                    "arn": function,
                    "role_arn": Ref(role),
                    "dead_letter_config": {"arn": dlq},
                    "retry_policy": _retries(blueprint),
                },
            },
        ),
    ]


def event_routing(blueprint: Blueprint) -> Part:
    return Part(
        (
            Resource("aws_cloudwatch_event_bus", "bus", {"name": blueprint.event_bus_name}),
            *_pipe(blueprint),
            *_rule(blueprint),
            *(r for spec in blueprint.schedules for r in _schedule(blueprint, spec)),
        ),
        exposes={
            "bus": "bus",
            "pipe": "pipe",
            "rule": "rule",
            "schedules": {s.key: f"{s.id_prefix}schedule" for s in blueprint.schedules},
        },
    )


class EventRoutingResources:
    """What the part's Construct or ComponentResource holds for the other parts: the
    rendered resources its :attr:`~cardwatch.infra.common.specs.Part.exposes` names."""

    bus: Any
    pipe: Any
    rule: Any
    schedules: dict[str, Any]
