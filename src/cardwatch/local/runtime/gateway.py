"""The local API gateway: what API Gateway does in front of the ingest and decide functions.

Configured from the blueprint as the deployments configure API Gateway: the API key
header, the usage plan's throttle (token bucket: rate and burst) and daily quota, the
request validator with the same JSON Schema model, then a REST proxy event into the
real handler. Answers that API Gateway itself gives (403, 429, 400 from the model
validator) have its shape; everything else is the function's own answer.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from jsonschema import Draft4Validator
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cardwatch.blueprint import Blueprint
from cardwatch.domain.errors import MAX_PROBLEMS
from cardwatch.domain.transaction.validation import model_problems
from cardwatch.infra.common.api_gateway import ROUTES
from cardwatch.local.runtime.identity import Caller, Refused, api_arn, authorize
from cardwatch.schema import gateway_model
from cardwatch.schema.openapi import openapi_document

__all__ = ["GatewayStats", "LocalGateway", "TokenBucket", "build_gateway"]

Invoke = Callable[[str, dict[str, Any]], Any]


class TokenBucket:
    """API Gateway's throttle: ``rate`` requests a second, bursts up to ``burst``."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate, self._burst, self._clock = rate, burst, clock
        self._tokens = float(burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return True
            return False


@dataclass(slots=True)
class GatewayStats:
    """Counts by answer, for summaries and tests."""

    by_status: dict[int, int] = field(default_factory=dict)
    quota_used: dict[str, tuple[str, int]] = field(default_factory=dict)  # key -> (day, n)

    def count(self, status: int) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + 1


def _gateway_error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse(
        {"message": message}, status_code=status, headers={"x-amzn-ErrorType": kind}
    )


def _proxy_event(
    request: Request,
    body: str,
    resource: str,
    *,
    api_key: str | None,
    api_key_id: str | None,
    path_parameters: dict[str, str] | None,
    stage: str,
    caller: Caller | None = None,
) -> dict[str, Any]:
    """API Gateway's REST proxy integration event (payload format 1.0); a signed
    route's caller in ``identity`` as API Gateway puts an IAM principal there."""
    headers = dict(request.headers)
    identity: dict[str, Any] = {
        "apiKey": api_key,
        "apiKeyId": api_key_id,
        "sourceIp": request.client.host if request.client else "",
    }
    if caller is not None:
        identity |= {
            "userArn": caller.arn,
            "caller": f"{caller.access_key_id}:{caller.name}",
            "accessKey": caller.access_key_id,
            "accountId": caller.arn.split(":")[4],
            "user": f"{caller.access_key_id}:{caller.name}",
        }
    return {
        "resource": resource,
        "path": request.url.path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": dict(request.query_params) or None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "body": body,
        "isBase64Encoded": False,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": request.method,
            "stage": stage,
            "path": f"/{stage}{request.url.path}",
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": identity,
        },
    }


