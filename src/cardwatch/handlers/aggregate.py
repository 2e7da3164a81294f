"""The aggregate function: batches of the profile table's stream, one shard at a time.

The event source mapping keeps only applied card events (its filter), in order per
shard. A failure raises: the mapping retries the batch, halves it on repeated failure,
and at last sends AWS's record of the batch (its shard and sequence numbers) to the
failures DLQ, from where ``cardwatch dlq redrive`` folds it again. Folding is
idempotent per transaction, so a retried batch, or a half of one, counts nothing twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.adapters.dynamodb_counters import applied_event
from cardwatch.domain.engine.counters import AppliedEvent
from cardwatch.handlers.observability import powertools
from cardwatch.handlers.wiring import aggregate as wiring
from cardwatch.services.aggregate import AggregationService

logger, tracer, metrics = powertools("aggregate")

__all__ = ["handler"]


def applied_events(event: DynamoDBStreamEvent) -> list[AppliedEvent]:
    """The applied card events among the batch's records (the rest are skipped)."""
    found = []
    for record in event.records:
        image = record.raw_event.get("dynamodb", {}).get("NewImage") or {}
        applied = applied_event(image)
        if applied is not None:
            found.append(applied)
    return found


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(
    event: dict[str, Any],
    context: LambdaContext,
    service: AggregationService | None = None,
) -> dict[str, Any]:
    stream = DynamoDBStreamEvent(event)
    events = applied_events(stream)
    folded = (service or wiring.aggregation_service()).handle(events)
    metrics.add_metric(name="EventsFolded", unit=MetricUnit.Count, value=folded.folded)
    metrics.add_metric(name="EventsFoldedBefore", unit=MetricUnit.Count, value=folded.before)
    logger.info(
        "batch folded",
        extra={
            "records": len(event.get("Records", [])),
            "folded": folded.folded,
            "folded_before": folded.before,
        },
    )
    return {"folded": folded.folded, "folded_before": folded.before}
