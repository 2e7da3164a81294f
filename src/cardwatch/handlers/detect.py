"""The detect function: EventBridge events carrying a DynamoDB stream INSERT (via the Pipe).

Invoked asynchronously: an exception makes Lambda retry the event, then hand it to the
on-failure destination (the failures DLQ). A redelivered event changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.adapters.dynamodb_store import authorization_of, from_attributes
from cardwatch.domain.engine.authorization import Authorization
from cardwatch.domain.transaction.record import Transaction
from cardwatch.handlers.observability import powertools
from cardwatch.handlers.wiring import detect as wiring
from cardwatch.services.detect import DetectionService

logger, tracer, metrics = powertools("detect")


def transaction_of(event: Mapping[str, Any]) -> tuple[Transaction, Authorization | None]:
    """The stored transaction inside the stream record that the Pipe put on the bus,
    and the decision ``POST /decisions`` stored with it, if it came that way (read from
    the event itself: Powertools' data classes would load every event source's class,
    about a twentieth of detect's cold start, for one field)."""
    item = from_attributes(event["detail"]["dynamodb"]["NewImage"])
    return Transaction.from_record(item), authorization_of(item)


@logger.inject_lambda_context(correlation_id_path="id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, service: DetectionService | None = None
) -> dict[str, Any]:
    """Lambda entry point; ``service`` lets a test pass one built on fakes."""
    transaction, authorization = transaction_of(event)
    detected = (service or wiring.detection_service(metrics)).handle(transaction, authorization)
    outcome, assessment = detected.outcome, detected.assessment
    metrics.add_metric(
        name=f"Detect{outcome.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1
    )
    if detected.late:  # past the lateness limit: scored, state unchanged
        metrics.add_metric(name="DetectLateEvent", unit=MetricUnit.Count, value=1)
    summary: dict[str, Any] = {
        "transaction_id": transaction.transaction_id,
        "outcome": outcome.value,
        "late": detected.late,
        "decided_at_authorization": detected.decided,
    }
    if assessment is not None:
        summary |= {
            "score": round(assessment.score, 4),
            "decision": assessment.decision.value,
            "reasons": [reason.code for reason in assessment.reasons],
        }
    logger.info("transaction assessed", extra=summary)
    return summary
