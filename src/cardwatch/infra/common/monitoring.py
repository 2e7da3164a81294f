"""The alarms, as neutral specs (:mod:`cardwatch.infra.common.specs`): every input in
Terraform's spelling, each literal written here once; every alarm notifies the
operators' topic."""

from __future__ import annotations

from typing import Any

from cardwatch.blueprint import Blueprint, Handle
from cardwatch.infra.common.specs import Arns, Part, Resource

__all__ = ["alarms"]

_LAMBDA, _SQS = "AWS/Lambda", "AWS/SQS"
#: every alarm fires on a value above its threshold (a quiet metric is no alarm), and
#: tells the operators when it fires and when it clears
_ALWAYS = {
    "comparison_operator": "GreaterThanThreshold",
    "treat_missing_data": "notBreaching",
    "alarm_actions": Arns(Handle.OPS_TOPIC),
    "ok_actions": Arns(Handle.OPS_TOPIC),
}
_KIND = "aws_cloudwatch_metric_alarm"


def _error_rate(blueprint: Blueprint, key: str) -> Resource:
    spec, period = blueprint.functions[key], blueprint.error_rate_period_seconds
    threshold = blueprint.error_rate_threshold_percent

    def metric(name: str) -> dict[str, Any]:
        return {
            "metric_name": name,
            "namespace": _LAMBDA,
            "period": period,
            "stat": "Sum",
            "dimensions": {"FunctionName": spec.name},
        }

    return Resource(
        _KIND,
        f"{key}-error-rate",
        {
            "alarm_name": spec.error_alarm_name,
            "alarm_description": f"{spec.name}: more than {threshold} % of invocations "
            f"failed over {period // 60} minutes",
            "threshold": threshold,
            "evaluation_periods": 1,
            **_ALWAYS,
            "metric_query": [
                {"id": "errors", "metric": metric("Errors")},
                {"id": "invocations", "metric": metric("Invocations")},
                {
                    "id": "error_rate",
                    "label": "error rate (%)",
                    "return_data": True,
                    "expression": "IF(invocations > 0, 100 * errors / invocations, 0)",
                },
            ],
        },
    )


def _single(
    name: str,
    description: str,
    *,
    metric: tuple[str, str, dict[str, str]],
    statistic: str,
    period: int,
    threshold: float,
    evaluation_periods: int = 1,
) -> dict[str, Any]:
    namespace, metric_name, dimensions = metric
    return {
        "alarm_name": name,
        "alarm_description": description,
        "namespace": namespace,
        "metric_name": metric_name,
        "dimensions": dimensions,
        "statistic": statistic,
        "period": period,
        "threshold": threshold,
        "evaluation_periods": evaluation_periods,
        **_ALWAYS,
    }


def alarms(blueprint: Blueprint) -> Part:
    """Per function, its error rate (errors / invocations, metric math); per metric the
    functions emit, any count; aggregate's lag on the profile stream; per dead-letter
    queue, any message waiting."""
    period = blueprint.error_rate_period_seconds
    found = [_error_rate(blueprint, key) for key in blueprint.functions]
    found += [
        Resource(
            _KIND,
            alarm.key,
            _single(
                alarm.name,
                alarm.description,
                metric=(blueprint.metrics_namespace, alarm.metric_name, {"service": alarm.service}),
                statistic="Sum",
                period=period,
                threshold=0,
            ),
        )
        for alarm in blueprint.metric_alarms
    ]
    aggregate = blueprint.functions["aggregate"].name
    found.append(
        Resource(
            _KIND,
            "aggregate-lag",
            _single(
                blueprint.aggregate_lag_alarm_name,
                "aggregate's fold of the profile stream runs late: the terminals' and "
                "devices' counts lag (throttling, or failing batches)",
                metric=(_LAMBDA, "IteratorAge", {"FunctionName": aggregate}),
                statistic="Maximum",
                period=60,
                threshold=blueprint.aggregate_max_lag_seconds * 1000,
                evaluation_periods=5,
            ),
        )
    )
    for attribute in blueprint.dead_letter_attributes:
        queue = getattr(blueprint, attribute)
        found.append(
            Resource(
                _KIND,
                f"{attribute.replace('_', '-')}-depth",
                _single(
                    blueprint.dead_letter_alarm_name(queue),
                    f"{queue.name}: messages waiting (inspect and redrive)",
                    metric=(_SQS, "ApproximateNumberOfMessagesVisible", {"QueueName": queue.name}),
                    statistic="Maximum",
                    period=period,
                    threshold=0,
                ),
            )
        )
    return Part(tuple(found))
