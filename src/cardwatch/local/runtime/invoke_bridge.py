"""The invoke bridge: the emulator's Lambda runs the functions here, in the local runtime.

``aws lambda invoke`` (or an SDK's ``invoke``) against the emulator reaches moto's
Lambda, in the emulator's process; its patch
(:mod:`cardwatch.local.emulator.patches.lambda_invoke`) forwards the invocation to this
bridge, one route served on loopback and answered only with the secret the emulator was
given. The function then runs as every other invocation of local mode runs: in one of
its execution environments, within its concurrency (a caller past it waits), its lines
in its log. The answer is Lambda's: the result as JSON (Decimals as numbers, as Lambda's
Python runtime writes them; a result that is not JSON, ``Runtime.MarshalError``), or
for a handler that raised, ``X-Amz-Function-Error: Unhandled`` and Lambda's error
document. An ``Event`` invocation is accepted at once (202) and run from a queue of the
function's own, with Lambda's retries.

The bridge listens before the emulator starts, so that its address and secret are in
the emulator's environment from its first request (:meth:`InvokeBridge.start`); until
the runtime is attached (:meth:`InvokeBridge.attach`) it answers 503, and the patch
answers as for a function the local runtime cannot run.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cardwatch.blueprint import Blueprint
from cardwatch.local.emulator.patches.lambda_invoke import (
    BRIDGE_SECRET,
    BRIDGE_URL,
    INVOCATION_TYPE,
    INVOCATIONS,
    SECRET_HEADER,
)
from cardwatch.local.runtime.aws_records import function_error
from cardwatch.local.runtime.serving import ThreadServer

__all__ = ["InvokeBridge", "lambda_answer"]

#: runs a function by its key with an event (the local runtime's ``invoke``)
Invoke = Callable[[str, Any], Any]

logger = logging.getLogger(__name__)


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def lambda_answer(invoke: Invoke, key: str, event: Any) -> tuple[bytes, str | None]:
    """Run ``key`` with ``event``: the payload Lambda answers with, and its function
    error (None, or ``Unhandled``)."""
    try:
        result = invoke(key, event)
    except Exception as error:
        return json.dumps(function_error(error)).encode(), "Unhandled"
    try:
        return json.dumps(result, default=_number).encode(), None
    except (TypeError, ValueError) as error:
        document = {
            "errorMessage": f"Unable to marshal response: {error}",
            "errorType": "Runtime.MarshalError",
            "stackTrace": [],
        }
        return json.dumps(document).encode(), "Unhandled"


def _refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


class InvokeBridge:
    """The local runtime's end of the emulator's Invoke: the blueprint's functions, by
    their names."""

    def __init__(self, blueprint: Blueprint) -> None:
        self._keys = {spec.name: key for key, spec in blueprint.functions.items()}
        self._secret = secrets.token_urlsafe(32).encode()
        self._invoke: Invoke | None = None
        self._later: Invoke | None = None
        self._concurrency = 1
        self._queues: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()
        route = Route(INVOCATIONS, self._invocation, methods=["POST"])
        self._server = ThreadServer(
            Starlette(routes=[route]), "127.0.0.1", 0, "cardwatch-invoke-bridge"
        )
        self.url = ""

    def start(self) -> dict[str, str]:
        """Listen on a free loopback port; the emulator's environment that points it here."""
        url = self._server.start()
        if url is None:
            raise RuntimeError("the invoke bridge could not listen on loopback")
        self.url = url
        return {BRIDGE_URL: url, BRIDGE_SECRET: self._secret.decode()}

    def attach(
        self, invoke: Invoke, invoke_async: Invoke | None = None, concurrency: int = 1
    ) -> None:
        """Run invocations with ``invoke`` from now on; an ``Event``'s with
        ``invoke_async`` (its retries; ``invoke`` when None), up to ``concurrency`` at once
        for each function, the rest waiting in the function's queue."""
        self._concurrency = max(1, concurrency)
        self._later = invoke_async or invoke
        self._invoke = invoke

    def stop(self) -> None:
        """Answer no more; the events still queued are dropped."""
        self._invoke = None
        self._server.stop()
        with self._lock:
            for queue in self._queues.values():
                queue.shutdown(wait=False, cancel_futures=True)
            self._queues.clear()

    def _queue(self, key: str) -> ThreadPoolExecutor:
        with self._lock:
            if key not in self._queues:
                self._queues[key] = ThreadPoolExecutor(
                    self._concurrency, thread_name_prefix=f"cardwatch-event-{key}"
                )
            return self._queues[key]

    def _run_later(self, key: str, event: Any) -> None:
        later = self._later
        try:
            if later is not None:
                later(key, event)
        except Exception:  # the retries' own failure handling has said what it can
            logger.exception("an event for %s failed", key)

    def _refused(self, request: Request, name: str) -> JSONResponse | None:
        offered = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(offered, self._secret):
            return _refusal(403, "the invoke bridge answers the emulator only")
        if name not in self._keys:
            return _refusal(404, f"the local runtime runs the blueprint's functions: not {name}")
        return None

    async def _invocation(self, request: Request) -> Response:
        name = request.path_params["name"]
        refused, invoke = self._refused(request, name), self._invoke
        if refused is not None:
            return refused
        if invoke is None:
            return _refusal(503, f"the local runtime is not attached, so {name} cannot run")
        try:
            event = json.loads(await request.body() or b"{}")
        except ValueError:
            return _refusal(400, "the payload is not JSON")
        key, kind = self._keys[name], request.headers.get(INVOCATION_TYPE, "RequestResponse")
        if kind == "Event":
            self._queue(key).submit(self._run_later, key, event)
            return Response(status_code=202)
        if kind != "RequestResponse":
            return _refusal(400, f"no invocation type {kind}")
        payload, error = await run_in_threadpool(lambda_answer, invoke, key, event)
        headers = {"X-Amz-Function-Error": error} if error else {}
        return Response(payload, 200, headers=headers, media_type="application/json")
