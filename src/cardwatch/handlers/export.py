"""The export function: keeps the decision log's exports to S3 current and catalogued.

Run by EventBridge Scheduler (every six hours by default): registers each completed
export in the Glue table Athena reads, and starts the next export when one is due (see
:mod:`cardwatch.services.history_export`). Invoked on demand with ``{"as_of_ms": T}``,
it makes the catalog hold the table as of ``T``: a full export when no incremental one
may be taken yet (an operator's training on the log as it is; never on the schedule).
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.handlers.observability import powertools
from cardwatch.handlers.wiring import export as wiring
from cardwatch.services.history_export import keep_exporting

logger, tracer, metrics = powertools("export")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    chosen = wiring.config()
    asked = event.get("as_of_ms") if isinstance(event, dict) else None
    run = keep_exporting(
        wiring.exports(chosen),
        wiring.catalog(chosen),
        now_micros=time.time_ns() // 1000,
        every_micros=int(chosen.export_interval_hours * 3600 * 1_000_000),
        as_of=int(asked) * 1000 if isinstance(asked, int) and not isinstance(asked, bool) else None,
    )
    metrics.add_metric(name="ExportsRegistered", unit=MetricUnit.Count, value=len(run.registered))
    metrics.add_metric(name="ExportsStarted", unit=MetricUnit.Count, value=int(bool(run.started)))
    metrics.add_metric(name="ExportsFailed", unit=MetricUnit.Count, value=len(run.failed))
    if run.exported_to_micros is not None:
        lag = time.time() - run.exported_to_micros / 1_000_000
        metrics.add_metric(name="ExportLagSeconds", unit=MetricUnit.Seconds, value=lag)
    record = run.to_record()
    if run.failed:
        logger.error("exports failed (retried under a new token)", extra=record)
    else:
        logger.info("exports checked", extra=record)
    return record
