"""The retrain function: fits a challenger on the training set Athena builds from the
decision log's exports (never a Scan of the table), judges it against the champion,
publishes it and moves the model pointer (promoted, or in shadow).

Run by EventBridge Scheduler on the deployment's schedule (weekly by default) and on
demand (``cardwatch model train``), whose payload may change one run's settings:
``{"settings": {"evaluation_days": 7, "auto_promote": false}}``.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.handlers.observability import powertools
from cardwatch.handlers.wiring import retrain as wiring
from cardwatch.training.retraining import retrain

logger, tracer, metrics = powertools("retrain")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    overrides = event.get("settings") if isinstance(event, dict) else None
    chosen = wiring.config(overrides if isinstance(overrides, dict) else None)
    started = time.perf_counter()
    source = wiring.training_source(chosen)
    report = retrain(
        source,
        wiring.registry(chosen),
        wiring.settings(chosen),
        audit=wiring.audit_trail(chosen),
        actor=f"function:{context.function_name}",
    )
    elapsed = time.perf_counter() - started
    if source.last is not None:
        metrics.add_metric(
            name="TrainingSetScannedBytes", unit=MetricUnit.Bytes, value=source.last.scanned_bytes
        )
    metrics.add_metric(name="RetrainDuration", unit=MetricUnit.Seconds, value=elapsed)
    metrics.add_metric(name="RetrainRowsRead", unit=MetricUnit.Count, value=report.read)
    metrics.add_metric(name=f"Retrain{report.outcome.title()}", unit=MetricUnit.Count, value=1)
    summary = report.to_record() | {"duration_s": round(elapsed, 1)}
    if source.last is not None:
        summary |= {
            "training_set": source.last.location,
            "scanned_bytes": source.last.scanned_bytes,
        }
    logger.info("retraining finished", extra=summary)
    return summary
