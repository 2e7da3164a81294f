"""The API function: POST /transactions (validate, tokenize, store once),
POST /transactions/{transaction_id}/label (a confirmed verdict teaches the engine), and
the analysts' reads: GET /transactions/{transaction_id} (a case) and GET /reviews (the
open review queue)."""

from __future__ import annotations

import hmac
import json
import os
import time
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.blueprint import Blueprint
from cardwatch.domain.errors import (
    InvalidTransaction,
    LabelConflict,
    SourceNotAllowed,
    StoreBusy,
    TransactionConflict,
    TransactionNotFound,
    problem_body,
)
from cardwatch.handlers.observability import powertools
from cardwatch.handlers.wiring import ingest as wiring
from cardwatch.services.ingest import IngestService, Outcome

logger, tracer, metrics = powertools("ingest")
app = APIGatewayRestResolver()


def _json(
    status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, sort_keys=True),
        headers=headers,
    )


def _problem(
    status: HTTPStatus, message: str, errors: list[dict[str, str]] | None = None
) -> Response[str]:
    if status < HTTPStatus.INTERNAL_SERVER_ERROR:
        metrics.add_metric(name="RequestsRefused", unit=MetricUnit.Count, value=1)
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = errors
    return _json(status, body)


def _unreadable(event: Any) -> Response[str] | None:
    """The answer to a body that is not JSON or is too large (None: read it)."""
    content_type = (event.headers or {}).get("content-type") or (
        (event.headers or {}).get("Content-Type", "application/json")
    )
    if content_type.split(";")[0].strip().lower() != "application/json":
        return _problem(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type: must be application/json")
    if len((event.decoded_body or "").encode("utf-8")) > Blueprint.max_body_bytes:
        return _problem(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"body: must not exceed {Blueprint.max_body_bytes} bytes",
        )
    return None


@app.post("/transactions")
def post_transaction() -> Response[str]:
    event = app.current_event
    if _channel(event) is not None:
        # the label keys have usage plans of their own, not the processor's: they label
        # (and the analysts' reads cases), they do not send transactions
        return _problem(HTTPStatus.FORBIDDEN, "transactions take the processor's API key only")
    refused = _unreadable(event)
    if refused is not None:
        return refused
    body = event.decoded_body or ""
    service: IngestService = app.context["service"]
    result = service.ingest(body)
    transaction = result.transaction
    metrics.add_metric(
        name=f"Transactions{result.outcome.value.title()}", unit=MetricUnit.Count, value=1
    )
    logger.info(
        "transaction accepted",
        extra={"transaction_id": transaction.transaction_id, "outcome": result.outcome.value},
    )
    headers = {"Idempotent-Replayed": str(result.outcome is Outcome.REPEATED).lower()}
    return _json(
        HTTPStatus.CREATED,
        {
            "transaction_id": transaction.transaction_id,
            "status": "accepted",
            "transaction": transaction.public_view(),
        },
        headers,
    )


@app.get("/transactions/<transaction_id>")
def get_case(transaction_id: str) -> Response[str]:
    """The case: the transaction, its decision, reasons, features and labels."""
    analyst_key_id(app.current_event)
    return _json(HTTPStatus.OK, wiring.case_service().case(transaction_id))


@app.get("/reviews")
def get_reviews() -> Response[str]:
    """The open review queue, newest first, a page at a time."""
    event = app.current_event
    analyst_key_id(event)
    try:
        page = wiring.case_service().reviews(
            dict(event.query_string_parameters or {}), int(time.time() * 1000)
        )
    except InvalidTransaction as error:  # a query parameter, not a transaction
        return _problem_of(error)
    return _json(HTTPStatus.OK, page)


def _problem_of(error: InvalidTransaction) -> Response[str]:
    metrics.add_metric(name="RequestsRefused", unit=MetricUnit.Count, value=1)
    return _json(HTTPStatus.BAD_REQUEST, problem_body(error))


class NotAnalyst(Exception):
    """A label, case or review read came with a key that is not its channel's."""


#: The label channels, by the environment variable holding each one's key id.
_CHANNEL_KEYS = {"analyst": "ANALYST_API_KEY_ID", "feed": "FEED_API_KEY_ID"}


def _channel(event: Any) -> str | None:
    """The channel whose key the request came with (API Gateway checked the key itself
    and puts its id in the request context), or None."""
    caller = event.request_context.identity.api_key_id or ""
    for channel, variable in _CHANNEL_KEYS.items():
        wanted = os.environ.get(variable, "")
        if wanted and hmac.compare_digest(caller, wanted):
            return channel
    return None


def analyst_key_id(event: Any) -> str:
    """The calling key's id when it is the analysts' key; anything else is refused."""
    if _channel(event) != "analyst":
        raise NotAnalyst
    return str(event.request_context.identity.api_key_id)


def label_channel(event: Any) -> tuple[str, str]:
    """(channel, key id) of a label's key: the analysts' or the disputes feed's."""
    channel = _channel(event)
    if channel is None:
        raise NotAnalyst
    return channel, str(event.request_context.identity.api_key_id)


@app.post("/transactions/<transaction_id>/label")
def post_label(transaction_id: str) -> Response[str]:
    event = app.current_event
    channel, caller = label_channel(event)
    refused = _unreadable(event)
    if refused is not None:
        return refused
    result = wiring.label_service().label(
        transaction_id,
        event.decoded_body or "",
        int(time.time() * 1000),
        by=caller,
        channel=channel,
    )
    metrics.add_metric(
        name="LabelsRepeated" if result.repeated else "LabelsRecorded",
        unit=MetricUnit.Count,
        value=1,
    )
    logger.info(
        "label recorded",
        extra={
            "transaction_id": transaction_id,
            "label": result.label,
            "source": result.source,
            "effective_label": result.effective_label,
            "repeated": result.repeated,
        },
    )
    return _json(
        HTTPStatus.CREATED,
        {
            "transaction_id": transaction_id,
            "label": result.label,
            "source": result.source,
            "effective": {"label": result.effective_label, "source": result.effective_source},
            "labels": result.labels,
            "status": "recorded",
        },
        {"Idempotent-Replayed": str(result.repeated).lower()},
    )


@app.exception_handler(NotAnalyst)
def not_analyst(_error: NotAnalyst) -> Response[str]:
    return _problem(
        HTTPStatus.FORBIDDEN,
        "labels take the analysts' or the disputes feed's API key; cases and reviews the "
        "analysts' only",
    )


@app.exception_handler(SourceNotAllowed)
def source_not_allowed(error: SourceNotAllowed) -> Response[str]:
    logger.warning("label source refused", extra={"source": error.source, "channel": error.channel})
    return _problem(HTTPStatus.FORBIDDEN, str(error))


@app.exception_handler(TransactionNotFound)
def not_found(error: TransactionNotFound) -> Response[str]:
    return _problem(HTTPStatus.NOT_FOUND, str(error))


@app.exception_handler(LabelConflict)
def label_conflict(error: LabelConflict) -> Response[str]:
    return _problem(HTTPStatus.CONFLICT, str(error))


@app.exception_handler(InvalidTransaction)
def invalid_transaction(error: InvalidTransaction) -> Response[str]:
    metrics.add_metric(name="TransactionsRejected", unit=MetricUnit.Count, value=1)
    logger.info("transaction rejected", extra={"fields": list(error.fields)})
    return _problem_of(error)


@app.exception_handler(TransactionConflict)
def conflict(error: TransactionConflict) -> Response[str]:
    metrics.add_metric(name="TransactionsConflicting", unit=MetricUnit.Count, value=1)
    return _problem(HTTPStatus.CONFLICT, str(error))


@app.exception_handler(StoreBusy)
def store_busy(error: StoreBusy) -> Response[str]:
    logger.warning("store busy; asking the client to retry", extra={"code": str(error)})
    return _json(
        HTTPStatus.SERVICE_UNAVAILABLE,
        {"message": "storage is busy; retry the same request"},
        {"Retry-After": "1"},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, service: IngestService | None = None
) -> dict[str, Any]:
    """Lambda entry point; ``service`` lets a test or the local gateway pass its own."""
    app.append_context(service=service or wiring.ingest_service())
    return app.resolve(event, context)
