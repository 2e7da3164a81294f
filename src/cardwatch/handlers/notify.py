"""The notify function: batches from the suspicious queue, partial-batch failures.

A message that fails is left on the queue (reported in ``batchItemFailures``) while the
rest of its batch succeeds; after ``maxReceiveCount`` receives SQS moves it to the DLQ.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.domain.engine.alerts import Finding
from cardwatch.handlers.observability import powertools
from cardwatch.handlers.wiring import notify as wiring
from cardwatch.services.notify import NotificationService, NotifyOutcome

logger, tracer, metrics = powertools("notify")
processor = BatchProcessor(event_type=EventType.SQS)


def _notify_with(service: NotificationService) -> Any:
    def record_handler(record: SQSRecord) -> str:
        finding = Finding.from_json(record.body)
        outcome = service.notify(finding, int(time.time() * 1000))
        metrics.add_metric(name=f"Alerts{outcome.value.title()}", unit=MetricUnit.Count, value=1)
        logger.info(
            "finding handled",
            extra={
                "finding_id": finding.finding_id,
                "outcome": outcome.value,
                "severity": finding.severity,
            },
        )
        return outcome.value

    return record_handler


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(raise_on_empty_metrics=False)
def handler(
    event: dict[str, Any], context: LambdaContext, service: NotificationService | None = None
) -> PartialItemFailureResponse:
    record_handler = _notify_with(service or wiring.notification_service())
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


__all__ = ["NotifyOutcome", "handler"]
