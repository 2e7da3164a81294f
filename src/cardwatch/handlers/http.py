"""What the API's functions answer alike: JSON bodies, problems naming fields (never
values), the body checks before a read, the calling key's channel, and the answers to
the errors a transaction's body or the store can raise.

Both API functions, ingest (``POST /transactions``, labels, cases) and decide
(``POST /decisions``), take a transaction body under the same contract and key, so a
bad body gets the same 4xx from either, from this one module.
"""

from __future__ import annotations

import hmac
import json
import os
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

from cardwatch.blueprint import Blueprint
from cardwatch.domain.errors import InvalidTransaction, StoreBusy, TransactionConflict, problem_body

__all__ = ["Answers", "channel_of", "json_response"]

#: The label channels, by the environment variable holding each one's key id.
_CHANNEL_KEYS = {"analyst": "ANALYST_API_KEY_ID", "feed": "FEED_API_KEY_ID"}


def json_response(
    status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, sort_keys=True),
        headers=headers,
    )


def channel_of(event: Any) -> str | None:
    """The label channel whose key the request came with (API Gateway checked the key
    itself and puts its id in the request context), or None: the processor's key."""
    caller = event.request_context.identity.api_key_id or ""
    for channel, variable in _CHANNEL_KEYS.items():
        wanted = os.environ.get(variable, "")
        if wanted and hmac.compare_digest(caller, wanted):
            return channel
    return None


class Answers:
    """One function's answers, counted in its own ``metrics``."""

    def __init__(self, metrics: Metrics, logger: Logger) -> None:
        self._metrics = metrics
        self._logger = logger

    def problem(
        self, status: HTTPStatus, message: str, errors: list[dict[str, str]] | None = None
    ) -> Response[str]:
        if status < HTTPStatus.INTERNAL_SERVER_ERROR:
            self._metrics.add_metric(name="RequestsRefused", unit=MetricUnit.Count, value=1)
        body: dict[str, Any] = {"message": message}
        if errors:
            body["errors"] = errors
        return json_response(status, body)

    def invalid(self, error: InvalidTransaction) -> Response[str]:
        self._metrics.add_metric(name="RequestsRefused", unit=MetricUnit.Count, value=1)
        return json_response(HTTPStatus.BAD_REQUEST, problem_body(error))

    def unreadable(self, event: Any) -> Response[str] | None:
        """The answer to a body that is not JSON or is too large (None: read it)."""
        headers = event.headers or {}
        content_type = headers.get("content-type") or headers.get(
            "Content-Type", "application/json"
        )
        if content_type.split(";")[0].strip().lower() != "application/json":
            return self.problem(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type: must be application/json"
            )
        if len((event.decoded_body or "").encode("utf-8")) > Blueprint.max_body_bytes:
            return self.problem(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"body: must not exceed {Blueprint.max_body_bytes} bytes",
            )
        return None

    def processor_only(self, event: Any) -> Response[str] | None:
        """A transaction takes the processor's key: the label keys have usage plans of
        their own, and they label (and read cases), they do not send transactions."""
        if channel_of(event) is None:
            return None
        return self.problem(HTTPStatus.FORBIDDEN, "transactions take the processor's API key only")

    def serve(self, app: APIGatewayRestResolver) -> None:
        """Answer, on ``app``, what a transaction's body or the store can raise."""

        @app.exception_handler(InvalidTransaction)
        def invalid_transaction(error: InvalidTransaction) -> Response[str]:
            self._metrics.add_metric(name="TransactionsRejected", unit=MetricUnit.Count, value=1)
            self._logger.info("transaction rejected", extra={"fields": list(error.fields)})
            return self.invalid(error)

        @app.exception_handler(TransactionConflict)
        def conflict(error: TransactionConflict) -> Response[str]:
            self._metrics.add_metric(name="TransactionsConflicting", unit=MetricUnit.Count, value=1)
            return self.problem(HTTPStatus.CONFLICT, str(error))

        @app.exception_handler(StoreBusy)
        def store_busy(error: StoreBusy) -> Response[str]:
            self._logger.warning(
                "store busy; asking the client to retry", extra={"code": str(error)}
            )
            return json_response(
                HTTPStatus.SERVICE_UNAVAILABLE,
                {"message": "storage is busy; retry the same request"},
                {"Retry-After": "1"},
            )
