"""The decide function: ``POST /decisions``, the decision in the answer.

The body is a transaction under the same contract, key and checks as ``POST
/transactions``; the answer is ``200`` with the decision (approve, review or block) the
engine gives it against the state as it is, stored with the transaction as its decision
of record. The same id sent again answers the recorded decision.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.domain.errors import DecidedAfterwards
from cardwatch.handlers.http import Answers, json_response
from cardwatch.handlers.observability import powertools
from cardwatch.handlers.wiring import decide as wiring
from cardwatch.services.decide import DecisionOutcome, DecisionService

logger, tracer, metrics = powertools("decide")
app = APIGatewayRestResolver()
answers = Answers(metrics, logger)
answers.serve(app)


@app.post("/decisions")
def post_decision() -> Response[str]:
    event = app.current_event
    refused = answers.processor_only(event) or answers.unreadable(event)
    if refused is not None:
        return refused
    service: DecisionService = app.context["service"]
    result = service.decide(event.decoded_body or "")
    authorization, transaction = result.authorization, result.transaction
    repeated = result.outcome is DecisionOutcome.REPEATED
    metrics.add_metric(
        name="DecisionsRepeated" if repeated else "DecisionsMade", unit=MetricUnit.Count, value=1
    )
    if not repeated:
        metrics.add_metric(
            name=f"Decisions{authorization.decision.value.title()}",
            unit=MetricUnit.Count,
            value=1,
        )
    logger.info(
        "transaction decided",
        extra={
            "transaction_id": transaction.transaction_id,
            "decision": authorization.decision.value,
            "score": authorization.score,
            "reasons": [reason.code for reason in authorization.reasons],
            "degraded": authorization.degraded,
            "repeated": repeated,
        },
    )
    return json_response(
        HTTPStatus.OK,
        authorization.answer(transaction.transaction_id),
        {"Idempotent-Replayed": str(repeated).lower()},
    )


@app.exception_handler(DecidedAfterwards)
def decided_afterwards(error: DecidedAfterwards) -> Response[str]:
    return answers.problem(HTTPStatus.CONFLICT, str(error))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, service: DecisionService | None = None
) -> dict[str, Any]:
    """Lambda entry point; ``service`` lets a test pass one built on fakes."""
    app.append_context(service=service or wiring.decision_service(metrics))
    return app.resolve(event, context)