class LocalGateway:
    """API key, usage plan, request validator and proxy integration, per the blueprint."""

    def __init__(
        self,
        blueprint: Blueprint,
        api_keys: dict[str, str],
        invoke: Invoke,
        stats: GatewayStats | None = None,
        channels: dict[str, str] | None = None,
        *,
        callers: Mapping[str, Caller] | None = None,
        account: str = "123456789012",
        stack: str = "",
    ) -> None:
        """``api_keys``: each key's value -> its id, as API Gateway holds them;
        ``channels``: the label channels' key ids (``analyst``, ``feed``), each in a usage
        plan of its own; every other key is in the processor's; ``callers``: the people
        who may sign requests to the signed routes, by access key id."""
        self._blueprint = blueprint
        self._callers = {c.access_key_id: c for c in (callers or {}).values()}
        self._api_arn = api_arn(blueprint, account)
        self._stack = stack  # the running stack's token: /health says whose API this is
        #: (method, resource) of the routes API Gateway authorizes with AWS_IAM
        self._signed = {
            (name.split("-", 1)[0].upper(), path)
            for name, path, _model in ROUTES
            if name in blueprint.signed_routes
        }
        self._keys = dict(api_keys)
        self._invoke = invoke
        self.stats = stats if stats is not None else GatewayStats()
        settings = blueprint.settings
        # one usage plan per key: its throttle (a token bucket) and its day's quota
        self._buckets = {
            key_id: TokenBucket(settings.api_rate_limit_per_second, settings.api_burst_limit)
            for key_id in self._keys.values()
        }
        self._quotas: dict[str, int | None] = dict.fromkeys(
            self._keys.values(), settings.api_quota_per_day
        )
        for channel, key_id in (channels or {}).items():
            rate, burst, quota = blueprint.label_limits(channel)
            self._buckets[key_id] = TokenBucket(rate, burst)
            self._quotas[key_id] = quota
        self._models = {
            "/transactions": Draft4Validator(gateway_model("transaction")),
            "/decisions": Draft4Validator(gateway_model("transaction")),
            "/transactions/{transaction_id}/label": Draft4Validator(gateway_model("label")),
            "/cases/{case_id}": Draft4Validator(gateway_model("case_action")),
        }

    def _admit(self, request: Request) -> JSONResponse | None:
        key = request.headers.get(self._blueprint.api_key_header)
        key_id = self._keys.get(key or "")
        if key_id is None:
            return _gateway_error(403, "Forbidden", "ForbiddenException")
        quota = self._quotas[key_id]
        if quota is not None:
            day = datetime.now(UTC).date().isoformat()
            used_day, used = self.stats.quota_used.get(key_id, (day, 0))
            used = used if used_day == day else 0
            if used >= quota:
                return _gateway_error(429, "Limit Exceeded", "LimitExceededException")
            self.stats.quota_used[key_id] = (day, used + 1)
        if not self._buckets[key_id].take():
            return _gateway_error(429, "Too Many Requests", "TooManyRequestsException")
        return None

    def _validate(
        self, resource: str, body: str, content_type: str, method: str = "POST"
    ) -> JSONResponse | None:
        if resource not in self._models or method != "POST":
            return None  # a method without a request model (GET)
        if content_type.split(";", 1)[0].strip().lower() != "application/json":
            return None  # no model for other types: the function answers 415
        try:  # the gateway parses leniently; the function's strict reading comes later
            document = json.loads(body, parse_float=Decimal)
        except (ValueError, RecursionError):
            return _gateway_error(400, "Invalid request body", "BadRequestException")
        problems = model_problems(document, self._models[resource])
        if not problems:
            return None
        # API Gateway's message, through BAD_REQUEST_BODY_TEMPLATE: the model is the
        # contract's shape, so what it says names fields and types only
        detail = "; ".join(str(problem) for problem in problems[:MAX_PROBLEMS])
        return JSONResponse(
            {"message": "Invalid request body", "detail": f"[{detail}]"},
            status_code=400,
            headers={"x-amzn-ErrorType": "BadRequestException"},
        )

    def _signed_in(self, request: Request, body: bytes) -> Caller:
        """The signed request's caller, allowed to invoke this method (API Gateway's
        AWS_IAM authorization), or :class:`Refused`."""
        path = request.url.path.lstrip("/")
        method_arn = f"{self._api_arn}/{self._blueprint.api_stage}/{request.method}/{path}"
        return authorize(
            self._callers,
            request.method,
            str(request.url),
            dict(request.headers),
            body,
            method_arn,
            self._blueprint.region,
        )

    async def proxy(
        self, request: Request, resource: str, path_parameters: dict[str, str] | None = None
    ) -> Response:
        raw = await request.body()
        body = raw.decode("utf-8", errors="replace")
        caller = None
        if (request.method, resource) in self._signed:
            try:
                caller = self._signed_in(request, raw)
            except Refused as refusal:
                self.stats.count(403)
                return _gateway_error(403, refusal.message, "AccessDeniedException")
            refused = None
        else:
            refused = self._admit(request)
        refused = refused or self._validate(
            resource, body, request.headers.get("content-type", "application/json"), request.method
        )
        if refused is not None:
            self.stats.count(refused.status_code)
            return refused
        key = None if caller else request.headers[self._blueprint.api_key_header]
        event = _proxy_event(
            request,
            body,
            resource,
            api_key=key,
            api_key_id=None if key is None else self._keys[key],
            path_parameters=path_parameters,
            stage=self._blueprint.api_stage,
            caller=caller,
        )
        try:
            function = "decide" if resource == "/decisions" else "ingest"
            result = await run_in_threadpool(self._invoke, function, event)
        except Exception:  # API Gateway turns a crashed function into a 502
            self.stats.count(502)
            return _gateway_error(502, "Internal server error", "InternalServerErrorException")
        status = int(result["statusCode"])
        self.stats.count(status)
        headers = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items()}
        headers.update(result.get("headers") or {})
        return Response(result.get("body") or "", status_code=status, headers=headers)

    def app(self) -> Starlette:
        async def transactions(request: Request) -> Response:
            return await self.proxy(request, "/transactions")

        async def decisions(request: Request) -> Response:
            return await self.proxy(request, "/decisions")

        async def label(request: Request) -> Response:
            return await self.proxy(
                request,
                "/transactions/{transaction_id}/label",
                {"transaction_id": request.path_params["transaction_id"]},
            )

        async def case(request: Request) -> Response:
            return await self.proxy(
                request,
                "/transactions/{transaction_id}",
                {"transaction_id": request.path_params["transaction_id"]},
            )

        async def reviews(request: Request) -> Response:
            return await self.proxy(request, "/reviews")

        async def cases(request: Request) -> Response:
            return await self.proxy(request, "/cases")

        async def case_whole(request: Request) -> Response:
            return await self.proxy(
                request, "/cases/{case_id}", {"case_id": request.path_params["case_id"]}
            )

        async def openapi(request: Request) -> Response:
            return JSONResponse(openapi_document(str(request.base_url).rstrip("/")))

        async def health(_request: Request) -> Response:
            return JSONResponse({"status": "ok", "stack": self._stack})

        return Starlette(
            routes=[
                Route("/transactions", transactions, methods=["POST"]),
                Route("/decisions", decisions, methods=["POST"]),
                Route("/transactions/{transaction_id}/label", label, methods=["POST"]),
                Route("/transactions/{transaction_id}", case, methods=["GET"]),
                Route("/reviews", reviews, methods=["GET"]),
                Route("/cases", cases, methods=["GET"]),
                Route("/cases/{case_id}", case_whole, methods=["GET", "POST"]),
                Route("/openapi.json", openapi, methods=["GET"]),
                Route("/health", health, methods=["GET"]),
            ]
        )


def build_gateway(
    blueprint: Blueprint,
    api_keys: dict[str, str],
    invoke: Invoke,
    stats: GatewayStats | None = None,
    channels: dict[str, str] | None = None,
    *,
    callers: Mapping[str, Caller] | None = None,
    account: str = "123456789012",
    stack: str = "",
) -> Starlette:
    """An ASGI app that serves the API as the blueprint configures it; ``stack``, the
    running stack's token, is what ``GET /health`` answers with."""
    return LocalGateway(
        blueprint, api_keys, invoke, stats, channels, callers=callers, account=account, stack=stack
    ).app()
