"""The API function: POST /transactions (validate, tokenize, store once),
POST /transactions/{transaction_id}/label (a confirmed verdict teaches the engine), and
the analysts' reads: GET /transactions/{transaction_id} (a transaction's case view) and
GET /reviews (the open review queue); and the analysts' cases: GET /cases (search),
GET /cases/{case_id}, POST /cases/{case_id} (an action on it)."""

from __future__ import annotations

import os
import time
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cardwatch.domain.cases.case import CaseChangeRefused
from cardwatch.domain.errors import (
    InvalidTransaction,
    LabelConflict,
    SourceNotAllowed,
    TransactionNotFound,
)
from cardwatch.domain.transaction.validation import check_path_id
from cardwatch.handlers.http import Answers, channel_of, json_response
from cardwatch.handlers.observability import powertools
from cardwatch.handlers.wiring import ingest as wiring
from cardwatch.services.case_work import CaseNotFound, CaseWork
from cardwatch.services.ingest import IngestService, Outcome

logger, tracer, metrics = powertools("ingest")
app = APIGatewayRestResolver()
answers = Answers(metrics, logger)
answers.serve(app)


@app.post("/transactions")
def post_transaction() -> Response[str]:
    event = app.current_event
    refused = answers.processor_only(event) or answers.unreadable(event)
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
    return json_response(
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
    analyst_of(app.current_event)
    return json_response(HTTPStatus.OK, wiring.case_service().case(transaction_id))


@app.get("/reviews")
def get_reviews() -> Response[str]:
    """The open review queue, newest first, a page at a time."""
    event = app.current_event
    analyst_of(event)
    try:
        page = wiring.case_service().reviews(
            dict(event.query_string_parameters or {}), int(time.time() * 1000)
        )
    except InvalidTransaction as error:  # a query parameter, not a transaction
        return answers.invalid(error)
    return json_response(HTTPStatus.OK, page)


def _cases() -> CaseWork:
    work = wiring.case_work()
    if work is None:
        raise CaseNotFound
    return work


@app.get("/cases")
def get_cases() -> Response[str]:
    """Cases: by card, token, user, terminal or BIN, or a status's queue; a page."""
    event = app.current_event
    analyst_of(event)
    try:
        page = _cases().search(dict(event.query_string_parameters or {}), int(time.time() * 1000))
    except InvalidTransaction as error:  # a query parameter, not a transaction
        return answers.invalid(error)
    return json_response(HTTPStatus.OK, page)


@app.get("/cases/<case_id>")
def get_case_whole(case_id: str) -> Response[str]:
    """A case whole: its transactions (labels, reasons and features in words), notes,
    history."""
    analyst_of(app.current_event)
    check_path_id(case_id, "case_id")
    return json_response(HTTPStatus.OK, _cases().case(case_id))


@app.post("/cases/<case_id>")
def post_case_action(case_id: str) -> Response[str]:
    """An analyst's change to a case (label it whole or in part, note, assign, close,
    reopen), recorded with the caller as its author."""
    event = app.current_event
    by = analyst_of(event)
    check_path_id(case_id, "case_id")
    refused = answers.unreadable(event)
    if refused is not None:
        return refused
    answer = _cases().act(case_id, event.decoded_body or "", by, int(time.time() * 1000))
    metrics.add_metric(name="CaseActions", unit=MetricUnit.Count, value=1)
    logger.info("case changed", extra={"case_id": case_id, "version": answer["version"]})
    return json_response(HTTPStatus.OK, answer)


#: IAM Identity Center's roles: a permission set's session is named by Identity Center
#: for the person signed in, never by the caller
_IDENTITY_CENTER = "AWSReservedSSO_"


def analyst_of(event: Any) -> str:
    """Who the analyst is: the IAM principal API Gateway authorized the request for
    (the analysts' routes take a signed request only), when it is a session of one of
    the console's roles (``CONSOLE_ROLES``) or of an Identity Center permission set;
    any other principal (a user's own keys, a pipeline's or an admin's role) is refused,
    whatever its policy lets it invoke."""
    principal = str(event.request_context.identity.user_arn or "")
    _, _, rest = principal.partition(":assumed-role/")
    role, _, session = rest.partition("/")
    roles = set(filter(None, os.environ.get("CONSOLE_ROLES", "").split(",")))
    if not session or not (role in roles or role.startswith(_IDENTITY_CENTER)):
        raise NotAnalyst
    return principal


class NotAnalyst(Exception):
    """A label, case or review read came with a key that is not its channel's."""


def label_channel(event: Any) -> tuple[str, str]:
    """(channel, key id) of a label's key: the analysts' or the disputes feed's."""
    channel = channel_of(event)
    if channel is None:
        raise NotAnalyst
    return channel, str(event.request_context.identity.api_key_id)


@app.post("/transactions/<transaction_id>/label")
def post_label(transaction_id: str) -> Response[str]:
    event = app.current_event
    channel, caller = label_channel(event)
    refused = answers.unreadable(event)
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
    return json_response(
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
    return answers.problem(
        HTTPStatus.FORBIDDEN,
        "labels take the verdict import's or the disputes feed's API key; cases and "
        "reviews an analyst's own signed identity",
    )


@app.exception_handler(SourceNotAllowed)
def source_not_allowed(error: SourceNotAllowed) -> Response[str]:
    logger.warning("label source refused", extra={"source": error.source, "channel": error.channel})
    return answers.problem(HTTPStatus.FORBIDDEN, str(error))


@app.exception_handler(TransactionNotFound)
def not_found(error: TransactionNotFound) -> Response[str]:
    return answers.problem(HTTPStatus.NOT_FOUND, str(error))


@app.exception_handler(CaseNotFound)
def case_not_found(error: CaseNotFound) -> Response[str]:
    return answers.problem(HTTPStatus.NOT_FOUND, str(error))


@app.exception_handler(CaseChangeRefused)
def case_refused(error: CaseChangeRefused) -> Response[str]:
    return answers.problem(HTTPStatus.CONFLICT, str(error))


@app.exception_handler(LabelConflict)
def label_conflict(error: LabelConflict) -> Response[str]:
    return answers.problem(HTTPStatus.CONFLICT, str(error))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, service: IngestService | None = None
) -> dict[str, Any]:
    """Lambda entry point; ``service`` lets a test or the local gateway pass its own."""
    app.append_context(service=service or wiring.ingest_service())
    return app.resolve(event, context)
