"""Powertools Logger, Tracer and Metrics for one function.

Each function logs under its own service name (``cardwatch-ingest``...), so its log
lines, traces and metric dimensions say which function wrote them, even when local mode
runs all four in one process.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from cardwatch.blueprint import Blueprint

__all__ = ["powertools", "service_name"]


def service_name(function_key: str) -> str:
    return f"{Blueprint.service_name}-{function_key}"


def powertools(function_key: str) -> tuple[Logger, Tracer, Metrics]:
    service = service_name(function_key)
    return (
        Logger(service=service),
        Tracer(service=service),
        Metrics(namespace=Blueprint.metrics_namespace, service=service),
    )
