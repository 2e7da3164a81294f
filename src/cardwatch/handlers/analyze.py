"""The analyze function: run by EventBridge Scheduler every five minutes."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.handlers.observability import powertools
from cardwatch.handlers.wiring import analyze as wiring
from cardwatch.services.analyze import AnalysisService

logger, tracer, metrics = powertools("analyze")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(
    event: dict[str, Any],
    context: LambdaContext,
    service: AnalysisService | None = None,
    now_ms: int | None = None,
) -> dict[str, Any]:
    # A schedule's input may name the window to analyze (a re-run or a backfill).
    requested = event.get("window_end_ms") if isinstance(event, dict) else None
    if now_ms is None:
        now_ms = int(requested) if requested is not None else int(time.time() * 1000)
    detected_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    report = (service or wiring.analysis_service()).run(now_ms, detected_at)
    elapsed_ms = (time.perf_counter() - started) * 1000
    metrics.add_metric(name="WindowTransactions", unit=MetricUnit.Count, value=report.transactions)
    metrics.add_metric(name="PatternFindings", unit=MetricUnit.Count, value=len(report.findings))
    metrics.add_metric(name="AnalysisDuration", unit=MetricUnit.Milliseconds, value=elapsed_ms)
    summary = {
        "window_start_ms": report.window_start_ms,
        "window_end_ms": report.window_end_ms,
        "transactions": report.transactions,
        "findings": [f"{f.pattern}:{f.subject}" for f in report.findings],
        "duration_ms": round(elapsed_ms, 1),
    }
    logger.info("window analyzed", extra=summary)
    return summary
