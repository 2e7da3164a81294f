"""Powertools Logger, Tracer and Metrics for one function.

Each function logs under its own service name (``cardwatch-ingest``...), so its log
lines, traces and metric dimensions say which function wrote them, even when local mode
runs all four in one process.

Each ``Metrics`` keeps a metric set of its own. Powertools' default is one set per
process, shared by every instance; a Lambda process holds one execution environment, so
that is the same thing there. Local mode runs several environments of several functions
in one process: with a shared set one invocation's flush would publish another's metrics
under its own dimensions, and the other's flush would find none and raise.

An invocation that counted nothing (a batch of approvals, an analysis with no
pattern) is normal: Powertools' warning that it has no metric to publish is silenced,
in Lambda's log and in local mode's terminal alike.
"""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

from cardwatch.blueprint import Blueprint

__all__ = ["powertools", "service_name"]

warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def service_name(function_key: str) -> str:
    return f"{Blueprint.service_name}-{function_key}"


def powertools(function_key: str) -> tuple[Logger, Tracer, Metrics]:
    service = service_name(function_key)
    return (
        Logger(service=service),
        Tracer(service=service),
        Metrics(
            provider=AmazonCloudWatchEMFProvider(
                namespace=Blueprint.metrics_namespace,
                service=service,
                metric_set={},
                dimension_set={},
                metadata_set={},
                default_dimensions={},
            )
        ),
    )
