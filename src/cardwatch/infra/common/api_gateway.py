"""What both deployments configure on API Gateway beyond the blueprint's numbers."""

from __future__ import annotations

import hashlib
import json

from cardwatch.schema import gateway_model_text

__all__ = [
    "ACCESS_LOG_FORMAT",
    "BAD_REQUEST_BODY_TEMPLATE",
    "MODELS",
    "READ_PARAMETERS",
    "REVIEW_PARAMETERS",
    "ROUTES",
    "served_hash",
]

#: One JSON line per request in the access log.
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"apiKeyId":"$context.identity.apiKeyId","method":"$context.httpMethod",'
    '"path":"$context.resourcePath","status":"$context.status",'
    '"latencyMs":"$context.responseLatency","error":"$context.error.message"}'
)
#: API Gateway's own 400. Its validation message can only name fields and JSON types:
#: the models are the contract's shape (:func:`cardwatch.schema.gateway_model`), with no
#: rule whose message would echo a value; the function checks the rest.
BAD_REQUEST_BODY_TEMPLATE = (
    '{"message": "Invalid request body", "detail": "$context.error.validationErrorString"}'
)
#: Model name -> contract file, for the two POST routes.
MODELS = (("Transaction", "transaction"), ("Label", "label"))


#: (logical name, resource path, model) of each route the stage serves.
ROUTES = (
    ("post-transaction", "/transactions", "Transaction"),
    ("post-label", "/transactions/{transaction_id}/label", "Label"),
    ("get-transaction", "/transactions/{transaction_id}", None),
    ("get-reviews", "/reviews", None),
)
#: The query string of GET /reviews (every part optional; the function checks them).
REVIEW_PARAMETERS = ("decision", "since", "until", "limit", "cursor")
#: The request parameters of the analysts' GET routes, by logical name.
READ_PARAMETERS: dict[str, dict[str, bool]] = {
    "get-transaction": {"method.request.path.transaction_id": True},
    "get-reviews": {f"method.request.querystring.{name}": False for name in REVIEW_PARAMETERS},
}


def served_hash() -> str:
    """A digest of what the renderers declare for the stage from this module (contract
    files, models, routes, the gateway response). The deployment's triggers hold it
    beside the ids and URIs of every method, integration, model and response, so any
    change to what the stage serves publishes a new deployment."""
    served = {
        "models": {name: gateway_model_text(file) for name, file in MODELS},
        "routes": ROUTES,
        "read_parameters": READ_PARAMETERS,
        "bad_request_body": BAD_REQUEST_BODY_TEMPLATE,
        "access_log_format": ACCESS_LOG_FORMAT,
    }
    return hashlib.sha256(json.dumps(served, sort_keys=True).encode()).hexdigest()
