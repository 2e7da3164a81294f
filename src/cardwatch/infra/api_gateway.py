"""What both deployments configure on API Gateway beyond the blueprint's numbers."""

from __future__ import annotations

import hashlib

from cardwatch.schema import schema_text

__all__ = ["ACCESS_LOG_FORMAT", "BAD_REQUEST_BODY_TEMPLATE", "MODELS", "contract_hash"]

#: One JSON line per request in the access log.
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"apiKeyId":"$context.identity.apiKeyId","method":"$context.httpMethod",'
    '"path":"$context.resourcePath","status":"$context.status",'
    '"latencyMs":"$context.responseLatency","error":"$context.error.message"}'
)
#: API Gateway's own 400 names what the model rejected (the field), never the value.
BAD_REQUEST_BODY_TEMPLATE = (
    '{"message": "Invalid request body", "detail": "$context.error.validationErrorString"}'
)
#: Model name -> contract file, for the two POST routes.
MODELS = (("Transaction", "transaction"), ("Label", "label"))


def contract_hash() -> str:
    """Redeploy the stage whenever a contract file changes."""
    return hashlib.sha256("".join(schema_text(file) for _name, file in MODELS).encode()).hexdigest()
