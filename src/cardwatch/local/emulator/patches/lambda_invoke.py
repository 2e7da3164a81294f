"""Lambda's Invoke on the emulator runs the function: in local mode's runtime, as Lambda
would.

moto runs a function's code in Docker. Without Docker it answers every invocation with
``FunctionError: Handled`` and "error running docker"; it also runs an ``Event``
invocation before answering, and a ``DryRun`` too. Here every invocation moto makes of
a function (the Invoke API, InvokeAsync, moto's own event sources) goes instead to the
*invoke bridge* of the process that runs the functions (``cardwatch up``:
:mod:`cardwatch.local.runtime.invoke_bridge`), whose address and secret this process
is given at start, in its environment (:data:`BRIDGE_URL`, :data:`BRIDGE_SECRET`). The
answers are Lambda's:

- ``RequestResponse``: the function's result and ``X-Amz-Executed-Version``; a handler
  that raised, ``X-Amz-Function-Error: Unhandled`` and Lambda's error document
  (``errorMessage``, ``errorType``, ``stackTrace``);
- ``Event``: 202 at once, the function run later, with Lambda's retries;
- ``DryRun``: 204, nothing run;
- a payload that is not JSON: ``InvalidRequestContentException`` (400).

With no bridge (moto run by a test; a runtime that has not attached yet or has gone) an
invocation answers as Lambda does for a function that cannot start: ``Unhandled``, with
``errorType`` ``Runtime.Unavailable`` and a message saying the local runtime is not
attached; an ``Event`` is accepted and dropped, with a warning in this process's log.
moto's own event sources call without an invocation type: they wait for the function,
as moto makes them.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

__all__ = [
    "BRIDGE_SECRET",
    "BRIDGE_URL",
    "INVOCATIONS",
    "INVOCATION_TYPE",
    "SECRET_HEADER",
    "TARGETS",
    "install",
]

#: What the patch replaces or relies on in moto (checked before it installs).
TARGETS = (
    "moto.awslambda.models.LambdaFunction.invoke(body,request_headers,response_headers)",
    # the statuses it answers with: 202 for Event, 204 for DryRun, from the header
    "moto.awslambda.responses.LambdaResponse.invoke",
    "moto.awslambda.exceptions.LambdaClientError",
)

#: The emulator's environment: the bridge's base URL, and the secret it answers to.
BRIDGE_URL = "CARDWATCH_LAMBDA_BRIDGE_URL"
BRIDGE_SECRET = "CARDWATCH_LAMBDA_BRIDGE_SECRET"  # noqa: S105 - a variable's name
#: The bridge's route for the invocations of a function (its name URL-quoted).
INVOCATIONS = "/functions/{name}/invocations"
#: The header that carries the secret to the bridge.
SECRET_HEADER = "X-Cardwatch-Bridge-Secret"  # noqa: S105 - a header's name
#: Lambda's header, passed on to the bridge as the Invoke API has it.
INVOCATION_TYPE = "X-Amz-Invocation-Type"
#: How long past the function's timeout an invocation may wait for a free environment.
_SLOT_WAIT_SECONDS = 60
_NOT_ATTACHED = (
    "the local runtime is not attached to this emulator, so {name} cannot run here "
    "(`cardwatch up` runs the functions and attaches it)"
)
_logger = logging.getLogger(__name__)
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
_installed = False


def _header(headers: Any, name: str) -> str | None:
    """A request header whatever the case (werkzeug's headers, or moto's own dict)."""
    wanted = name.lower()
    return next((str(v) for k, v in headers.items() if k.lower() == wanted), None)


def _unavailable(message: str) -> tuple[bytes, str]:
    document = {"errorMessage": message, "errorType": "Runtime.Unavailable", "stackTrace": []}
    return json.dumps(document).encode(), "Unhandled"


def _forward(name: str, payload: bytes, kind: str, timeout: float) -> tuple[int, bytes, str | None]:
    """The bridge's status, body and function error; ``(0, ...)``: no bridge answered
    (the body then says why)."""
    url, secret = os.environ.get(BRIDGE_URL), os.environ.get(BRIDGE_SECRET)
    if not url or not secret:
        return 0, _NOT_ATTACHED.format(name=name).encode(), None
    request = urllib.request.Request(  # noqa: S310 - the bridge's URL, given at start
        url.rstrip("/") + INVOCATIONS.format(name=quote(name, safe="")),
        data=payload,
        method="POST",
        headers={SECRET_HEADER: secret, INVOCATION_TYPE: kind, "Content-Type": "application/json"},
    )
    try:
        with _opener.open(request, timeout=timeout) as answer:
            return answer.status, answer.read(), answer.headers.get("X-Amz-Function-Error")
    except urllib.error.HTTPError as refused:  # the bridge's own refusal: its message
        try:
            said = json.loads(refused.read()).get("message", "")
        except ValueError:
            said = ""
        return 0, (said or f"the local runtime refused: {refused.code}").encode(), None
    except OSError as error:  # gone, or no answer in time
        return 0, f"the local runtime did not answer for {name}: {error}".encode(), None


def _invoke(self: Any, body: str | bytes, request_headers: Any, response_headers: Any) -> bytes:
    from moto.awslambda.exceptions import LambdaClientError  # noqa: PLC0415

    kind = _header(request_headers, INVOCATION_TYPE) or "RequestResponse"
    try:
        text = body.decode() if isinstance(body, bytes) else (body or "")
        json.loads(text or "{}")
    except ValueError as unparsed:
        raise LambdaClientError(
            "InvalidRequestContentException", f"Could not parse request body into json: {unparsed}"
        ) from None
    if kind == "DryRun":
        return b""
    timeout = int(self.timeout or 3) + _SLOT_WAIT_SECONDS
    status, answer, error = _forward(self.function_name, (text or "{}").encode(), kind, timeout)
    if kind == "Event":
        if status != 202:
            _logger.warning("an event for %s was dropped: %s", self.function_name, answer.decode())
        return b""
    response_headers["x-amz-executed-version"] = self.version
    if status != 200:
        answer, error = _unavailable(answer.decode())
    if error:
        response_headers["x-amz-function-error"] = error
    return answer


def install() -> None:
    """Route moto's invocations of a function to the local runtime's bridge."""
    global _installed  # noqa: PLW0603 (one patch per process)
    if _installed:
        return
    from moto.awslambda.models import LambdaFunction  # noqa: PLC0415 - only local mode and the tests

    LambdaFunction.invoke = _invoke  # type: ignore[method-assign]
    _installed = True
