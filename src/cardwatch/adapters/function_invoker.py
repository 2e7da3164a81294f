"""Run a deployed function and wait for its answer (an operator's on-demand run)."""

from __future__ import annotations

import json
from typing import Any

from botocore.config import Config

__all__ = ["invoke_and_wait"]

#: a run may take the function's whole timeout (15 minutes): wait for it, once
_LONG_CALL = Config(read_timeout=910, connect_timeout=10, retries={"max_attempts": 1})


def invoke_and_wait(session: Any, function_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The function's answer; RuntimeError with its message when the function failed."""
    answer = session.client("lambda", config=_LONG_CALL).invoke(
        FunctionName=function_name,
        InvocationType="RequestResponse",
        Payload=json.dumps(payload).encode(),
    )
    body: dict[str, Any] = json.loads(answer["Payload"].read() or b"{}")
    if "FunctionError" in answer:
        raise RuntimeError(f"{function_name} failed: {body.get('errorMessage', body)}")
    return body
